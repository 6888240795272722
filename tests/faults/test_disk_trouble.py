"""Disk trouble on the station: the disk fills up (a real tmpfs of 8 MiB holding the
station directory, real station process) or the database becomes read-only (the
station's SQLite connection switched to query_only: a write failure at the storage
layer). In both: the enumerator sees a clear message in the language on screen (no
traceback), everything already stored stays, and the interview that could not be
saved is saved once the disk can be written again (opening it again retries)."""

from __future__ import annotations

import random
import subprocess
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from harness import (FORMS_DIR, Enumerator, StationServer, letters_tag,
                     prepare_offline_station, st_all_answers)

pytestmark = pytest.mark.slow
PIN = "2468"


def _message(code: str, lang: str) -> str:
    from fieldkit.errors import FieldkitError

    return FieldkitError(code).message(lang)


def _prepare_station(station_dir: Path, key: X25519PrivateKey) -> None:
    prepare_offline_station(station_dir, key.public_key(), code="DK01", study_id="disk")


def _outbox(station_dir: Path) -> list[Any]:
    from fieldkit.db import open_db
    from fieldkit.outbox import Outbox

    db = open_db(station_dir / "station.db")
    try:
        return list(Outbox(db).items())
    finally:
        db.conn.close()


def _walk_to_finish(e: Enumerator, tag: str) -> str:
    """Consent and every answer; returns the finish page URL (not yet finished)."""
    answers = st_all_answers(e.rng, tag)
    status, _, loc = e.post(f"/i/{e.iid}/consent", {"action": "agree", "consent_mode": "verbal"})
    while "/q/" in loc:
        qid = loc.rsplit("/", 1)[1]
        e.get(loc)
        status, text, loc = e.post(loc, {"action": "next", **answers[qid]})
        assert status == 303, text
    assert loc.endswith("/finish")
    assert e.get(loc)[0] == 200
    return loc


def _assert_clear(status: int, text: str, lang: str) -> None:
    assert status == 507, text
    assert 'data-testid="error"' in text
    assert _message("station.storage_unwritable", lang) in text
    assert "Traceback" not in text and "sqlite" not in text.lower() and "Errno" not in text


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _fill(mnt: Path) -> Path:
    filler = mnt / "filler"
    with open(filler, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    return filler


def test_disk_full(small_disk: Path, tmp_path: Path, zygote: Any) -> None:
    key = X25519PrivateKey.generate()
    station_dir = small_disk / "station"
    _prepare_station(station_dir, key)
    st = StationServer(tmp_path, zygote, station_dir).start()
    try:
        e = Enumerator(st, "E01", PIN, rng=random.Random(3))
        e.signin()
        before = []
        for i in range(3):
            before.append(e.start_interview())
            assert e.walk(letters_tag(i)) == "completed"
        uid = e.start_interview(lang="mr")
        finish = _walk_to_finish(e, "tag disk full marker")
        filler = _fill(small_disk)

        status, text, _ = e.post(finish, {})                  # "Finish and save"
        _assert_clear(status, text, "mr")                     # Marathi interview on screen
        e.get("/start")
        status, text, _ = e.post("/start", {"form": "st_all", "site": "pune",
                                            "language": "en", "mode": "laptop"})
        _assert_clear(status, text, "en")                     # a new interview: same message
        home = e.home()                                       # reading still works
        assert 'data-testid="pending"' in home and e.pending() == 3

        filler.unlink()                                       # space returns
        status, _, loc = e.get(f"/i/{e.iid}")                 # open the interview again
        assert status == 303 and loc == "/i/done"
        assert 'data-outcome="completed"' in e.get("/i/done")[1]
    finally:
        st.stop()
    from fieldkit.crypto import open_sealed

    items = {item.uuid: item for item in _outbox(station_dir)}
    assert set(items) == set(before) | {uid}                  # nothing lost, nothing extra
    answers = open_sealed(items[uid], key)["answers"]
    assert answers["comment"] == "tag disk full marker"
    assert items[uid].header["outcome"] == "completed"
    assert not list((station_dir / "journal").glob("*.fkj"))


class _InProcessStation:
    """The station app served over loopback by werkzeug, for storage-layer faults."""

    def __init__(self, station_dir: Path) -> None:
        from werkzeug.serving import make_server

        from fieldkit.station.app import create_app

        self.station_dir = station_dir
        self.app = create_app({"STATION_DIR": str(station_dir), "FORMS_DIR": str(FORMS_DIR),
                               "SECRET_KEY": "disk", "IDLE_LOCK_SECONDS": 0})
        self.state = self.app.extensions["fieldkit_station"]
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.port = self.server.server_port
        self.starts = 1
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def journals(self) -> set[str]:
        return {p.name[:-4] for p in (self.station_dir / "journal").glob("*.fkj")}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.state.db.close()


def test_database_read_only(tmp_path: Path) -> None:
    key = X25519PrivateKey.generate()
    station_dir = tmp_path / "station"
    _prepare_station(station_dir, key)
    st = _InProcessStation(station_dir)
    try:
        e = Enumerator(st, "E01", PIN, rng=random.Random(4))  # type: ignore[arg-type]
        e.signin()
        before = [e.start_interview()]
        assert e.walk(letters_tag(1)) == "completed"
        uid = e.start_interview(lang="hi")
        finish = _walk_to_finish(e, "tag read only marker")
        st.state.db.execute("PRAGMA query_only = ON")        # the database turns read-only
        status, text, _ = e.post(finish, {})
        _assert_clear(status, text, "hi")
        assert e.pending() == 1                               # what was stored is still there
        st.state.db.execute("PRAGMA query_only = OFF")       # writable again
        status, _, loc = e.get(f"/i/{e.iid}")
        assert status == 303 and loc == "/i/done"
    finally:
        st.close()
    items = {item.uuid: item for item in _outbox(station_dir)}
    assert set(items) == set(before) | {uid}
    assert items[uid].header["outcome"] == "completed"
