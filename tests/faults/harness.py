"""Fault harness: real station and aggregator processes, an HTTP driver, kill -9.

Used by tests/faults (quick mode) and bench/faults_full.py (full mode), and the HTTP
client and interview walk by bench/bench_station_load.py.

Pieces:

* :class:`Zygote` forks real server processes from a pre-imported parent (see
  zygote.py: the same ``fieldkit station serve`` / gunicorn code, minus 2-3 s of
  imports per restart). ``FIELDKIT_FAULTS_ZYGOTE=0`` uses plain subprocesses instead.
* :class:`StationServer` / :class:`AggregatorServer`: start, ``kill9`` (SIGKILL to the
  whole process group: gunicorn master and worker, like a power cut), restart.
* :func:`prepare_field`: a study (tests/sync/synctools.make_study), an aggregator
  database with the station test form registered and approved, stations created and
  enrolled through the real ``/api/v1/enroll``.
* :class:`Http`: a cookie-keeping client that parses CSRF tokens from the pages.
* :class:`Enumerator`: signs in with code + PIN and walks whole interviews through the
  station's real routes, learning each interview's uuid from the journal file the
  station creates for it (``journal/<uuid>.fkj``).
* :class:`Ledger`: the test-side ground truth (which uuid was acknowledged with which
  outcome, which were in flight at a kill) and :func:`check_field`, which compares it
  with what the aggregator finally holds.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SYNC_TESTS = ROOT / "tests" / "sync"
STATION_TESTS = ROOT / "tests" / "station"
FORMS_DIR = STATION_TESTS / "forms"
for _p in (str(SYNC_TESTS), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from synctools import Study, db_counts, free_port, make_study  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PENDING_RE = re.compile(r'data-testid="pending"[^>]*>[^0-9<]*([0-9]+)')
CONNECTION_ERRORS = (ConnectionError, http.client.HTTPException, socket.timeout, OSError)


class StationDown(Exception):
    """The station did not answer (killed, or not yet restarted)."""


# --- processes ----------------------------------------------------------------------------

class Zygote:
    """Forks server processes from a parent that has imported them already."""

    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "sync"), str(ROOT),
                                             env.get("PYTHONPATH", "")])
        self.proc = subprocess.Popen([sys.executable, str(HERE / "zygote.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     cwd=str(ROOT), env=env, text=True, bufsize=1)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"zygote failed to start: {line!r}")
        self.lock = threading.Lock()

    def spawn(self, kind: str, args: list[str], env: dict[str, str], log: Path) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        with self.lock:
            self.proc.stdin.write(json.dumps({"kind": kind, "args": args, "env": env,
                                              "log": str(log), "cwd": str(ROOT)}) + "\n")
            self.proc.stdin.flush()
            return int(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc.stdout.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:   # a zombie (plain-subprocess mode, not yet reaped) counts as dead
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _group_alive(pgid: int) -> bool:
    """Is any live (non-zombie) process still in process group ``pgid``?"""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def _kill_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid``.

    A child killed right after the fork may not have called ``setsid()`` yet, so its
    group does not exist: then kill the process itself (it has started nothing yet).
    """
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if _alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class ServerProcess:
    """One server in its own process group, started through a zygote or subprocess."""

    kind = ""

    def __init__(self, workdir: Path, zygote: Zygote | None, port: int | None = None) -> None:
        self.workdir = workdir
        self.zygote = zygote
        self.port = port or free_port()
        self.pid: int | None = None
        self.popen: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"{self.kind}-{self.port}.log"
        self.starts = 0
        self.kills = 0
        self.up = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def args(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return {}

    def command(self) -> list[str]:
        raise NotImplementedError

    def spawn(self) -> None:
        self.starts += 1
        if self.zygote is not None:
            self.pid = self.zygote.spawn(self.kind, self.args(), self.env(), self.log)
            self.popen = None
        else:
            env = dict(os.environ)
            env.update(self.env())
            env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "sync"), str(ROOT)])
            with open(self.log, "ab") as log:
                self.popen = subprocess.Popen(self.command(), env=env, cwd=str(ROOT),
                                              stdout=log, stderr=log, start_new_session=True)
            self.pid = self.popen.pid

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def start(self, timeout: float = 60.0) -> "ServerProcess":
        if self.ready():     # "ready" must mean *this* process answers, never a leftover
            raise RuntimeError(f"{self.kind}: port {self.port} is served by another process")
        self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid is not None and not _alive(self.pid):
                raise RuntimeError(f"{self.kind} exited at start: " + self.tail())
            if self.ready():
                self.up.set()
                return self
            time.sleep(0.02)
        raise RuntimeError(f"{self.kind} did not start: " + self.tail())

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def kill9(self) -> None:
        """SIGKILL the whole process group (master and worker), like a power cut."""
        self.up.clear()
        if self.pid is None:
            return
        _kill_group(self.pid)
        self.kills += 1
        if self.popen is not None:
            self.popen.wait(timeout=10)
        deadline = time.monotonic() + 10
        # every process of the group (gunicorn's worker may outlive the master for a
        # moment, still holding a journal's flock), then the port
        while (_alive(self.pid) or _group_alive(self.pid)) and time.monotonic() < deadline:
            time.sleep(0.005)
        while self.ready() and time.monotonic() < deadline:
            time.sleep(0.005)
        if self.ready():
            raise RuntimeError(f"{self.kind}: port {self.port} still served after SIGKILL")
        self.pid = None

    def stop(self) -> None:
        self.up.clear()
        if self.pid is None:
            return
        try:
            os.killpg(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            self.pid = None
            return
        deadline = time.monotonic() + 15
        while _alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if _alive(self.pid):
            self.kill9()
        if self.popen is not None:
            self.popen.wait(timeout=10)
        self.pid = None


class StationServer(ServerProcess):
    """``fieldkit station serve`` on loopback (gunicorn, one gthread worker)."""

    kind = "station"

    def __init__(self, workdir: Path, zygote: Zygote | None, station_dir: Path,
                 port: int | None = None, threads: int = 4) -> None:
        super().__init__(workdir, zygote, port)
        self.station_dir = station_dir
        self.threads = threads

    def args(self) -> list[str]:
        return ["station", "serve", "--dir", str(self.station_dir), "--forms", str(FORMS_DIR),
                "--host", "127.0.0.1", "--port", str(self.port),
                "--threads", str(self.threads), "--idle-lock", "0"]

    def command(self) -> list[str]:
        return [sys.executable, "-c", "from fieldkit.cli import main; main()", *self.args()]

    def sync_cli(self) -> "SyncRun":
        """``fieldkit sync --dir STATION_DIR`` as its own process (killable)."""
        return SyncRun(self)

    @property
    def journal_dir(self) -> Path:
        return self.station_dir / "journal"

    def journals(self) -> set[str]:
        try:
            return {p.name[:-4] for p in self.journal_dir.iterdir() if p.name.endswith(".fkj")}
        except FileNotFoundError:
            return set()


class SyncRun(ServerProcess):
    """One ``fieldkit sync`` run for a station directory (a process that exits)."""

    kind = "sync"

    def __init__(self, station: "StationServer") -> None:
        super().__init__(station.workdir, station.zygote, port=station.port)
        self.station = station
        self.log = station.workdir / f"sync-{station.station_dir.name}.log"

    def args(self) -> list[str]:
        return ["sync", "--dir", str(self.station.station_dir)]

    def command(self) -> list[str]:
        return [sys.executable, "-c", "from fieldkit.cli import main; main()", *self.args()]

    def wait(self, timeout: float = 120.0) -> bool:
        """True if the run ended by itself within ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid is None or not _alive(self.pid):
                if self.popen is not None:
                    self.popen.wait(timeout=10)
                self.pid = None
                return True
            time.sleep(0.01)
        return False

    def kill9(self) -> None:
        self.up.clear()
        if self.pid is not None:
            _kill_group(self.pid)
            self.kills += 1
            self.wait(10)


class AggregatorServer(ServerProcess):
    """The aggregator as in production: gunicorn with sync/aggregator/gunicorn.conf.py."""

    kind = "aggregator"

    def __init__(self, workdir: Path, zygote: Zygote | None, db_path: Path,
                 port: int | None = None, workers: int = 1) -> None:
        super().__init__(workdir, zygote, port)
        self.db_path = db_path
        self.workers = workers

    def args(self) -> list[str]:
        return ["-c", str(ROOT / "sync" / "aggregator" / "gunicorn.conf.py"),
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                "--error-logfile", str(self.log)]

    def env(self) -> dict[str, str]:
        return {"FIELDKIT_AGGREGATOR_DB": str(self.db_path), "FIELDKIT_AGGREGATOR_WEB": "0",
                "FIELDKIT_AGGREGATOR_SECRET_KEY": "faults"}

    def command(self) -> list[str]:
        return [sys.executable, "-m", "gunicorn", *self.args()]

    def ready(self) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(self.url + "/api/v1/ping", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False


# --- the field: study, aggregator, enrolled stations ---------------------------------------

def st_all_form() -> Any:
    from fieldkit.forms import load_form

    return load_form(FORMS_DIR / "st_all.yaml")


def prepare_offline_station(station_dir: Path, public_key: Any, *, code: str,
                            study_id: str) -> None:
    """A station that is not enrolled: a study config, enumerator E01 and st_all approved."""
    from fieldkit.station.db import StationStore, open_station_db
    from fieldkit.study import StudyConfig, key_id_for

    kid = key_id_for(public_key)
    StudyConfig(study_id=study_id, current_key_id=kid, public_keys={kid: public_key},
                fingerprint_secret=os.urandom(32), sketch_secret=os.urandom(32)
                ).save(station_dir)
    db = open_station_db(station_dir)
    store = StationStore(db)
    store.add_enumerator("E01")
    store.set(approved_forms=[st_all_form().hash], station_code=code)
    db.close()


def prepare_aggregator_db(db_path: Path, study: Study, stations: list[str],
                          enumerators: list[str]) -> dict[str, str]:
    """The station test form registered + approved; stations created. name -> token."""
    from aggregator import registry
    from aggregator import stations as station_service
    from aggregator.db import open_aggregator_db

    form = st_all_form()
    db = open_aggregator_db(db_path)
    try:
        registry.set_study(db, study.config.to_dict())
        registry.register_form(db, form_id=form.id, form_hash=form.hash, version=form.version,
                               source=Path(form.source).read_text(encoding="utf-8"))
        registry.approve_form(db, form.hash, irb_reference="IRB/faults", approved_on="2026-11-01",
                              approver="IRB chair", recorded_by="admin")
        return {name: station_service.create_station(db, name, enumerators=enumerators)
                for name in stations}
    finally:
        db.conn.close()


def enroll_station(station_dir: Path, url: str, token: str) -> None:
    """What ``fieldkit station enroll URL TOKEN`` does (same functions, in-process)."""
    from aggregator.client import SyncClient

    from fieldkit.station.commands import OfflineStation
    from fieldkit.station.syncing import apply_enrollment

    st = OfflineStation(station_dir)
    try:
        apply_enrollment(st, url, SyncClient.enroll(url, token))
    finally:
        st.close()


@dataclass
class Field:
    workdir: Path
    study: Study
    aggregator: AggregatorServer
    stations: list[StationServer]
    enumerators: list[str]
    zygote: Zygote | None

    def close(self) -> None:
        """Stop the servers (the zygote belongs to whoever made it)."""
        for st in self.stations:
            st.stop()
        self.aggregator.stop()


def make_zygote() -> Zygote | None:
    if os.environ.get("FIELDKIT_FAULTS_ZYGOTE", "1") == "0":
        return None
    return Zygote()


def prepare_field(workdir: Path, *, n_stations: int = 1, enumerators: int = 4,
                  zygote: Zygote | None = None, agg_workers: int = 1,
                  station_threads: int = 4) -> Field:
    workdir.mkdir(parents=True, exist_ok=True)
    study = make_study()
    names = [f"ST{i + 1:02d}" for i in range(n_stations)]
    codes = [f"E{i + 1:02d}" for i in range(enumerators)]
    agg_db = workdir / "aggregator" / "aggregator.db"
    agg_db.parent.mkdir(parents=True, exist_ok=True)
    tokens = prepare_aggregator_db(agg_db, study, names, codes)
    agg = AggregatorServer(workdir, zygote, agg_db, workers=agg_workers).start()
    stations = []
    for name in names:
        station_dir = workdir / name
        enroll_station(station_dir, agg.url, tokens[name])
        stations.append(StationServer(workdir, zygote, station_dir, threads=station_threads))
    for st in stations:
        st.start()
    return Field(workdir, study, agg, stations, codes, zygote)


# --- HTTP ---------------------------------------------------------------------------------

class Http:
    """A cookie-keeping HTTP/1.1 client for one browser; no redirects followed.

    ``keepalive=True`` reuses one connection (a phone's browser does); otherwise one
    connection per request (what the crash loop wants: nothing half-open across kills).
    """

    def __init__(self, port: int, *, keepalive: bool = False, timeout: float = 30.0) -> None:
        self.port = port
        self.keepalive = keepalive
        self.timeout = timeout
        self.cookie = ""
        self.token = ""
        self.conn: http.client.HTTPConnection | None = None
        self.last_status = 0

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, data: dict[str, Any] | None = None
                ) -> tuple[int, str, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if data is not None:
            body = urlencode({"csrf_token": self.token, **data}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        reused = self.conn is not None
        try:
            try:
                conn = self._connection()
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if not reused:
                    raise
                # the server closed an idle keep-alive connection: a browser reconnects
                self.close()
                conn = self._connection()
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
            raw = resp.read()
        except CONNECTION_ERRORS as exc:
            self.close()
            raise StationDown(f"{method} {path}: {exc!r}") from exc
        if not self.keepalive or resp.will_close:
            self.close()
        text = raw.decode("utf-8", "replace")
        for header, value in resp.getheaders():
            if header.lower() == "set-cookie" and value.startswith("s="):
                self.cookie = value.split(";", 1)[0]
        m = CSRF_RE.search(text)
        if m:
            self.token = m.group(1)
        location = urlsplit(resp.getheader("Location") or "")
        loc = location.path + (f"?{location.query}" if location.query else "")
        self.last_status = resp.status
        return resp.status, text, loc

    def get(self, path: str) -> tuple[int, str, str]:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, Any]) -> tuple[int, str, str]:
        return self.request("POST", path, data)


class UnexpectedPage(AssertionError):
    """The station answered something a working station never answers (a bug)."""


def _expect(cond: bool, what: str, status: int, text: str) -> None:
    if not cond:
        snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))[:300]
        raise UnexpectedPage(f"{what}: HTTP {status}: {snippet}")


def letters_tag(n: int, prefix: str = "tag") -> str:
    """A per-interview marker made of letters only (the PII redactor leaves it alone)."""
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return f"{prefix} {out} marker"


# Answers for tests/station/forms/st_all.yaml, by question id.
def st_all_answers(rng: random.Random, tag: str) -> dict[str, dict[str, Any]]:
    return {
        "age_band": {"answer": "a18_60"},
        "gender": {"answer": rng.choice(["female", "male", "other"])},
        "years": {"number": str(rng.randint(0, 80))},
        "intro": {},
        "prevalence": {"answer": rng.choice(["somewhat", "very"])},
        "registration": {"answer": rng.choice(["true", "false", "not_sure"])},
        "places": {"answer": rng.sample(["public", "private", "online"], rng.randint(1, 3))},
        "reasons": {"rank_staff": "1", "rank_evidence": "2"},
        "comment": {"text": tag},
        "notes": {"text": rng.choice(["calm", "noisy room", "respondent in a hurry"])},
    }


class Enumerator:
    """One enumerator's browser on the station laptop, walking interviews over HTTP.

    ``step`` says what the request in flight would do, so that when the station dies
    the ledger knows what to expect from it: ``start`` (a journal may exist),
    ``answer`` (in progress: must come back as interrupted), ``ending`` (finish, refusal
    or stop sent: sealed or interrupted, exactly once either way), ``acked`` (the
    station answered "saved"; the closing page is still to load), ``idle``.
    """

    def __init__(self, station: StationServer, code: str, pin: str, *,
                 rng: random.Random, start_lock: threading.Lock | None = None,
                 keepalive: bool = False) -> None:
        self.station = station
        self.code = code
        self.pin = pin
        self.rng = rng
        self.http = Http(station.port, keepalive=keepalive)
        self.start_lock = start_lock or threading.Lock()
        self.signed_in = False
        self.generation = -1          # which start of the station this browser signed in to
        self.step = "idle"
        self.uuid: str | None = None
        self.iid: str | None = None
        self.expected: str | None = None               # outcome of the ending in flight
        self.timings: list[tuple[str, float]] = []     # (kind, seconds) per request
        self.record_timings = False

    def _timed(self, kind: str, fn: Callable[[], tuple[int, str, str]]) -> tuple[int, str, str]:
        t0 = time.perf_counter()
        out = fn()
        if self.record_timings:
            self.timings.append((kind, time.perf_counter() - t0))
        return out

    def get(self, path: str, kind: str = "get") -> tuple[int, str, str]:
        return self._timed(kind, lambda: self.http.get(path))

    def post(self, path: str, data: dict[str, Any], kind: str = "post") -> tuple[int, str, str]:
        return self._timed(kind, lambda: self.http.post(path, data))

    @property
    def session_valid(self) -> bool:
        """Signed in to the station process that is running now (sessions die with it)."""
        return self.signed_in and self.generation == self.station.starts

    def signin(self) -> None:
        self.generation = self.station.starts
        self.http.cookie = ""
        status, text, _ = self.get("/signin", "signin")
        _expect(status == 200, "sign-in page", status, text)
        status, text, loc = self.post("/signin", {"code": self.code, "pin": self.pin},
                                      "signin")
        if status == 200 and 'name="pin2"' in text:
            status, text, loc = self.post("/signin/pin", {"code": self.code, "pin": self.pin,
                                                          "pin2": self.pin}, "signin")
        _expect(status == 302 and loc == "/", "sign in", status, text)
        status, text, _ = self.get("/", "home")
        _expect(status == 200, "home page", status, text)
        self.signed_in = True

    def home(self) -> str:
        status, text, _ = self.get("/", "home")
        _expect(status == 200, "home page", status, text)
        return text

    def pending(self) -> int:
        m = PENDING_RE.search(self.home())
        if not m:
            raise UnexpectedPage("home page without the pending count")
        return int(m.group(1))

    def sync(self, before_send: Callable[[], None] | None = None) -> str:
        """POST /sync (the home page button); returns the message key it redirects with."""
        self.home()
        if before_send:
            before_send()
        status, text, loc = self.post("/sync", {}, "sync")
        _expect(status == 303 and "m=" in loc, "sync", status, text)
        return loc.split("m=", 1)[1]

    def start_interview(self, on_uuid: Callable[[str], None] | None = None,
                        lang: str | None = None) -> str:
        """Start st_all; returns the uuid (seen as the journal file the start created)."""
        self.get("/start")
        site = self.rng.choice(["pune", "nagpur"])
        lang = lang or self.rng.choice(["en", "hi", "mr"])
        with self.start_lock:
            before = self.station.journals()
            self.step = "start"
            self.uuid = None
            try:
                status, text, loc = self.post("/start", {"form": "st_all", "site": site,
                                                         "language": lang, "mode": "laptop"},
                                              "start")
            except StationDown:
                new = self.station.journals() - before
                self.uuid = new.pop() if len(new) == 1 else None
                raise
            _expect(status == 303 and "/consent" in loc, "start", status, text)
            new = self.station.journals() - before
            _expect(len(new) == 1, f"one new journal after start (got {len(new)})", status, text)
            self.uuid = new.pop()
            self.step = "answer"
        if on_uuid:
            on_uuid(self.uuid)
        self.iid = loc.split("/")[2]
        status, text, _ = self.get(loc, "consent")
        _expect(status == 200, "consent page", status, text)
        return self.uuid

    def walk(self, tag: str, *, plan: str = "complete",
             before_end: Callable[[str], None] | None = None) -> str:
        """Consent, answer every question, then end as ``plan`` says.

        plan: ``complete`` (finish and save), ``refuse`` (consent refused), ``stop``
        (stopped half-way, answers kept). Returns the outcome acknowledged by the
        station (the ``/i/done`` redirect after sealing).
        """
        iid = self.iid
        answers = st_all_answers(self.rng, tag)
        if plan == "refuse":
            self.step, self.expected = "ending", "refused"
            if before_end:
                before_end("refused")
            status, text, loc = self.post(f"/i/{iid}/consent", {"action": "refuse"}, "end")
            _expect(status == 303 and loc == "/i/done", "refusal", status, text)
            self.step = "idle"
            return "refused"
        status, text, loc = self.post(f"/i/{iid}/consent",
                                      {"action": "agree", "consent_mode": "verbal"}, "answer")
        _expect(status == 303, "consent", status, text)
        stop_after = self.rng.randint(2, 7) if plan == "stop" else None
        n = 0
        while "/q/" in loc:
            qid = loc.rsplit("/", 1)[1]
            status, text, _ = self.get(loc, "page")
            _expect(status == 200 and f'data-qid="{qid}"' in text, f"question {qid}", status,
                    text)
            if stop_after is not None and n >= stop_after:
                self.get(f"/i/{iid}/stop", "page")
                self.step, self.expected = "ending", "terminated"
                if before_end:
                    before_end("terminated")
                status, text, loc = self.post(f"/i/{iid}/stop", {"keep": "yes"}, "end")
                _expect(status == 303 and loc == "/i/done", "stop", status, text)
                self.step = "idle"
                return "terminated"
            status, text, loc = self.post(loc, {"action": "next", **answers[qid]}, "answer")
            _expect(status == 303, f"answer {qid}", status, text)
            n += 1
        _expect(loc.endswith("/finish"), f"finish page expected, got {loc}", status, text)
        status, text, _ = self.get(loc, "page")
        _expect(status == 200 and 'data-testid="finish"' in text, "finish page", status, text)
        self.step, self.expected = "ending", "completed"
        if before_end:
            before_end("completed")
        status, text, loc = self.post(f"/i/{iid}/finish", {}, "finish")
        _expect(status == 303 and loc == "/i/done", "finish", status, text)
        self.step = "acked"             # the station said it is saved; the page follows
        status, text, _ = self.get("/i/done", "page")
        _expect('data-outcome="completed"' in text, "done page", status, text)
        return "completed"


# --- ground truth -------------------------------------------------------------------------

@dataclass
class Ledger:
    """What the test knows happened, by uuid."""

    acked: dict[str, str] = field(default_factory=dict)       # uuid -> outcome the station said
    uncertain: dict[str, str] = field(default_factory=dict)   # ending in flight at a kill
    in_progress: set[str] = field(default_factory=set)        # mid-interview at a kill
    orphans: set[str] = field(default_factory=set)            # start in flight at a kill
    tags: dict[str, str] = field(default_factory=dict)        # uuid -> comment marker
    station_of: dict[str, str] = field(default_factory=dict)  # uuid -> station dir name
    journals_at_kills: set[str] = field(default_factory=set)  # journal files seen after kills
    lock: threading.Lock = field(default_factory=threading.Lock)

    def lost(self, enum: Enumerator) -> None:
        """The station died while ``enum`` had a request of ``enum.step`` in flight."""
        with self.lock:
            uid = enum.uuid
            if uid is None:
                return
            if enum.step == "start":
                self.orphans.add(uid)
            elif enum.step == "answer":
                self.in_progress.add(uid)
            elif enum.step == "ending":
                self.uncertain[uid] = enum.expected or "completed"
            elif enum.step == "acked":
                self.acked[uid] = enum.expected or "completed"
            enum.step = "idle"
            enum.uuid = None


def aggregator_rows(db_path: Path) -> list[tuple[str, str, str, str]]:
    import sqlite3

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return [tuple(r) for r in conn.execute(
            "SELECT uuid, outcome, station, ct_hash FROM submissions ORDER BY id")]
    finally:
        conn.close()


def station_pending(station: StationServer) -> int:
    from fieldkit.db import open_db
    from fieldkit.outbox import Outbox

    db = open_db(station.station_dir / "station.db")
    try:
        return int(Outbox(db).stats()["pending"])
    finally:
        db.conn.close()


def check_field(fld: Field, ledger: Ledger, *, open_sample: int = 50) -> dict[str, Any]:
    """Compare the aggregator's final holdings with the ledger. Returns counts + problems."""
    from fieldkit.crypto import open_sealed
    from fieldkit.db import open_db
    from fieldkit.outbox import Outbox

    problems: list[str] = []
    known = (set(ledger.acked) | set(ledger.uncertain) | ledger.in_progress | ledger.orphans)
    # a journal on disk at a kill that no enumerator knew the uuid of: a start whose
    # reply never came (the station was restarted before the enumerator looked)
    ledger.orphans |= ledger.journals_at_kills - known
    rows = aggregator_rows(fld.aggregator.db_path)
    seen: dict[str, list[str]] = {}
    for uid, outcome, _station, _h in rows:
        seen.setdefault(uid, []).append(outcome)
    dupes = {u: o for u, o in seen.items() if len(o) > 1}
    if dupes:
        problems.append(f"{len(dupes)} uuids stored more than once: {list(dupes.items())[:5]}")
    for uid, outcome in ledger.acked.items():
        got = seen.get(uid)
        if not got:
            problems.append(f"LOST: acknowledged {outcome} {uid} is not at the aggregator")
        elif got[0] != outcome:
            problems.append(f"acknowledged {outcome} {uid} arrived as {got}")
    for uid, outcome in ledger.uncertain.items():
        got = seen.get(uid)
        if not got:
            problems.append(f"LOST: {uid} (killed while ending as {outcome}) missing")
        elif got[0] not in (outcome, "interrupted"):
            problems.append(f"{uid} (killed while ending as {outcome}) arrived as {got}")
    for uid in ledger.in_progress:
        got = seen.get(uid)
        if not got:
            problems.append(f"LOST: interview {uid} in progress at a kill is missing")
        elif got[0] != "interrupted":
            problems.append(f"interview {uid} in progress at a kill arrived as {got}")
        if uid not in ledger.journals_at_kills:
            problems.append(f"interview {uid} in progress at a kill had no journal on disk")
    for uid in ledger.orphans:
        got = seen.get(uid)
        if got and got[0] != "interrupted":
            problems.append(f"start in flight {uid} arrived as {got}")
    known = (set(ledger.acked) | set(ledger.uncertain) | ledger.in_progress | ledger.orphans)
    phantom = set(seen) - known
    if phantom:
        problems.append(f"{len(phantom)} uuids at the aggregator the test never started: "
                        f"{sorted(phantom)[:5]}")
    counts = db_counts(fld.aggregator.db_path)
    completed_rows = sum(1 for r in rows if r[1] == "completed")
    if counts["counted"] != completed_rows or counts["counted_uuids"] != completed_rows:
        problems.append(f"quota counting: {counts} vs {completed_rows} completed rows")
    if counts["ciphertexts"] != len(rows):
        problems.append(f"{counts['ciphertexts']} ciphertexts for {len(rows)} submissions")
    # every station's outbox is fully synced, and what the aggregator holds is the same
    # ciphertext; a sample of acknowledged completes opens with the study key and holds
    # the marker the test typed into that very interview.
    agg_hash = {r[0]: r[3] for r in rows}
    pending = 0
    opened = 0
    empty_left = 0
    for st in fld.stations:
        db = open_db(st.station_dir / "station.db")
        try:
            ob = Outbox(db)
            pending += ob.stats()["pending"]
            for item in ob.items():
                if agg_hash.get(item.uuid) not in (None, item.ct_hash):
                    problems.append(f"{item.uuid}: aggregator holds other bytes than the station")
                if (opened < open_sample and ledger.acked.get(item.uuid) == "completed"
                        and item.uuid in ledger.tags):
                    answers = open_sealed(item, fld.study.private_key)["answers"]
                    if answers.get("comment") != ledger.tags[item.uuid]:
                        problems.append(f"{item.uuid}: sealed answers are another interview's")
                    opened += 1
        finally:
            db.conn.close()
        left = st.journals()
        # A kill between creating the file and writing its first bytes leaves an empty
        # journal: nothing in it (no uuid even), but recover_journals never deletes it
        # (reported; fieldkit/journal.py). Counted apart from real leftovers.
        empty = {u for u in left
                 if b"FKJ1".startswith((st.journal_dir / f"{u}.fkj").read_bytes())}
        empty_left += len(empty)
        left -= empty
        if left:
            where = {u: ("acked" if u in ledger.acked else "ending" if u in ledger.uncertain
                         else "in progress" if u in ledger.in_progress
                         else "start in flight" if u in ledger.orphans else "unknown")
                     for u in left}
            problems.append(f"{st.station_dir.name}: journals left after recovery: {where}")
    if pending:
        problems.append(f"{pending} submissions still waiting to sync")
    outcomes: dict[str, int] = {}
    for _u, outcome, _s, _h in rows:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return {"problems": problems, "aggregator_rows": len(rows), "outcomes": outcomes,
            "acked": len(ledger.acked), "uncertain": len(ledger.uncertain),
            "in_progress_at_kill": len(ledger.in_progress), "orphans": len(ledger.orphans),
            "journals_seen": len(ledger.journals_at_kills), "opened": opened,
            "empty_journals_left": empty_left}
