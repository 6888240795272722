"""Helpers for the aggregator web tests: build a real app on a real SQLite file, sign in,
read CSRF tokens, and seed clear submission headers."""

from __future__ import annotations

import json
import re
import uuid as uuidlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from flask import Flask

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
ROLES = ("admin", "supervisor", "irb")
_HASH_CACHE: dict[str, str] = {}


def build_app(db_path: Path, **config: Any) -> Flask:
    """The aggregator app as deployed (``create_app``) when it exists, else a bare Flask
    app with the web side installed on the same database."""
    try:
        from aggregator.app import create_app
    except ImportError:
        create_app = None
    base = {"SECRET_KEY": "test-secret-key-not-for-production", "TESTING": True,
            "AGGREGATOR_DB": str(db_path)}
    base.update(config)
    if create_app is not None:
        return create_app(base)
    from aggregator.db import open_aggregator_db
    from aggregator.web import init_web

    db = open_aggregator_db(db_path)
    app = Flask("aggregator")
    app.config.update(base)
    app.config["GET_DB"] = db
    init_web(app)
    return app


def app_db(app: Flask) -> Any:
    from aggregator.web import get_db
    with app.test_request_context("/"):
        return get_db()


def password_hash() -> str:
    """An Argon2id hash of PASSWORD with tiny cost parameters, so that the many sign-ins
    of these tests are quick. ``verify_secret`` reads the parameters from the string; the
    production parameters are exercised by ``test_account_made_by_the_cli_signs_in``."""
    if "h" not in _HASH_CACHE:
        import os

        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
        _HASH_CACHE["h"] = Argon2id(salt=os.urandom(16), length=32, iterations=1, lanes=1,
                                    memory_cost=256).derive_phc_encoded(PASSWORD.encode())
    return _HASH_CACHE["h"]


def add_user(db: Any, username: str, role: str) -> int:
    """An account as ``create-user`` makes it (one hash reused: tests stay quick)."""
    cur = db.execute("INSERT INTO users (username, role, password_hash, created_at) "
                     "VALUES (?, ?, ?, ?)", [username, role, password_hash(), iso(now())])
    return int(cur.lastrowid)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def insert_header(db: Any, *, form_id: str = "police", station: str = "st1",
                  enumerator: str = "e01", site: str | None = "pune", outcome: str = "completed",
                  started: datetime | None = None, minutes: float = 20.0, n_answered: int = 30,
                  status: str = "accepted", quota: dict[str, str] | None = None,
                  training: bool = False, uid: str | None = None) -> int:
    """A stored submission row as ingest writes it (clear header columns only; the
    ciphertext table gets opaque bytes)."""
    from fieldkit.quotas import cell_key

    started = started or now() - timedelta(hours=2)
    ended = started + timedelta(minutes=minutes)
    quota = quota if quota is not None else ({"site": site} if site else {})
    uid = uid or str(uuidlib.uuid4())
    header = {"v": 1, "uuid": uid, "form_id": form_id, "form_hash": "f" * 64, "key_id": "k1",
              "station": station, "enumerator": enumerator, "site": site, "quota": quota,
              "outcome": outcome, "keep_partial": None, "started_at": iso(started),
              "ended_at": iso(ended), "n_answered": n_answered, "fingerprint": None,
              "sketch": None, "over_quota": False, "training": training, "payload": "hpke"}
    ct_hash = uuidlib.uuid4().hex * 2
    cur = db.execute(
        "INSERT INTO submissions (uuid, ct_hash, form_id, form_hash, key_id, station, "
        "enumerator, site, cell_key, quota, outcome, keep_partial, started_at, ended_at, "
        "n_answered, fingerprint, sketch, over_quota, training, payload, header, status, "
        "counted, over_target, received_at, received_via) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [uid, ct_hash, form_id, "f" * 64, "k1", station, enumerator, site, cell_key(quota),
         json.dumps(quota), outcome, None, iso(started), iso(ended), n_answered, None, None, 0,
         int(training), "hpke", json.dumps(header), status,
         int(status == "accepted" and outcome == "completed"), 0, iso(now()), "http"])
    sid = int(cur.lastrowid)
    db.execute("INSERT INTO ciphertexts (submission_id, uuid, ct_hash, ciphertext) "
               "VALUES (?, ?, ?, ?)", [sid, uid, ct_hash, b"\x00opaque-test-bytes"])
    return sid


def add_station(db: Any, code: str, *, last_sync: datetime | None = None,
                pending: int | None = None, revoked: bool = False) -> None:
    db.execute("INSERT INTO stations (code, created_at, last_sync_at, reported_pending, "
               "reported_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)",
               [code, iso(now() - timedelta(days=10)), iso(last_sync) if last_sync else None,
                pending, iso(last_sync) if (last_sync and pending is not None) else None,
                iso(now()) if revoked else None])


