"""Pages work without JavaScript (ranking by selects, quick exit by a plain form post);
the browser's own Back button; the idle lock returns to the same question."""

from __future__ import annotations

import time

import pytest

from browser_support import PIN, answer, consent, on_question, sign_in, start_interview, tid

pytestmark = pytest.mark.browser


def test_full_interview_without_javascript(make_station, new_page) -> None:
    station = make_station(training=False)
    page = new_page(java_script_enabled=False)
    sign_in(page, station.url)
    start_interview(page, station.url, lang="hi")
    consent(page)
    for qid, value in [("age_band", "a18_30"), ("gender", "female"), ("experience", 7),
                       ("prevalence", "somewhat"), ("registration", "false")]:
        answer(page, qid, value)
    # Multiple choice with an exclusive option: without the script nothing unticks the
    # others, so the server must refuse "none" with another answer and explain.
    on_question(page, "places")
    tid(page, "opt-public").check()
    tid(page, "opt-none").check()
    with page.expect_navigation():
        tid(page, "next").click()
    on_question(page, "places")
    assert tid(page, "problem").is_visible()
    assert tid(page, "opt-public").is_checked()        # what was ticked is still ticked
    tid(page, "opt-none").uncheck()
    with page.expect_navigation():
        tid(page, "next").click()
    # Ranking without the tap-to-order script: the rank selects.
    on_question(page, "reasons")
    tid(page, "rank-staff").select_option("1")
    tid(page, "rank-witnesses").select_option("2")
    with page.expect_navigation():
        tid(page, "next").click()
    answer(page, "comment", "कोई टिप्पणी नहीं")
    tid(page, "finish").click()
    tid(page, "done").wait_for()
    [sub] = station.sealed()
    assert sub["answers"]["places"] == ["public"]
    assert sub["answers"]["reasons"] == ["staff", "witnesses"]

    # Quick exit without JavaScript: the button posts to /exit, which locks and shows the
    # neutral page.
    tid(page, "quick-exit").click()
    page.locator("body[data-testid=neutral]").wait_for()
    page.goto(station.url + "/")
    tid(page, "unlock").wait_for()


def test_browser_back_reopens_the_previous_question_with_its_answer(make_station,
                                                                     page) -> None:
    station = make_station(training=False)
    sign_in(page, station.url)
    start_interview(page, station.url, lang="en")
    consent(page)
    answer(page, "age_band", "a18_30")
    answer(page, "gender", "other")
    on_question(page, "experience")
    page.go_back()
    on_question(page, "gender")
    assert tid(page, "opt-other").is_checked()
    answer(page, "gender", "female")                 # change the answer
    answer(page, "experience", 1)
    for qid, value in [("prevalence", "very"), ("registration", "true"),
                       ("places", ["online"]), ("reasons", ["evidence"]),
                       ("comment", None)]:
        answer(page, qid, value, action="next" if value is not None else "skip")
    tid(page, "finish").click()
    tid(page, "done").wait_for()
    [sub] = station.sealed()
    assert sub["answers"]["gender"] == "female"
    assert sub["paradata"]["back_count"] >= 1


def test_idle_lock_returns_to_the_same_question(make_station, page) -> None:
    station = make_station(IDLE_LOCK_SECONDS=120)
    sign_in(page, station.url)
    start_interview(page, station.url, lang="mr")
    consent(page)
    answer(page, "age_band", "a18_30")
    on_question(page, "gender")
    # Two idle minutes pass (moved back in time rather than waited for).
    for rec in list(station.state.sessions._items.values()):
        rec.last_seen = time.time() - 121
    tid(page, "opt-female").check()
    tid(page, "next").click()                        # the answer arrives after the idle time
    tid(page, "unlock").wait_for()
    assert page.locator("form[data-testid=question]").count() == 0
    tid(page, "pin").fill(PIN)
    tid(page, "unlock").click()
    on_question(page, "gender")
    answer(page, "gender", "female")
    on_question(page, "experience")
