"""Group commit: sync batches of one process that wait for the write lock together are
stored in one transaction, with the same verdicts as one by one, and a batch that fails
in a group is rolled back alone."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from aggregator import group_commit, ingest, quota_service
from aggregator.db import open_aggregator_db, process_local, transaction

from synctools import Study, enrolled_aggregator, make_item

STATIONS = ("st1", "st2", "st3")


def _prepared(tmp_path: Path, study: Study) -> Path:
    path = tmp_path / "agg.db"
    enrolled_aggregator(path, study, stations=STATIONS).conn.close()
    return path


def _grouped(path: Path, batches: dict[str, list[Any]], **kwargs: Any
             ) -> tuple[dict[str, Any], int]:
    """Run one ingest_batch per station in its own thread (own connection), all queued
    while this thread holds the write lock, so they form one group. Returns each
    station's result or exception, and how many transactions the group took."""
    main = open_aggregator_db(path)
    committer = process_local(main, "group_commit", group_commit.GroupCommit)
    before = committer.groups
    outcome: dict[str, Any] = {}

    def push(name: str) -> None:
        db = open_aggregator_db(path)
        try:
            outcome[name] = ingest.ingest_batch(db, name, [it.to_wire() for it in batches[name]],
                                                **kwargs)
        except Exception as err:           # noqa: BLE001 - the test inspects it
            outcome[name] = err

    threads = [threading.Thread(target=push, args=(name,)) for name in batches]
    with transaction(main):
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while len(committer._queue) < len(batches):
            assert time.monotonic() < deadline, "the batches never queued"
            time.sleep(0.01)
    for thread in threads:
        thread.join(20)
    return outcome, committer.groups - before


def _near_copy_batches(study: Study) -> dict[str, list[Any]]:
    rng = random.Random(8)
    answers = {f"q{i:02d}": rng.choice("abcde") for i in range(40)}
    return {
        "st1": [make_item(study, station="st1", answers=answers)]
        + [make_item(study, station="st1") for _ in range(3)],
        "st2": [make_item(study, station="st2", answers=dict(answers, q05="z"))]
        + [make_item(study, station="st2") for _ in range(3)],
        "st3": [make_item(study, station="st3") for _ in range(4)],
    }


def test_batches_waiting_together_share_one_commit(tmp_path: Path,
                                                   fixed_study: Study) -> None:
    path = _prepared(tmp_path, fixed_study)
    batches = _near_copy_batches(fixed_study)
    batches["st3"].append(batches["st3"][0])          # a resend inside the same batch
    outcome, groups = _grouped(path, batches, refresh_allocations=True)
    assert groups == 1
    assert [r.status for r in outcome["st1"].results] == ["accepted"] * 4
    assert [r.status for r in outcome["st3"].results] == ["accepted"] * 4 + ["duplicate"]
    # a near-copy in another batch of the same transaction is still found (the one of
    # the two written second is flagged; the order in the group is the queue's)
    assert outcome["st1"].results[0].flagged != outcome["st2"].results[0].flagged
    db = open_aggregator_db(path)
    assert db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 12
    assert db.execute("SELECT COUNT(*) FROM sync_log").fetchone()[0] == 3
    pairs = db.execute("SELECT uuid_a, uuid_b FROM review_items "
                       "WHERE kind = 'near_duplicate'").fetchall()
    assert [set(pair) for pair in pairs] == [{batches["st1"][0].uuid, batches["st2"][0].uuid}]
    # sent again one by one, every item is a harmless duplicate
    for name, items in batches.items():
        again = ingest.ingest_batch(db, name, [it.to_wire() for it in items])
        assert {r.status for r in again.results} == {"duplicate"}


def test_a_batch_that_fails_in_a_group_is_rolled_back_alone(
        tmp_path: Path, fixed_study: Study, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _prepared(tmp_path, fixed_study)
    batches = _near_copy_batches(fixed_study)
    real = quota_service.refresh_allocations

    def fails_for_st1(db: Any, station: str, *args: Any, **kwargs: Any) -> Any:
        if station == "st1":
            raise OSError("disk trouble while writing st1")
        return real(db, station, *args, **kwargs)

    monkeypatch.setattr(quota_service, "refresh_allocations", fails_for_st1)
    outcome, groups = _grouped(path, batches, refresh_allocations=True)
    assert groups == 1
    assert isinstance(outcome["st1"], OSError)
    assert [r.status for r in outcome["st3"].results] == ["accepted"] * 4
    # st1's original was rolled back, so st2's copy of it has nothing to match
    assert [r.status for r in outcome["st2"].results] == ["accepted"] * 4
    assert not outcome["st2"].results[0].flagged
    db = open_aggregator_db(path)
    stored = {row[0] for row in db.execute("SELECT station FROM submissions")}
    assert stored == {"st2", "st3"}
    assert db.execute("SELECT COUNT(*) FROM review_items").fetchone()[0] == 0
    monkeypatch.undo()
    # the station sends its batch again, and now it is stored
    retry = ingest.ingest_batch(db, "st1", [it.to_wire() for it in batches["st1"]])
    assert [r.status for r in retry.results] == ["accepted"] * 4
    assert retry.results[0].flagged          # the copy st2 sent meanwhile is found
