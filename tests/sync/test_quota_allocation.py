"""Soft quotas with offline stations: allocations versus a plain central counter.

A deterministic simulation over the real ingest core and quota service (real SQLite,
real sealed items; no clock or network randomness): three stations work offline all
day on the same nearly-full cell (target 30, 24 done), syncing morning and evening.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aggregator import quota_service, stations
from aggregator.db import open_aggregator_db, transaction
from aggregator.ingest import ingest_batch
from fieldkit.quotas import cell_key, should_warn

from synctools import FORM_ID, Study, make_item, prepare_aggregator

CELL = cell_key({"site": "pune"})
TARGET = 30
ALREADY = 24
PER_DAY = 5          # what one station could do in a day in this cell


def _sync(db: Any, study: Study, station: str, items: list[Any]) -> dict[str, Any]:
    """What POST /api/v1/sync does, minus HTTP: ingest, then this station's allocations."""
    ingest_batch(db, station, [i.to_wire() for i in items], via="http")
    with transaction(db):
        allocations = quota_service.refresh_allocations(db, station)
    return quota_service.station_quotas(db, allocations)[FORM_ID][CELL]


def _simulate(tmp_path: Path, study: Study, policy: str) -> dict[str, int]:
    path = tmp_path / policy / "aggregator.db"
    tokens = prepare_aggregator(path, study, stations=("st1", "st2", "st3"))
    db = open_aggregator_db(path)
    for token in tokens.values():
        stations.enroll(db, token)
    with transaction(db):
        quota_service.set_target(db, FORM_ID, CELL, TARGET, tolerance=0)
    today = datetime.now(timezone.utc).strftime("%Y-%m-%dT09:00:00Z")
    rng = random.Random(11)
    # history: 24 completes already in the cell, from st1
    _sync(db, study, "st1", [make_item(study, station="st1", rng=rng, ended_at=today)
                             for _ in range(ALREADY)])
    names = ["st1", "st2", "st3"]
    warnings = 0
    for _day in range(2):
        morning = {name: _sync(db, study, name, []) for name in names}   # status only
        done_today: dict[str, list[Any]] = {name: [] for name in names}
        for name in names:                 # offline: no one sees the others' work
            cell = morning[name]
            for _ in range(PER_DAY):
                local = len(done_today[name])
                if policy == "allocation":
                    stop = should_warn(cell["allocation"], local)
                else:                      # plain central counter: remaining at last sync
                    stop = local >= max(0, cell["target"] - cell["count"])
                if stop:
                    warnings += 1
                    break                  # the enumerator heeds the (soft) warning
                done_today[name].append(make_item(study, station=name, rng=rng,
                                                  ended_at=today))
        for name in names:                 # evening sync
            _sync(db, study, name, done_today[name])
    count = db.execute("SELECT count FROM quota_counts WHERE form_id = ? AND cell_key = ?",
                       [FORM_ID, CELL]).fetchone()[0]
    over = db.execute("SELECT COUNT(*) FROM submissions WHERE over_target = 1").fetchone()[0]
    stored = db.execute("SELECT COUNT(*) FROM submissions WHERE counted = 1").fetchone()[0]
    return {"count": count, "overshoot": count - TARGET, "marked_over": over, "stored": stored,
            "warnings": warnings}


def test_allocations_overshoot_far_less_than_a_central_counter(tmp_path: Path,
                                                               study: Study) -> None:
    central = _simulate(tmp_path, study, "central")
    allocated = _simulate(tmp_path, study, "allocation")
    # central counter: all three stations fill the same 6 slots -> 15 done, 9 too many
    assert central["overshoot"] == 9
    # allocations: the 6 slots are split, never promised twice -> the target exactly
    assert allocated["overshoot"] == 0
    assert allocated["count"] == TARGET
    # over-target completes are accepted and marked, never dropped
    assert central["stored"] == central["count"] == 39
    assert central["marked_over"] == 9
    assert allocated["marked_over"] == 0


def test_outstanding_allocations_never_exceed_remaining_slots(tmp_path: Path,
                                                              study: Study) -> None:
    path = tmp_path / "agg.db"
    tokens = prepare_aggregator(path, study, stations=("st1", "st2", "st3"))
    db = open_aggregator_db(path)
    for token in tokens.values():
        stations.enroll(db, token)
    with transaction(db):
        quota_service.set_target(db, FORM_ID, CELL, 7, tolerance=1)
    rng = random.Random(5)
    held = {"st1": 0, "st2": 0, "st3": 0}
    for round_ in range(8):
        for name in ("st1", "st2", "st3", "st2"):
            # each station works within what it holds (it heeds the warning)
            wanted = (round_ + len(name) + held[name]) % 3
            done = [make_item(study, station=name, rng=rng) for _ in range(min(wanted,
                                                                              held[name]))]
            held[name] = _sync(db, study, name, done)["allocation"]
            status = quota_service.quota_status(db)[FORM_ID][CELL]
            assert sum(status["allocations"].values()) <= status["remaining"]
            assert status["count"] <= 7
    status = quota_service.quota_status(db)[FORM_ID][CELL]
    assert status["count"] == 7 and status["status"] == "met" and status["remaining"] == 0
    assert sum(status["allocations"].values()) == 0
