"""Fuzz the sync API (enroll, sync, ping) from sync/openapi.yaml with schemathesis against
a real aggregator: no 5xx; a refused request stores nothing (every table's row count is
unchanged); an item rejected inside a 200 reply is not stored; every error has the one
JSON error shape. Quick mode ~200 cases, full (FIELDKIT_FAULTS=full) 2,000."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import full_mode
from fuzzsync import run_fuzz

pytestmark = pytest.mark.slow


def test_fuzz_sync_api(tmp_path: Path, zygote: object) -> None:
    cases = 2000 if full_mode() else 200
    result = run_fuzz(tmp_path, cases=cases, seed=11, zygote=zygote)  # type: ignore[arg-type]
    print(json.dumps(result, indent=1))
    assert result["cases"] >= cases * 0.9
    # the fuzzer got past authentication and into item validation
    assert result["statuses"].get("POST /api/v1/sync 200", 0) > 0
    assert result["problems"] == [], result["problems"]


def test_huge_pending_count_is_refused_not_500(tmp_path: Path, zygote: object) -> None:
    """What the fuzzer found (a 500, SQLite OverflowError; fixed in d2a3806), pinned: an
    out-of-range count is a 400 and nothing is stored."""
    from fuzzsync import table_counts
    from harness import AggregatorServer, enroll_station, prepare_aggregator_db
    from synctools import make_study, post_json

    from fieldkit.station.commands import OfflineStation

    db_path = tmp_path / "aggregator.db"
    tokens = prepare_aggregator_db(db_path, make_study(), ["FZ01"], ["E01"])
    agg = AggregatorServer(tmp_path, zygote, db_path).start()  # type: ignore[arg-type]
    try:
        enroll_station(tmp_path / "station", agg.url, tokens["FZ01"])
        off = OfflineStation(tmp_path / "station")
        credential = off.store.get("credential")
        off.close()
        before = table_counts(db_path)
        status, body = post_json(agg.url + "/api/v1/sync", {
            "protocol": 1, "items": [], "station_status": {"pending": 2 ** 64}},
            credential=credential)
        assert status == 400, body
        assert table_counts(db_path) == before
    finally:
        agg.stop()
