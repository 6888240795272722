"""Soft quotas on the aggregator: counts per cell, targets, and per-station allocations.

The rules are in :mod:`fieldkit.quotas` (pure functions); this module feeds them from
SQLite. Counts are kept incrementally in ``quota_counts`` by the ingest transaction, and
recent activity in ``station_activity``, so building a sync reply never scans the
submissions table.

Allocation at each sync of station S, for every cell with a target::

    remaining = max(0, target - count)
    reserved  = sum of allocations held by other active stations (not revoked, synced
                within STALE_HOURS): they may be spending them offline right now
    share     = ceil(remaining * w_S / W)        w = 1 + completes in the last ACTIVITY_DAYS
    S gets      min(share, remaining - reserved)  (never below 0)

so the outstanding allocations of all stations never add up to more than the slots
left, and busy stations get more of them. A station that stops syncing for
STALE_HOURS releases its reservation.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

import sqlite_utils

from fieldkit.quotas import Target, allocate_share, remaining, status

from aggregator.db import utc_iso, utc_now

ACTIVITY_DAYS = 7
STALE_HOURS = 72


def targets(db: sqlite_utils.Database, form_ids: Iterable[str] | None = None
            ) -> dict[tuple[str, str], Target]:
    sql = "SELECT form_id, cell_key, target, tolerance FROM quota_cells"
    params: list[Any] = []
    if form_ids is not None:
        ids = sorted(set(form_ids))
        if not ids:
            return {}
        sql += f" WHERE form_id IN ({','.join('?' * len(ids))})"
        params = ids
    return {(f, c): Target(t, tol) for f, c, t, tol in db.execute(sql, params).fetchall()}


def set_target(db: sqlite_utils.Database, form_id: str, cell: str, target: int,
               tolerance: int = 0) -> None:
    """Create or change a cell's target (call inside a transaction)."""
    Target(target, tolerance)  # validates
    db.execute("INSERT INTO quota_cells (form_id, cell_key, target, tolerance, updated_at) "
               "VALUES (?, ?, ?, ?, ?) ON CONFLICT (form_id, cell_key) DO UPDATE SET "
               "target = excluded.target, tolerance = excluded.tolerance, "
               "updated_at = excluded.updated_at", [form_id, cell, target, tolerance, utc_now()])


def counts(db: sqlite_utils.Database) -> dict[tuple[str, str], int]:
    return {(f, c): n for f, c, n in
            db.execute("SELECT form_id, cell_key, count FROM quota_counts").fetchall()}


def add_completes(db: sqlite_utils.Database, form_id: str, cell: str, station: str, day: str,
                  n: int = 1) -> None:
    """Count ``n`` accepted completes (negative to uncount after a review decision)."""
    db.execute("INSERT INTO quota_counts (form_id, cell_key, count) VALUES (?, ?, ?) "
               "ON CONFLICT (form_id, cell_key) DO UPDATE SET count = count + excluded.count",
               [form_id, cell, n])
    db.execute("INSERT INTO station_activity (form_id, station, day, completes) "
               "VALUES (?, ?, ?, ?) ON CONFLICT (form_id, station, day) DO UPDATE SET "
               "completes = completes + excluded.completes", [form_id, station, day, n])


def add_completes_many(db: sqlite_utils.Database, cells: dict[tuple[str, str], int],
                       activity: dict[tuple[str, str, str], int]) -> None:
    """Batch form of ``add_completes``: {(form, cell): n} and {(form, station, day): n}."""
    db.conn.executemany(
        "INSERT INTO quota_counts (form_id, cell_key, count) VALUES (?, ?, ?) "
        "ON CONFLICT (form_id, cell_key) DO UPDATE SET count = count + excluded.count",
        [(f, c, n) for (f, c), n in cells.items()])
    db.conn.executemany(
        "INSERT INTO station_activity (form_id, station, day, completes) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (form_id, station, day) DO UPDATE SET "
        "completes = completes + excluded.completes",
        [(f, st, d, n) for (f, st, d), n in activity.items()])


def consume_allocation(db: sqlite_utils.Database, station: str, used: dict[tuple[str, str], int]
                       ) -> None:
    """Completes that arrived without a sync reply (USB import) spend the station's allocation."""
    for (form_id, cell), n in used.items():
        db.execute("UPDATE allocations SET allocation = MAX(0, allocation - ?), updated_at = ? "
                   "WHERE form_id = ? AND cell_key = ? AND station = ?",
                   [n, utc_now(), form_id, cell, station])


