"""The study's real instruments (forms/), as respondents and enumerators will see them.

general_population is self-administered in the study: it is walked here, in Marathi, on a
respondent's phone opened through the one-time link, checking every page: nothing
scrolls sideways, every control is big enough to tap, the quick exit is on screen, and
the questions are drawn with the shipped Devanagari font.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from browser_support import (
    REPO,
    devanagari_rendering,
    layout_problems,
    sign_in,
    start_interview,
    tid,
)

pytestmark = pytest.mark.browser

FORMS = REPO / "forms"


def _eligible_answers(form: Any) -> dict[str, str]:
    """The first combination of screening answers that makes the respondent eligible."""
    if form.eligibility is None:
        return {}
    qs = form.eligibility.questions
    for combo in itertools.product(*[[o.code for o in q.options] for q in qs]):
        answers = dict(zip([q.id for q in qs], combo))
        if form.eligibility.eligible_if is None or form.eligibility.eligible_if.evaluate(answers):
            return answers
    raise AssertionError(f"{form.id}: no screening answers make a respondent eligible")


@pytest.fixture
def real_forms() -> dict[str, Any]:
    from fieldkit.forms import load_forms

    if not (FORMS / "general_population.yaml").exists():
        pytest.skip("forms/general_population.yaml is not there yet")
    return dict(load_forms(FORMS))


def test_general_population_on_a_respondents_phone_in_marathi(make_station, new_page,
                                                              real_forms, shots: Path) -> None:
    form = real_forms["general_population"]
    station = make_station(forms_dir=FORMS)          # training: no approval needed
    laptop = new_page()
    sign_in(laptop, station.url)
    sites = [o.code for o in form.question("site").options] if any(
        q.id == "site" for q in form.all_questions) else []
    start_interview(laptop, station.url, form=form.id, lang="mr", mode="self",
                    site=sites[0] if sites else None)
    link = tid(laptop, "link-url").inner_text().strip()

    phone = new_page()
    phone.goto(link)
    tid(phone, "open-begin").click()
    tid(phone, "agree").click()
    screening = _eligible_answers(form)
    seen: list[str] = []
    problems: list[str] = []
    while True:
        phone.locator("form[data-testid=question], [data-testid=finish]").first.wait_for()
        q = phone.locator("form[data-testid=question]")
        if q.count() == 0:
            break
        qid, qtype = q.get_attribute("data-qid"), q.get_attribute("data-qtype")
        assert qid not in seen, f"{qid} shown twice"
        seen.append(qid)
        problems += layout_problems(phone, qid)
        if len(seen) % 4 == 1:                        # every 4th page: DevTools is slow
            fonts = devanagari_rendering(phone, "[data-testid=label]")["fonts"]
            if not any(f["isCustomFont"] for f in fonts):
                problems.append(f"{qid}: label not drawn with the shipped font: {fonts}")
        if len(seen) in (5, 18):
            phone.screenshot(path=str(shots / f"real-gp-mr-{qid}.png"), full_page=True)
        with phone.expect_navigation(wait_until="domcontentloaded"):
            if qid in screening:
                tid(phone, f"opt-{screening[qid]}").check()
                tid(phone, "next").click()
            else:
                tid(phone, "next" if qtype == "note" else "skip").click()
    assert not problems, "\n".join(problems)
    expected = [q.id for q in form.all_questions if q.id not in ("site",)]
    assert len(seen) >= len(expected) // 2, seen      # skip logic may hide follow-ups
    tid(phone, "finish").click()
    done = tid(phone, "done")
    done.wait_for()
    assert done.get_attribute("data-outcome") == "completed"
