"""A real aggregator (gunicorn, separate process, temp SQLite) and real station outboxes,
over loopback HTTP: enrollment, sync, dedup verdicts, and strict request handling."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any, Callable

import pytest

from aggregator.client import SyncClient
from fieldkit.crypto import open_sealed
from fieldkit.db import open_db
from fieldkit.envelope import SealedItem
from fieldkit.errors import FieldkitError

from synctools import (FORM_HASH, UNAPPROVED_HASH, UNKNOWN_HASH, AggregatorProcess, Study,
                       assert_counted_once, db_counts, fixed_sketch_key, make_item, post,
                       post_json, station_outbox)

pytestmark = pytest.mark.slow


def _enroll(agg: AggregatorProcess, token: str) -> dict[str, Any]:
    return SyncClient.enroll(agg.url, token)


def test_enroll_sync_and_resync_count_each_submission_once(
        tmp_path: Path, study: Study, agg_db: tuple[Path, dict[str, str]],
        aggregator_process: Callable[..., AggregatorProcess]) -> None:
    db_path, tokens = agg_db
    agg = aggregator_process()
    reply = _enroll(agg, tokens["st1"])
    assert reply["station_code"] == "st1"
    assert reply["enumerators"] == ["E01", "E02"]
    assert reply["approved_forms"] == [FORM_HASH]
    assert reply["study"]["public_keys"] == study.config.to_dict()["public_keys"]
    assert "private" not in json.dumps(reply["study"]).lower()

    rng = random.Random(7)
    outbox = station_outbox(tmp_path / "st1" / "station.db")
    outcomes = ["completed"] * 200 + ["refused"] * 30 + ["terminated"] * 20
    for outcome in outcomes:
        outbox.store(make_item(study, station="st1", rng=rng, outcome=outcome))
    progress: list[tuple[int, int]] = []
    client = SyncClient(agg.url, reply["credential"])
    result = client.sync(outbox, batch_size=100, progress=lambda done, total:
                         progress.append((done, total)))
    assert (result.accepted, result.duplicates, result.rejected) == (250, 0, [])
    assert result.batches == 3
    assert progress[0] == (0, 250) and progress[-1] == (250, 250)
    assert outbox.stats()["pending"] == 0
    assert result.status["revoked"] is False
    assert result.status["approved_forms"] == [FORM_HASH]
    assert_counted_once(db_path, completes=200, stored=250)

    # nothing pending: a second sync sends nothing and still gets the status
    again = client.sync(outbox)
    assert again.batches == 0 and again.status["approved_forms"] == [FORM_HASH]
    assert_counted_once(db_path, completes=200, stored=250)

    # the aggregator kept the sealed bytes and the exact header: the analyst can open them
    db = open_db(db_path)
    header, ciphertext, ct_hash = db.execute(
        "SELECT s.header, c.ciphertext, c.ct_hash FROM submissions s "
        "JOIN ciphertexts c ON c.submission_id = s.id LIMIT 1").fetchone()
    opened = open_sealed(SealedItem(json.loads(header), bytes(ciphertext), ct_hash),
                         study.private_key)
    assert "answers" in opened
    # the station reported its outbox level with the sync (supervisors see items waiting)
    assert db.execute("SELECT reported_pending, last_sync_at IS NOT NULL FROM stations "
                      "WHERE code = 'st1'").fetchone() == (0, 1)


def test_enrollment_tokens_are_single_use_expiring_and_stored_hashed(
        study: Study, agg_db: tuple[Path, dict[str, str]],
        aggregator_process: Callable[..., AggregatorProcess]) -> None:
    from aggregator import stations
    from aggregator.db import open_aggregator_db

    db_path, tokens = agg_db
    db = open_aggregator_db(db_path)
    expired = stations.issue_token(db, "st2", ttl_hours=-1)
    agg = aggregator_process()
    reply = _enroll(agg, tokens["st1"])
    with pytest.raises(FieldkitError) as used:
        _enroll(agg, tokens["st1"])
    assert used.value.code == "sync.enroll_token_used"
    with pytest.raises(FieldkitError) as old:
        _enroll(agg, expired)
    assert old.value.code == "sync.enroll_token_expired"
    with pytest.raises(FieldkitError) as bad:
        _enroll(agg, "not-a-real-token-at-all")
    assert bad.value.code == "sync.enroll_token_invalid"
    agg.stop()
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob("aggregator.db*"))
    assert reply["credential"].encode() not in raw
    assert tokens["st1"].encode() not in raw


def _enrolled(agg: AggregatorProcess, tokens: dict[str, str], name: str = "st1") -> str:
    return _enroll(agg, tokens[name])["credential"]


def test_same_batch_twice_is_acknowledged_as_duplicates(
        study: Study, agg_db: tuple[Path, dict[str, str]],
        aggregator_process: Callable[..., AggregatorProcess]) -> None:
    db_path, tokens = agg_db
    agg = aggregator_process()
    credential = _enrolled(agg, tokens)
    items = [make_item(study, station="st1").to_wire() for _ in range(20)]
    body = {"protocol": 1, "items": items}
    status, first = post_json(agg.url + "/api/v1/sync", body, credential=credential,
                              gzipped=True)
    assert status == 200 and first["summary"]["accepted"] == 20
    status, second = post_json(agg.url + "/api/v1/sync", body, credential=credential)
    assert status == 200 and second["summary"]["duplicates"] == 20
    assert [r["status"] for r in second["results"]] == ["duplicate"] * 20
    assert [(r["uuid"], r["ct_hash"]) for r in second["results"]] == \
        [(i["header"]["uuid"], i["ct_hash"]) for i in items]
    assert_counted_once(db_path, completes=20, stored=20)


def test_conflict_duplicate_content_and_near_duplicates_are_kept_and_flagged(
        study: Study, agg_db: tuple[Path, dict[str, str]],
        aggregator_process: Callable[..., AggregatorProcess]) -> None:
    db_path, tokens = agg_db
    agg = aggregator_process()
    credential = _enrolled(agg, tokens)
    study = fixed_sketch_key(study, b"\x01" * 32)      # see fixed_sketch_key
    rng = random.Random(3)
    answers = {f"q{i:02d}": rng.choice("abcde") for i in range(40)}
    original = make_item(study, station="st1", answers=answers)
    # same uuid, other content (e.g. re-sealed after a bug): conflict, never overwrites
    conflicting = make_item(study, station="st1", uid=original.uuid,
                            answers=dict(answers, q00="z"))
    # same answers under another uuid: duplicate content
    same_answers = make_item(study, station="st1", answers=answers)
    # 1 of 40 answers differs: near-duplicate -> review queue
    near = make_item(study, station="st1", answers=dict(answers, q39="z"))
    body = {"protocol": 1, "items": [x.to_wire() for x in (original, conflicting, same_answers,
                                                             near)]}
    status, reply = post_json(agg.url + "/api/v1/sync", body, credential=credential)
    assert status == 200
    assert [r["status"] for r in reply["results"]] == \
        ["accepted", "conflict", "duplicate_content", "accepted"]
    assert reply["results"][3].get("flagged") is True
    db = open_db(db_path)
    kinds = sorted(r[0] for r in db.execute("SELECT kind FROM review_items"))
    assert kinds == ["conflict", "duplicate_content", "near_duplicate"]
    # the first version is untouched, both are stored, only real new completes count
    rows = db.execute("SELECT ct_hash, status, counted FROM submissions WHERE uuid = ? "
                      "ORDER BY id", [original.uuid]).fetchall()
    assert rows == [(original.ct_hash, "accepted", 1), (conflicting.ct_hash, "conflict", 0)]
    assert db_counts(db_path)["counted"] == 2          # original + near (a real interview)


def test_bad_items_are_rejected_with_their_reason_and_do_not_block_the_batch(
        tmp_path: Path, study: Study, agg_db: tuple[Path, dict[str, str]],
        aggregator_process: Callable[..., AggregatorProcess]) -> None:
    db_path, tokens = agg_db
    agg = aggregator_process()
    credential = _enrolled(agg, tokens)
    good = [make_item(study, station="st1") for _ in range(5)]
    tampered = make_item(study, station="st1").to_wire()
    ct = bytearray(__import__("base64").b64decode(tampered["ciphertext"]))
    ct[40] ^= 1
    tampered["ciphertext"] = __import__("base64").b64encode(bytes(ct)).decode()
    unknown = make_item(study, station="st1", form_hash=UNKNOWN_HASH).to_wire()
    unapproved = make_item(study, station="st1", form_hash=UNAPPROVED_HASH)
    training = make_item(study, station="st1", training=True).to_wire()
    other_station = make_item(study, station="st2").to_wire()
    bad_header = make_item(study, station="st1").to_wire()
    bad_header["header"]["respondent_name"] = "Asha"            # smuggling data in the clear
    not_an_item = "hello"
    items = [good[0].to_wire(), tampered, good[1].to_wire(), unknown, unapproved.to_wire(),
             training, other_station, bad_header, not_an_item, good[2].to_wire(),
             good[3].to_wire(), good[4].to_wire()]
    status, reply = post_json(agg.url + "/api/v1/sync", {"protocol": 1, "items": items},
                              credential=credential)
    assert status == 200
    codes = [(r["status"], r.get("code")) for r in reply["results"]]
    assert codes == [
        ("accepted", None), ("rejected", "sync.ct_hash_mismatch"), ("accepted", None),
        ("rejected", "sync.unknown_form"), ("rejected", "sync.form_not_approved"),
        ("rejected", "sync.training_item"), ("rejected", "sync.station_mismatch"),
        ("rejected", "crypto.bad_header"), ("rejected", "crypto.bad_item"),
        ("accepted", None), ("accepted", None), ("accepted", None)]
    assert all(r["message"] for r in reply["results"] if r["status"] == "rejected")
    assert_counted_once(db_path, completes=5, stored=5)
    db = open_db(db_path)
    assert "Asha" not in repr(db.execute("SELECT * FROM submissions").fetchall())

    # the unapproved item stays on the station and is accepted once the IRB approval
    # is recorded (the station resends it; nothing was lost)
    outbox = station_outbox(tmp_path / "st1.db")
    outbox.store(unapproved)
    client = SyncClient(agg.url, credential)
    first = client.sync(outbox)
    assert first.rejected == [(unapproved.uuid, "sync.form_not_approved")]
    assert outbox.stats()["pending"] == 1
    from aggregator.registry import approve_form
    approve_form(db, UNAPPROVED_HASH, irb_reference="IRB/2026/9", approved_on="2026-11-22",
                 approver="IRB chair", recorded_by="admin")
    second = client.sync(outbox)
    assert second.accepted == 1 and outbox.stats()["pending"] == 0
    assert_counted_once(db_path, completes=6, stored=6)


def test_revoked_station_is_told_and_nothing_is_stored(
        tmp_path: Path, study: Study, agg_db: tuple[Path, dict[str, str]],
        aggregator_process: Callable[..., AggregatorProcess]) -> None:
    import subprocess
    import sys

    db_path, tokens = agg_db
    agg = aggregator_process()
    credential = _enrolled(agg, tokens)
    outbox = station_outbox(tmp_path / "st1.db")
    for _ in range(3):
        outbox.store(make_item(study, station="st1"))
    fieldkit_cmd = str(Path(sys.executable).with_name("fieldkit"))
    done = subprocess.run([fieldkit_cmd, "aggregator", "--db", str(db_path), "revoke-station",
                           "st1"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    before = db_counts(db_path)
    result = SyncClient(agg.url, credential).sync(outbox)
    assert result.status["revoked"] is True and result.status["quotas"] == {}
    assert sorted(code for _, code in result.rejected) == ["sync.station_revoked"] * 3
    assert outbox.stats()["pending"] == 3
    after = db_counts(db_path)
    assert after["rows"] == before["rows"] == 0


def _raw(agg: AggregatorProcess, body: bytes, *, credential: str | None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    h = {"Content-Type": "application/json"}
    if credential:
        h["Authorization"] = f"Bearer {credential}"
    h.update(headers or {})
    return post(agg.url + "/api/v1/sync", body, headers=h)


def test_malformed_and_oversized_requests_get_4xx_and_store_nothing(
        study: Study, agg_db: tuple[Path, dict[str, str]],
        aggregator_process: Callable[..., AggregatorProcess]) -> None:
    db_path, tokens = agg_db
    agg = aggregator_process(env={"FIELDKIT_AGGREGATOR_MAX_BODY_BYTES": "200000",
                                  "FIELDKIT_AGGREGATOR_MAX_JSON_BYTES": "400000"})
    credential = _enrolled(agg, tokens)
    good = json.dumps({"protocol": 1, "items": [make_item(study, station="st1").to_wire()]})
    bomb = gzip.compress(b'{"protocol": 1, "items": [' + b" " * 5_000_000 + b"]}")
    cases = [
        ("no credential", good.encode(), None, {}, 401, "sync.unauthenticated"),
        ("wrong credential", good.encode(), "fks1_" + "x" * 43, {}, 401,
         "sync.unauthenticated"),
        ("not JSON", b'{"protocol": 1, "items": [', credential, {}, 400, "sync.malformed_json"),
        ("NaN", b'{"protocol": 1, "items": [NaN]}', credential, {}, 400,
         "sync.malformed_json"),
        ("not an object", b"[1, 2]", credential, {}, 400, "sync.bad_request"),
        ("no items", b'{"protocol": 1}', credential, {}, 400, "sync.bad_request"),
        ("unknown field", b'{"protocol": 1, "items": [], "answers": {}}', credential, {}, 400,
         "sync.bad_request"),
        ("future protocol", b'{"protocol": 2, "items": []}', credential, {}, 400,
         "sync.unsupported_protocol"),
        ("bad station_status", b'{"protocol": 1, "items": [], "station_status": {"pending": -1}}',
         credential, {}, 400, "sync.bad_request"),
        ("form encoded", good.encode(), credential,
         {"Content-Type": "application/x-www-form-urlencoded"}, 415, "sync.bad_content_type"),
        ("brotli", good.encode(), credential, {"Content-Encoding": "br"}, 415,
         "sync.bad_encoding"),
        ("damaged gzip", b"\x1f\x8b\x08\x00garbage", credential, {"Content-Encoding": "gzip"},
         400, "sync.bad_request"),
        ("oversized", b'{"protocol": 1, "items": ["' + b"A" * 300_000 + b'"]}', credential, {},
         413, "sync.body_too_large"),
        ("gzip bomb", bomb, credential, {"Content-Encoding": "gzip"}, 413,
         "sync.body_too_large"),
        ("too many items", json.dumps({"protocol": 1, "items": [{}] * 501}).encode(),
         credential, {}, 413, "sync.too_many_items"),
    ]
    before = db_counts(db_path)
    for name, body, cred, headers, want_status, want_code in cases:
        status, reply = _raw(agg, body, credential=cred, headers=headers)
        assert (status, reply["error"]["code"]) == (want_status, want_code), name
        assert set(reply["error"]) == {"code", "message", "fix", "details"}, name
    assert db_counts(db_path) == before
    # an unknown API path is the same JSON shape
    status, reply = post_json(agg.url + "/api/v1/nothing", {}, credential=credential)
    assert status == 404 and reply["error"]["code"] == "general.not_found"
    # errors come in the station's language
    status, reply = _raw(agg, b"{", credential=credential, headers={"Accept-Language": "mr"})
    assert status == 400 and reply["error"]["code"] == "sync.malformed_json"


def test_client_halves_batches_the_server_finds_too_large(
        tmp_path: Path, study: Study, agg_db: tuple[Path, dict[str, str]],
        aggregator_process: Callable[..., AggregatorProcess]) -> None:
    db_path, tokens = agg_db
    # a server configured with a small body limit: 100 items do not fit, 25 do
    agg = aggregator_process(env={"FIELDKIT_AGGREGATOR_MAX_BODY_BYTES": "60000"})
    credential = _enrolled(agg, tokens)
    outbox = station_outbox(tmp_path / "st1.db")
    rng = random.Random(4)
    for _ in range(120):
        outbox.store(make_item(study, station="st1", rng=rng))
    result = SyncClient(agg.url, credential).sync(outbox, batch_size=100)
    assert result.accepted == 120 and outbox.stats()["pending"] == 0
    assert_counted_once(db_path, completes=120, stored=120)
