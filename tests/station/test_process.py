"""The real server process: ``fieldkit station serve`` (gunicorn) killed with SIGKILL in
the middle of an interview; the next start turns the crash journal into a sealed
"interrupted" submission, and nothing readable was on disk in between."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from fieldkit.crypto import open_sealed
from station_support import FORMS_DIR, Http

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(station_dir: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-c", "from fieldkit.cli import main; main()", "station", "serve",
         "--dir", str(station_dir), "--forms", str(FORMS_DIR), "--host", "127.0.0.1",
         "--port", str(port), "--threads", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:  # ready when a worker answers, not merely when the port accepts
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/signin", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("station did not start")


def _kill9(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def test_kill9_mid_interview_then_recovery(station_dir: Path, study_key: Any) -> None:
    from fieldkit.forms import load_form
    from fieldkit.outbox import Outbox
    from fieldkit.station.db import StationStore, open_station_db

    db = open_station_db(station_dir)
    store = StationStore(db)
    store.add_enumerator("E01")
    store.set(approved_forms=[load_form(FORMS_DIR / "st_all.yaml").hash], station_code="ST05")
    db.close()

    port = _free_port()
    proc = _serve(station_dir, port)
    try:
        h = Http(port)
        h.get("/signin")
        h.post("/signin", {"code": "E01", "pin": ""})
        status, _, loc = h.post("/signin/pin", {"code": "E01", "pin": "2468", "pin2": "2468"})
        assert status == 302 and loc == "/"
        h.get("/")
        status, _, loc = h.post("/start", {"form": "st_all", "site": "nagpur",
                                           "language": "mr", "mode": "laptop"})
        iid = loc.split("/")[2]
        h.get(loc)
        h.post(f"/i/{iid}/consent", {"action": "agree", "consent_mode": "verbal"})
        canary = "zq canary kill9 4f1e"
        for qid, data in (("age_band", {"answer": "a18_60"}), ("gender", {"answer": "male"}),
                          ("years", {"number": "20"}), ("intro", {}),
                          ("prevalence", {"answer": "very"}),
                          ("registration", {"answer": "true"}),
                          ("places", {"answer": ["online"]}), ("reasons", {"rank_staff": "1"}),
                          ("comment", {"text": canary})):
            h.get(f"/i/{iid}/q/{qid}")
            status, _, loc = h.post(f"/i/{iid}/q/{qid}", {"action": "next", **data})
            assert status == 303, (qid, status)
        assert loc.endswith("/q/notes")
    finally:
        _kill9(proc)

    journals = list((station_dir / "journal").glob("*.fkj"))
    assert len(journals) == 1
    for path in station_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert canary.encode() not in data and canary.encode("utf-16-le") not in data

    proc = _serve(station_dir, port)                   # the next start recovers it
    try:
        assert Http(port).get("/signin")[0] == 200
        deadline = time.time() + 10
        while list((station_dir / "journal").glob("*.fkj")) and time.time() < deadline:
            time.sleep(0.1)
    finally:
        _kill9(proc)
    from fieldkit.db import open_db

    db = open_db(station_dir / "station.db")
    try:
        [item] = list(Outbox(db).items())
    finally:
        db.close()
    assert item.header["outcome"] == "interrupted" and item.header["station"] == "ST05"
    answers = open_sealed(item, study_key)["answers"]
    assert answers["comment"] == canary and answers["years"] == "y6_plus"
    assert answers["site"] == "nagpur"
