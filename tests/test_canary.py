"""Plaintext canary: nothing an interview contains is readable in any file the station
storage path writes (database, WAL, SHM, journal, logs, temp files).

Many interviews carry unique canary strings (ASCII and Devanagari) through the real
storage path -- Journal (per answer, fsynced), redaction, seal, Outbox (SQLite WAL,
synchronous=FULL), crash recovery -- on real files. Then every file under the station
folder and the process's temp folder is scanned for every canary in UTF-8, UTF-16-LE and
UTF-16-BE, while the database is still open (WAL and SHM present) and again after close.
The station helpers add a through-the-web canary on top of this one.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import uuid as uuid_mod
from pathlib import Path

import pytest

from fieldkit.crypto import seal
from fieldkit.db import open_db
from fieldkit.envelope import new_header
from fieldkit.journal import Journal, recover_journals
from fieldkit.outbox import Outbox
from fieldkit.privacy import redact
from fieldkit.study import init_study

ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")
N_INTERVIEWS = 60


def scan(roots, needles):
    """(file, canary, encoding) for every hit under ``roots``."""
    patterns = [(n, enc, n.encode(enc)) for n in needles for enc in ENCODINGS]
    hits = []
    for root in roots:
        for path in Path(root).rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                hits += [(str(path), n, enc) for n, enc, p in patterns if p in data]
    return hits


@pytest.fixture
def isolated_tmp(tmp_path, monkeypatch):
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def test_scanner_finds_what_is_there(tmp_path):
    (tmp_path / "a").write_bytes("x CANARY-कुत्रा-1 y".encode("utf-16-be"))
    assert scan([tmp_path], ["CANARY-कुत्रा-1"]) == [(str(tmp_path / "a"), "CANARY-कुत्रा-1",
                                                        "utf-16-be")]


def test_no_canary_reaches_any_station_file(tmp_path, isolated_tmp):
    study = init_study(tmp_path / "study", tmp_path / "analyst" / "key.pem",
                       "canary test passphrase")
    station = tmp_path / "station"
    journal_dir = station / "journal"
    log_path = station / "logs" / "station.log"
    log_path.parent.mkdir(parents=True)
    handler = logging.FileHandler(log_path, encoding="utf-8")
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    canaries: list[str] = []
    try:
        outbox = Outbox(open_db(station / "station.db"))
        for i in range(N_INTERVIEWS):
            tag = secrets.token_hex(6)
            ascii_canary = f"CANARY{tag}A"
            deva_canary = f"कॅनरी{tag}देव"
            phone = f"98{secrets.randbelow(10**8):08d}"
            canaries += [ascii_canary, deva_canary, phone]
            uid = str(uuid_mod.uuid4())
            pre = {"uuid": uid, "form_id": "police", "form_hash": "c" * 64, "station": "st01",
                   "enumerator": "e07", "site": "pune", "quota": {"site": "pune"},
                   "started_at": "2026-11-23T09:00:00Z"}
            j = Journal.start(journal_dir, pre, study)
            answers = {"prevalence": "somewhat", "notes": f"{ascii_canary} call {phone}",
                       "story": f"{deva_canary} " * 20}
            for qid, value in answers.items():
                j.append({"t": "answer", "q": qid, "v": value})
            j.append({"t": "note", "v": f"interviewer note {ascii_canary}"})
            if i % 4 == 3:
                j.close()           # the process "died": left for recovery
                continue
            redacted = {k: redact(v).text if isinstance(v, str) else v
                        for k, v in answers.items()}
            # The redacted phone is replaced; the canaries stay in the answers on purpose:
            # sealing must hide them.
            assert phone not in redacted["notes"] and ascii_canary in redacted["notes"]
            answers_to_seal = {**redacted, "raw_phone_check": phone}
            header = new_header(**{k: pre[k] for k in ("uuid", "form_id", "form_hash",
                                                      "station", "enumerator", "site", "quota",
                                                      "started_at")},
                                outcome="completed" if i % 3 else "terminated",
                                keep_partial=None if i % 3 else True,
                                ended_at="2026-11-23T09:30:00Z", n_answered=len(answers))
            item = seal(header, {"answers": answers_to_seal,
                                 "paradata": {"notes": [ascii_canary]}},
                        study.public_key, study.key_id)
            outbox.store(item)
            j.close_and_discard()
        recovered = recover_journals(journal_dir, outbox, study)
        assert len(recovered) == N_INTERVIEWS // 4
        assert outbox.count() == N_INTERVIEWS
        # While open: station.db, station.db-wal and station.db-shm all exist.
        names = {p.name for p in station.iterdir()}
        assert {"station.db", "station.db-wal"} <= names
        assert scan([station, isolated_tmp, Path(tempfile.gettempdir())], canaries) == []
        outbox.db.conn.close()
        assert scan([station, isolated_tmp], canaries) == []
        assert not any(journal_dir.iterdir())
        assert (station / "station.db").stat().st_size > 0
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
