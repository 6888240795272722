"""A whole interview through the real routes, sealed and opened with the study key."""

from __future__ import annotations

from typing import Any

from fieldkit.crypto import open_sealed


def _sealed(client: Any) -> list[Any]:
    st = client.state
    return list(st.outbox.items(include_training=True))


def test_full_interview_is_sealed_with_exact_answers(signed_in: Any, study_key: Any) -> None:
    c = signed_in
    iid = c.start()
    r = c.consent(iid)
    assert r.status_code == 303
    c.run_full(iid, comment="call me on 98220 12345 please")
    assert c.where(iid) == f"/i/{iid}/finish"
    page = c.get(f"/i/{iid}/finish").get_data(as_text=True)
    assert "[phone number]" in page and "98220" not in page
    r = c.post(f"/i/{iid}/finish")
    assert r.status_code == 303
    done = c.get("/i/done").get_data(as_text=True)
    assert 'data-outcome="completed"' in done
    [item] = _sealed(c)
    h = item.header
    assert h["outcome"] == "completed" and h["form_id"] == "st_all"
    assert h["station"] == "ST01" and h["enumerator"] == "E01" and h["site"] == "pune"
    assert h["quota"] == {"site": "pune", "gender": "female"}
    assert h["training"] is False and h["over_quota"] is False
    assert len(h["fingerprint"]) == 64 and len(h["sketch"]) == 64
    opened = open_sealed(item, study_key)
    answers = opened["answers"]
    assert answers == {
        "age_band": "a18_60", "site": "pune", "gender": "female", "years": "y6_plus",
        "prevalence": "somewhat", "registration": "not_sure",
        "places": ["public", "online"], "reasons": ["staff", "evidence"],
        "comment": "call me on [PHONE] please", "notes": "calm",
    }
    assert opened["paradata"]["consent_mode"] == "verbal"
    assert opened["paradata"]["redactions"] == {"PHONE": 1}
    assert h["n_answered"] == len(answers)
    # The interview is gone from memory and its journal from disk.
    assert c.state.interviews.get(iid) is None
    assert list(c.state.journal_dir.iterdir()) == []
