"""The crash loop: interviews over HTTP while the station and aggregator are killed.

Enumerator threads walk whole interviews through the station's real routes (sign in,
start, consent, answers, finish; some refusals and stops). A controller thread kills,
again and again, with SIGKILL to the process group:

* ``finish``: the station, a random moment after an enumerator pressed "Finish and
  save" (sealing, the outbox transaction, the journal discard, the reply);
* ``sync_station`` / ``sync_aggregator`` / ``sync_both``: the station, the aggregator
  or both, a random moment after "Sync now" (batch upload, ingest transaction, ack,
  ``mark_synced``);
* ``recovery``: the station mid-interviews, then again while it starts up and turns
  their journals into ``interrupted`` submissions.

Delays are drawn uniformly over the measured length of the operation, so kills land
before, inside and after each step. Every interview in progress at a kill is lost
from memory and must come back from its journal. At the end everything is restarted,
synced to completion and compared with the test's ledger (:func:`harness.check_field`).
"""

from __future__ import annotations

import itertools
import random
import statistics
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable

from harness import (Enumerator, Field, Ledger, StationDown, StationServer, UnexpectedPage,
                     Zygote, check_field, letters_tag, prepare_field, station_pending)

PIN = "1357"
KINDS = ("finish", "sync_station", "sync_aggregator", "sync_both", "recovery")
WEIGHTS = (40, 20, 20, 8, 12)
CLI_SHARE = 0.7          # share of syncs run as `fieldkit sync` (the rest: POST /sync)


class Crew:
    """The enumerator threads of one station."""

    def __init__(self, fld: Field, station: StationServer, codes: list[str], ledger: Ledger,
                 seed: int, tags: Any, stop: threading.Event, errors: list[str]) -> None:
        self.station = station
        self.ledger = ledger
        self.stop = stop
        self.errors = errors
        self.tags = tags
        self.start_lock = threading.Lock()
        self.finish_started = threading.Condition()
        self.finish_waiters = 0
        self.finish_at: float | None = None
        self.finish_times: deque[float] = deque(maxlen=50)
        self.interviews = 0
        self.enums = [Enumerator(station, code, PIN, rng=random.Random(seed * 100 + i),
                                 start_lock=self.start_lock) for i, code in enumerate(codes)]
        self.threads = [threading.Thread(target=self._run, args=(e,), daemon=True)
                        for e in self.enums]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def join(self, timeout: float = 120) -> None:
        for t in self.threads:
            t.join(timeout)

    def _before_end(self, outcome: str) -> None:
        with self.finish_started:
            self.finish_at = time.monotonic()
            self.finish_started.notify_all()

    def wait_for_ending(self, timeout: float) -> bool:
        """Block until an enumerator is about to send a finish/refusal/stop."""
        with self.finish_started:
            self.finish_at = None
            return self.finish_started.wait_for(lambda: self.finish_at is not None, timeout)

    def _run(self, enum: Enumerator) -> None:
        rng = enum.rng
        while not self.stop.is_set():
            if not self.station.up.wait(timeout=1):
                continue
            try:
                if not enum.session_valid:
                    enum.signin()
                uid = enum.start_interview()
                tag = letters_tag(next(self.tags))
                with self.ledger.lock:
                    self.ledger.tags[uid] = tag
                    self.ledger.station_of[uid] = self.station.station_dir.name
                plan = rng.choices(("complete", "refuse", "stop"), (80, 10, 10))[0]
                t0 = time.monotonic()
                outcome = enum.walk(tag, plan=plan, before_end=self._before_end)
                if plan == "complete":
                    self.finish_times.append(time.monotonic() - self.finish_at_or(t0))
                with self.ledger.lock:
                    self.ledger.acked[uid] = outcome
                    self.interviews += 1
                enum.uuid, enum.step = None, "idle"
            except StationDown:
                self.ledger.lost(enum)
                enum.signed_in = False
            except UnexpectedPage as exc:
                if not enum.session_valid or not self.station.up.is_set():
                    # the station was restarted between two requests: the new process
                    # does not know this browser's session (a sign-in page or 401)
                    self.ledger.lost(enum)
                    enum.signed_in = False
                else:
                    self.errors.append(f"{self.station.station_dir.name} {enum.code}: {exc}")
                    self.ledger.lost(enum)
                    enum.signed_in = False
                    time.sleep(0.5)

    def finish_at_or(self, default: float) -> float:
        return self.finish_at if self.finish_at is not None else default


def _median(values: Any, default: float) -> float:
    values = list(values)
    return statistics.median(values) if values else default


