"""Every approach ends as a sealed submission with the right outcome, and only the
answers the respondent allowed."""

from __future__ import annotations

from typing import Any

from fieldkit.crypto import open_sealed


def _only_item(c: Any) -> Any:
    items = list(c.state.outbox.items(include_training=True))
    assert len(items) == 1
    return items[0]


def test_refusal_is_sealed_with_no_answers(signed_in: Any, study_key: Any) -> None:
    c = signed_in
    iid = c.start()
    r = c.post(f"/i/{iid}/consent", {"action": "refuse"})
    assert r.status_code == 303
    page = c.get("/i/done").get_data(as_text=True)
    assert 'data-outcome="refused"' in page and "Thank you for your time." in page
    item = _only_item(c)
    assert item.header["outcome"] == "refused" and item.header["n_answered"] == 0
    assert item.header["quota"] == {"site": "pune"} and item.header["fingerprint"] is None
    assert open_sealed(item, study_key)["answers"] == {}
    assert c.state.interviews.get(iid) is None


def test_consent_needs_a_mode(signed_in: Any) -> None:
    c = signed_in
    iid = c.start()
    r = c.post(f"/i/{iid}/consent", {"action": "agree"})
    assert r.status_code == 400 and 'data-testid="consent-error"' in r.get_data(as_text=True)
    assert c.state.interviews.get(iid).stage == "consent"


def test_ineligible_shows_the_forms_polite_text(signed_in: Any, study_key: Any) -> None:
    c = signed_in
    iid = c.start(language="mr")
    c.consent(iid, "written")
    r = c.answer(iid, "age_band", {"answer": "under_18"})
    assert r.status_code == 303
    page = c.get("/i/done").get_data(as_text=True)
    assert "हे सर्वेक्षण 18 ते 60 वयोगटातील प्रौढांसाठी आहे." in page
    item = _only_item(c)
    assert item.header["outcome"] == "ineligible"
    opened = open_sealed(item, study_key)
    assert opened["answers"] == {"age_band": "under_18", "site": "pune"}
    assert opened["paradata"]["consent_mode"] == "written"


def _midway(c: Any) -> str:
    iid = c.start()
    c.consent(iid)
    c.answer(iid, "age_band", {"answer": "a18_60"})
    c.answer(iid, "gender", {"answer": "male"})
    c.answer(iid, "years", {"number": "3"})
    return iid


def test_stop_keeping_partial_answers(signed_in: Any, study_key: Any) -> None:
    c = signed_in
    iid = _midway(c)
    page = c.get(f"/i/{iid}/stop").get_data(as_text=True)
    assert 'data-testid="keep-yes"' in page
    c.post(f"/i/{iid}/stop", {"keep": "yes"})
    item = _only_item(c)
    assert item.header["outcome"] == "terminated" and item.header["keep_partial"] is True
    assert open_sealed(item, study_key)["answers"] == {
        "age_band": "a18_60", "site": "pune", "gender": "male", "years": "y0_5"}


def test_stop_discarding_answers(signed_in: Any, study_key: Any) -> None:
    c = signed_in
    iid = _midway(c)
    c.post(f"/i/{iid}/stop", {"keep": "no"})
    item = _only_item(c)
    assert item.header["outcome"] == "terminated" and item.header["keep_partial"] is False
    assert item.header["n_answered"] == 0 and item.header["fingerprint"] is None
    assert item.header["quota"] == {"site": "pune"}      # gender was an answer: deleted
    assert open_sealed(item, study_key)["answers"] == {}


def test_skip_dont_know_prefer_not_and_back(signed_in: Any, study_key: Any) -> None:
    c = signed_in
    iid = c.start()
    c.consent(iid)
    c.answer(iid, "age_band", {"answer": "a18_60"})
    # "prefer not to answer" only where offered: gender offers it, years does not
    page = c.get(f"/i/{iid}/q/gender").get_data(as_text=True)
    assert 'data-testid="pna"' in page and 'data-testid="dk"' not in page
    c.answer(iid, "gender", action="pna")
    page = c.get(f"/i/{iid}/q/years").get_data(as_text=True)
    assert 'data-testid="pna"' not in page and 'data-testid="dk"' in page
    r = c.post(f"/i/{iid}/q/years", {"action": "pna"})
    assert r.status_code == 422
    c.answer(iid, "years", action="dk")
    c.answer(iid, "intro")
    c.answer(iid, "prevalence", action="skip")
    # Back twice, change prevalence to "not_at_all": places becomes irrelevant
    c.post(f"/i/{iid}/back")
    assert c.current_qid(iid) == "prevalence"
    page = c.get(f"/i/{iid}/q/prevalence").get_data(as_text=True)
    c.answer(iid, "prevalence", {"answer": "not_at_all"})
    assert c.current_qid(iid) == "registration"
    c.answer(iid, "registration", {"answer": "true"})
    assert c.current_qid(iid) == "reasons"          # places skipped by the relevance rule
    c.answer(iid, "reasons", action="skip")
    c.answer(iid, "comment", action="skip")
    c.answer(iid, "notes", action="skip")
    c.finish(iid)
    answers = open_sealed(_only_item(c), study_key)["answers"]
    assert answers == {"age_band": "a18_60", "site": "pune", "gender": "_pna", "years": "_dk",
                       "prevalence": "not_at_all", "registration": "true", "reasons": "_skip",
                       "comment": "_skip", "notes": "_skip"}
    assert _only_item(c).header["quota"] == {"site": "pune"}


