"""The station's own tables: enumerators, settings, one-time self-administration links.

No respondent data lives here: answers are in process memory, the sealed crash journal
and (once sealed) the outbox. What this file stores is who may sign in (code + PIN hash,
failure count, lockout persisted across restarts), what the aggregator last told us
(approved form hashes, quota status, last sync) and the hashes of one-time links.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any

import sqlite_utils

from fieldkit.db import migrate, open_db

MAX_PIN_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60


def _step1(db: sqlite_utils.Database) -> None:
    db.execute(
        "CREATE TABLE enumerators (code TEXT PRIMARY KEY, pin_hash TEXT,"
        " failures INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0,"
        " created_at REAL NOT NULL)")
    db.execute("CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE selfadmin_links (token_hash TEXT PRIMARY KEY, interview_id TEXT NOT NULL,"
        " expires_at REAL NOT NULL, used_at REAL)")


STEPS = [_step1]


def open_station_db(station_dir: str | Path) -> sqlite_utils.Database:
    db = open_db(Path(station_dir) / "station.db")
    migrate(db, "station", STEPS)
    return db


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _locked(method: Any) -> Any:
    def wrapper(self: "StationStore", *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)
    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


class StationStore:
    """Small typed wrapper over the station tables (one per app).

    The web app's threads share one SQLite connection; every method holds ``lock`` (an
    RLock the app also uses around outbox calls) so that two transactions never
    interleave on it.
    """

    def __init__(self, db: sqlite_utils.Database, lock: Any = None) -> None:
        self.db = db
        self.lock = lock if lock is not None else threading.RLock()

    # --- enumerators ---------------------------------------------------------------
    @_locked
    def add_enumerator(self, code: str) -> bool:
        """Add a code (no PIN yet). Returns False if it already exists."""
        with self.db.conn:
            cur = self.db.execute(
                "INSERT OR IGNORE INTO enumerators (code, created_at) VALUES (?, ?)",
                [code, time.time()])
        return cur.rowcount == 1

    @_locked
    def enumerator(self, code: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT code, pin_hash, failures, locked_until FROM enumerators WHERE code = ?",
            [code]).fetchone()
        if row is None:
            return None
        return {"code": row[0], "pin_hash": row[1], "failures": row[2], "locked_until": row[3]}

    @_locked
    def enumerator_codes(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT code FROM enumerators ORDER BY code")]

    @_locked
    def set_pin_hash(self, code: str, pin_hash: str) -> None:
        with self.db.conn:
            self.db.execute(
                "UPDATE enumerators SET pin_hash = ?, failures = 0, locked_until = 0"
                " WHERE code = ? AND pin_hash IS NULL", [pin_hash, code])

    @_locked
    def record_failure(self, code: str, now: float | None = None) -> int:
        """Count a failed PIN; lock the code after MAX_PIN_FAILURES. Returns failures."""
        now = time.time() if now is None else now
        with self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute("SELECT failures FROM enumerators WHERE code = ?",
                                  [code]).fetchone()
            if row is None:
                return 0
            failures = row[0] + 1
            locked_until = now + LOCKOUT_SECONDS if failures >= MAX_PIN_FAILURES else 0
            self.db.execute("UPDATE enumerators SET failures = ?, locked_until = ? WHERE code = ?",
                            [failures, locked_until, code])
        return failures

    @_locked
    def record_success(self, code: str) -> None:
        with self.db.conn:
            self.db.execute("UPDATE enumerators SET failures = 0, locked_until = 0 WHERE code = ?",
                            [code])

    # --- config kv -----------------------------------------------------------------
    @_locked
    def get(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM config WHERE key = ?", [key]).fetchone()
        return default if row is None else json.loads(row[0])

    @_locked
    def set(self, **values: Any) -> None:
        with self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            for key, value in values.items():
                self.db.execute("INSERT OR REPLACE INTO config (key, value) VALUES (?, ?)",
                                [key, json.dumps(value, sort_keys=True)])

    # --- one-time self-administration links ---------------------------------------
    @_locked
    def add_link(self, token: str, interview_id: str, ttl_seconds: float) -> None:
        with self.db.conn:
            self.db.execute(
                "INSERT INTO selfadmin_links (token_hash, interview_id, expires_at)"
                " VALUES (?, ?, ?)", [_token_hash(token), interview_id, time.time() + ttl_seconds])

    @_locked
    def peek_link(self, token: str) -> str | None:
        """The interview id of an unused, unexpired link, without using it."""
        row = self.db.execute(
            "SELECT interview_id FROM selfadmin_links WHERE token_hash = ? AND used_at IS NULL"
            " AND expires_at > ?", [_token_hash(token), time.time()]).fetchone()
        return row[0] if row else None

    @_locked
    def use_link(self, token: str) -> str | None:
        """Mark the link used (atomically: it works once). Returns its interview id."""
        now = time.time()
        with self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute(
                "SELECT interview_id FROM selfadmin_links WHERE token_hash = ?"
                " AND used_at IS NULL AND expires_at > ?", [_token_hash(token), now]).fetchone()
            if row is None:
                return None
            self.db.execute("UPDATE selfadmin_links SET used_at = ? WHERE token_hash = ?",
                            [now, _token_hash(token)])
        return row[0]

    @_locked
    def link_used(self, interview_id: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM selfadmin_links WHERE interview_id = ? AND used_at IS NOT NULL",
            [interview_id]).fetchone()
        return row is not None

    @_locked
    def drop_links(self, interview_id: str) -> None:
        with self.db.conn:
            self.db.execute("DELETE FROM selfadmin_links WHERE interview_id = ?", [interview_id])
