"""Aggregator ingest benchmarks (not part of the test run).

1. **Ingest throughput over real HTTP**: gunicorn with the production config
   (sync/aggregator/gunicorn.conf.py: 2 gthread workers) on a temp SQLite file; S
   stations push N sealed submissions in gzip batches of 100 concurrently (bodies
   built beforehand, so the client costs little CPU on the same machine). Reference, in
   the same run: a raw SQLite insert of the same rows (header columns + ciphertext)
   in transactions of 100 with the same pragmas (WAL, synchronous=FULL). Goals:
   >= 3,000 submissions/s and >= 0.3 of the raw insert rate.
2. **Near-duplicate index cost**: the real index work of ingest (catching up on new
   rows, ``ingest._near_duplicates``: lookup, candidates, comparison) for Q new sketches
   against stores of 10k and 1M sketches of realistic survey answers (40 questions,
   skewed answer shares). Goal: the per-item cost at 1M <= 1.3x the cost at 10k.

    .venv/bin/python bench/bench_ingest.py                 # both, N=20000, 10k vs 1M
    .venv/bin/python bench/bench_ingest.py --only http --n 10000
    .venv/bin/python bench/bench_ingest.py --only lsh --big 200000
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "sync"), str(ROOT), str(ROOT / "tests" / "sync")]

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey  # noqa: E402

from fieldkit import dedup  # noqa: E402
from fieldkit.canonical import canonical_json  # noqa: E402
from fieldkit.crypto import seal  # noqa: E402
from fieldkit.envelope import new_uuid  # noqa: E402
from fieldkit.db import open_db  # noqa: E402
from fieldkit.study import StudyConfig, key_id_for  # noqa: E402

FORM_ID, FORM_HASH = "police", "f" * 63 + "1"
QUESTIONS, OPTIONS = 40, 6
START_MS = 1_795_420_800_000          # 2026-11-23T08:00:00Z
# skewed answer shares, as in the report's tables (most people pick one or two options)
WEIGHTS = [0.42, 0.25, 0.14, 0.09, 0.06, 0.04]


def make_study() -> StudyConfig:
    """A fixed benchmark study (deterministic keys and secrets), so that stores kept
    with --store-dir can be reused across runs. Never use such keys for real data."""
    seed = hashlib.sha256(b"fieldkit bench study").digest()
    private = X25519PrivateKey.from_private_bytes(seed)
    kid = key_id_for(private.public_key())
    return StudyConfig(study_id="bench", current_key_id=kid,
                       public_keys={kid: private.public_key()},
                       fingerprint_secret=hashlib.sha256(seed + b"fp").digest(),
                       sketch_secret=hashlib.sha256(seed + b"sk").digest())


def answers_for(rng: random.Random) -> dict[str, str]:
    picks = rng.choices(range(OPTIONS), weights=WEIGHTS, k=QUESTIONS)
    return {f"q{q:02d}": f"o{o}" for q, o in enumerate(picks)}


def make_items(study: StudyConfig, station: str, n: int, seed: int) -> list[Any]:
    """``n`` sealed submissions as one station makes them: uuids are UUIDv7
    (``envelope.new_uuid``), one interview started every minute from 08:00."""
    rng = random.Random(seed)
    items = []
    for k in range(n):
        answers = answers_for(rng)
        site = rng.choice(["pune", "mumbai", "nagpur", "thane", "palghar"])
        header = {
            "v": 1, "uuid": new_uuid(START_MS + k * 60_000 + seed, rng.getrandbits(74)),
            "form_id": FORM_ID, "form_hash": FORM_HASH, "station": station,
            "enumerator": "E01", "site": site, "quota": {"site": site},
            "outcome": "completed", "keep_partial": None,
            "started_at": "2026-11-23T10:00:00Z", "ended_at": "2026-11-23T10:40:00Z",
            "n_answered": len(answers),
            "fingerprint": dedup.fingerprint(FORM_HASH, answers, study.fingerprint_secret),
            "sketch": dedup.sketch(answers, study.sketch_secret), "over_quota": False,
            "training": False, "payload": "hpke"}
        items.append(seal(header, {"answers": answers, "paradata": {"durations": [12] * 40}},
                          study.public_key, study.key_id))
    return items


# --- 1. HTTP ingest ----------------------------------------------------------------------
def raw_insert_rate(items: list[Any], directory: Path, *, lookup_indexes: bool = False
                    ) -> tuple[float, float]:
    """(rows per second, CPU microseconds per row) of a plain insert of the same rows;
    with ``lookup_indexes``, into a table that also has B-tree indexes by uuid and by
    fingerprint, as exact deduplication in SQLite alone would need: a second,
    informative reference (the aggregator keeps fingerprints in memory)."""
    directory.mkdir(parents=True, exist_ok=True)
    db = open_db(directory / "raw.db")
    db.execute("CREATE TABLE raw (uuid TEXT, ct_hash TEXT, form_id TEXT, form_hash TEXT, "
               "key_id TEXT, station TEXT, enumerator TEXT, site TEXT, quota TEXT, "
               "outcome TEXT, started_at TEXT, ended_at TEXT, n_answered INTEGER, "
               "fingerprint TEXT, sketch BLOB, header TEXT, ciphertext BLOB)")
    if lookup_indexes:
        db.execute("CREATE UNIQUE INDEX raw_uuid ON raw (uuid, ct_hash)")
        db.execute("CREATE INDEX raw_fingerprint ON raw (form_id, fingerprint)")
    rows = []
    for it in items:
        h = it.header
        rows.append((it.uuid, it.ct_hash, h["form_id"], h["form_hash"], h["key_id"],
                     h["station"], h["enumerator"], h["site"],
                     canonical_json(h["quota"]).decode(), h["outcome"], h["started_at"],
                     h["ended_at"], h["n_answered"], h["fingerprint"], dedup.pack(h["sketch"]),
                     canonical_json(h).decode(), it.ciphertext))
    start, cpu_start = time.perf_counter(), time.process_time()
    for i in range(0, len(rows), 100):
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.executemany("INSERT INTO raw VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            rows[i:i + 100])
        db.conn.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    db.conn.close()
    return len(rows) / elapsed, cpu / len(rows) * 1e6


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _group_cpu_seconds(pgid: int) -> float:
    """user+system CPU seconds of every live process in process group ``pgid``."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:          # fields after ")": state ppid pgrp ...
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def http_ingest_rate(study: StudyConfig, items: dict[str, list[Any]], directory: Path
                     ) -> tuple[float, float]:
    """One round: a fresh aggregator database and gunicorn; all stations push at once.
    Returns (submissions per second, server CPU microseconds per submission)."""
    from aggregator import registry, stations
    from aggregator.db import open_aggregator_db

    directory.mkdir(parents=True)
    db_path = directory / "agg.db"
    db = open_aggregator_db(db_path)
    registry.set_study(db, study.to_dict())
    registry.register_form(db, form_id=FORM_ID, form_hash=FORM_HASH, version="1", source="")
    registry.approve_form(db, FORM_HASH, irb_reference="B", approved_on="2026-11-01",
                          approver="b", recorded_by="b")
    names = sorted(items)
    tokens = {name: stations.create_station(db, name) for name in names}
    db.conn.close()
    port = _free_port()
    env = dict(os.environ, FIELDKIT_AGGREGATOR_DB=str(db_path), FIELDKIT_AGGREGATOR_WEB="0",
               PYTHONPATH=os.pathsep.join([str(ROOT / "sync"), str(ROOT)]))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "sync/aggregator/gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}"], env=env, cwd=str(ROOT), start_new_session=True)
    try:
        for _ in range(200):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/v1/ping")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        creds = {}
        for name in names:
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request("POST", "/api/v1/enroll",
                         json.dumps({"protocol": 1, "token": tokens[name]}),
                         {"Content-Type": "application/json"})
            creds[name] = json.loads(conn.getresponse().read())["credential"]
        bodies = {name: [gzip.compress(json.dumps(
            {"protocol": 1, "items": [it.to_wire() for it in items[name][i:i + 100]]}
        ).encode(), 6) for i in range(0, len(items[name]), 100)] for name in names}
        accepted = [0]
        lock = threading.Lock()

        def push(name: str) -> None:
            headers = {"Content-Type": "application/json", "Content-Encoding": "gzip",
                       "Authorization": f"Bearer {creds[name]}"}
            for body in bodies[name]:
                # a new connection per batch, as SyncClient (urllib) does: gunicorn then
                # spreads the stations' requests over its workers
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                conn.request("POST", "/api/v1/sync", body, headers)
                reply = json.loads(conn.getresponse().read())
                conn.close()
                with lock:
                    accepted[0] += reply["summary"]["accepted"]

        threads = [threading.Thread(target=push, args=(name,)) for name in names]
        cpu_before, client_before = _group_cpu_seconds(server.pid), time.process_time()
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        cpu = _group_cpu_seconds(server.pid) - cpu_before
        client = time.process_time() - client_before
        total = sum(len(v) for v in items.values())
        assert accepted[0] == total, accepted
    finally:
        server.terminate()
        server.wait(20)
    print(f"    (client CPU {client / total * 1e6:.0f} us/item, server {cpu / total * 1e6:.0f}, "
          f"{elapsed:.2f} s wall: {(client + cpu) / elapsed:.2f} cores busy)", flush=True)
    return total / elapsed, cpu / total * 1e6


