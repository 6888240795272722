"""Fault tests: every failure ends with each completed submission counted exactly once,
nothing lost on the station, and every bad item rejected with its reason.

The aggregator is real gunicorn in its own process group (killed with SIGKILL, like a
power cut); faults are injected by ``fault_app.py`` around the real app.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable

import pytest

from aggregator.client import SyncClient, apply_ack, write_bundle
from fieldkit.errors import FieldkitError

from synctools import (ROOT, AggregatorProcess, Study, assert_counted_once, db_counts,
                       make_item, station_outbox, wait_for)

pytestmark = pytest.mark.slow


def _fill(study: Study, outbox: Any, n_complete: int, n_other: int = 0, station: str = "st1",
          seed: int = 1) -> None:
    rng = random.Random(seed)
    for _ in range(n_complete):
        outbox.store(make_item(study, station=station, rng=rng))
    for _ in range(n_other):
        outbox.store(make_item(study, station=station, rng=rng, outcome="refused"))


def _in_thread(func: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = func()
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


@pytest.mark.parametrize("when", ["hang_in_transaction", "hang_after_commit"])
def test_aggregator_killed_mid_batch_then_restarted(
        when: str, tmp_path: Path, study: Study, agg_db: tuple[Path, dict[str, str]],
        aggregator_process: Callable[..., AggregatorProcess]) -> None:
    db_path, tokens = agg_db
    markers = tmp_path / "markers"
    markers.mkdir()
    agg = aggregator_process(faults={"marker_dir": str(markers), when: 2})
    credential = SyncClient.enroll(agg.url, tokens["st1"])["credential"]
    outbox = station_outbox(tmp_path / "st1.db")
    _fill(study, outbox, 230, 20)
    client = SyncClient(agg.url, credential, timeout=30, retries=1, backoff=0.1)
    thread, box = _in_thread(lambda: client.sync(outbox))
    wait_for(markers / ("in-tx" if when == "hang_in_transaction" else "committed"))
    agg.kill9()                                   # mid-batch 2: power cut
    thread.join(30)
    assert isinstance(box.get("error"), FieldkitError)
    assert box["error"].code in ("sync.unreachable", "sync.server_error")
    # batch 1 acknowledged and marked; batch 2 not marked whatever the server did
    assert outbox.stats()["pending"] == 150
    stored = db_counts(db_path)["rows"]
    assert stored == (100 if when == "hang_in_transaction" else 200)

    agg.start(faults={})                          # same database, restarted
    result = SyncClient(agg.url, credential).sync(outbox)
    assert outbox.stats()["pending"] == 0
    if when == "hang_in_transaction":             # rolled back: batch 2 is new
        assert (result.accepted, result.duplicates) == (150, 0)
    else:                                         # committed, reply lost: resend = duplicates
        assert (result.accepted, result.duplicates) == (50, 100)
    assert_counted_once(db_path, completes=230, stored=250)


def test_slow_aggregator_and_client_timeouts(
        tmp_path: Path, study: Study, agg_db: tuple[Path, dict[str, str]],
        aggregator_process: Callable[..., AggregatorProcess]) -> None:
    db_path, tokens = agg_db
    agg = aggregator_process(faults={"delay_before": {"1": 2.5, "3": 2.5}})
    credential = SyncClient.enroll(agg.url, tokens["st1"])["credential"]
    outbox = station_outbox(tmp_path / "st1.db")
    _fill(study, outbox, 180, 20)
    # the client gives up on a request after 1 s and resends; the slow original still
    # lands later: whichever commits second answers "duplicate"
    result = SyncClient(agg.url, credential, timeout=1.0, retries=4, backoff=0.2).sync(outbox)
    assert outbox.stats()["pending"] == 0
    assert result.acked == 200
    assert_counted_once(db_path, completes=180, stored=200)


def test_5xx_before_and_after_commit_are_retried(
        tmp_path: Path, study: Study, agg_db: tuple[Path, dict[str, str]],
        aggregator_process: Callable[..., AggregatorProcess]) -> None:
    db_path, tokens = agg_db
    agg = aggregator_process(faults={"fail_before": [1, 2], "fail_after": [3, 5]})
    credential = SyncClient.enroll(agg.url, tokens["st1"])["credential"]
    outbox = station_outbox(tmp_path / "st1.db")
    _fill(study, outbox, 250)
    result = SyncClient(agg.url, credential, retries=3, backoff=0.05).sync(outbox)
    assert outbox.stats()["pending"] == 0
    # requests 3 and 5 were stored but answered 500: their resends came back duplicate
    assert result.duplicates == 200 and result.accepted == 50
    assert_counted_once(db_path, completes=250, stored=250)

    # a server that keeps failing: the client stops with a clear error, nothing lost
    agg.stop()
    outbox2 = station_outbox(tmp_path / "st1b.db")
    _fill(study, outbox2, 5, seed=9)
    broken = aggregator_process(faults={"fail_before": list(range(1, 50))})
    with pytest.raises(FieldkitError) as err:
        SyncClient(broken.url, credential, retries=2, backoff=0.05).sync(outbox2)
    assert err.value.code == "sync.server_error"
    assert outbox2.stats()["pending"] == 5


STATION_SCRIPT = """
import sys
sys.path[:0] = {paths!r}
from aggregator.client import SyncClient
from fieldkit.db import open_db
from fieldkit.outbox import Outbox
SyncClient({url!r}, {credential!r}, timeout=60, retries=0).sync(Outbox(open_db({db!r})))
"""


def test_station_killed_mid_sync(
        tmp_path: Path, study: Study, agg_db: tuple[Path, dict[str, str]],
        aggregator_process: Callable[..., AggregatorProcess]) -> None:
    db_path, tokens = agg_db
    markers = tmp_path / "markers"
    markers.mkdir()
    agg = aggregator_process(faults={"marker_dir": str(markers), "delay_before": {"2": 2.0}})
    credential = SyncClient.enroll(agg.url, tokens["st1"])["credential"]
    station_db = tmp_path / "st1.db"
    outbox = station_outbox(station_db)
    _fill(study, outbox, 300)
    outbox.db.conn.close()
    script = STATION_SCRIPT.format(paths=[str(ROOT / "sync"), str(ROOT)], url=agg.url,
                                   credential=credential, db=str(station_db))
    station = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    wait_for(markers / "sync-2")                   # batch 2 is on the wire
    os.killpg(station.pid, signal.SIGKILL)         # the laptop dies mid-sync
    station.wait(10)

    outbox = station_outbox(station_db)            # the station's file is intact
    assert outbox.count() == 300
    assert outbox.stats()["pending"] == 200        # only batch 1 was acknowledged
    # sync again while the aggregator may still be finishing the orphaned batch 2
    result = SyncClient(agg.url, credential, retries=2, backoff=0.2).sync(outbox)
    assert outbox.stats()["pending"] == 0
    assert result.acked == 200
    wait_for(markers / "sync-2")
    agg.stop()                                     # let the orphaned request finish or die
    assert_counted_once(db_path, completes=300, stored=300)


def test_usb_and_network_double_delivery_counts_once(
        tmp_path: Path, study: Study, agg_db: tuple[Path, dict[str, str]],
        aggregator_process: Callable[..., AggregatorProcess]) -> None:
    db_path, tokens = agg_db
    agg = aggregator_process()
    cred1 = SyncClient.enroll(agg.url, tokens["st1"])["credential"]
    cred2 = SyncClient.enroll(agg.url, tokens["st2"])["credential"]
    fieldkit_cmd = str(Path(sys.executable).with_name("fieldkit"))

    def import_(bundle: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([fieldkit_cmd, "aggregator", "--db", str(db_path), "import",
                               str(bundle), *extra], capture_output=True, text=True)

    # st1: USB first, then the network resends the same items -> duplicates
    ob1 = station_outbox(tmp_path / "st1.db")
    _fill(study, ob1, 120, 10, station="st1", seed=1)
    bundle1 = tmp_path / "st1.bundle.jsonl"
    assert write_bundle(ob1, bundle1, station_code="st1", credential=cred1) == 130
    done = import_(bundle1)
    assert done.returncode == 0, done.stderr
    assert "accepted 130" in done.stdout
    net = SyncClient(agg.url, cred1).sync(ob1)
    assert (net.accepted, net.duplicates) == (0, 130)

    # st2: network first, then the same bundle over USB -> duplicates; the ack file
    # marks items synced on a station that only has the USB path
    ob2 = station_outbox(tmp_path / "st2.db")
    _fill(study, ob2, 40, 0, station="st2", seed=2)
    bundle2 = tmp_path / "st2.bundle.jsonl"
    write_bundle(ob2, bundle2, station_code="st2", credential=cred2)
    SyncClient(agg.url, cred2).sync(ob2)
    ack = tmp_path / "st2.ack.json"
    done = import_(bundle2, "--ack", str(ack))
    assert done.returncode == 0 and "duplicates 40" in done.stdout, done.stdout + done.stderr
    ob2_copy = station_outbox(tmp_path / "st2-copy.db")
    for item in ob2.items():                                # same items, never synced
        ob2_copy.store(item)
    assert apply_ack(ob2_copy, ack) == 40 and ob2_copy.stats()["pending"] == 0
    assert_counted_once(db_path, completes=160, stored=170)

    # a bundle edited on the way, or signed by another station, is refused whole
    raw = bundle1.read_text().splitlines()
    item = json.loads(raw[1])
    item["header"]["outcome"] = "refused"
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join([raw[0], json.dumps(item), *raw[2:]]) + "\n")
    done = import_(tampered)
    assert done.returncode != 0 and "not a valid fieldkit bundle" in done.stderr
    ob3 = station_outbox(tmp_path / "st3.db")
    _fill(study, ob3, 3, station="st1", seed=5)
    forged = tmp_path / "forged.jsonl"
    write_bundle(ob3, forged, station_code="st1", credential=cred2)
    done = import_(forged)
    assert done.returncode != 0 and "not signed by station st1" in done.stderr
    assert_counted_once(db_path, completes=160, stored=170)


def test_the_same_batch_sent_concurrently_to_two_workers_counts_once(
        study: Study, agg_db: tuple[Path, dict[str, str]],
        aggregator_process: Callable[..., AggregatorProcess]) -> None:
    from synctools import post_json

    db_path, tokens = agg_db
    agg = aggregator_process(workers=2)
    credential = SyncClient.enroll(agg.url, tokens["st1"])["credential"]
    rng = random.Random(12)
    body = {"protocol": 1, "items": [make_item(study, station="st1", rng=rng).to_wire()
                                     for _ in range(100)]}
    replies: list[Any] = []
    threads = [threading.Thread(target=lambda: replies.append(
        post_json(agg.url + "/api/v1/sync", body, credential=credential, gzipped=True)))
        for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [status for status, _ in replies] == [200] * 6
    accepted = sum(reply["summary"]["accepted"] for _, reply in replies)
    duplicates = sum(reply["summary"]["duplicates"] for _, reply in replies)
    assert (accepted, duplicates) == (100, 500)
    assert_counted_once(db_path, completes=100, stored=100)
