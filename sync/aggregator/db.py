"""The aggregator's SQLite schema: every table, as numbered migrations.

One file, one writer at a time (SQLite WAL; readers never block). Steps are applied
by :func:`fieldkit.db.migrate` under the component name ``aggregator``; never edit a
step that has shipped -- append a new one.

What is stored, and what is not:

* ``submissions``: one row per stored sealed submission, with one column per clear
  header field so dashboards can use plain SQL, plus ``header`` (the canonical JSON
  the station bound into HPKE ``info``: export needs those exact bytes) and the
  aggregator's own verdict (``status``, ``counted``, ``over_target``). Answers are not
  here: they exist only inside the ciphertext, which the aggregator cannot open.
* ``ciphertexts``: the sealed bytes, in their own table, so that no dashboard query
  ever touches them.
* Station credentials and enrollment tokens are stored only as SHA-256 hashes.
* Users' passwords only as Argon2id/scrypt strings (``fieldkit.crypto.hash_secret``).
"""

from __future__ import annotations

import fcntl
import os
import secrets
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import sqlite_utils

from fieldkit.db import migrate, open_db

COMPONENT = "aggregator"


def _step1_schema(db: sqlite_utils.Database) -> None:
    statements = [
        # accounts (login, roles, lockout are aggregator-B's; the table is here)
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'irb')),
            password_hash TEXT NOT NULL,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            last_login_at TEXT,
            created_at TEXT NOT NULL)""",
        # the study's public configuration (public keys + dedup secrets; never a private key)
        """CREATE TABLE study (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            study_id TEXT NOT NULL,
            config TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        # every registered form version (the hash is the version the IRB approves)
        """CREATE TABLE form_versions (
            hash TEXT PRIMARY KEY,
            form_id TEXT NOT NULL,
            version TEXT NOT NULL,
            source TEXT NOT NULL,
            data TEXT NOT NULL,
            registered_at TEXT NOT NULL)""",
        "CREATE INDEX form_versions_form ON form_versions (form_id, registered_at)",
        """CREATE TABLE approvals (
            hash TEXT PRIMARY KEY REFERENCES form_versions (hash),
            irb_reference TEXT NOT NULL,
            approved_on TEXT NOT NULL,
            approver TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL)""",
        # stations and their enrollment
        """CREATE TABLE stations (
            code TEXT PRIMARY KEY,
            enumerators TEXT NOT NULL DEFAULT '[]',
            credential_hash TEXT UNIQUE,
            created_at TEXT NOT NULL,
            enrolled_at TEXT,
            revoked_at TEXT,
            last_sync_at TEXT,
            reported_pending INTEGER,
            reported_at TEXT)""",
        """CREATE TABLE enrollment_tokens (
            token_hash TEXT PRIMARY KEY,
            station TEXT NOT NULL REFERENCES stations (code),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT)""",
        # sealed submissions: header columns + verdict; ciphertext kept apart
        """CREATE TABLE submissions (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL,
            ct_hash TEXT NOT NULL,
            form_id TEXT NOT NULL,
            form_hash TEXT NOT NULL,
            key_id TEXT NOT NULL,
            station TEXT NOT NULL,
            enumerator TEXT NOT NULL,
            site TEXT,
            cell_key TEXT NOT NULL,
            quota TEXT NOT NULL,
            outcome TEXT NOT NULL,
            keep_partial INTEGER,
            started_at TEXT NOT NULL,
            ended_at TEXT NOT NULL,
            n_answered INTEGER NOT NULL,
            fingerprint TEXT,
            sketch BLOB,
            over_quota INTEGER NOT NULL,
            training INTEGER NOT NULL,
            payload TEXT NOT NULL,
            header TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('accepted', 'duplicate_content', 'conflict')),
            counted INTEGER NOT NULL DEFAULT 0,
            over_target INTEGER NOT NULL DEFAULT 0,
            received_at TEXT NOT NULL,
            received_via TEXT NOT NULL CHECK (received_via IN ('http', 'bundle')),
            UNIQUE (uuid, ct_hash))""",
        "CREATE INDEX submissions_fingerprint ON submissions (form_id, fingerprint)",
        "CREATE INDEX submissions_cell ON submissions (form_id, cell_key, counted)",
        "CREATE INDEX submissions_station ON submissions (station, received_at)",
        """CREATE TABLE ciphertexts (
            submission_id INTEGER PRIMARY KEY REFERENCES submissions (id),
            uuid TEXT NOT NULL,
            ct_hash TEXT NOT NULL,
            ciphertext BLOB NOT NULL)""",
        # LSH index of similarity sketches (dropped in step 3: now in memory)
        """CREATE TABLE sketch_bands (
            bucket INTEGER NOT NULL,
            submission_id INTEGER NOT NULL,
            PRIMARY KEY (bucket, submission_id)) WITHOUT ROWID""",
        # duplicate review: conflicts, duplicate content, near-duplicates; nothing deleted
        """CREATE TABLE review_items (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('conflict', 'duplicate_content', 'near_duplicate')),
            form_id TEXT NOT NULL,
            uuid_a TEXT NOT NULL,
            uuid_b TEXT NOT NULL,
            submission_a INTEGER NOT NULL REFERENCES submissions (id),
            submission_b INTEGER NOT NULL REFERENCES submissions (id),
            score REAL,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'distinct', 'duplicate')),
            decided_by TEXT,
            decided_at TEXT,
            UNIQUE (kind, submission_a, submission_b))""",
        "CREATE INDEX review_items_status ON review_items (status, created_at)",
        """CREATE TABLE review_decisions (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES review_items (id),
            decision TEXT NOT NULL CHECK (decision IN ('distinct', 'duplicate')),
            decided_by TEXT NOT NULL,
            decided_at TEXT NOT NULL,
            note TEXT)""",
        # soft quotas
        """CREATE TABLE quota_cells (
            form_id TEXT NOT NULL,
            cell_key TEXT NOT NULL,
            target INTEGER NOT NULL CHECK (target >= 0),
            tolerance INTEGER NOT NULL DEFAULT 0 CHECK (tolerance >= 0),
            updated_at TEXT NOT NULL,
            PRIMARY KEY (form_id, cell_key))""",
        """CREATE TABLE quota_counts (
            form_id TEXT NOT NULL,
            cell_key TEXT NOT NULL,
            count INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (form_id, cell_key))""",
        """CREATE TABLE allocations (
            form_id TEXT NOT NULL,
            cell_key TEXT NOT NULL,
            station TEXT NOT NULL REFERENCES stations (code),
            allocation INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (form_id, cell_key, station))""",
        # completes per station, form and day (interview end date): the "recent activity"
        # that allocations are rebalanced by, without scanning submissions at every sync
        """CREATE TABLE station_activity (
            form_id TEXT NOT NULL,
            station TEXT NOT NULL,
            day TEXT NOT NULL,
            completes INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (form_id, station, day))""",
        # one row per sync request or bundle import (rejected items with their codes)
        """CREATE TABLE sync_log (
            id INTEGER PRIMARY KEY,
            station TEXT NOT NULL,
            at TEXT NOT NULL,
            via TEXT NOT NULL,
            items INTEGER NOT NULL,
            accepted INTEGER NOT NULL,
            duplicates INTEGER NOT NULL,
            conflicts INTEGER NOT NULL,
            duplicate_content INTEGER NOT NULL,
            rejected INTEGER NOT NULL,
            rejections TEXT NOT NULL DEFAULT '[]',
            duration_ms INTEGER)""",
        "CREATE INDEX sync_log_station ON sync_log (station, at)",
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '')""",
    ]
    for sql in statements:
        db.execute(sql)


def _step2_login_attempts(db: sqlite_utils.Database) -> None:
    # failed sign-ins per client address (the web side throttles an address that tries
    # many user names; per-account lockout is users.failed_logins / locked_until)
    db.execute("""CREATE TABLE login_attempts (
        id INTEGER PRIMARY KEY,
        address TEXT NOT NULL,
        at TEXT NOT NULL)""")
    db.execute("CREATE INDEX login_attempts_address ON login_attempts (address, at)")


def _step3_band_index_in_memory(db: sqlite_utils.Database) -> None:
    # The LSH index moved into each server process (aggregator.memory_index), built from
    # submissions.sketch: as a table it was derived data that cost every sync batch 800
    # random B-tree writes. ``instance`` gives each database file a random id, so that a
    # process never mistakes one file's in-memory index for another's.
    db.execute("DROP TABLE sketch_bands")
    db.execute("CREATE TABLE instance (id INTEGER PRIMARY KEY CHECK (id = 1), "
               "database_id TEXT NOT NULL)")
    db.execute("INSERT INTO instance (id, database_id) VALUES (1, ?)", [secrets.token_hex(16)])


def _step4_drop_unused_indexes(db: sqlite_utils.Database) -> None:
    # No query reads submissions by (form_id, cell_key, counted) or (station,
    # received_at): quota counts live in quota_counts, the dashboards group whole-table
    # scans. Each index cost every stored submission a B-tree insert under the write lock.
    db.execute("DROP INDEX submissions_cell")
    db.execute("DROP INDEX submissions_station")


def _step5_fingerprints_in_memory(db: sqlite_utils.Database) -> None:
    # Duplicate-content lookups use the in-memory index (aggregator.memory_index): as
    # a B-tree of random HMAC keys it cost every sync batch ~100 scattered leaf pages.
    db.execute("DROP INDEX submissions_fingerprint")


STEPS = [_step1_schema, _step2_login_attempts, _step3_band_index_in_memory,
         _step4_drop_unused_indexes, _step5_fingerprints_in_memory]


def migrate_aggregator(db: sqlite_utils.Database) -> int:
    return migrate(db, COMPONENT, STEPS)


def open_aggregator_db(path: str | Path, *, migrate_schema: bool = True) -> sqlite_utils.Database:
    """Open the aggregator database (WAL, synchronous=FULL) and bring its schema up to date."""
    db = open_db(path)
    if migrate_schema:
        migrate_aggregator(db)
    return db


_LOCAL: dict[tuple[int, str, str], Any] = {}
_LOCAL_GUARD = threading.Lock()
T = TypeVar("T")


def process_local(db: sqlite_utils.Database, name: str, factory: Callable[[], T]) -> T:
    """This process's one ``factory()`` object called ``name`` for the database ``db``.

    Keyed by the database's own random id (table ``instance``), not its path, so a new
    file at an old path never inherits another file's object, and by process id, so a
    forked worker builds its own.
    """
    ident = getattr(db, "_fk_instance", None)
    if ident is None:
        row = db.execute("SELECT database_id FROM instance WHERE id = 1").fetchone()
        ident = row[0] if row else f"connection-{id(db.conn)}"
        db._fk_instance = ident  # type: ignore[attr-defined]
    key = (os.getpid(), ident, name)
    with _LOCAL_GUARD:
        if key not in _LOCAL:
            _LOCAL[key] = factory()
        return _LOCAL[key]  # type: ignore[no-any-return]


_WRITE_LOCKS: dict[str, tuple[threading.RLock, int]] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(db: sqlite_utils.Database) -> tuple[threading.RLock, int] | None:
    """(thread lock, flock fd) for this database file, one pair per process.

    Why: SQLite's busy handler makes a blocked writer *sleep* (up to 100 ms steps)
    instead of waking when the lock frees, so with 2 gunicorn workers x 4 threads all
    writing, sync batches spent most of their time asleep. Queueing writers on a
    threading lock (same process) and ``flock`` (other processes) wakes the next one
    the moment the previous commits. SQLite's own locking still guards correctness.
    """
    row = db.execute("PRAGMA database_list").fetchone()
    path = row[2] if row else ""
    if not path:
        return None          # in-memory database: nothing to share
    key = f"{os.getpid()}:{path}"     # never share an inherited fd across a fork
    with _WRITE_LOCKS_GUARD:
        pair = _WRITE_LOCKS.get(key)
        if pair is None:
            fd = os.open(path + ".writelock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            pair = (threading.RLock(), fd)
            _WRITE_LOCKS[key] = pair
        return pair


_HELD = threading.local()     # write-lock depth of this thread, per database path


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction (``BEGIN IMMEDIATE``): all of it is stored, or none of it.

    Transactions do not nest: calling this inside another transaction on the same
    connection raises at once (instead of waiting on its own lock).
    """
    conn = db.conn
    if conn.in_transaction:
        raise RuntimeError("aggregator.db.transaction: already inside a transaction")
    pair = _write_lock(db)
    held: dict[int, int] = _HELD.__dict__.setdefault("depth", {})
    depth = held.get(pair[1], 0) if pair is not None else 0
    if pair is not None:
        pair[0].acquire()
        if depth == 0:
            fcntl.flock(pair[1], fcntl.LOCK_EX)
        held[pair[1]] = depth + 1
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
    finally:
        if pair is not None:
            held[pair[1]] = depth
            if depth == 0:
                fcntl.flock(pair[1], fcntl.LOCK_UN)
            pair[0].release()
    _maybe_checkpoint(db)


CHECKPOINT_EVERY = 16


def _maybe_checkpoint(db: sqlite_utils.Database) -> None:
    """Copy the WAL back into the database every few commits, *outside* the write lock.

    Server connections turn SQLite's automatic checkpoint off (``tune_connection``):
    it would run inside COMMIT, i.e. while the next writer waits, and nearly every
    sync batch (1-4 MB of WAL: random index pages) would trigger one. A PASSIVE
    checkpoint every CHECKPOINT_EVERY commits runs beside the writers instead, and
    index pages written by several batches are copied once. Durability is unchanged:
    a commit is durable once its WAL frames are fsynced (synchronous=FULL).
    """
    count = getattr(db, "_fk_commits", 0) + 1
    db._fk_commits = count  # type: ignore[attr-defined]
    if count % CHECKPOINT_EVERY == 0:
        db.execute("PRAGMA wal_checkpoint(PASSIVE)")


def utc_now() -> str:
    """Current UTC time, ISO 8601 with a ``Z`` (sorts as text)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
