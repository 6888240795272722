"""Sync over a slow link: 500 sealed submissions through a 256 kbit/s, 300 ms RTT link.

A real aggregator (gunicorn, temp SQLite) behind ``bench/throttle.py``'s throttling
proxy on loopback; a real station Outbox of sealed submissions (60 answers each, like
the police form); the real ``SyncClient`` in batches of 100.

Printed, with the figures of the same run:
- batched sync time as a ratio to the wire-time limit: (bytes up + bytes down) /
  bandwidth + one round trip per request + one per new connection (TCP handshake).
  Goal <= 1.3x.
- as a ratio to sending the same submissions one request each (the OpenRosa way:
  one HTTP POST per submission). That is measured on a sample (--each, default 50) and
  scaled to N, since 500 requests at 300 ms RTT take minutes. Goal >= 10x faster.

    .venv/bin/python bench/bench_slow_link.py [--n 500] [--kbit 256] [--rtt 300] [--each 50]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "sync"), str(ROOT), str(ROOT / "tests" / "sync"), str(ROOT / "bench")]

from aggregator.client import SyncClient  # noqa: E402
from synctools import (  # noqa: E402
    AggregatorProcess, make_item, make_study, prepare_aggregator, random_answers, station_outbox,
)
from throttle import ThrottledProxy  # noqa: E402


def fill(outbox, study, n: int, rng: random.Random) -> None:
    for _ in range(n):
        outbox.store(make_item(study, station="st1", rng=rng, answers=random_answers(rng, 60)))


def run_sync(agg: AggregatorProcess, credential: str, outbox, *, batch: int, kbit: float,
             rtt_ms: float) -> dict:
    with ThrottledProxy(agg.port, kbit_per_s=kbit, rtt_ms=rtt_ms) as proxy:
        client = SyncClient(f"http://127.0.0.1:{proxy.port}", credential, timeout=600)
        started = time.monotonic()
        result = client.sync(outbox, batch_size=batch)
        seconds = time.monotonic() - started
        bytes_total = proxy.up.bytes + proxy.down.bytes
        requests, connections = result.batches, proxy.connections
    limit = bytes_total * 8 / (kbit * 1000) + (requests + connections) * rtt_ms / 1000
    return {"seconds": seconds, "bytes": bytes_total, "requests": requests,
            "connections": connections, "limit_seconds": limit, "acked": result.acked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--kbit", type=float, default=256)
    parser.add_argument("--rtt", type=float, default=300)
    parser.add_argument("--each", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(7)
    study = make_study()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        token = prepare_aggregator(tmp_path / "agg.db", study)["st1"]
        agg = AggregatorProcess(tmp_path / "agg.db").start()
        try:
            credential = SyncClient.enroll(agg.url, token)["credential"]
            batched_box = station_outbox(tmp_path / "a.db")
            fill(batched_box, study, args.n, rng)
            batched = run_sync(agg, credential, batched_box, batch=100, kbit=args.kbit,
                               rtt_ms=args.rtt)
            each_box = station_outbox(tmp_path / "b.db")
            fill(each_box, study, args.each, rng)
            each = run_sync(agg, credential, each_box, batch=1, kbit=args.kbit, rtt_ms=args.rtt)
        finally:
            agg.stop()
    each_scaled = each["seconds"] * args.n / args.each
    figures = {
        "link": f"{args.kbit:g} kbit/s, {args.rtt:g} ms RTT",
        "submissions": args.n,
        "batched_seconds": round(batched["seconds"], 2),
        "wire_limit_seconds": round(batched["limit_seconds"], 2),
        "ratio_to_wire_limit": round(batched["seconds"] / batched["limit_seconds"], 3),
        "bytes_on_wire": batched["bytes"],
        "requests": batched["requests"],
        "one_each_seconds_scaled": round(each_scaled, 1),
        "one_each_sample": args.each,
        "speedup_vs_one_each": round(each_scaled / batched["seconds"], 1),
    }
    assert batched["acked"] == args.n and each["acked"] == args.each
    print(json.dumps(figures, indent=2))
    print(f"ratio to wire limit {figures['ratio_to_wire_limit']} (goal <= 1.3): "
          + ("met" if figures["ratio_to_wire_limit"] <= 1.3 else "MISSED"))
    print(f"speed-up vs one request each {figures['speedup_vs_one_each']}x (goal >= 10): "
          + ("met" if figures["speedup_vs_one_each"] >= 10 else "MISSED"))


if __name__ == "__main__":
    main()
