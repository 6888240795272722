"""Crash: a real process is killed with SIGKILL mid-interview; the partial interview
becomes an "interrupted" submission that the analyst exports with its answers."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fieldkit.crypto import open_sealed
from fieldkit.db import open_db
from fieldkit.export import export_submissions
from fieldkit.journal import recover_journals
from fieldkit.outbox import Outbox
from fieldkit.study import StudyConfig, init_study, load_private_key

pytestmark = pytest.mark.slow
PASS = "crash test passphrase"

CHILD = textwrap.dedent("""
    import sys, time, uuid
    from fieldkit.study import StudyConfig
    from fieldkit.journal import Journal
    study_dir, journal_dir, mode, form_hash = sys.argv[1:5]
    study = StudyConfig.load(study_dir)
    pre = {"uuid": str(uuid.uuid4()), "form_id": "example", "form_hash": form_hash,
           "station": "st01", "enumerator": "e07", "site": "pune", "quota": {"site": "pune"},
           "started_at": "2026-11-23T09:00:00Z"}
    j = Journal.start(journal_dir, pre, study)
    print(pre["uuid"], flush=True)
    j.append({"t": "lang", "v": "mr"})
    if mode == "stored":
        from fieldkit.crypto import seal
        from fieldkit.db import open_db
        from fieldkit.envelope import new_header
        from fieldkit.outbox import Outbox
        from pathlib import Path
        j.append({"t": "answer", "q": "site", "v": "pune"})
        j.append({"t": "end", "outcome": "completed", "keep_partial": None})
        header = new_header(**{k: pre[k] for k in ("uuid", "form_id", "form_hash", "station",
                                                  "enumerator", "site", "quota", "started_at")},
                            outcome="completed", n_answered=1)
        outbox = Outbox(open_db(Path(journal_dir).parent / "station.db"))
        outbox.store(seal(header, {"answers": {"site": "pune"}}, study.public_key,
                          study.key_id))
        print("ready", flush=True)       # killed before close_and_discard()
        time.sleep(600)
    elif mode == "fixed":
        j.append({"t": "answer", "q": "age_band", "v": "a18_30"})
        j.append({"t": "answer", "q": "site", "v": "pune"})
        j.append({"t": "answer", "q": "prevalence", "v": "very"})
        j.append({"t": "answer", "q": "channels", "v": ["public", "online"]})
        j.append({"t": "answer", "q": "notes", "v": "अर्धवट मुलाखत"})
        print("ready", flush=True)
        time.sleep(600)
    else:
        i = 0
        while True:
            i += 1
            j.append({"t": "answer", "q": f"c{i}", "v": i})
            if i == 20:
                print("ready", flush=True)
""")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    base = tmp_path_factory.mktemp("crash")
    init_study(base / "study", base / "key.pem", PASS)
    return base / "study", load_private_key(base / "key.pem", PASS)


def run_and_kill(tmp_path, study_dir, mode, form_hash="c" * 64, delay=0.0):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(study_dir),
                             str(tmp_path / "station" / "journal"), mode, form_hash],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        uid = proc.stdout.readline().strip()
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    return uid


def test_killed_interview_becomes_an_interrupted_submission_that_exports(tmp_path, study):
    study_dir, private = study
    forms = Path(__file__).parent / "forms_data"
    from fieldkit.forms import load_forms
    loaded = load_forms(forms)
    form_hash = loaded["example"].hash
    uid = run_and_kill(tmp_path, study_dir, "fixed", form_hash)
    journal = tmp_path / "station" / "journal" / f"{uid}.fkj"
    assert journal.exists()
    assert "अर्धवट".encode() not in journal.read_bytes()
    # Station restart: recover without the private key.
    outbox = Outbox(open_db(tmp_path / "station" / "station.db"))
    assert recover_journals(tmp_path / "station" / "journal", outbox,
                            StudyConfig.load(study_dir)) == [uid]
    assert not journal.exists()
    [item] = outbox.pending()
    assert item.header["outcome"] == "interrupted" and item.header["payload"] == "journal"
    outbox.db.conn.close()
    # The analyst exports it.
    result = export_submissions(tmp_path / "station" / "station.db", tmp_path / "out", private,
                                loaded)
    assert result.exported == 1 and not result.failed
    with open(tmp_path / "out" / "example" / "submissions.csv", encoding="utf-8") as fh:
        [row] = list(csv.DictReader(fh))
    assert row["uuid"] == uid and row["outcome"] == "interrupted"
    assert (row["age_band"], row["site"], row["prevalence"], row["channels"], row["notes"]) == (
        "a18_30", "pune", "very", "public online", "अर्धवट मुलाखत")
    assert row["lang"] == "mr" and row["journal_complete"] == "true"


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.05])
def test_kill_during_continuous_writes_keeps_a_clean_prefix(tmp_path, study, delay):
    """Killed while appending as fast as it can (possibly mid-record): what is recovered
    is exactly answers 1..n for some n >= 20, never a gap or a garbled value."""
    study_dir, private = study
    uid = run_and_kill(tmp_path, study_dir, "loop", delay=delay)
    outbox = Outbox(open_db(tmp_path / "station" / "station.db"))
    assert recover_journals(tmp_path / "station" / "journal", outbox,
                            StudyConfig.load(study_dir)) == [uid]
    [item] = outbox.pending()
    payload = open_sealed(item, private)
    answers = payload["answers"]
    n = len(answers)
    assert n >= 20
    assert answers == {f"c{k}": k for k in range(1, n + 1)}
    assert payload["paradata"]["events"] == n + 1          # lang + n answers
    assert item.header["n_answered"] in (n + 1, n + 2)     # + a torn record, if any
    assert json.dumps(payload)


def test_killed_between_store_and_discard_is_not_duplicated(tmp_path, study):
    study_dir, private = study
    uid = run_and_kill(tmp_path, study_dir, "stored")
    assert (tmp_path / "station" / "journal" / f"{uid}.fkj").exists()
    outbox = Outbox(open_db(tmp_path / "station" / "station.db"))
    assert recover_journals(tmp_path / "station" / "journal", outbox,
                            StudyConfig.load(study_dir)) == []
    assert not any((tmp_path / "station" / "journal").iterdir())
    [item] = outbox.pending()
    assert item.uuid == uid and item.header["outcome"] == "completed"
    assert open_sealed(item, private)["answers"] == {"site": "pune"}