def test_answer_left_behind_by_back_is_dropped(signed_in: Any, study_key: Any) -> None:
    c = signed_in
    iid = c.start()
    c.consent(iid)
    c.run_full(iid)
    # back from the finish page to prevalence, change it so "places" is no longer shown
    for _ in range(6):
        c.post(f"/i/{iid}/back")
    assert c.current_qid(iid) == "prevalence"
    c.answer(iid, "prevalence", {"answer": "not_at_all"})
    c.answer(iid, "registration", {"answer": "false"})
    c.answer(iid, "reasons", {"rank_witnesses": "1"})
    c.answer(iid, "comment", {"text": "ok"})
    c.answer(iid, "notes", {"text": "ok"})
    c.finish(iid)
    answers = open_sealed(_only_item(c), study_key)["answers"]
    assert "places" not in answers and answers["reasons"] == ["witnesses"]


def test_validation_messages_and_nothing_stored(signed_in: Any) -> None:
    c = signed_in
    iid = c.start(language="hi")
    c.consent(iid)
    r = c.answer(iid, "age_band", {"answer": "bogus"})
    assert r.status_code == 422 and 'data-testid="problem"' in r.get_data(as_text=True)
    c.answer(iid, "age_band", {"answer": "a18_60"})
    c.answer(iid, "gender", {"answer": "female"})
    r = c.answer(iid, "years", {"number": "99"})      # the form's constraint message, in Hindi
    assert "कृपया 0 से 80 के बीच की संख्या लिखें।" in r.get_data(as_text=True)
    r = c.answer(iid, "years", {"number": "abc"})
    assert r.status_code == 422
    c.answer(iid, "years", {"number": "४२"})            # Devanagari digits are numbers too
    iv = c.state.interviews.get(iid)
    assert iv.answers["years"] == "y6_plus"
    c.answer(iid, "intro")
    c.answer(iid, "prevalence", {"answer": "very"})
    c.answer(iid, "registration", {"answer": "true"})
    r = c.answer(iid, "places", {"answer": ["none", "online"]})
    assert r.status_code == 422                          # exclusive "none" stands alone
    r = c.answer(iid, "places", {"answer": ["none"]})
    r = c.answer(iid, "reasons", {"rank_staff": "1", "rank_evidence": "1"})
    assert r.status_code == 422                          # one rank twice
    r = c.answer(iid, "reasons", {"rank_staff": "2"})
    assert r.status_code == 422                          # gap: no rank 1
    r = c.answer(iid, "reasons", {"rank_staff": "1", "rank_evidence": "2",
                                  "rank_witnesses": "3"})
    assert r.status_code == 422                          # more than rank: 2
    c.answer(iid, "reasons", {"rank_staff": "1"})
    r = c.answer(iid, "comment", {"text": "x" * 201})
    assert r.status_code == 422
    assert c.state.interviews.get(iid).answers["places"] == ["none"]
    assert "comment" not in c.state.interviews.get(iid).answers


def test_language_switch_keeps_answers(signed_in: Any, study_key: Any) -> None:
    c = signed_in
    iid = c.start(language="en")
    c.consent(iid)
    c.answer(iid, "age_band", {"answer": "a18_60"})
    c.get(f"/i/{iid}/q/gender")
    r = c.post(f"/i/{iid}/lang", {"lang": "mr", "next": f"/i/{iid}/q/gender"})
    assert r.headers["Location"].endswith(f"/i/{iid}/q/gender")
    page = c.get(f"/i/{iid}/q/gender").get_data(as_text=True)
    assert "तुमचे लिंग काय आहे?" in page and '<html lang="mr">' in page
    c.post(f"/i/{iid}/back")
    page = c.get(f"/i/{iid}/q/age_band").get_data(as_text=True)
    assert 'value="a18_60" checked' in page           # the answer survived the switch
    c.answer(iid, "age_band", {"answer": "a18_60"})
    c.post(f"/i/{iid}/lang", {"lang": "hi"})
    c.answer(iid, "gender", {"answer": "female"})
    c.answer(iid, "years", {"number": "1"})
    c.post(f"/i/{iid}/stop", {"keep": "yes"})
    opened = open_sealed(_only_item(c), study_key)
    assert opened["answers"]["age_band"] == "a18_60"
    switches = opened["paradata"]["language_switches"]
    assert [(s["from"], s["to"]) for s in switches] == [("en", "mr"), ("mr", "hi")]


