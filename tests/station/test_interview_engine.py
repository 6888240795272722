"""The Flask-free interview engine: navigation, validation, journal events, results."""

from __future__ import annotations

from typing import Any

import pytest

from fieldkit.forms import load_form
from fieldkit.interview import Interview, InterviewStateError
from station_support import FORMS_DIR


class FakeJournal:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.discarded = False

    def append(self, event: dict[str, Any]) -> None:
        self.events.append(dict(event))

    def close_and_discard(self) -> None:
        self.discarded = True


@pytest.fixture(scope="module")
def form() -> Any:
    return load_form(FORMS_DIR / "st_all.yaml")


def _iv(form: Any, **kw: Any) -> Interview:
    iv = Interview(form, lang=kw.pop("lang", "en"), enumerator="E01", station="ST01",
                   site="pune", prefill={"site": "pune"}, **kw)
    iv.attach_journal(FakeJournal())
    return iv


def test_nothing_before_consent(form: Any) -> None:
    iv = _iv(form)
    assert iv.stage == "consent" and iv.current is None
    with pytest.raises(InterviewStateError):
        iv.answer("age_band", "next", {"answer": ["a18_60"]})
    with pytest.raises(InterviewStateError):
        iv.record_consent(True, "signature")
    iv.record_consent(True, "verbal")
    assert iv.stage == "eligibility" and iv.current == "age_band"


def test_journal_events_follow_the_journal_vocabulary(form: Any) -> None:
    iv = _iv(form)
    iv.record_consent(True, "written")
    iv.answer("age_band", "next", {"answer": ["a18_60"]})
    iv.switch_language("mr")
    assert iv.answer("gender", "dk", {})             # "don't know" is not offered here
    iv.answer("gender", "pna", {})
    iv.answer("years", "next", {"number": ["30"]})
    iv.stop(keep_partial=True)
    ev = iv.journal.events
    assert ev[0] == {"t": "lang", "v": "en"}
    assert ev[1] == {"t": "answer", "q": "site", "v": "pune"}
    assert {"t": "consent", "v": "written"} in ev
    assert {"t": "answer", "q": "age_band", "v": "a18_60"} in ev
    assert {"t": "eligible", "v": True} in ev
    assert {"t": "lang", "v": "mr"} in ev
    assert {"t": "answer", "q": "years", "v": "y6_plus"} in ev      # the band, not 30
    assert {"t": "answer", "q": "gender", "v": "_pna"} in ev
    assert ev[-1] == {"t": "end", "outcome": "terminated", "keep_partial": True}
    assert all("30" not in repr(e.get("v")) for e in ev)


def test_relevance_navigation_and_progress(form: Any) -> None:
    iv = _iv(form)
    iv.record_consent(True, "verbal")
    iv.answer("age_band", "next", {"answer": ["a18_60"]})
    assert iv.current == "gender"                    # site was prefilled: not asked
    pos, total = iv.progress()
    assert pos == 2 and total >= pos
    iv.answer("gender", "skip", {})
    iv.answer("years", "skip", {})
    iv.answer("intro", "next", {})
    assert "intro" not in iv.answers                 # a note stores nothing
    iv.answer("prevalence", "next", {"answer": ["not_at_all"]})
    iv.answer("registration", "next", {"answer": ["false"]})
    assert iv.current == "reasons"                   # places not relevant


def test_back_then_forward_keeps_and_prunes(form: Any) -> None:
    iv = _iv(form)
    iv.record_consent(True, "verbal")
    iv.answer("age_band", "next", {"answer": ["a18_60"]})
    iv.answer("gender", "next", {"answer": ["female"]})
    iv.answer("years", "next", {"number": ["2"]})
    iv.answer("intro", "next", {})
    iv.answer("prevalence", "next", {"answer": ["very"]})
    iv.answer("registration", "next", {"answer": ["true"]})
    iv.answer("places", "next", {"answer": ["online"]})
    iv.back()
    iv.back()
    iv.back()
    assert iv.current == "prevalence" and iv.answers["places"] == ["online"]
    iv.answer("prevalence", "next", {"answer": ["not_at_all"]})
    iv.answer("registration", "next", {"answer": ["true"]})
    iv.answer("reasons", "skip", {})
    iv.answer("comment", "skip", {})
    iv.answer("notes", "skip", {})
    assert iv.stage == "review"
    iv.complete()
    assert "places" not in iv.final_answers()
    assert {"t": "clear", "q": "places"} in iv.journal.events
    # replaying the journal (as crash recovery does) gives the same answers
    from fieldkit.journal import replay

    events = [e for e in iv.journal.events if e["t"] != "end"]
    assert replay(events)["answers"] == iv.final_answers()