def refresh_allocations(db: sqlite_utils.Database, station: str, now: datetime | None = None
                        ) -> dict[tuple[str, str], int]:
    """Recompute and store ``station``'s allocation of every cell with a target."""
    now = now or datetime.now(timezone.utc)
    stale_cutoff = utc_iso(now - timedelta(hours=STALE_HOURS))
    activity_cutoff = (now - timedelta(days=ACTIVITY_DAYS)).date().isoformat()
    cell_targets = targets(db)
    if not cell_targets:
        return {}
    cell_counts = counts(db)
    active = {r[0] for r in db.execute(
        "SELECT code FROM stations WHERE revoked_at IS NULL AND credential_hash IS NOT NULL "
        "AND last_sync_at >= ?", [stale_cutoff]).fetchall()}
    active.add(station)
    reserved: dict[tuple[str, str], int] = {}
    for form_id, cell, total in db.execute(
            "SELECT a.form_id, a.cell_key, SUM(a.allocation) FROM allocations a "
            "JOIN stations s ON s.code = a.station WHERE a.station != ? "
            "AND s.revoked_at IS NULL AND s.last_sync_at >= ? "
            "GROUP BY a.form_id, a.cell_key", [station, stale_cutoff]).fetchall():
        reserved[(form_id, cell)] = int(total or 0)
    weights: dict[str, dict[str, int]] = {}
    for form_id, st, n in db.execute(
            "SELECT form_id, station, SUM(completes) FROM station_activity WHERE day >= ? "
            "GROUP BY form_id, station", [activity_cutoff]).fetchall():
        weights.setdefault(form_id, {})[st] = int(n or 0)
    result: dict[tuple[str, str], int] = {}
    stamp = utc_iso(now)
    rows = []
    for (form_id, cell), target in sorted(cell_targets.items()):
        form_weights = weights.get(form_id, {})
        total_weight = sum(1 + form_weights.get(s, 0) for s in active)
        share = allocate_share(
            remaining_slots=remaining(cell_counts.get((form_id, cell), 0), target),
            reserved_by_others=reserved.get((form_id, cell), 0),
            weight=1 + form_weights.get(station, 0), total_weight=total_weight)
        result[(form_id, cell)] = share
        rows.append([form_id, cell, station, share, stamp])
    db.conn.executemany("INSERT INTO allocations (form_id, cell_key, station, allocation, updated_at) "
                   "VALUES (?, ?, ?, ?, ?) ON CONFLICT (form_id, cell_key, station) DO UPDATE "
                   "SET allocation = excluded.allocation, updated_at = excluded.updated_at",
                   rows)
    return result


def station_quotas(db: sqlite_utils.Database, allocations: dict[tuple[str, str], int]
                   ) -> dict[str, dict[str, dict[str, Any]]]:
    """The sync reply's ``quotas``: form -> cell -> target, count, tolerance, allocation, status."""
    cell_counts = counts(db)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (form_id, cell), target in sorted(targets(db).items()):
        n = cell_counts.get((form_id, cell), 0)
        out.setdefault(form_id, {})[cell] = {
            "target": target.target, "count": n, "tolerance": target.tolerance,
            "allocation": allocations.get((form_id, cell), 0), "status": status(n, target)}
    return out


def quota_status(db: sqlite_utils.Database, form_id: str | None = None
                 ) -> dict[str, dict[str, dict[str, Any]]]:
    """For dashboards: form -> cell -> target, count, tolerance, status, remaining, and
    ``allocations`` {station: n} (outstanding, as last handed out)."""
    cell_counts = counts(db)
    alloc: dict[tuple[str, str], dict[str, int]] = {}
    for f, c, st, n in db.execute("SELECT a.form_id, a.cell_key, a.station, a.allocation "
                                  "FROM allocations a JOIN stations s ON s.code = a.station "
                                  "WHERE s.revoked_at IS NULL").fetchall():
        alloc.setdefault((f, c), {})[st] = n
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (f, c), target in sorted(targets(db, [form_id] if form_id else None).items()):
        n = cell_counts.get((f, c), 0)
        out.setdefault(f, {})[c] = {
            "target": target.target, "count": n, "tolerance": target.tolerance,
            "status": status(n, target), "remaining": remaining(n, target),
            "allocations": alloc.get((f, c), {})}
    return out