# --- 2. near-duplicate index ---------------------------------------------------------------
def _token_table(secret: bytes) -> list[list[tuple[int, ...]]]:
    """MinHash values of every possible token, so a million sketches are cheap to build."""
    table = []
    for q in range(QUESTIONS):
        row = []
        for o in range(OPTIONS):
            # the sketch of a one-token answer set is that token's 64 hash values
            row.append(tuple(dedup.sketch({f"q{q:02d}": f"o{o}"}, secret)))
        table.append(row)
    return table


def _fast_sketch(table: list[list[tuple[int, ...]]], picks: list[int]) -> list[int]:
    return list(map(min, zip(*[table[q][o] for q, o in enumerate(picks)])))


_FILLER = ("f" * 64, "0123456789abcdef", "st0", "E01", "pune", "site=pune", '{"site":"pune"}',
           "completed", None, "2026-11-23T10:00:00Z", "2026-11-23T10:40:00Z", 40)
_INSERT = ("INSERT INTO submissions (id, uuid, ct_hash, form_id, form_hash, key_id, station, "
           "enumerator, site, cell_key, quota, outcome, keep_partial, started_at, ended_at, "
           "n_answered, fingerprint, sketch, over_quota, training, payload, header, status, "
           "counted, over_target, received_at, received_via) VALUES "
           "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")