def test_eligibility_failure_ends_as_ineligible(form: Any) -> None:
    iv = _iv(form)
    iv.record_consent(True, "verbal")
    iv.answer("age_band", "next", {"answer": ["under_18"]})
    assert iv.stage == "ended" and iv.outcome == "ineligible"
    assert iv.final_answers() == {"age_band": "under_18", "site": "pune"}


def test_banded_number_and_ranking_rules(form: Any) -> None:
    iv = _iv(form)
    iv.record_consent(True, "verbal")
    iv.answer("age_band", "next", {"answer": ["a18_60"]})
    iv.answer("gender", "skip", {})
    assert iv.answer("years", "next", {"number": ["-3"]})       # constraint
    assert iv.answer("years", "next", {"number": ["1e3"]})
    assert iv.answer("years", "next", {"number": ["5"]}) == []
    assert iv.answers["years"] == "y0_5"
    iv.answer("intro", "next", {})
    iv.answer("prevalence", "next", {"answer": ["very"]})
    iv.answer("registration", "next", {"answer": ["true"]})
    assert iv.answer("places", "next", {"answer": ["nowhere"]})
    iv.answer("places", "next", {"answer": ["online", "public"]})
    assert iv.answers["places"] == ["public", "online"]          # option order
    # the tap-to-order field and the select fallback give the same answer
    assert iv.answer("reasons", "next", {"order": ["staff,staff"]})
    assert iv.answer("reasons", "next", {"order": ["staff,evidence"]}) == []
    assert iv.answers["reasons"] == ["staff", "evidence"]


def test_random_order_seeded_per_interview(form: Any) -> None:
    q = form.question("places")
    orders = set()
    for _ in range(8):
        iv = _iv(form)
        first = [o.code for o in iv.options(q)]
        assert first == [o.code for o in iv.options(q)]
        assert first[-1] == "none"
        orders.add(tuple(first))
    assert len(orders) > 1
    assert [o.code for o in _iv(form).options(form.question("registration"))] == \
        ["true", "false", "not_sure"]


def test_quota_cell_and_soft_warning(form: Any) -> None:
    iv = _iv(form)
    iv.record_consent(True, "verbal")
    iv.answer("age_band", "next", {"answer": ["a18_60"]})
    assert iv.quota_cell() is None and not iv.needs_quota_check()
    iv.answer("gender", "next", {"answer": ["male"]})
    assert iv.quota_cell() == {"site": "pune", "gender": "male"}
    assert iv.needs_quota_check()
    iv.quota_checked_result(True)
    assert iv.quota_pending and not iv.needs_quota_check()
    iv.continue_over_quota("supervisor_agreed")
    assert iv.over_quota and not iv.quota_pending
    assert {"t": "paradata", "k": "over_quota_reason", "v": "supervisor_agreed"} in \
        iv.journal.events


def test_self_mode_never_asks_the_respondent_about_quotas(form: Any) -> None:
    iv = _iv(form, mode="self")
    iv.record_consent(True, "written")
    iv.answer("age_band", "next", {"answer": ["a18_60"]})
    iv.answer("gender", "next", {"answer": ["male"]})
    iv.quota_checked_result(True)
    assert not iv.quota_pending and iv.over_quota


def test_header_holds_only_the_contract_fields(form: Any) -> None:
    from fieldkit.envelope import validate_header

    iv = _iv(form)
    iv.record_consent(True, "verbal")
    iv.answer("age_band", "next", {"answer": ["a18_60"]})
    iv.stop(keep_partial=False)
    header = iv.header(key_id="0123456789abcdef", answers=iv.final_answers())
    validate_header(header)
    assert header["keep_partial"] is False and header["n_answered"] == 0
    assert header["outcome"] == "terminated"


def test_changing_a_quota_answer_checks_the_new_cell(form: Any) -> None:
    iv = _iv(form)
    iv.record_consent(True, "verbal")
    iv.answer("age_band", "next", {"answer": ["a18_60"]})
    iv.answer("gender", "next", {"answer": ["male"]})
    iv.quota_checked_result(True)
    iv.continue_over_quota("other")
    iv.answer("years", "skip", {})
    iv.back()
    iv.back()
    assert iv.current == "gender"
    iv.answer("gender", "next", {"answer": ["female"]})
    assert not iv.over_quota and iv.needs_quota_check()
