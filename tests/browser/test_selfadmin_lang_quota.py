"""Self-administered link, language switch mid-interview, soft quota warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_support import (
    answer,
    assert_shipped_devanagari,
    consent,
    on_question,
    sign_in,
    start_interview,
    tid,
)

pytestmark = pytest.mark.browser


# --- self-administered: the one-time link ------------------------------------------------

def test_self_administered_link_works_once(make_station, new_page, shots: Path) -> None:
    station = make_station(training=False)
    laptop = new_page()
    sign_in(laptop, station.url)
    start_interview(laptop, station.url, lang="mr", mode="self")
    assert laptop.locator("[data-testid=qr] path").count() >= 1     # a real QR code (SVG)
    link = tid(laptop, "link-url").inner_text().strip()
    assert link.startswith(station.url + "/s/")

    # The respondent's own phone: a separate browser with no station session.
    phone = new_page()
    phone.goto(link)
    tid(phone, "open-begin").click()
    tid(phone, "consent-script").wait_for()
    assert tid(phone, "consent-verbal").count() == 0    # the respondent consents by tapping
    phone.screenshot(path=str(shots / "selfadmin-consent-mr.png"), full_page=True)
    assert_shipped_devanagari(phone, "[data-testid=consent-script]")
    consent(phone)
    answer(phone, "age_band", "a31_60")
    answer(phone, "gender", "female")
    # The phone reaches this interview and nothing else.
    for url in ("/", "/start", "/i/done"):
        phone.goto(station.url + url)
        assert phone.locator("[data-testid=start], [data-testid=outcomes]").count() == 0
    phone.goto(station.url + "/")
    on_question(phone, "experience")
    for qid, value in [("experience", 20), ("prevalence", "somewhat"),
                       ("registration", "true"), ("places", ["online"]),
                       ("reasons", ["staff", "witnesses"]), ("comment", None)]:
        answer(phone, qid, value, action="next" if value is not None else "skip")
    tid(phone, "finish").click()
    tid(phone, "done").wait_for()
    assert tid(phone, "start").count() == 0             # no way into the station

    # The same link a second time (say, forwarded, or the phone's history): refused.
    again = new_page()
    again.goto(link)
    err = tid(again, "error")
    err.wait_for()
    assert tid(again, "open-begin").count() == 0
    resp = again.request.get(link)
    assert resp.status == 410

    [sub] = station.sealed()
    assert sub["header"]["outcome"] == "completed"
    assert sub["answers"]["gender"] == "female"
    assert sub["paradata"]["mode"] == "self"


def test_a_link_used_once_cannot_be_begun_again_from_another_phone(make_station,
                                                                    new_page) -> None:
    """Two phones open the link before either taps Begin: only the first Begin wins."""
    station = make_station()
    laptop = new_page()
    sign_in(laptop, station.url)
    start_interview(laptop, station.url, lang="hi", mode="self")
    link = tid(laptop, "link-url").inner_text().strip()
    first, second = new_page(), new_page()
    first.goto(link)
    second.goto(link)
    tid(first, "open-begin").click()
    tid(first, "consent-script").wait_for()
    tid(second, "open-begin").click()
    tid(second, "error").wait_for()
    assert tid(second, "consent-script").count() == 0


# --- language switch ----------------------------------------------------------------------

def test_language_switch_mid_interview_keeps_answers(make_station, page) -> None:
    station = make_station(training=False)
    sign_in(page, station.url)
    start_interview(page, station.url, lang="hi")
    assert "शोध" in tid(page, "consent-script").inner_text()
    with page.expect_navigation():
        tid(page, "lang-en").click()                     # switched on the consent page
    tid(page, "consent-script").wait_for()
    assert "research" in tid(page, "consent-script").inner_text()
    consent(page)
    answer(page, "age_band", "a18_30")
    answer(page, "gender", "male")
    on_question(page, "experience")
    assert "years" in tid(page, "label").inner_text()

    with page.expect_navigation():
        tid(page, "lang-mr").click()
    on_question(page, "experience")                      # same question, now in Marathi
    assert "वर्षांपासून" in tid(page, "label").inner_text()
    assert page.locator("html").get_attribute("lang") == "mr"

    with page.expect_navigation():
        tid(page, "back").click()
    on_question(page, "gender")                          # the earlier answer is still there
    assert tid(page, "opt-male").is_checked()
    assert "पुरुष" in page.inner_text("form[data-testid=question]")
    answer(page, "gender", "male")
    answer(page, "experience", 30)
    answer(page, "prevalence", "very")

    with page.expect_navigation():
        tid(page, "lang-hi").click()
    on_question(page, "registration")
    assert "तस्करी" in tid(page, "label").inner_text()
    for qid, value in [("registration", "true"), ("places", ["public", "private"]),
                       ("reasons", ["evidence", "witnesses"]), ("comment", "कुछ नहीं")]:
        answer(page, qid, value)
    tid(page, "finish").click()
    tid(page, "done").wait_for()

    [sub] = station.sealed()
    assert sub["answers"] == {
        "age_band": "a18_30", "site": "pune", "gender": "male", "experience": "y16_plus",
        "prevalence": "very", "registration": "true", "places": ["public", "private"],
        "reasons": ["evidence", "witnesses"], "comment": "कुछ नहीं",
    }
    assert sub["paradata"]["start_language"] == "hi"
    assert sub["paradata"]["language"] == "hi"
    assert [(s["from"], s["to"]) for s in sub["paradata"]["language_switches"]] == [
        ("hi", "en"), ("en", "mr"), ("mr", "hi")]


# --- soft quota ---------------------------------------------------------------------------

FULL = {"target": 10, "count": 10, "tolerance": 0, "allocation": 0, "status": "full"}


def test_soft_quota_warning_lets_the_interview_continue_with_a_reason(make_station,
                                                                       page) -> None:
    station = make_station(training=False)
    station.set(quotas={"bt_views": {"gender=female;site=pune": FULL}})
    sign_in(page, station.url)
    start_interview(page, station.url, lang="en")
    consent(page)
    answer(page, "age_band", "a18_30")
    answer(page, "gender", "female")                     # completes the full cell
    tid(page, "quota-warning").wait_for()
    tid(page, "quota-continue").click()                  # no reason chosen: asked for one
    tid(page, "quota-warning").wait_for()
    tid(page, "reason-supervisor_agreed").check()
    tid(page, "quota-continue").click()
    on_question(page, "experience")                      # never a hard stop
    for qid, value in [("experience", 2), ("prevalence", "somewhat"),
                       ("registration", "false"), ("places", ["none"]),
                       ("reasons", ["evidence"]), ("comment", None)]:
        answer(page, qid, value, action="next" if value is not None else "skip")
    tid(page, "finish").click()
    tid(page, "done").wait_for()

    # The home page shows the cell as last received from the aggregator.
    tid(page, "home").click()
    tid(page, "quotas").wait_for()
    assert tid(page, "quota-gender=female;site=pune").is_visible()

    [sub] = station.sealed()
    assert sub["header"]["over_quota"] is True
    assert sub["paradata"]["over_quota_reason"] == "supervisor_agreed"
    assert sub["answers"]["places"] == ["none"]
