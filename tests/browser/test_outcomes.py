"""Every approach is recorded: refusal, not eligible, ended midway (keep / discard), and the
respondent's right to skip or say "don't know" on any question."""

from __future__ import annotations

import pytest

from browser_support import answer, consent, on_question, sign_in, start_interview, tid

pytestmark = pytest.mark.browser


def test_refusal_shows_no_question_and_records_only_the_refusal(make_station, page) -> None:
    station = make_station(training=False)
    sign_in(page, station.url)
    start_interview(page, station.url, lang="hi")
    consent(page, agree=False)
    done = tid(page, "done")
    done.wait_for()
    assert done.get_attribute("data-outcome") == "refused"
    assert "धन्यवाद" in done.inner_text()        # the form's Hindi thank-you
    assert page.locator("form[data-testid=question]").count() == 0

    [sub] = station.sealed()
    assert sub["header"]["outcome"] == "refused"
    assert sub["answers"] == {}
    assert sub["header"]["n_answered"] == 0

    # The home page counts the approach, with no respondent data.
    tid(page, "home").click()
    tid(page, "outcome-refused").wait_for()
    assert "1" in tid(page, "outcome-refused").inner_text()
    assert "1" in tid(page, "pending").inner_text()


def test_no_question_is_reachable_by_url_before_consent(make_station, page) -> None:
    station = make_station()
    sign_in(page, station.url)
    start_interview(page, station.url)
    consent_url = page.url                          # /i/<iid>/consent
    iid = consent_url.rstrip("/").split("/")[-2]
    for qid in ("age_band", "prevalence", "comment"):
        page.goto(f"{station.url}/i/{iid}/q/{qid}")
        tid(page, "consent-script").wait_for()
        assert page.locator("form[data-testid=question]").count() == 0


def test_ineligible_respondent_gets_the_polite_closing(make_station, page) -> None:
    station = make_station(training=False)
    sign_in(page, station.url)
    start_interview(page, station.url, lang="mr")
    consent(page)
    answer(page, "age_band", "under_18")
    done = tid(page, "done")
    done.wait_for()
    assert done.get_attribute("data-outcome") == "ineligible"
    assert "प्रौढांसाठी" in done.inner_text()       # the form's Marathi not-eligible text

    [sub] = station.sealed()
    assert sub["header"]["outcome"] == "ineligible"
    assert sub["answers"] == {"age_band": "under_18", "site": "pune"}


@pytest.mark.parametrize("keep", [True, False])
def test_ending_midway_keeps_or_deletes_the_answers(make_station, page, keep: bool) -> None:
    station = make_station(training=False)
    sign_in(page, station.url)
    start_interview(page, station.url, lang="en")
    consent(page)
    answer(page, "age_band", "a31_60")
    answer(page, "gender", "male")
    on_question(page, "experience")
    tid(page, "stop").click()                       # the right to stop: one tap away
    tid(page, "keep-question").wait_for()
    tid(page, "continue").click()                   # ... or not: back to the same question
    on_question(page, "experience")
    tid(page, "stop").click()
    tid(page, "keep-question").wait_for()
    tid(page, "keep-yes" if keep else "keep-no").click()
    done = tid(page, "done")
    done.wait_for()
    assert done.get_attribute("data-outcome") == "terminated"

    [sub] = station.sealed()
    assert sub["header"]["outcome"] == "terminated"
    assert sub["header"]["keep_partial"] is keep
    if keep:
        assert sub["answers"] == {"age_band": "a31_60", "site": "pune", "gender": "male"}
    else:
        assert sub["answers"] == {}


def test_skip_and_dont_know_are_stored_as_such(make_station, page) -> None:
    station = make_station(training=False)
    sign_in(page, station.url)
    start_interview(page, station.url, lang="en")
    consent(page)
    answer(page, "age_band", "a18_30")
    answer(page, "gender", None, action="pna")       # offered on this question only
    answer(page, "experience", None, action="skip")
    answer(page, "prevalence", "very")
    answer(page, "registration", None, action="dk")
    answer(page, "places", None, action="skip")
    on_question(page, "reasons")
    assert tid(page, "dk").count() == 1
    answer(page, "reasons", None, action="skip")
    on_question(page, "comment")
    assert tid(page, "dk").count() == 0              # not offered on the comment
    answer(page, "comment", None, action="skip")
    tid(page, "finish").click()
    tid(page, "done").wait_for()

    [sub] = station.sealed()
    assert sub["answers"] == {
        "age_band": "a18_30", "site": "pune", "gender": "_pna", "experience": "_skip",
        "prevalence": "very", "registration": "_dk", "places": "_skip", "reasons": "_skip",
        "comment": "_skip",
    }
    assert sub["header"]["outcome"] == "completed"


def test_skip_logic_hides_the_follow_up(make_station, page) -> None:
    station = make_station(training=False)
    sign_in(page, station.url)
    start_interview(page, station.url)
    consent(page)
    answer(page, "age_band", "a18_30")
    answer(page, "gender", "other")
    answer(page, "experience", 3)
    answer(page, "prevalence", "not_at_all")
    answer(page, "registration", "not_sure")
    on_question(page, "reasons")                     # "places" is not relevant: not shown
    # Tap to order, then tap the first again to take it out: the rest moves up.
    page.locator("[data-testid=item-evidence] .item").click()
    page.locator("[data-testid=item-staff] .item").click()
    assert tid(page, "rank-staff").input_value() == "2"
    page.locator("[data-testid=item-evidence] .item").click()
    assert tid(page, "rank-evidence").input_value() == ""
    assert tid(page, "rank-staff").input_value() == "1"
    answer(page, "reasons", [])
    answer(page, "comment", "none")
    tid(page, "finish").click()
    tid(page, "done").wait_for()
    [sub] = station.sealed()
    assert "places" not in sub["answers"]
    assert sub["answers"]["experience"] == "y0_5"
    assert sub["answers"]["reasons"] == ["staff"]


def test_a_wrong_answer_is_explained_and_nothing_is_lost(make_station, page) -> None:
    station = make_station()
    sign_in(page, station.url)
    start_interview(page, station.url, lang="mr")
    consent(page)
    answer(page, "age_band", "a18_30")
    answer(page, "gender", "female")
    answer(page, "experience", 95)                   # outside the form's constraint
    on_question(page, "experience")
    assert "0 ते 80" in tid(page, "problem").inner_text()   # the form's Marathi message
    answer(page, "experience", "२०")                  # Devanagari digits are accepted
    on_question(page, "prevalence")
