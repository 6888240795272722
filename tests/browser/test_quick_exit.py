"""Quick exit: in one gesture the screen shows something harmless, Back does not bring the
interview back, the station is locked, and the interview is resumable after the PIN."""

from __future__ import annotations

import pytest

from browser_support import PIN, answer, consent, on_question, sign_in, start_interview, tid

pytestmark = pytest.mark.browser

QUESTION = "form[data-testid=question]"


def _mid_interview(station, page) -> None:
    sign_in(page, station.url)
    start_interview(page, station.url, lang="mr")
    consent(page)
    answer(page, "age_band", "a18_30")
    answer(page, "gender", "female")
    on_question(page, "experience")


def _assert_exited(station, page) -> None:
    page.locator("body[data-testid=neutral]").wait_for()
    assert page.url == station.url + "/n"
    assert "Weather" in page.inner_text("body")
    assert page.title() == "New tab"
    # Nothing of the interview is anywhere in the page.
    assert "वर्षांपासून" not in page.content()

    # Back does not return to the interview: at most the lock screen.
    for _ in range(3):
        page.go_back()
        page.wait_for_load_state()
        assert page.locator(QUESTION).count() == 0, page.url
        assert "वर्षांपासून" not in page.content()
        if page.url.startswith("about:"):
            break
        assert page.url.endswith("/unlock") or page.url.endswith("/n") or \
            page.url.endswith("/signin"), page.url


def _assert_locked_then_resume(station, page, new_page) -> None:
    # Locked: any station page (here the home page, in the same browser) asks for the PIN.
    other = page.context.new_page()
    other.goto(station.url + "/")
    tid(other, "unlock").wait_for()
    assert other.url.endswith("/unlock")
    other.close()

    # The question URL itself asks for the PIN too.
    page.goto(station.url + "/")
    tid(page, "unlock").wait_for()
    tid(page, "pin").fill("0000")
    tid(page, "unlock").click()
    tid(page, "unlock-error").wait_for()
    tid(page, "pin").fill(PIN)
    tid(page, "unlock").click()

    # Back where the interview was, answers intact: answer on, then end (answers kept).
    on_question(page, "experience")
    answer(page, "experience", 4)
    on_question(page, "prevalence")
    tid(page, "stop").click()
    tid(page, "keep-yes").click()
    tid(page, "done").wait_for()
    [sub] = station.sealed()
    assert sub["header"]["outcome"] == "terminated"
    assert sub["answers"] == {"age_band": "a18_30", "site": "pune", "gender": "female",
                              "experience": "y0_5"}


def test_quick_exit_button(make_station, page, new_page) -> None:
    station = make_station(training=False)
    laptop = new_page()                     # the same enumerator on the laptop's browser
    sign_in(laptop, station.url)
    _mid_interview(station, page)
    tid(page, "quick-exit").click()
    _assert_exited(station, page)
    # Every device of the station is locked: whoever picks up the laptop sees no interview.
    laptop.goto(station.url + "/")
    tid(laptop, "unlock").wait_for()
    _assert_locked_then_resume(station, page, new_page)


def test_quick_exit_shift_three_times(make_station, page, new_page) -> None:
    station = make_station(training=False)
    _mid_interview(station, page)
    tid(page, "number").fill("7")       # half-typed: must not matter
    for _ in range(3):
        page.keyboard.press("Shift")
    _assert_exited(station, page)
    _assert_locked_then_resume(station, page, new_page)


def test_shift_typed_in_a_text_answer_is_not_a_quick_exit(make_station, page) -> None:
    """Capital letters need Shift: typing an acronym (Shift+A, Shift+H, ...) must not throw
    the interviewer out; only Shift pressed three times on its own does."""
    station = make_station()
    sign_in(page, station.url)
    start_interview(page, station.url, lang="en")
    consent(page)
    for qid, value in [("age_band", "a18_30"), ("gender", "male"), ("experience", 9),
                       ("prevalence", "not_at_all"), ("registration", "true"),
                       ("reasons", ["evidence"])]:
        answer(page, qid, value)
    on_question(page, "comment")
    tid(page, "text").click()
    for letter in "AHTU":
        page.keyboard.press(f"Shift+{letter}")
    page.keyboard.type(" and NGO")
    assert tid(page, "text").input_value() == "AHTU and NGO"
    assert page.locator("body[data-testid=neutral]").count() == 0
    answer(page, "comment", None)
    tid(page, "finish").wait_for()


def test_quick_exit_on_a_respondents_phone(make_station, new_page) -> None:
    """A respondent answering on their own phone can hide the survey the same way; the
    phone then shows nothing of it, even going Back or reopening the link."""
    station = make_station(training=False)
    laptop = new_page()
    sign_in(laptop, station.url)
    start_interview(laptop, station.url, lang="mr", mode="self")
    link = tid(laptop, "link-url").inner_text().strip()
    link_page = laptop.url
    phone = new_page()
    phone.goto(link)
    tid(phone, "open-begin").click()
    consent(phone)
    answer(phone, "age_band", "a18_30")
    answer(phone, "gender", "female")
    on_question(phone, "experience")
    for _ in range(3):
        phone.keyboard.press("Shift")
    _assert_exited(station, phone)
    for url in (link, station.url + "/"):
        phone.goto(url)
        phone.wait_for_load_state()
        assert phone.locator(QUESTION).count() == 0
        assert "वर्षांपासून" not in phone.content()

    # The enumerator (laptop locked too) unlocks and closes the abandoned phone interview:
    # the answers given so far are sealed as an interrupted interview.
    laptop.goto(link_page)
    tid(laptop, "pin").fill(PIN)
    tid(laptop, "unlock").click()
    tid(laptop, "close-interrupted").click()
    tid(laptop, "start").wait_for()
    [sub] = station.sealed()
    assert sub["header"]["outcome"] == "interrupted"
    assert sub["answers"] == {"age_band": "a18_30", "site": "pune", "gender": "female"}
