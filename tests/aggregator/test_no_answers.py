"""Supervisors (and everyone else on the aggregator) cannot reach an answer or a ciphertext.

Real sealed submissions arrive through the real sync API (enroll, then POST /api/v1/sync
with a Bearer credential); then every page the roles can open -- with real ids filled
into every route -- is fetched and searched for the ciphertext in every encoding it
could leak in, and for the answers themselves.
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from agg_support import REPO, ROLES, add_review_item
from fieldkit import dedup
from fieldkit.crypto import seal
from fieldkit.envelope import new_header
from fieldkit.study import StudyConfig, key_id_for

SECRET_TEXT = "Marigold-7731 lives near the bus depot"


@pytest.fixture
def field_week(app: Any, db: Any, users: Any) -> dict[str, Any]:
    """A study, an approved form, an enrolled station and sealed interviews, all through
    the aggregator's own code paths."""
    from aggregator import registry
    from aggregator import stations as station_service
    from fieldkit.forms import load_form

    private = X25519PrivateKey.generate()
    kid = key_id_for(private.public_key())
    study = StudyConfig(study_id="csec", current_key_id=kid,
                        public_keys={kid: private.public_key()},
                        fingerprint_secret=secrets.token_bytes(32),
                        sketch_secret=secrets.token_bytes(32))
    registry.set_study(db, study.to_dict())
    form = load_form(REPO / "tests" / "forms_data" / "example.yaml")
    registry.register_loaded_form(db, form)
    registry.approve_form(db, form.hash, irb_reference="IRB/2026/14", approved_on="2026-11-01",
                          approver="IRB chair", recorded_by="admin")
    token = station_service.create_station(db, "pune-1", enumerators=["E01"])
    client = app.test_client()
    enrolled = client.post("/api/v1/enroll", json={"protocol": 1, "token": token})
    assert enrolled.status_code == 200, enrolled.get_json()
    credential = enrolled.get_json()["credential"]

    items = []
    for i, outcome in enumerate(["completed", "completed", "refused", "terminated"]):
        answers = ({"age_band": "a18_30", "notes": f"{SECRET_TEXT} #{i}"}
                   if outcome != "refused" else {})
        header = new_header(
            form_id=form.id, form_hash=form.hash, station="pune-1", enumerator="E01",
            site="pune", quota={}, outcome=outcome,
            keep_partial=True if outcome == "terminated" else None,
            started_at="2026-11-23T09:00:00Z", ended_at="2026-11-23T09:20:00Z",
            n_answered=len(answers),
            fingerprint=dedup.fingerprint(form.hash, answers, study.fingerprint_secret)
            if answers else None,
            sketch=dedup.sketch(answers, study.sketch_secret) if answers else None)
        items.append(seal(header, {"answers": answers, "paradata": {"seconds": 1200}},
                          study.public_key, study.key_id))
    # the same interview once more under a new UUID: duplicate content, to the review queue
    twin = dict(items[0].header, uuid="0b7ad3f0-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
    items.append(seal(twin, {"answers": {"age_band": "a18_30", "notes": f"{SECRET_TEXT} #0"},
                             "paradata": {"seconds": 1200}}, study.public_key, study.key_id))
    reply = client.post("/api/v1/sync", json={
        "protocol": 1, "items": [item.to_wire() for item in items],
        "station_status": {"pending": 2}}, headers={"Authorization": f"Bearer {credential}"})
    assert reply.status_code == 200, reply.get_json()
    statuses = [r["status"] for r in reply.get_json()["results"]]
    assert statuses.count("accepted") == 4 and "duplicate_content" in statuses
    ids = [r[0] for r in db.execute("SELECT id FROM submissions ORDER BY id").fetchall()]
    if not db.execute("SELECT COUNT(*) FROM review_items").fetchone()[0]:
        add_review_item(db, "near_duplicate", ids[0], ids[1], form_id=form.id, score=0.9)
    return {"items": items, "form": form}


def _needles(items: list[Any]) -> list[str]:
    """Every way a ciphertext could appear in a page: base64 (std and url-safe), hex,
    and a raw slice of its bytes."""
    out = [SECRET_TEXT, "Marigold"]
    for item in items:
        ct = item.ciphertext
        out += [base64.b64encode(ct).decode()[8:40], base64.urlsafe_b64encode(ct).decode()[8:40],
                ct.hex()[16:64], ct[10:30].decode("latin-1")]
    return out


def _real_urls(app: Any, db: Any) -> list[str]:
    """Every GET route with real ids: each review item, form version, pair of versions."""
    from flask import url_for

    reviews = [r[0] for r in db.execute("SELECT id FROM review_items").fetchall()]
    hashes = [r[0] for r in db.execute("SELECT hash FROM form_versions").fetchall()]
    codes = [r[0] for r in db.execute("SELECT code FROM stations").fetchall()]
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or rule.rule.startswith("/api/") \
                    or rule.endpoint in ("static", "web_font", "web_language"):
                continue
            args = set(rule.arguments)
            if not args:
                urls.append(url_for(rule.endpoint))
            elif args == {"item_id"}:
                urls += [url_for(rule.endpoint, item_id=i) for i in reviews]
            elif args == {"form_hash"}:
                urls += [url_for(rule.endpoint, form_hash=h) for h in hashes]
            elif args == {"code"}:
                urls += [url_for(rule.endpoint, code=c) for c in codes]
            elif args == {"old_hash", "new_hash"}:
                urls += [url_for(rule.endpoint, old_hash=h, new_hash=h) for h in hashes]
            else:
                raise AssertionError(f"add real values for {rule.rule}")
    return urls


def test_no_page_serves_an_answer_or_a_ciphertext(app: Any, db: Any, field_week: Any,
                                                  client_as: Any) -> None:
    needles = _needles(field_week["items"])
    urls = _real_urls(app, db)
    assert any("/supervisor/reviews/" in u for u in urls)
    seen = 0
    for role in ROLES:
        client = client_as(role)
        for url in urls:
            response = client.get(url)
            if response.status_code != 200:
                continue
            seen += 1
            assert response.mimetype == "text/html", (role, url)
            body = response.get_data()
            text = body.decode("utf-8")
            for needle in needles:
                assert needle not in text, f"{role} saw sealed data at {url}"
    assert seen >= 12


def test_supervisor_pages_show_the_headers_they_need(field_week: Any, client_as: Any) -> None:
    client = client_as("supervisor")
    stations = client.get("/supervisor/stations").get_data(as_text=True)
    assert 'data-station="pune-1"' in stations and 'data-pending="2"' in stations        # items waiting, as reported
    outcomes = client.get("/supervisor/outcomes").get_data(as_text=True)
    assert "4 approached" in outcomes


def test_no_view_reads_the_ciphertexts_table() -> None:
    """No SQL in the web side's code names the ciphertext table or column."""
    import re

    for name in ("auth", "web", "dashboard", "irb", "admin", "charts", "supervision"):
        source = (REPO / "sync" / "aggregator" / f"{name}.py").read_text(encoding="utf-8")
        for line in source.splitlines():
            if re.search(r"\b(SELECT|FROM|JOIN|INSERT|UPDATE)\b", line):
                assert "ciphertext" not in line.lower(), (name, line)
    from aggregator.dashboard import HEADER_COLUMNS
    assert "ciphertext" not in HEADER_COLUMNS and "header" not in HEADER_COLUMNS


def test_the_aggregator_holds_no_private_key(app: Any, db: Any, field_week: Any) -> None:
    dump = "\n".join(db.conn.iterdump())
    assert "PRIVATE KEY" not in dump
    study = json.loads(db.execute("SELECT config FROM study").fetchone()[0])
    assert not [k for k in study if "private" in k.lower()]


def test_ciphertext_is_stored_apart(db: Any, field_week: Any) -> None:
    columns = set(db["submissions"].columns_dict)
    assert "ciphertext" not in columns
    assert db.execute("SELECT COUNT(*) FROM ciphertexts").fetchone()[0] == 5
