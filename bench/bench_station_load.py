"""Station under concurrent phone sessions: p95 latency, errors, RSS.

    .venv/bin/python bench/bench_station_load.py [--phones 20] [--interviews 8] [--seconds 90]

A real station (``fieldkit station serve``: gunicorn, one gthread worker, 8 threads, as
shipped) with a study key and the station test form (tests/station/forms/st_all.yaml:
11 questions of every type) on loopback. One enumerator session signs in and hands out
self-administration links (POST /start mode=self, GET /i/<iid>/link); ``--phones``
phone sessions (threads, each its own cookie jar and keep-alive connection, like a
phone's browser) each open a link, press Begin, consent and answer every question,
then finish -- ``--interviews`` times each, or until ``--seconds`` have passed. Every
request a phone makes is timed (whole request: send, server, read).

Reference, measured in the same run just before: one phone alone doing the same
interviews, so the loaded figures are also shown as a ratio to the unloaded ones.
RSS is read from /proc (VmRSS) of the gunicorn worker (where interviews live) and of
the master, sampled every 100 ms; the peak is printed.

Goals (issue 7): p95 < 50 ms, 0 errors, RSS <= 120 MB.
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "faults"), str(ROOT / "tests" / "sync")]

from harness import (  # noqa: E402
    Enumerator, Http, StationServer, prepare_offline_station, st_all_answers,
)

LINK_RE = re.compile(r'data-testid="link-url">[^<]*?/s/([A-Za-z0-9_\-]+)')


def prepare(station_dir: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    prepare_offline_station(station_dir, X25519PrivateKey.generate().public_key(),
                            code="LD01", study_id="load")


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.by_kind: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.interviews = 0

    def add(self, seconds: float, kind: str) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.by_kind.setdefault(kind, []).append(seconds)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


THINK = {"s": 0.0}       # a respondent's pause between two requests (--think)


def timed(res: Results, fn: Any, *args: Any) -> tuple[int, str, str]:
    if THINK["s"]:
        time.sleep(random.uniform(0.5, 1.5) * THINK["s"])
    t0 = time.perf_counter()
    out = fn(*args)
    path = args[0]
    kind = ("POST " if len(args) > 1 else "GET ") + (
        "answer" if "/q/" in path else "finish" if path.endswith("/finish")
        else "consent" if path.endswith("/consent") else "link" if path.startswith("/s/")
        else "done")
    res.add(time.perf_counter() - t0, kind)
    return out


def phone_interview(port: int, token: str, rng: random.Random, res: Results) -> None:
    """One respondent on a phone: open the link, Begin, consent, answer all, finish."""
    h = Http(port, keepalive=True)
    try:
        status, text, _ = timed(res, h.get, f"/s/{token}")
        if status != 200:
            return res.error(f"open link: HTTP {status}")
        status, _, loc = timed(res, h.post, f"/s/{token}", {})
        if status not in (302, 303):
            return res.error(f"begin: HTTP {status}")
        status, _, _ = timed(res, h.get, loc)
        iid = loc.split("/")[2]
        status, _, loc = timed(res, h.post, f"/i/{iid}/consent", {"action": "agree"})
        if status != 303:
            return res.error(f"consent: HTTP {status}")
        answers = st_all_answers(rng, "load test comment")
        while "/q/" in loc:
            qid = loc.rsplit("/", 1)[1]
            status, _, _ = timed(res, h.get, loc)
            if status != 200:
                return res.error(f"question {qid}: HTTP {status}")
            status, _, loc = timed(res, h.post, loc, {"action": "next", **answers[qid]})
            if status != 303:
                return res.error(f"answer {qid}: HTTP {status}")
        status, _, _ = timed(res, h.get, loc)
        status, _, loc = timed(res, h.post, f"/i/{iid}/finish", {})
        if status != 303 or loc != "/i/done":
            return res.error(f"finish: HTTP {status} {loc}")
        status, text, _ = timed(res, h.get, "/i/done")
        if 'data-outcome="completed"' not in text:
            return res.error("done page without the completed outcome")
        with res.lock:
            res.interviews += 1
    except Exception as exc:  # a refused connection or a timeout is an error too
        res.error(f"{type(exc).__name__}: {exc}")
    finally:
        h.close()


def run(port: int, enum: Enumerator, phones: int, per_phone: int, seconds: float,
        sample: Any) -> tuple[Results, float]:
    res = Results()
    links: queue.Queue[str | None] = queue.Queue(maxsize=phones)
    total = phones * per_phone
    stop = threading.Event()
    enum_lock = threading.Lock()

    def hand_out() -> None:
        for i in range(total):
            if stop.is_set():
                break
            with enum_lock:
                enum.get("/start")
                status, text, loc = enum.post("/start", {
                    "form": "st_all", "site": random.choice(["pune", "nagpur"]),
                    "language": random.choice(["en", "hi", "mr"]), "mode": "self"})
                if status != 303 or "/link" not in loc:
                    res.error(f"start self: HTTP {status}")
                    continue
                status, text, _ = enum.get(loc)
            m = LINK_RE.search(text)
            if not m:
                res.error("link page without a link")
                continue
            while not stop.is_set():
                try:
                    links.put(m.group(1), timeout=0.5)
                    break
                except queue.Full:
                    continue
        for _ in range(phones):
            links.put(None)

    def phone(n: int) -> None:
        rng = random.Random(n)
        while not stop.is_set():
            token = links.get()
            if token is None:
                return
            phone_interview(port, token, rng, res)

    t0 = time.monotonic()
    threads = [threading.Thread(target=hand_out, daemon=True)]
    threads += [threading.Thread(target=phone, args=(n,), daemon=True) for n in range(phones)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads[1:]):
        sample()
        if time.monotonic() - t0 > seconds:
            stop.set()
        time.sleep(0.1)
    return res, time.monotonic() - t0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--phones", type=int, default=20)
    ap.add_argument("--interviews", type=int, default=8, help="per phone")
    ap.add_argument("--seconds", type=float, default=90)
    ap.add_argument("--threads", type=int, default=8, help="station gunicorn threads")
    ap.add_argument("--think", type=float, default=0.0,
                    help="mean seconds a phone waits before each request (0: flat out)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="fk-load-") as tmp:
        work = Path(tmp)
        station_dir = work / "station"
        prepare(station_dir)
        st = StationServer(work, None, station_dir, threads=args.threads).start()
        peak = {"worker": 0, "master": 0}

        def sample() -> None:
            if st.pid is None:
                return
            peak["master"] = max(peak["master"], rss_kib(st.pid))
            for kid in children(st.pid):
                peak["worker"] = max(peak["worker"], rss_kib(kid))

        try:
            enum = Enumerator(st, "E01", "1357", rng=random.Random(1), keepalive=True)
            enum.signin()
            sample()
            idle = dict(peak)
            ref, ref_s = run(st.port, enum, 1, 5, args.seconds, sample)
            THINK["s"] = args.think
            workers = children(st.pid or 0)
            cpu0 = sum(cpu_seconds(p) for p in workers)
            res, secs = run(st.port, enum, args.phones, args.interviews, args.seconds, sample)
            cpu = sum(cpu_seconds(p) for p in workers) - cpu0
        finally:
            st.stop()
    lat = [x * 1000 for x in res.latencies]
    ref_lat = [x * 1000 for x in ref.latencies]
    p50, p95, p99 = pct(lat, 50), pct(lat, 95), pct(lat, 99)
    r95 = pct(ref_lat, 95)
    rss_worker, rss_master = peak["worker"] / 1024, peak["master"] / 1024
    print(f"station: fieldkit station serve, 1 gthread worker x {args.threads} threads; "
          f"form st_all (11 questions); {os.cpu_count()} CPUs, load avg "
          f"{os.getloadavg()[0]:.1f}")
    print(f"reference, 1 phone : {ref.interviews} interviews, {len(ref_lat)} requests, "
          f"p50 {pct(ref_lat, 50):.1f} ms, p95 {r95:.1f} ms, errors {len(ref.errors)}")
    print(f"load, {args.phones} phones: {res.interviews} interviews, {len(lat)} requests in "
          f"{secs:.1f} s ({len(lat) / secs:.0f} req/s), p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
          f"p99 {p99:.1f} ms, max {max(lat) if lat else float('nan'):.1f} ms, "
          f"errors {len(res.errors)}")
    print(f"p95 under load / p95 alone: {p95 / r95:.2f}x; mean {statistics.mean(lat):.1f} ms;"
          f" think time {args.think:.2f} s")
    n_req = len(lat) + 2 * (res.interviews + len(res.errors))   # + the enumerator's
    print(f"station worker CPU: {cpu:.1f} s for ~{n_req} requests = "
          f"{1000 * cpu / max(n_req, 1):.1f} ms CPU per request (one process, one GIL: "
          f"capacity ~{n_req / max(cpu, 1e-9):.0f} req/s)")
    print("p95 by request: " + ", ".join(
        f"{k} {pct([x * 1000 for x in v], 95):.0f} ms (n={len(v)})"
        for k, v in sorted(res.by_kind.items())))
    print(f"RSS peak: worker {rss_worker:.1f} MiB, master {rss_master:.1f} MiB (idle after "
          f"sign-in: worker {idle['worker'] / 1024:.1f} MiB, master {idle['master'] / 1024:.1f}"
          f" MiB)")
    goals = {"p95 < 50 ms": p95 < 50, "0 errors": not res.errors,
             "RSS <= 120 MB (worker)": rss_worker * 1.048576 <= 120}
    print("goals: " + ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in goals.items()))
    for e in res.errors[:10]:
        print("  error:", e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
