"""Helpers for the sync tests: a study, sealed items, an aggregator process, raw HTTP."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid as uuid_mod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from fieldkit import dedup
from fieldkit.crypto import seal
from fieldkit.db import open_db
from fieldkit.outbox import Outbox
from fieldkit.study import StudyConfig, key_id_for

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
FORM_ID = "police"
FORM_HASH = "f" * 63 + "1"
UNAPPROVED_HASH = "f" * 63 + "2"
UNKNOWN_HASH = "e" * 64


@dataclass
class Study:
    config: StudyConfig
    private_key: X25519PrivateKey


def make_study() -> Study:
    private = X25519PrivateKey.generate()
    public = private.public_key()
    kid = key_id_for(public)
    config = StudyConfig(study_id="csec", current_key_id=kid, public_keys={kid: public},
                         fingerprint_secret=secrets.token_bytes(32),
                         sketch_secret=secrets.token_bytes(32))
    return Study(config, private)


def fixed_sketch_key(study: Study, key: bytes = b"\x07" * 32) -> Study:
    """The same study with a fixed sketch key (the aggregator never needs that key).
    MinHash is an estimate: with a random key, a one-answer change falls under the 0.9
    review threshold a few runs in a hundred, so tests expecting a flag fix the key."""
    return Study(dataclasses.replace(study.config, sketch_secret=key), study.private_key)


def random_answers(rng: random.Random, n: int = 20) -> dict[str, Any]:
    return {f"q{i:02d}": rng.choice(["a", "b", "c", "d", "e", "_dk"]) for i in range(n)}


def make_item(study: Study, *, station: str, rng: random.Random | None = None,
              form_id: str = FORM_ID, form_hash: str = FORM_HASH, outcome: str = "completed",
              site: str = "pune", gender: str | None = None, answers: dict[str, Any] | None = None,
              training: bool = False, uid: str | None = None, enumerator: str = "E01",
              ended_at: str = "2026-11-23T10:30:00Z") -> Any:
    rng = rng or random.Random()
    if answers is None:
        answers = random_answers(rng) if outcome == "completed" else {}
    quota = {"site": site}
    if gender:
        quota["gender"] = gender
    cfg = study.config
    header = {
        "v": 1, "uuid": uid or str(uuid_mod.UUID(int=rng.getrandbits(128), version=4)),
        "form_id": form_id, "form_hash": form_hash, "station": station,
        "enumerator": enumerator, "site": site, "quota": quota, "outcome": outcome,
        "keep_partial": True if outcome == "terminated" else None,
        "started_at": ended_at[:11] + "00:00:00Z", "ended_at": ended_at,
        "n_answered": len(answers),
        "fingerprint": dedup.fingerprint(form_hash, answers, cfg.fingerprint_secret)
        if answers else None,
        "sketch": dedup.sketch(answers, cfg.sketch_secret) if answers else None,
        "over_quota": False, "training": training, "payload": "hpke"}
    return seal(header, {"answers": answers, "paradata": {"seconds": 600}}, cfg.public_key,
                cfg.key_id)


def station_outbox(path: Path) -> Outbox:
    return Outbox(open_db(path))


def prepare_aggregator(db_path: Path, study: Study, *, stations: tuple[str, ...] = ("st1",)
                       ) -> dict[str, str]:
    """Study, one approved + one unapproved form version, stations; returns name -> token."""
    from aggregator import registry
    from aggregator import stations as station_service
    from aggregator.db import open_aggregator_db

    db = open_aggregator_db(db_path)
    registry.set_study(db, study.config.to_dict())
    registry.register_form(db, form_id=FORM_ID, form_hash=FORM_HASH, version="1.0",
                           source="id: police\n")
    registry.register_form(db, form_id=FORM_ID, form_hash=UNAPPROVED_HASH, version="1.1",
                           source="id: police\n# changed\n")
    registry.approve_form(db, FORM_HASH, irb_reference="IRB/2026/7", approved_on="2026-11-01",
                          approver="IRB chair", recorded_by="admin")
    tokens = {name: station_service.create_station(db, name, enumerators=["E01", "E02"])
              for name in stations}
    db.conn.close()
    return tokens


def enrolled_aggregator(db_path: Path, study: Study, *,
                        stations: tuple[str, ...] = ("st1",)) -> Any:
    """``prepare_aggregator`` with every station enrolled; the open database."""
    from aggregator import stations as station_service
    from aggregator.db import open_aggregator_db

    tokens = prepare_aggregator(db_path, study, stations=stations)
    db = open_aggregator_db(db_path)
    for name in stations:
        station_service.enroll(db, tokens[name])
    return db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AggregatorProcess:
    """A real aggregator: gunicorn (1 worker unless told) in its own process group."""

    def __init__(self, db_path: Path, *, faults: dict[str, Any] | None = None,
                 workers: int = 1, env: dict[str, str] | None = None) -> None:
        self.db_path = db_path
        self.faults = faults or {}
        self.workers = workers
        self.extra_env = env or {}
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = db_path.with_name(f"gunicorn-{self.port}.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, faults: dict[str, Any] | None = None) -> "AggregatorProcess":
        if faults is not None:
            self.faults = faults
        env = dict(os.environ)
        env.update({"FIELDKIT_AGGREGATOR_DB": str(self.db_path),
                    "FK_FAULTS": json.dumps(self.faults), "FIELDKIT_AGGREGATOR_WEB": "0",
                    "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "sync"), str(ROOT)])})
        env.update(self.extra_env)
        cmd = [sys.executable, "-m", "gunicorn", "-c",
               str(ROOT / "sync" / "aggregator" / "gunicorn.conf.py"),
               "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
               "--error-logfile", str(self.log), "fault_app:make()"]
        self.proc = subprocess.Popen(cmd, env=env, cwd=str(ROOT), start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("aggregator exited: " + self.log.read_text()[-2000:]
                                   if self.log.exists() else "aggregator exited")
            try:
                with urllib.request.urlopen(self.url + "/api/v1/ping", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("aggregator did not start")

    def kill9(self) -> None:
        """SIGKILL the whole process group (master and workers), like a power cut."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill9()