def add_review_item(db: Any, kind: str, a: int, b: int, *, form_id: str = "police",
                    score: float | None = None) -> int:
    rows = {r[0]: r[1] for r in db.execute(
        "SELECT id, uuid FROM submissions WHERE id IN (?, ?)", [a, b]).fetchall()}
    cur = db.execute("INSERT INTO review_items (kind, form_id, uuid_a, uuid_b, submission_a, "
                     "submission_b, score, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [kind, form_id, rows[a], rows[b], a, b, score, iso(now())])
    return int(cur.lastrowid)


def seed_demo(db: Any) -> dict[str, Any]:
    """A small but realistic field week: three stations, two forms with quota cells,
    allocations, approach outcomes, a too-fast interview and two review items."""
    from aggregator import quota_service
    from aggregator.db import transaction

    t0 = now()
    add_station(db, "pune-1", last_sync=t0 - timedelta(hours=3), pending=4)
    add_station(db, "thane-1", last_sync=t0 - timedelta(hours=40), pending=12)
    add_station(db, "nagpur-1", last_sync=None)
    with transaction(db):
        for site, target in (("pune", 21), ("thane", 20), ("nagpur", 24)):
            quota_service.set_target(db, "police", f"site={site}", target, 2)
        for site in ("pune", "thane"):
            for gender in ("female", "male"):
                quota_service.set_target(db, "general_population",
                                         f"gender={gender};site={site}", 10, 1)
    plan = [("pune-1", "e01", "pune"), ("pune-1", "e02", "pune"), ("thane-1", "e03", "thane")]
    ids = []
    for day in range(12):
        for k, (station, enumerator, site) in enumerate(plan):
            start = t0 - timedelta(days=day, hours=3 + k)
            outcomes = ["completed", "completed", "refused"] if day % 3 else \
                ["completed", "terminated", "ineligible", "refused"]
            for j, outcome in enumerate(outcomes):
                ids.append(insert_header(
                    db, station=station, enumerator=enumerator, site=site, outcome=outcome,
                    started=start + timedelta(minutes=40 * j),
                    minutes=22 if outcome == "completed" else 3,
                    n_answered=35 if outcome == "completed" else (8 if outcome == "terminated"
                                                                  else 0)))
    fast = insert_header(db, station="thane-1", enumerator="e03", site="thane", minutes=2.5,
                         n_answered=40)
    for g, n in (("female", 6), ("male", 11)):
        for i in range(n):
            insert_header(db, form_id="general_population", station="pune-1", enumerator="e02",
                          site="pune", quota={"site": "pune", "gender": g},
                          started=t0 - timedelta(days=i % 5, hours=5), minutes=15,
                          n_answered=28)
    # the aggregator's own counts (ingest keeps these incrementally)
    db.execute("DELETE FROM quota_counts")
    db.execute("INSERT INTO quota_counts (form_id, cell_key, count) SELECT form_id, cell_key, "
               "COUNT(*) FROM submissions WHERE counted GROUP BY form_id, cell_key")
    for station, cell, n in (("pune-1", "site=pune", 0), ("thane-1", "site=thane", 1),
                             ("pune-1", "gender=female;site=pune", 2),
                             ("thane-1", "gender=female;site=pune", 1)):
        form_id = "police" if cell.startswith("site") else "general_population"
        db.execute("INSERT INTO allocations (form_id, cell_key, station, allocation, updated_at)"
                   " VALUES (?, ?, ?, ?, ?)", [form_id, cell, station, n, iso(t0)])
    twin = insert_header(db, station="pune-1", enumerator="e01", site="pune",
                         status="duplicate_content")
    hashes = [f.hash for f in register_example_versions(db, approve_first=True)]
    near = add_review_item(db, "near_duplicate", ids[0], ids[3], score=0.93)
    dup = add_review_item(db, "duplicate_content", ids[1], twin)
    return {"fast": fast, "near_item": near, "dup_item": dup, "hashes": hashes}


def register_example_versions(db: Any, *, approve_first: bool = False) -> list[Any]:
    """Versions 1.0 and 1.1 (a changed title) of the engine's example form, registered as
    ``register-forms`` does; returns the two ``Form`` objects."""
    import tempfile

    import yaml

    from aggregator import registry
    from fieldkit.forms import load_form

    example = REPO / "tests" / "forms_data" / "example.yaml"
    raw = yaml.safe_load(example.read_text(encoding="utf-8"))
    raw["version"] = "1.1"
    raw["title"] = {"en": "Example survey (revised)", "hi": "उदाहरण सर्वेक्षण (संशोधित)",
                    "mr": "उदाहरण सर्वेक्षण (सुधारित)"}
    with tempfile.TemporaryDirectory() as tmp:
        second = Path(tmp) / "example.yaml"
        second.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        forms = [load_form(example), load_form(second)]
        for form in forms:
            registry.register_loaded_form(db, form, actor="test")
    if approve_first:
        registry.approve_form(db, forms[0].hash, irb_reference="IRB/2026/14",
                              approved_on="2026-11-02", approver="Dr. Kulkarni, IRB chair",
                              recorded_by="asha")
    return forms
