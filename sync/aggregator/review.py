"""Duplicate review decisions. Flask-free. Nothing is ever deleted.

A supervisor marks a review item ``distinct`` or ``duplicate``; the decision is
appended to ``review_decisions`` and the item's status updated, in one transaction,
and the quota count follows the decision:

* ``duplicate`` on a pair whose newer submission (``submission_b``) is a counted
  complete: it stops counting (the older one keeps counting).
* ``distinct`` on a ``duplicate_content`` item whose newer submission is a complete:
  it starts counting (two real interviews that happened to give the same answers).
* Conflicts are never counted a second time (same UUID), whatever the decision.

A later decision on the same item replaces the effect of the earlier one.
"""

from __future__ import annotations

import sqlite_utils

from fieldkit.errors import FieldkitError

from aggregator import quota_service
from aggregator.db import transaction, utc_now
from aggregator.registry import audit

DECISIONS = ("distinct", "duplicate")


def _should_count(kind: str, status: str, decision: str, outcome: str) -> bool:
    if outcome != "completed" or status == "conflict" or kind == "conflict":
        return False
    if kind == "near_duplicate":
        return decision != "duplicate"
    # duplicate_content: counted only once declared distinct
    return decision == "distinct"


def decide(db: sqlite_utils.Database, item_id: int, decision: str, decided_by: str,
           note: str | None = None) -> None:
    if decision not in DECISIONS:
        raise FieldkitError("general.bad_request", reason="decision must be distinct or duplicate")
    now = utc_now()
    with transaction(db):
        row = db.execute("SELECT kind, submission_b FROM review_items WHERE id = ?",
                         [item_id]).fetchone()
        if row is None:
            raise FieldkitError("general.not_found")
        kind, sid = row
        db.execute("INSERT INTO review_decisions (item_id, decision, decided_by, decided_at, note) "
                   "VALUES (?, ?, ?, ?, ?)", [item_id, decision, decided_by, now, note])
        db.execute("UPDATE review_items SET status = ?, decided_by = ?, decided_at = ? "
                   "WHERE id = ?", [decision, decided_by, now, item_id])
        sub = db.execute("SELECT status, outcome, counted, form_id, cell_key, station, ended_at "
                         "FROM submissions WHERE id = ?", [sid]).fetchone()
        if sub is not None:
            status, outcome, counted, form_id, cell, station, ended_at = sub
            want = _should_count(kind, status, decision, outcome)
            if want != bool(counted):
                db.execute("UPDATE submissions SET counted = ? WHERE id = ?", [int(want), sid])
                quota_service.add_completes(db, form_id, cell, station, ended_at[:10],
                                            1 if want else -1)
        audit(db, decided_by, "review.decide", f"{item_id} {kind} {decision}")
