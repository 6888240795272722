"""The station's outbox: sealed submissions waiting for (and after) sync.

One table, ``outbox``, in the station's SQLite file (opened with
:func:`fieldkit.db.open_db`: WAL, ``synchronous=FULL``, ``secure_delete``). A row
holds the clear header (canonical JSON, plus a few of its fields copied into columns
for queries), the ciphertext as a BLOB and its hash. Nothing else: the row carries
no plaintext, and the station cannot open the ciphertext.

* ``store`` writes the row in one ``BEGIN IMMEDIATE`` transaction, so after a crash
  either the whole sealed submission is there or nothing is. Storing the same uuid
  with the same hash again is a no-op (a retried finish); the same uuid with another
  hash raises ``storage.conflict`` and keeps the first (nothing is overwritten).
* ``mark_synced`` marks a row only when the acknowledged ``ct_hash`` matches, so an
  acknowledgement for other content cannot make the station forget a submission.
* Days (``stats``) are the station's *local* calendar day of storing, because that
  is the day an enumerator and a supervisor talk about.
* ``purge_synced(older_than_days)`` removes acknowledged rows and empties the WAL,
  so a seized laptop does not keep even the clear headers of synced interviews.
* ``local_completes(form_id, cell, since)`` counts completed, non-training
  submissions of that form whose quota values include ``cell``, with ``ended_at``
  (UTC) at or after ``since``.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from typing import Any, Iterable, Iterator

import sqlite_utils

from fieldkit.canonical import canonical_json
from fieldkit.db import migrate
from fieldkit.envelope import SealedItem
from fieldkit.errors import FieldkitError

COMPONENT = "outbox"
_FIELD = re.compile(r"^[a-z][a-z0-9_]{0,127}$")


def _step_1(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            uuid TEXT NOT NULL UNIQUE,
            ct_hash TEXT NOT NULL,
            header TEXT NOT NULL,
            ciphertext BLOB NOT NULL,
            form_id TEXT NOT NULL,
            outcome TEXT NOT NULL,
            training INTEGER NOT NULL,
            quota TEXT NOT NULL,
            ended_at TEXT NOT NULL,
            stored_at TEXT NOT NULL,
            stored_day TEXT NOT NULL,
            synced_at TEXT
        )""")
    db.execute("CREATE INDEX outbox_pending ON outbox (synced_at, training, seq)")
    db.execute("CREATE INDEX outbox_day ON outbox (stored_day, outcome)")


STEPS = [_step_1]


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _row_item(row: tuple[Any, ...]) -> SealedItem:
    header, ciphertext, ct_hash = row
    return SealedItem(header=json.loads(header), ciphertext=bytes(ciphertext), ct_hash=ct_hash)


