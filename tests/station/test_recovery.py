"""A station that dies mid-interview: at the next start its journal becomes a sealed
"interrupted" submission that the analyst can open; nothing was readable meanwhile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fieldkit.crypto import open_sealed
from station_support import StationClient


def test_interview_in_progress_is_recovered_at_next_start(make_app: Any, station_dir: Path,
                                                           study_key: Any) -> None:
    app = make_app()
    c = StationClient(app)
    c.add_enumerator("E01")
    c.signin("E01", "2468")
    iid = c.start(language="hi")
    c.consent(iid)
    c.answer(iid, "age_band", {"answer": "a18_60"})
    c.answer(iid, "gender", {"answer": "female"})
    c.answer(iid, "years", {"number": "9"})
    st = c.state
    iv = st.interviews.get(iid)
    journal_file = iv.journal.path
    assert journal_file.exists()
    raw = journal_file.read_bytes()
    assert b"a18_60" not in raw and b"female" not in raw        # encrypted on disk
    # the process "dies": file descriptors closed, nothing sealed, memory gone
    iv.journal.close()
    st.db.close()
    app2 = make_app()
    st2 = app2.extensions["fieldkit_station"]
    assert st2.recovered == [iv.uuid]
    assert not journal_file.exists()
    item = st2.outbox.get(iv.uuid)
    assert item.header["outcome"] == "interrupted" and item.header["enumerator"] == "E01"
    assert item.header["quota"] == {"site": "pune"}
    opened = open_sealed(item, study_key)
    assert opened["answers"] == {"site": "pune", "age_band": "a18_60", "gender": "female",
                                 "years": "y6_plus"}
    # the new process knows nothing about the old interview
    c2 = StationClient(app2)
    c2.signin("E01", "2468")
    assert c2.get(f"/i/{iid}/consent").status_code == 404
