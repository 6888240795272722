"""Whole interviews on a 360x740 phone viewport in real Chromium, in each language.

The station is an enrolled (non-training) one with a real study key, so each test can open
what was sealed and check the answers a respondent gave are the ones stored.
"""

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

# What the respondent says, question by question (bt_views form).
ANSWERS = [
    ("age_band", "a18_30"),
    ("gender", "female"),
    ("experience", 12),                  # typed number; only its band y6_15 is stored
    ("prevalence", "somewhat"),
    ("registration", "true"),
    ("places", ["public", "online"]),
    ("reasons", ["witnesses", "evidence"]),
    ("comment", "More police patrols near the bus stand"),
]
STORED = {
    "age_band": "a18_30", "site": "pune", "gender": "female", "experience": "y6_15", "prevalence": "somewhat",
    "registration": "true", "places": ["public", "online"],
    "reasons": ["witnesses", "evidence"], "comment": "More police patrols near the bus stand",
}
# The free-text answer: the Hindi respondent gives a phone number, which the PII redactor
# must take out before sealing (and show the enumerator it did).
COMMENT = {"en": STORED["comment"], "mr": "बस स्टँडजवळ पोलिसांची गस्त वाढवावी",
           "hi": "मुझे 9876543210 पर फ़ोन करें"}
# A word of each question label per language: the page really is in that language.
LABEL_WORD = {"en": "age group", "hi": "आयु वर्ग", "mr": "वयोगटात"}
CONSENT_WORD = {"en": "research", "hi": "शोध", "mr": "संशोधनासाठी"}


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
def test_full_interview_in_each_language(make_station, page, lang: str, shots: Path) -> None:
    station = make_station(training=False)
    # Another quota cell is full: this respondent's cell is open, so no warning appears.
    station.set(quotas={"bt_views": {"gender=male;site=pune": {
        "target": 10, "count": 10, "tolerance": 0, "allocation": 0, "status": "full"}}})
    sign_in(page, station.url)
    start_interview(page, station.url, lang=lang)
    assert CONSENT_WORD[lang] in tid(page, "consent-script").inner_text()
    consent(page, agree=True, how="verbal")

    on_question(page, "age_band")
    assert LABEL_WORD[lang] in tid(page, "label").inner_text()
    assert page.locator("html").get_attribute("lang") == lang
    for qid, value in ANSWERS:
        if qid == "comment":
            value = COMMENT[lang]
        on_question(page, qid)
        if lang != "en" and qid == "prevalence":
            page.screenshot(path=str(shots / f"question-{lang}-prevalence.png"),
                            full_page=True)
            assert_shipped_devanagari(page, "[data-testid=label]")
        if lang == "mr" and qid == "reasons":
            page.screenshot(path=str(shots / "question-mr-ranking.png"), full_page=True)
        answer(page, qid, value)

    tid(page, "finish").wait_for()
    if lang == "hi":
        assert tid(page, "redaction-note").is_visible()
        shown = tid(page, "redacted-comment").inner_text()
        assert "9876543210" not in shown and "फ़ोन करें" in shown
    else:
        assert tid(page, "no-redaction").is_visible()
    if lang == "mr":
        page.screenshot(path=str(shots / "finish-mr.png"), full_page=True)
    tid(page, "finish").click()
    done = tid(page, "done")
    done.wait_for()
    assert done.get_attribute("data-outcome") == "completed"

    [sub] = station.sealed()
    assert sub["header"]["outcome"] == "completed"
    assert sub["header"]["quota"] == {"site": "pune", "gender": "female"}
    comment = sub["answers"].pop("comment")
    assert sub["answers"] == {k: v for k, v in STORED.items() if k != "comment"}
    if lang == "hi":
        assert "9876543210" not in comment and comment.startswith("मुझे ")
        assert sub["paradata"]["redactions"] == {"PHONE": 1}
    else:
        assert comment == COMMENT[lang]
    assert sub["paradata"]["language"] == lang
    assert sub["paradata"]["consent_mode"] == "verbal"
