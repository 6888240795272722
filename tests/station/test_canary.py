"""Plaintext canary: answers typed through the real pages never reach the disk in clear.

Many interviews (completed, ended midway with and without keeping answers, still in
progress, self-administered on a "phone") carry unique canary strings in their free-text
answers. Afterwards every file under STATION_DIR (station.db, its WAL and SHM, journals,
study.json) and every file the test run left in the temp dir is scanned for the canaries
in UTF-8, UTF-16-LE and UTF-16-BE: zero hits. The canaries must be in the sealed data
(opened with the study key), so the test cannot pass by losing them.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from fieldkit.crypto import open_sealed
from station_support import StationClient, path_of


def _needles(canaries: list[str]) -> list[bytes]:
    out = []
    for c in canaries:
        for enc in ("utf-8", "utf-16-le", "utf-16-be"):
            out.append(c.encode(enc))
    return out


def _files(root: Path, since: float) -> list[Path]:
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            try:
                st = p.stat()
            except OSError:
                continue
            if st.st_mtime >= since - 1 and st.st_size < 64 * 1024 * 1024:
                found.append(p)
    return found


def _scan(paths: list[Path], needles: list[bytes]) -> list[tuple[str, bytes]]:
    hits = []
    for p in paths:
        try:
            data = p.read_bytes()
        except OSError:
            continue
        for n in needles:
            if n in data:
                hits.append((str(p), n))
    return hits


def test_no_canary_reaches_the_disk(make_app: Any, station_dir: Path, study_key: Any) -> None:
    started = time.time()
    app = make_app()
    enum = StationClient(app)
    enum.add_enumerator("E01")
    enum.signin("E01", "2468")
    canaries: list[str] = []

    def canary() -> str:
        value = f"zq canary {secrets.token_hex(8)} कॅनरी {secrets.token_hex(4)}"
        canaries.append(value)
        return value

    expected_sealed: list[str] = []
    for i in range(24):
        iid = enum.start(language=("en", "hi", "mr")[i % 3])
        enum.consent(iid)
        if i % 4 == 3:                             # still in progress at the end
            enum.answer(iid, "age_band", {"answer": "a18_60"})
            enum.answer(iid, "gender", {"answer": "male"})
            enum.answer(iid, "years", {"number": "7"})
            continue
        comment, notes = canary(), canary()
        enum.run_full(iid, comment=comment, notes=notes, gender=("female", "male")[i % 2])
        if i % 4 == 0:
            enum.finish(iid)
            expected_sealed += [comment, notes]
        elif i % 4 == 1:
            enum.post(f"/i/{iid}/stop", {"keep": "yes"})
            expected_sealed += [comment, notes]
        else:
            enum.post(f"/i/{iid}/stop", {"keep": "no"})
    # in progress with a canary typed: answered, then Back (answer still in memory)
    iid = enum.start()
    enum.consent(iid)
    enum.run_full(iid, comment=canary(), notes=canary())
    enum.post(f"/i/{iid}/back")
    # a canary that failed validation (too long): shown back, never stored
    iid = enum.start()
    enum.consent(iid)
    r = enum.run_full(iid, comment=canary() + "x" * 200, until="comment")
    assert r.status_code == 422
    assert enum.current_qid(iid) == "comment"
    # self-administered on a phone
    for _ in range(3):
        iid = enum.start(mode="self")
        page = enum.get(f"/i/{iid}/link").get_data(as_text=True)
        link = path_of(page.split('data-testid="link-url">')[1].split("<")[0])
        phone = StationClient(app)
        phone.get(link)
        phone.post(link)
        phone.get(f"/i/{iid}/consent")
        phone.post(f"/i/{iid}/consent", {"action": "agree"})
        comment, notes = canary(), canary()
        phone.run_full(iid, comment=comment, notes=notes)
        phone.finish(iid)
        expected_sealed += [comment, notes]

    st = app.extensions["fieldkit_station"]
    # The canaries did reach the sealed submissions (the analyst can read them)...
    sealed_text = ""
    for item in st.outbox.items(include_training=True):
        opened = open_sealed(item, study_key)
        sealed_text += repr(opened["answers"])
    for value in expected_sealed:
        assert value in sealed_text
    # ... and nowhere on disk in clear, while the station runs ...
    needles = _needles(canaries)
    roots = [station_dir, Path(tempfile.gettempdir())]
    paths = [p for root in roots for p in _files(root, started)]
    assert any(p.name == "station.db-wal" for p in paths)
    assert any(p.name == "station.db" for p in paths)
    assert any(p.suffix == ".fkj" for p in paths)            # live journals were scanned
    assert _scan(paths, needles) == []
    # ... nor after it stops (WAL checkpointed into the main file).
    st.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    st.db.close()
    paths = [p for root in roots for p in _files(root, started)]
    assert _scan(paths, needles) == []