def wait_for(path: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} never appeared")
        time.sleep(0.05)


def post(url: str, body: bytes, *, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """Raw POST; returns (status, JSON body)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def post_json(url: str, value: Any, *, credential: str | None = None, gzipped: bool = False,
              headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    body = json.dumps(value).encode("utf-8")
    h = {"Content-Type": "application/json"}
    if gzipped:
        body = gzip.compress(body)
        h["Content-Encoding"] = "gzip"
    if credential:
        h["Authorization"] = f"Bearer {credential}"
    h.update(headers or {})
    return post(url, body, headers=h)


def db_counts(db_path: Path) -> dict[str, Any]:
    """What the aggregator holds: rows, distinct uuids, counted completes, review items."""
    db = open_db(db_path)
    try:
        q = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "rows": q("SELECT COUNT(*) FROM submissions"),
            "uuids": q("SELECT COUNT(DISTINCT uuid) FROM submissions"),
            "counted": q("SELECT COUNT(*) FROM submissions WHERE counted = 1"),
            "counted_uuids": q("SELECT COUNT(DISTINCT uuid) FROM submissions WHERE counted = 1"),
            "ciphertexts": q("SELECT COUNT(*) FROM ciphertexts"),
            "quota_total": q("SELECT COALESCE(SUM(count), 0) FROM quota_counts"),
            "sync_log": q("SELECT COUNT(*) FROM sync_log"),
            "reviews": q("SELECT COUNT(*) FROM review_items"),
        }
    finally:
        db.conn.close()


def assert_counted_once(db_path: Path, completes: int, stored: int | None = None) -> None:
    counts = db_counts(db_path)
    assert counts["counted"] == completes, counts
    assert counts["counted_uuids"] == completes, counts
    assert counts["quota_total"] == completes, counts
    if stored is not None:
        assert counts["rows"] == stored == counts["uuids"] == counts["ciphertexts"], counts