def _row(sid: int, sketch: list[int]) -> tuple[Any, ...]:
    """An accepted submission row with this sketch and a fingerprint of its own (the
    other columns are filler)."""
    fingerprint = hashlib.sha256(b"bench %d" % sid).hexdigest()
    return (sid, f"u{sid:09d}", f"c{sid}", FORM_ID, *_FILLER, fingerprint, dedup.pack(sketch),
            0, 0, "hpke", "{}", "accepted", 1, 0, "2026-11-23T11:00:00Z", "http")


def build_store(path: Path, n: int, table: Any, rng: random.Random) -> None:
    """A store of ``n`` accepted submissions with realistic sketches, built fast (no
    fsync; building is not what is measured: the measurement reopens the file with the
    server's settings)."""
    from aggregator.db import open_aggregator_db

    db = open_aggregator_db(path)
    conn = db.conn
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    chunk = 50000
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        picks = rng.choices(range(OPTIONS), weights=WEIGHTS, k=QUESTIONS * size)
        conn.execute("BEGIN")
        conn.executemany(_INSERT, [
            _row(start + j + 1, _fast_sketch(table, picks[j * QUESTIONS:(j + 1) * QUESTIONS]))
            for j in range(size)])
        conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()


def lsh_cost(db: Any, built: Any, queries: list[list[int]]) -> tuple[float, int]:
    """Seconds per new item for the near-duplicate index work of ingest, in batches of
    100 as in sync: catching up on the rows the previous batch stored (adding them to the
    index), the band keys, and the lookup, candidate check and comparison of
    ``ingest._near_duplicates``.
    Storing the rows themselves is not counted; everything is rolled back after, and the
    index copied from ``built`` (a server keeps its index, so the store is warm)."""
    from aggregator import ingest

    index = built.copy()
    base = db.execute("SELECT MAX(id) FROM submissions").fetchone()[0]
    out = {k: ingest.ItemResult(k, f"q{k}", "", "accepted") for k in range(len(queries))}
    db.conn.execute("BEGIN IMMEDIATE")
    elapsed = 0.0
    for i in range(0, len(queries), 100):
        items = [(base + 1 + k, ingest.CheckedItem(k, {"uuid": f"q{k}", "form_id": FORM_ID,
                                                  "sketch": queries[k], "n_answered": 40},
                                              b"", "", "site=pune", informative=True))
                 for k in range(i, min(i + 100, len(queries)))]
        start = time.perf_counter()
        index.catch_up(db)
        ingest._assign_buckets([v for _, v in items])
        ingest._near_duplicates(db, index, ingest._Group(below=base + 1 + i), items, out)
        elapsed += time.perf_counter() - start
        db.conn.executemany(_INSERT, [_row(sid, v.header["sketch"]) for sid, v in items])
    db.conn.execute("ROLLBACK")
    return elapsed / len(queries), sum(1 for r in out.values() if r.flagged)