def run_crash_loop(workdir: Path, *, kills: int, seed: int = 7, n_stations: int = 1,
                   enumerators: int = 2, zygote: Zygote | None = None,
                   log: Callable[[str], None] = lambda s: None,
                   deadline_s: float | None = None) -> dict[str, Any]:
    """Run until ``kills`` SIGKILLs were sent; then settle, sync and check. Returns figures."""
    t_begin = time.monotonic()
    rng = random.Random(seed)
    fld = prepare_field(workdir, n_stations=n_stations, enumerators=enumerators + 1,
                        zygote=zygote)
    try:
        ledger = Ledger()
        stop = threading.Event()
        errors: list[str] = []
        tags = itertools.count()
        codes = fld.enumerators
        crews = [Crew(fld, st, codes[:enumerators], ledger, seed + i, tags, stop, errors)
                 for i, st in enumerate(fld.stations)]
        controllers = {st.port: Enumerator(st, codes[enumerators], PIN, rng=random.Random(seed))
                       for st in fld.stations}
        start_times: deque[float] = deque(maxlen=20)
        sync_times: deque[float] = deque(maxlen=20)
        by_kind: dict[str, int] = {k: 0 for k in KINDS}
        sent = 0
        sync_messages: dict[str, int] = {}
        last_report = 0
        sync_kills = 0
    
        def restart(server: Any) -> None:
            t0 = time.monotonic()
            server.start()
            if isinstance(server, StationServer):
                start_times.append(time.monotonic() - t0)
    
        def kill_station(st: StationServer) -> None:
            nonlocal sent
            st.kill9()
            sent += 1
            with ledger.lock:
                ledger.journals_at_kills |= st.journals()
    
        def kill_aggregator() -> None:
            nonlocal sent
            fld.aggregator.kill9()
            sent += 1
    
        def controller_sync(st: StationServer, before_send: Callable[[], None] | None) -> str | None:
            ctl = controllers[st.port]
            try:
                if not ctl.session_valid:
                    ctl.signin()
                t0 = time.monotonic()
                msg = ctl.sync(before_send)
                sync_times.append(time.monotonic() - t0)
                sync_messages[msg] = sync_messages.get(msg, 0) + 1
                return msg
            except (StationDown, UnexpectedPage):
                ctl.signed_in = False
                return None
    
        try:
            for crew in crews:
                crew.start()
            while sent < kills:
                if deadline_s is not None and time.monotonic() - t_begin > deadline_s:
                    log(f"deadline reached after {sent} kills")
                    break
                kind = rng.choices(KINDS, WEIGHTS)[0]
                i = rng.randrange(len(crews))
                crew, st = crews[i], fld.stations[i]
                time.sleep(rng.uniform(0.0, 0.3))        # let interviews move on
                by_kind[kind] += 1
                log(f"kill {sent + 1}: {kind} on {st.station_dir.name}")
                if kind == "finish":
                    if not crew.wait_for_ending(timeout=30):
                        errors.append("no enumerator reached the end of an interview in 30 s")
                        break
                    time.sleep(rng.uniform(0.0, 1.5 * _median(crew.finish_times, 0.05)))
                    kill_station(st)
                    restart(st)
                elif kind.startswith("sync"):
                    # "Sync now" on the home page (POST /sync) or `fieldkit sync` (a process)
                    delay = rng.uniform(0.0, 1.5 * _median(sync_times, 0.2))
                    via_cli = rng.random() < CLI_SHARE
                    sent_at = threading.Event()
                    run = st.sync_cli() if via_cli else None
                    if run is not None:
                        t_sync = time.monotonic()
                        run.spawn()
                        sent_at.set()
                        worker = None
                    else:
                        worker = threading.Thread(target=controller_sync,
                                                  args=(st, sent_at.set), daemon=True)
                        worker.start()
                    if not sent_at.wait(timeout=30):
                        if worker is not None:
                            worker.join(60)
                        continue
                    time.sleep(delay)
                    if kind in ("sync_station", "sync_both"):
                        if run is not None:
                            run.kill9()
                            sent += 1
                            sync_kills += 1
                        else:
                            kill_station(st)
                    if kind in ("sync_aggregator", "sync_both"):
                        kill_aggregator()
                        restart(fld.aggregator)
                    if kind in ("sync_station", "sync_both") and run is None:
                        restart(st)
                    if run is not None:
                        if not run.wait(120):
                            errors.append("`fieldkit sync` did not end within 120 s")
                            run.kill9()
                        elif kind == "sync_aggregator":
                            sync_times.append(time.monotonic() - t_sync)
                    if worker is not None:
                        worker.join(60)
                else:   # recovery: kill mid-interviews, then again while journals are recovered
                    kill_station(st)
                    st.spawn()
                    time.sleep(rng.uniform(0.0, 1.2 * _median(start_times, 0.5)))
                    kill_station(st)
                    restart(st)
                if sent and sent % 50 < 2 and sent // 50 != last_report:
                    last_report = sent // 50
                    log(f"{sent} kills, {sum(c.interviews for c in crews)} interviews acknowledged")
        finally:
            stop.set()
            for crew in crews:
                crew.join()
        # settle: everything up, then `fieldkit sync` each station until nothing waits
        for server in [fld.aggregator, *fld.stations]:
            if not server.up.is_set():
                server.start()
        for st in fld.stations:
            for _ in range(10):
                run = st.sync_cli()
                run.spawn()
                run.wait(180)
                if station_pending(st) == 0:
                    break
        result = check_field(fld, ledger)
        result.update({
            "kills": sent, "kills_station": sum(s.kills for s in fld.stations),
            "kills_aggregator": fld.aggregator.kills, "kills_sync": sync_kills,
            "scenarios": by_kind,
            "interviews_acknowledged": sum(c.interviews for c in crews),
            "sync_messages": sync_messages, "errors": errors,
            "seconds": round(time.monotonic() - t_begin, 1),
            "station_start_median_s": round(_median(start_times, 0), 3),
        })
        return result
    finally:
        fld.close()
