"""The in-memory indexes (aggregator.memory_index): built from the stored
submissions, caught up on what other processes commit, never fed by a rolled-back batch,
and the same whether entries arrived one batch at a time or in bulk."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aggregator import ingest, memory_index, quota_service
from fieldkit import dedup

from synctools import Study, enrolled_aggregator, make_item

ROOT = Path(__file__).resolve().parents[2]


def _db(tmp_path: Path, study: Study) -> Any:
    return enrolled_aggregator(tmp_path / "agg.db", study)


def _near_copies(study: Study, n: int) -> list[Any]:
    rng = random.Random(8)
    answers = {f"q{i:02d}": rng.choice("abcde") for i in range(40)}
    return [make_item(study, station="st1", answers=dict(answers, q05=f"changed{k}"))
            for k in range(n)]


def _pairs(db: Any) -> set[tuple[str, str]]:
    return {(a, b) for a, b in db.execute(
        "SELECT uuid_a, uuid_b FROM review_items WHERE kind = 'near_duplicate'").fetchall()}


def _ingest_in_another_process(db_path: Path, items: list[Any]) -> list[dict[str, Any]]:
    code = ("import json, sys\n"
            "from aggregator import ingest\n"
            "from aggregator.db import open_aggregator_db\n"
            "db = open_aggregator_db(sys.argv[1])\n"
            "result = ingest.ingest_batch(db, 'st1', json.load(sys.stdin))\n"
            "print(json.dumps([r.to_json() for r in result.results]))\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "sync"), str(ROOT)]))
    done = subprocess.run([sys.executable, "-c", code, str(db_path)], env=env, check=True,
                          input=json.dumps([it.to_wire() for it in items]),
                          capture_output=True, text=True, timeout=60)
    return json.loads(done.stdout)


def test_near_copies_are_found_across_batches_and_processes(tmp_path: Path,
                                                            fixed_study: Study) -> None:
    db = _db(tmp_path, fixed_study)
    first, other_process, this_process = _near_copies(fixed_study, 3)
    assert [r.status for r in ingest.ingest_batch(db, "st1", [first.to_wire()]).results] \
        == ["accepted"]
    # another worker process builds its own index from the stored sketches ...
    [reply] = _ingest_in_another_process(tmp_path / "agg.db", [other_process])
    assert reply["status"] == "accepted" and reply.get("flagged") is True
    # ... and this one catches up on what that process committed
    [result] = ingest.ingest_batch(db, "st1", [this_process.to_wire()]).results
    assert result.status == "accepted" and result.flagged
    assert _pairs(db) == {(first.uuid, other_process.uuid), (first.uuid, this_process.uuid),
                          (other_process.uuid, this_process.uuid)}


def test_rows_committed_after_the_last_catch_up_are_searched_under_the_lock(
        tmp_path: Path, fixed_study: Study, monkeypatch: pytest.MonkeyPatch) -> None:
    # Another worker may commit between this worker's catch-up (outside the write lock)
    # and its turn at the lock: those rows are read and searched inside it.
    db = _db(tmp_path, fixed_study)
    first, second, third = _near_copies(fixed_study, 3)
    ingest.ingest_batch(db, "st1", [first.to_wire()])
    [reply] = _ingest_in_another_process(tmp_path / "agg.db", [second])
    assert reply["flagged"] is True
    monkeypatch.setattr(memory_index.MemoryIndex, "catch_up", lambda self, db: 0)
    [result] = ingest.ingest_batch(db, "st1", [third.to_wire()]).results
    assert result.flagged
    assert _pairs(db) == {(first.uuid, second.uuid), (first.uuid, third.uuid),
                          (second.uuid, third.uuid)}


def test_duplicate_content_is_found_in_the_index_and_after_it(
        tmp_path: Path, fixed_study: Study, monkeypatch: pytest.MonkeyPatch) -> None:
    db = _db(tmp_path, fixed_study)
    rng = random.Random(5)
    answers = {f"q{i:02d}": rng.choice("abcde") for i in range(40)}
    twins = [make_item(fixed_study, station="st1", answers=answers) for _ in range(4)]
    other = make_item(fixed_study, station="st1")
    [reply] = _ingest_in_another_process(tmp_path / "agg.db", [twins[0]])
    assert reply["status"] == "accepted"
    # through this process's index (caught up before the write lock)
    statuses = [r.status for r in ingest.ingest_batch(
        db, "st1", [twins[1].to_wire(), other.to_wire()]).results]
    assert statuses == ["duplicate_content", "accepted"]
    # committed after this process last caught up: read from the table under the lock
    [reply] = _ingest_in_another_process(tmp_path / "agg.db", [twins[2]])
    assert reply["status"] == "duplicate_content"
    monkeypatch.setattr(memory_index.MemoryIndex, "catch_up", lambda self, db: 0)
    [result] = ingest.ingest_batch(db, "st1", [twins[3].to_wire()]).results
    assert result.status == "duplicate_content"
    first = db.execute("SELECT id FROM submissions WHERE uuid = ?", [twins[0].uuid]).fetchone()
    assert {row[0] for row in db.execute(
        "SELECT submission_a FROM review_items WHERE kind = 'duplicate_content'")} == {first[0]}


def test_a_rolled_back_batch_never_reaches_the_index(tmp_path: Path, fixed_study: Study,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    db = _db(tmp_path, fixed_study)
    first, second, third = _near_copies(fixed_study, 3)

    def disk_gone(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk gone")

    monkeypatch.setattr(quota_service, "refresh_allocations", disk_gone)
    with pytest.raises(OSError):
        ingest.ingest_batch(db, "st1", [first.to_wire()], refresh_allocations=True)
    monkeypatch.undo()
    assert db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 0
    # the id the rolled-back row had is given to `second`, which has nothing to match
    [result] = ingest.ingest_batch(db, "st1", [second.to_wire()]).results
    assert result.status == "accepted" and not result.flagged
    [result] = ingest.ingest_batch(db, "st1", [third.to_wire()]).results
    assert result.flagged and _pairs(db) == {(second.uuid, third.uuid)}


def test_a_new_database_at_the_same_path_gets_its_own_index(tmp_path: Path,
                                                           fixed_study: Study) -> None:
    first, second = _near_copies(fixed_study, 2)
    db = _db(tmp_path, fixed_study)
    ingest.ingest_batch(db, "st1", [first.to_wire()])
    old_id = db.execute("SELECT database_id FROM instance").fetchone()[0]
    db.conn.close()
    for path in tmp_path.glob("agg.db*"):
        path.unlink()
    db = _db(tmp_path, fixed_study)
    assert db.execute("SELECT database_id FROM instance").fetchone()[0] != old_id
    [result] = ingest.ingest_batch(db, "st1", [second.to_wire()]).results
    assert result.status == "accepted" and not result.flagged


class _Store:
    """Just enough of a database for MemoryIndex.catch_up: submissions with sketches."""

    def __init__(self, tmp_path: Path) -> None:
        from fieldkit.db import open_db
        self.db = open_db(tmp_path / "store.db")
        self.db.execute("CREATE TABLE submissions (id INTEGER PRIMARY KEY, form_id TEXT, "
                        "sketch BLOB, status TEXT, n_answered INTEGER, fingerprint TEXT)")

    def add(self, sketches: list[list[int]], form_id: str = "police") -> None:
        top = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM submissions").fetchone()[0]
        with self.db.conn:
            self.db.conn.executemany(
                "INSERT INTO submissions VALUES (?, ?, ?, 'accepted', 40, NULL)",
                [(top + 1 + k, form_id, dedup.pack(s)) for k, s in enumerate(sketches)])


def test_each_bucket_gives_its_newest_ids_whether_merged_or_recent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory_index, "MERGE_AT", 8 * 16)      # merge after 16 submissions
    rng = random.Random(3)
    same = [rng.getrandbits(32) for _ in range(dedup.K)]
    half = same[:32] + [rng.getrandbits(32) for _ in range(32)]   # shares 4 of 8 bands

    def other() -> list[int]:
        return [rng.getrandbits(32) for _ in range(dedup.K)]

    store = _Store(tmp_path)
    incremental = memory_index.MemoryIndex()
    for _ in range(5):                  # 5 batches of 10: merges and recent entries mixed
        store.add([same] * 7 + [other() for _ in range(3)])
        incremental.catch_up(store.db)
    bulk = memory_index.MemoryIndex()
    monkeypatch.setattr(memory_index, "MERGE_AT", 8)            # one bulk build ...
    monkeypatch.setattr(memory_index, "DIRECTORY_FROM", 16)     # ... searched by directory
    bulk.catch_up(store.db)
    assert bulk.bands._directory is not None and incremental.bands._directory is None
    newest = {sid for batch in range(5) for sid in range(batch * 10 + 1, batch * 10 + 8)}
    newest = set(sorted(newest)[-memory_index.PER_BUCKET:])     # 35 share; 32 are kept
    stored = memory_index.unpack_sketches([r[0] for r in store.db.execute(
        "SELECT sketch FROM submissions ORDER BY id")])
    queries = np.vstack([stored, memory_index.unpack_sketches([dedup.pack(half)])])
    keys = memory_index.band_keys(queries, ["police"] * len(queries))
    for index in (incremental, bulk):
        found = index.near(keys)
        assert set(found[-1]) == newest                       # 4 shared bands: a candidate
        assert all(set(found[k]) == newest for k in range(50) if k + 1 in newest)
        # an unrelated sketch shares no bucket, except with itself
        assert found[7] == [8] and found[49] == [50]
    # the same sketch under another form shares no bucket
    assert incremental.near(memory_index.band_keys(np.array([same]), ["officials"])) == [[]]
    # a sketch sharing only one band is not a candidate
    one_band = same[:8] + [rng.getrandbits(32) for _ in range(56)]
    assert bulk.near(memory_index.band_keys(np.array([one_band]), ["police"])) == [[]]


def test_catch_up_adds_only_new_rows_with_a_usable_sketch(tmp_path: Path) -> None:
    store = _Store(tmp_path)
    rng = random.Random(4)
    store.add([[rng.getrandbits(32) for _ in range(dedup.K)] for _ in range(2)])
    index = memory_index.MemoryIndex()
    assert index.catch_up(store.db) == 2 and index.upto == 2
    store.add([[rng.getrandbits(32) for _ in range(dedup.K)] for _ in range(2)])
    assert index.catch_up(store.db) == 2 and index.upto == 4
    assert len(index.bands) == 4 * dedup.BANDS
    empty = [dedup.EMPTY] * dedup.K                 # an empty answer set is not indexed
    store.add([empty])
    assert index.catch_up(store.db) == 1 and index.upto == 5
    assert len(index.bands) == 4 * dedup.BANDS