def full_ingest_cost(db: Any, study: StudyConfig, batches: list[list[dict[str, Any]]]
                     ) -> float:
    """Seconds per item for the whole ``ingest_batch`` (validation, uuid and fingerprint
    lookups, LSH, every index insert, commit) against the store open in ``db``."""
    from aggregator import ingest, registry, stations

    if registry.get_study(db) is None:
        registry.set_study(db, study.to_dict())
        registry.register_form(db, form_id=FORM_ID, form_hash=FORM_HASH, version="1",
                               source="")
        registry.approve_form(db, FORM_HASH, irb_reference="B", approved_on="2026-11-01",
                              approver="b", recorded_by="b")
        stations.create_station(db, "st0")
    start = time.perf_counter()
    n = 0
    for batch in batches:
        result = ingest.ingest_batch(db, "st0", batch, refresh_allocations=True)
        assert result.summary()["accepted"] == len(batch), result.summary()
        n += len(batch)
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["http", "lsh"])
    parser.add_argument("--n", type=int, default=20000, help="submissions over HTTP")
    parser.add_argument("--stations", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--store-dir", type=Path, default=None,
                        help="keep the LSH stores here and reuse them on the next run")
    args = parser.parse_args()
    study = make_study()
    with tempfile.TemporaryDirectory(prefix="fk-bench-") as tmp:
        directory = Path(tmp)
        if args.only in (None, "http"):
            print(f"HTTP ingest: {args.n} submissions, {args.stations} stations, "
                  f"batches of 100, gunicorn (sync/aggregator/gunicorn.conf.py)", flush=True)
            names = [f"st{i}" for i in range(args.stations)]
            per = args.n // args.stations
            items = {name: make_items(study, name, per, seed=i) for i, name in enumerate(names)}
            flat = [it for name in names for it in items[name]]
            # rounds interleave the two measurements, so that disk and CPU noise from
            # other work on the machine hits both alike; best round of each is reported
            rates, raws, cpus, raw_cpus, indexed = [], [], [], [], []
            for r in range(args.rounds):
                rate, cpu = http_ingest_rate(study, items, directory / f"http{r}")
                raw, raw_cpu = raw_insert_rate(flat, directory / f"raw{r}")
                with_indexes, _ = raw_insert_rate(flat, directory / f"rawi{r}",
                                                  lookup_indexes=True)
                rates.append(rate), raws.append(raw), cpus.append(cpu), raw_cpus.append(raw_cpu)
                indexed.append(with_indexes)
                print(f"  round {r + 1}: HTTP {rate:7.0f}/s ({cpu:5.0f} us CPU/item), "
                      f"raw {raw:7.0f}/s ({raw_cpu:4.0f} us CPU/row), ratio {rate / raw:.2f}; "
                      f"raw with the uuid + fingerprint indexes {with_indexes:7.0f}/s",
                      flush=True)
            rate, raw = max(rates), max(raws)
            print(f"  aggregator over HTTP : {rate:10.0f} submissions/s  (goal >= 3000)")
            print(f"  raw SQLite insert    : {raw:10.0f} rows/s")
            print(f"  ratio (best/best)    : {rate / raw:10.2f}  (goal >= 0.3)")
            print(f"  raw insert with uuid + fingerprint B-tree indexes: {max(indexed):.0f} "
                  f"rows/s; ratio to it {rate / max(indexed):.2f}")
            print(f"  server CPU per item  : {min(cpus):10.0f} us (all gunicorn processes); "
                  f"raw insert {min(raw_cpus):.0f} us/row; on 2 idle cores the CPU bound is "
                  f"~{2e6 / min(cpus):.0f}/s", flush=True)
        if args.only in (None, "lsh"):
            table = _token_table(study.sketch_secret)
            rng = random.Random(42)
            picks = rng.choices(range(OPTIONS), weights=WEIGHTS, k=QUESTIONS * args.queries)
            queries = [_fast_sketch(table, picks[i * QUESTIONS:(i + 1) * QUESTIONS])
                       for i in range(args.queries)]
            paths = {}
            store_dir = args.store_dir or directory
            store_dir.mkdir(parents=True, exist_ok=True)
            for size in (args.small, args.big):
                paths[size] = store_dir / f"lsh-{size}-{study.study_id}.db"
                if args.store_dir and paths[size].exists():
                    print(f"  reusing {paths[size]}", flush=True)
                    continue
                start = time.perf_counter()
                build_store(paths[size], size, table, random.Random(size))
                print(f"  built store of {size} sketches in {time.perf_counter() - start:.0f} s",
                      flush=True)
            # one warm connection per store, as in a running server; the two stores are
            # measured alternately, round by round (machine noise hits both alike)
            from aggregator.app import tune_connection
            conns = {size: tune_connection(open_db(path)) for size, path in paths.items()}
            from aggregator.memory_index import MemoryIndex
            built = {}
            for size, db in conns.items():
                start = time.perf_counter()
                built[size] = MemoryIndex()
                built[size].catch_up(db)
                print(f"  index of {size} stored built in {time.perf_counter() - start:.1f} s "
                      f"({built[size].nbytes / 1e6:.0f} MB)", flush=True)
                lsh_cost(db, built[size], queries[:200])    # warm-up pass, not counted
            results: dict[int, tuple[float, int]] = {}
            for _ in range(args.rounds):
                for size in (args.small, args.big):
                    cost, flagged = lsh_cost(conns[size], built[size], queries)
                    if size not in results or cost < results[size][0]:
                        results[size] = (cost, flagged)
            small, big = results[args.small][0], results[args.big][0]
            print(f"Near-duplicate index (in memory; LSH b={dedup.BANDS} r={dedup.ROWS}, "
                  f"candidates share >= {dedup.MIN_BAND_HITS} bands, <= 32 per bucket), "
                  f"{args.queries} new items:")
            for size, (cost, flagged) in results.items():
                print(f"  {size:>9} stored : {cost * 1e6:8.1f} us/item  ({flagged} flagged)")
            print(f"  ratio big/small     : {big / small:8.2f}  (goal <= 1.3)", flush=True)
            # the whole ingest of a batch (not only LSH) against the same two stores
            full: dict[int, float] = {}
            for r in range(args.rounds):
                for size in (args.small, args.big):
                    fresh = make_items(study, "st0", 500, seed=random.randrange(2 ** 62))
                    wires = [json.loads(json.dumps(it.to_wire())) for it in fresh]
                    cost = full_ingest_cost(conns[size], study,
                                            [wires[i:i + 100] for i in range(0, 500, 100)])
                    full[size] = min(full.get(size, cost), cost)
            print("Whole ingest_batch (batches of 100, commit included):")
            for size, cost in full.items():
                print(f"  {size:>9} stored : {cost * 1e6:8.1f} us/item")
            print(f"  ratio big/small     : {full[args.big] / full[args.small]:8.2f}")
            for db in conns.values():
                db.conn.close()


if __name__ == "__main__":
    main()
