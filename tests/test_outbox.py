"""The outbox on a real SQLite file: atomic store, idempotence, sync marks, counts."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from fieldkit.crypto import open_sealed, seal
from fieldkit.db import open_db
from fieldkit.envelope import SealedItem, new_header
from fieldkit.errors import FieldkitError
from fieldkit.outbox import Outbox
from fieldkit.study import key_id_for

PRIVATE = X25519PrivateKey.generate()
KID = key_id_for(PRIVATE.public_key())


def sealed(outcome="completed", training=False, quota=None, ended="2026-11-23T10:00:00Z",
           form_id="police", answers=None):
    h = new_header(form_id=form_id, form_hash="c" * 64, station="st01", enumerator="e07",
                   outcome=outcome, training=training, quota=quota or {"site": "pune"},
                   started_at="2026-11-23T07:00:00Z", ended_at=ended)
    return seal(h, {"answers": answers or {"q": "x"}, "paradata": {}}, PRIVATE.public_key(),
                KID)


@pytest.fixture
def outbox(tmp_path):
    return Outbox(open_db(tmp_path / "station.db"))


def test_store_pending_and_open(outbox, tmp_path):
    items = [sealed(answers={"n": str(i)}) for i in range(3)]
    for it in items:
        assert outbox.store(it) is True
    got = outbox.pending()
    assert [g.uuid for g in got] == [i.uuid for i in items]
    assert got[0] == items[0]
    assert open_sealed(got[2], PRIVATE)["answers"] == {"n": "2"}
    # A new connection sees the same (the write was committed, not just cached).
    again = Outbox(open_db(tmp_path / "station.db"))
    assert [g.uuid for g in again.pending(limit=2)] == [i.uuid for i in items[:2]]


def test_same_item_again_is_a_no_op_and_other_content_is_a_conflict(outbox):
    it = sealed()
    assert outbox.store(it) and not outbox.store(it)
    other = seal(it.header, {"answers": {"q": "changed"}}, PRIVATE.public_key(), KID)
    with pytest.raises(FieldkitError) as info:
        outbox.store(other)
    assert info.value.code == "storage.conflict"
    assert outbox.get(it.uuid) == it and outbox.count() == 1


def test_store_many_is_all_or_nothing(outbox):
    first = sealed()
    outbox.store(first)
    clash = seal(first.header, {"answers": {}}, PRIVATE.public_key(), KID)
    fresh = sealed()
    with pytest.raises(FieldkitError):
        outbox.store_many([fresh, clash])
    assert outbox.get(fresh.uuid) is None
    assert outbox.store_many([fresh, first]) == 1


def test_broken_items_are_not_stored(outbox):
    it = sealed()
    with pytest.raises(FieldkitError):
        outbox.store(SealedItem(it.header, it.ciphertext, "0" * 64))
    assert outbox.count() == 0


def test_mark_synced_only_with_matching_hash(outbox):
    a, b = sealed(), sealed()
    outbox.store(a)
    outbox.store(b)
    assert outbox.mark_synced([(a.uuid, "f" * 64), (b.uuid, b.ct_hash), ("nope", "0")]) == 1
    assert [p.uuid for p in outbox.pending()] == [a.uuid]
    assert outbox.mark_synced([(b.uuid, b.ct_hash)]) == 0      # already synced
    s = outbox.stats()
    assert s["pending"] == 1 and s["synced"] == 1 and s["last_synced_at"].endswith("Z")
    assert len(list(outbox.items())) == 2


def test_training_items_never_sync_or_count(outbox):
    outbox.store(sealed(training=True))
    real = sealed()
    outbox.store(real)
    assert [p.uuid for p in outbox.pending()] == [real.uuid]
    assert outbox.stats()["pending"] == 1
    assert outbox.local_completes("police", {"site": "pune"}) == 1
    assert len(list(outbox.items(include_training=True))) == 2


def test_stats_outcomes_of_the_day(outbox):
    for outcome in ("completed", "completed", "refused", "terminated"):
        outbox.store(sealed(outcome=outcome))
    s = outbox.stats()
    assert s["outcomes"] == {"completed": 2, "refused": 1, "terminated": 1}
    assert s["last_synced_at"] is None
    assert outbox.stats(day=date(2001, 1, 1))["outcomes"] == {}


def test_local_completes_by_cell_and_time(outbox):
    outbox.store(sealed(quota={"site": "pune", "gender": "female"}, ended="2026-11-23T08:00:00Z"))
    outbox.store(sealed(quota={"site": "pune", "gender": "male"}, ended="2026-11-23T11:00:00Z"))
    outbox.store(sealed(quota={"site": "thane", "gender": "female"}))
    outbox.store(sealed(outcome="terminated", quota={"site": "pune", "gender": "female"}))
    outbox.store(sealed(form_id="general_population", quota={"site": "pune"}))
    assert outbox.local_completes("police", {"site": "pune"}) == 2
    assert outbox.local_completes("police", {"site": "pune", "gender": "female"}) == 1
    assert outbox.local_completes("police", {"site": "pune"}, since="2026-11-23T09:00:00Z") == 1
    assert outbox.local_completes("police", {}) == 3
    # Any ISO form of the same instant counts the same.
    for since in ("2026-11-23T09:00:00+00:00", "2026-11-23T14:30:00+05:30",
                  "2026-11-23T09:00:00.000001Z"):
        assert outbox.local_completes("police", {"site": "pune"}, since=since) == 1
    with pytest.raises(FieldkitError):
        outbox.local_completes("police", {"site') OR 1=1 --": "x"})


def test_database_holds_no_plaintext(outbox, tmp_path):
    outbox.store(sealed(answers={"notes": "CANARY-outbox-7731"}))
    outbox.db.conn.close()
    for f in tmp_path.iterdir():
        assert b"CANARY-outbox-7731" not in f.read_bytes()


def test_purge_synced_leaves_no_trace_of_the_header_in_the_files(outbox, tmp_path):
    kept, gone = sealed(), sealed()
    outbox.store(kept)
    outbox.store(gone)
    outbox.mark_synced([(gone.uuid, gone.ct_hash)])
    assert outbox.purge_synced(older_than_days=1) == 0        # too recent
    assert outbox.purge_synced() == 1
    assert outbox.get(gone.uuid) is None and outbox.get(kept.uuid) is not None
    for f in tmp_path.iterdir():
        data = f.read_bytes()
        assert gone.uuid.encode() not in data, f.name
        assert gone.ciphertext[40:72] not in data, f.name
    assert any(kept.uuid.encode() in f.read_bytes() for f in tmp_path.iterdir())
