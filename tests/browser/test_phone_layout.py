"""What a 360x740 phone shows: nothing scrolls sideways, every control is big enough to
tap, the quick exit is always on screen, the Marathi text is drawn with the shipped font,
and the interface around a Marathi interview is in Marathi."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from browser_support import (
    PIN,
    layout_problems,
    answer,
    assert_shipped_devanagari,
    consent,
    on_question,
    sign_in,
    start_interview,
    tid,
)

pytestmark = pytest.mark.browser

def test_phone_layout_of_every_screen_of_an_interview(make_station, page) -> None:
    station = make_station(pin_set=False)
    problems: list[str] = []

    def check_layout(page: Any, where: str) -> None:
        problems.extend(layout_problems(page, where))

    page.goto(station.url + "/signin?lang=mr")
    tid(page, "signin").wait_for()
    check_layout(page, "sign-in")
    tid(page, "code").fill("E01")
    tid(page, "pin").fill(PIN)
    tid(page, "signin").click()
    tid(page, "new-pin").wait_for()
    check_layout(page, "first PIN")
    tid(page, "new-pin").fill(PIN)
    tid(page, "new-pin2").fill(PIN)
    tid(page, "set-pin").click()
    tid(page, "start").wait_for()
    check_layout(page, "home")
    page.goto(station.url + "/start?form=bt_views")
    tid(page, "begin").wait_for()
    check_layout(page, "start")
    start_interview(page, station.url, lang="mr")
    check_layout(page, "consent")
    consent(page)
    for qid, value in [("age_band", "a18_30"), ("gender", "female"), ("experience", 3),
                       ("prevalence", "very"), ("registration", "true"),
                       ("places", ["public"]), ("reasons", ["evidence"]),
                       ("comment", "ठीक आहे")]:
        on_question(page, qid)
        check_layout(page, f"question {qid}")
        # Scrolled to the bottom (long pages), the quick exit is still on screen.
        page.mouse.wheel(0, 2000)
        page.wait_for_function("window.scrollY > 0 || "
                               "document.scrollingElement.scrollHeight <= window.innerHeight")
        check_layout(page, f"question {qid}, scrolled")
        answer(page, qid, value)
    tid(page, "finish").wait_for()
    check_layout(page, "finish")
    tid(page, "stop").click()
    tid(page, "keep-question").wait_for()
    check_layout(page, "stop")
    assert not problems, "\n".join(problems)


def test_marathi_interview_pages_are_marathi_throughout(make_station, page,
                                                          shots: Path) -> None:
    """Question, answers and the buttons around them: a Marathi reader needs no English."""
    station = make_station()
    sign_in(page, station.url)
    start_interview(page, station.url, lang="mr")            # enumerator's UI is English
    assert_shipped_devanagari(page, "[data-testid=consent-script]")
    for test_id in ("agree", "refuse"):
        assert_shipped_devanagari(page, f"[data-testid={test_id}]")
    consent(page)
    answer(page, "age_band", "a31_60")
    on_question(page, "gender")
    page.screenshot(path=str(shots / "question-mr-gender.png"), full_page=True)
    for test_id in ("label", "next", "skip", "pna", "stop", "quick-exit"):
        assert_shipped_devanagari(page, f"[data-testid={test_id}]")
    assert_shipped_devanagari(page, "label:has([data-testid=opt-female])")