class Outbox:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        migrate(db, COMPONENT, STEPS)

    # -- writing ---------------------------------------------------------------------
    def store(self, item: SealedItem) -> bool:
        """Store one sealed item in one transaction. True if new, False if already there."""
        return self.store_many([item]) == 1

    def store_many(self, items: Iterable[SealedItem]) -> int:
        """Store items in one transaction: all or none. Returns how many were new.

        A uuid already stored with the same hash is skipped; with another hash the
        whole call fails with ``storage.conflict`` and nothing of it is written.
        """
        items = list(items)
        for item in items:
            item.check()
        conn = self.db.conn
        added = 0
        now = datetime.now().astimezone()
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            for item in items:
                existing = conn.execute("SELECT ct_hash FROM outbox WHERE uuid = ?",
                                        [item.uuid]).fetchone()
                if existing is not None:
                    if existing[0] == item.ct_hash:
                        continue
                    raise FieldkitError("storage.conflict", uuid=item.uuid)
                h = item.header
                conn.execute(
                    "INSERT INTO outbox (uuid, ct_hash, header, ciphertext, form_id, outcome,"
                    " training, quota, ended_at, stored_at, stored_day)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [item.uuid, item.ct_hash, canonical_json(h).decode("utf-8"),
                     item.ciphertext, h["form_id"], h["outcome"], 1 if h["training"] else 0,
                     canonical_json(h["quota"]).decode("utf-8"), h["ended_at"], _utc_now(),
                     now.date().isoformat()])
                added += 1
        return added

    def mark_synced(self, acks: Iterable[tuple[str, str]]) -> int:
        """Mark acknowledged items synced; only rows whose ``ct_hash`` matches. Returns count."""
        acks = list(acks)
        now = _utc_now()
        changed = 0
        conn = self.db.conn
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            for uuid, ct_hash in acks:
                cur = conn.execute(
                    "UPDATE outbox SET synced_at = ? WHERE uuid = ? AND ct_hash = ?"
                    " AND synced_at IS NULL", [now, uuid, ct_hash])
                changed += cur.rowcount
        return changed

    def purge_synced(self, older_than_days: float = 0) -> int:
        """Delete items the aggregator acknowledged more than ``older_than_days`` ago.

        Even sealed, a row keeps its clear header (enumerator, site, times) on a laptop
        that may be seized; once the aggregator holds the item the station no longer
        needs it. ``secure_delete`` zeroes the freed pages and a TRUNCATE checkpoint
        empties the WAL, so the headers do not linger in the files. Returns the count.
        """
        from datetime import timedelta
        cutoff = (datetime.now(timezone.utc) - timedelta(days=older_than_days)).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ")
        conn = self.db.conn
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            cur = conn.execute("DELETE FROM outbox WHERE synced_at IS NOT NULL"
                               " AND synced_at <= ?", [cutoff])
            removed = cur.rowcount
        if removed:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return removed

    # -- reading ---------------------------------------------------------------------
    def pending(self, limit: int = 100) -> list[SealedItem]:
        """Unsynced, non-training items, oldest first."""
        rows = self.db.execute(
            "SELECT header, ciphertext, ct_hash FROM outbox"
            " WHERE synced_at IS NULL AND training = 0 ORDER BY seq LIMIT ?",
            [int(limit)]).fetchall()
        return [_row_item(row) for row in rows]

    def items(self, *, include_training: bool = False) -> Iterator[SealedItem]:
        """Every stored item (synced or not), oldest first: what export reads."""
        sql = "SELECT header, ciphertext, ct_hash FROM outbox"
        if not include_training:
            sql += " WHERE training = 0"
        for row in self.db.execute(sql + " ORDER BY seq").fetchall():
            yield _row_item(row)

    def get(self, uuid: str) -> SealedItem | None:
        row = self.db.execute("SELECT header, ciphertext, ct_hash FROM outbox WHERE uuid = ?",
                              [uuid]).fetchone()
        return _row_item(row) if row else None

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def stats(self, day: str | date | None = None) -> dict[str, Any]:
        """Pending/synced totals (non-training), last sync time, outcomes stored on ``day``."""
        day_s = (day.isoformat() if isinstance(day, date)
                 else day or datetime.now().astimezone().date().isoformat())
        pending, synced, last = self.db.execute(
            "SELECT sum(synced_at IS NULL), sum(synced_at IS NOT NULL), max(synced_at)"
            " FROM outbox WHERE training = 0").fetchone()
        outcomes = {row[0]: row[1] for row in self.db.execute(
            "SELECT outcome, count(*) FROM outbox WHERE stored_day = ? AND training = 0"
            " GROUP BY outcome ORDER BY outcome", [day_s]).fetchall()}
        return {"pending": int(pending or 0), "synced": int(synced or 0),
                "last_synced_at": last, "outcomes": outcomes}

    def local_completes(self, form_id: str, quota_cell: dict[str, str],
                        since: str | None = None) -> int:
        """Completed, non-training submissions of ``form_id`` in ``quota_cell``."""
        sql = ["SELECT count(*) FROM outbox WHERE form_id = ? AND outcome = 'completed'"
               " AND training = 0"]
        params: list[Any] = [form_id]
        for name, code in sorted(quota_cell.items()):
            if not _FIELD.match(name):
                raise FieldkitError("storage.bad_quota_field", field=name)
            sql.append(f"AND json_extract(quota, '$.{name}') = ?")
            params.append(code)
        if since:
            # Headers use "YYYY-MM-DDTHH:MM:SSZ"; bring any ISO form (offset, fraction)
            # to that shape so the string comparison is a time comparison.
            moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            sql.append("AND ended_at >= ?")
            params.append(moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        return int(self.db.execute(" ".join(sql), params).fetchone()[0])