def test_randomised_order_is_stable_per_interview(signed_in: Any) -> None:
    import re

    c = signed_in
    orders = set()
    for _ in range(6):
        iid = c.start()
        c.consent(iid)
        c.answer(iid, "age_band", {"answer": "a18_60"})
        c.answer(iid, "gender", action="skip")
        c.answer(iid, "years", action="skip")
        c.answer(iid, "intro")
        c.answer(iid, "prevalence", {"answer": "very"})
        c.answer(iid, "registration", action="skip")
        first = re.findall(r'data-testid="opt-(\w+)"', c.get(f"/i/{iid}/q/places").get_data(
            as_text=True))
        again = re.findall(r'data-testid="opt-(\w+)"', c.get(f"/i/{iid}/q/places").get_data(
            as_text=True))
        assert first == again and first[-1] == "none"     # exclusive stays last
        orders.add(tuple(first))
        c.post(f"/i/{iid}/stop", {"keep": "no"})
    assert len(orders) > 1


def test_refused_answer_is_shown_again_with_the_problem(signed_in: Any) -> None:
    c = signed_in
    iid = c.start()
    c.consent(iid)
    c.answer(iid, "age_band", {"answer": "a18_60"})
    c.answer(iid, "gender", {"answer": "female"})
    page = c.answer(iid, "years", {"number": "99"}).get_data(as_text=True)
    assert 'value="99"' in page
    c.answer(iid, "years", {"number": "9"})
    c.answer(iid, "intro")
    c.answer(iid, "prevalence", {"answer": "very"})
    c.answer(iid, "registration", {"answer": "true"})
    page = c.answer(iid, "places", {"answer": ["none", "public"]}).get_data(as_text=True)
    assert 'value="none" checked' in page and 'value="public" checked' in page
    c.answer(iid, "places", {"answer": ["public"]})
    page = c.answer(iid, "reasons", {"rank_staff": "1", "rank_evidence": "1"}).get_data(
        as_text=True)
    assert page.count('<option value="1" selected>') == 2
    assert "places" in c.state.interviews.get(iid).answers
    assert "years" in c.state.interviews.get(iid).answers


def test_redaction_review_in_the_interview_language(signed_in: Any) -> None:
    c = signed_in
    iid = c.start(language="mr")
    c.consent(iid)
    c.run_full(iid, comment="माझा नंबर 98220 12345 आहे")
    page = c.get(f"/i/{iid}/finish").get_data(as_text=True)
    assert "98220" not in page and "[PHONE]" not in page
    assert 'data-testid="redaction-counts"' in page


def test_browser_back_from_the_finish_page_reopens_the_last_question(signed_in: Any) -> None:
    c = signed_in
    iid = c.start()
    c.consent(iid)
    c.run_full(iid)
    assert c.where(iid) == f"/i/{iid}/finish"
    r = c.get(f"/i/{iid}/q/notes")
    assert r.status_code == 200 and 'data-qid="notes"' in r.get_data(as_text=True)
    assert c.current_qid(iid) == "notes"
    r = c.get(f"/i/{iid}/q/prevalence")          # further back in the history
    assert r.status_code == 200 and c.current_qid(iid) == "prevalence"


def test_a_failed_seal_loses_nothing_and_can_be_retried(signed_in: Any, study_key: Any,
                                                        monkeypatch: Any) -> None:
    c = signed_in
    iid = c.start()
    c.consent(iid)
    c.run_full(iid)
    st = c.state
    real_seal = st.seal

    def broken(iv: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(st, "seal", broken)
    c.get(f"/i/{iid}/finish")
    r = c.post(f"/i/{iid}/finish")
    assert r.status_code == 500 and "Nothing was lost" in r.get_data(as_text=True)
    assert "Traceback" not in r.get_data(as_text=True)
    assert st.interviews.get(iid).outcome == "completed"
    assert list(st.journal_dir.iterdir())                 # the journal still holds it
    monkeypatch.setattr(st, "seal", real_seal)
    r = c.get(f"/i/{iid}")
    assert r.status_code == 303 and r.headers["Location"].endswith("/i/done")
    [item] = list(st.outbox.items())
    assert item.header["outcome"] == "completed"
    assert open_sealed(item, study_key)["answers"]["comment"] == "nothing more"
