"""Supervisor pages: quotas, completes per day, approach outcomes, station freshness,
speed flags and the duplicate/conflict review queue.

Everything here is computed from clear submission headers, station sync records and
quota tables. No query in this module selects a ciphertext column, and the aggregator
has no key: a supervisor cannot reach an answer from these pages.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from fieldkit.i18n import N_

from aggregator import charts, supervision
from aggregator.auth import current_user, role_required
from aggregator.review import decide
from aggregator.web import display_timezone, get_db

bp = Blueprint("dashboard", __name__, url_prefix="/supervisor")

SUPERVISORS = ("supervisor", "admin")

# The clear header fields a supervisor may see. Never the ciphertext.
HEADER_COLUMNS = ("id", "uuid", "form_id", "form_hash", "station", "enumerator", "site",
                  "outcome", "keep_partial", "started_at", "ended_at", "n_answered",
                  "over_quota", "training", "received_at", "status")

DECISIONS = ("distinct", "duplicate")
SPEED_LIST_LIMIT = 200      # the fastest ones are listed; the count per enumerator is complete
REVIEW_KINDS = ("conflict", "duplicate_content", "near_duplicate")


# --- reading ----------------------------------------------------------------------------
def _columns(table: str) -> set[str]:
    db = get_db()
    return set(db[table].columns_dict) if table in db.table_names() else set()


# Which stored submissions count, one per approach: completes as the quotas count them
# (``counted``: review decisions included), other outcomes when accepted. Conflicting
# resends and the same answers under another UUID wait in the review queue; training
# never counts.
COUNTED = ("NOT training AND ((outcome = 'completed' AND counted) OR "
           "(outcome != 'completed' AND status = 'accepted'))")
GROUPS = {"site": "site", "enumerator": "enumerator"}   # the only columns grouped by


def _form_filter(form_id: str | None) -> tuple[str, list[Any]]:
    return (" AND form_id = ?", [form_id]) if form_id else ("", [])


def outcome_counts(field: str, form_id: str | None = None) -> list[supervision.OutcomeLine]:
    """Approach outcomes per site or per enumerator (one GROUP BY over header columns)."""
    column = GROUPS[field]
    extra, params = _form_filter(form_id)
    rows = get_db().execute(
        f"SELECT {column}, outcome, COUNT(*) FROM submissions WHERE {COUNTED}{extra} "
        f"GROUP BY {column}, outcome", params).fetchall()
    return supervision.outcome_lines(rows)


def completes_per_day(form_id: str | None = None, days: int = 30) -> list[tuple[str, int]]:
    """Counted completes per local day (display time zone) over the last ``days`` days."""
    tz = display_timezone()
    first, start_utc = supervision.day_window(days, tz)
    offset = tz.utcoffset(datetime.now(timezone.utc).replace(tzinfo=None)) or timedelta(0)
    shift = f"{int(offset.total_seconds() // 60):+d} minutes"
    extra, params = _form_filter(form_id)
    rows = get_db().execute(
        "SELECT substr(datetime(ended_at, ?), 1, 10) AS day, COUNT(*) FROM submissions "
        "WHERE outcome = 'completed' AND counted AND NOT training AND ended_at >= ?"
        f"{extra} GROUP BY day", [shift, start_utc.strftime("%Y-%m-%dT%H:%M:%SZ"), *params]
    ).fetchall()
    return supervision.completes_per_day(dict(rows), first=first, days=days)


_SPEED = ("(julianday(ended_at) - julianday(started_at)) * 86400.0")


def speed_flags(form_id: str | None = None) -> list[supervision.SpeedFlag]:
    """Interviews too fast for their length (``supervision.SpeedRule``), slowest last."""
    rule = _speed_rule()
    db = get_db()
    extra, params = _form_filter(form_id)
    judged = (f"{COUNTED} AND outcome IN ('completed', 'terminated') AND n_answered >= ? "
              f"AND ended_at >= started_at{extra}")
    speeds: dict[str, list[float]] = defaultdict(list)
    for fid, spa in db.execute(f"SELECT form_id, {_SPEED} / n_answered FROM submissions "
                               f"WHERE {judged}", [rule.min_answers, *params]):
        speeds[fid].append(spa)
    flags = []
    for fid, (limit, median) in rule.thresholds(speeds).items():
        for r in db.query(
                f"SELECT uuid, form_id, station, enumerator, site, ended_at, n_answered, "
                f"{_SPEED} AS seconds FROM submissions WHERE {judged} AND form_id = ? "
                f"AND {_SPEED} / n_answered < ?", [rule.min_answers, *params, fid, limit]):
            spa = r["seconds"] / r["n_answered"]
            flags.append(supervision.SpeedFlag(
                uuid=r["uuid"], form_id=r["form_id"], station=r["station"] or "",
                enumerator=r["enumerator"] or "", site=r["site"] or "",
                ended_at=r["ended_at"], n_answered=r["n_answered"], seconds=r["seconds"],
                seconds_per_answer=spa, median_seconds_per_answer=median,
                reason=rule.reason(spa)))
    flags.sort(key=lambda f: f.seconds_per_answer)
    return flags


def form_ids() -> list[str]:
    db = get_db()
    ids: set[str] = set()
    for table in ("submissions", "quota_cells"):
        if table in db.table_names():
            ids.update(r["form_id"] for r in db.query(f"SELECT DISTINCT form_id FROM {table}"))
    return sorted(ids)


def quota_cells(form_id: str | None = None) -> list[dict[str, Any]]:
    """Every quota cell with its target, tolerance, completes and per-station allocations
    (the aggregator's own figures: what stations are told at sync)."""
    from aggregator.quota_service import quota_status

    cells = []
    for fid, by_cell in quota_status(get_db(), form_id).items():
        for key, info in by_cell.items():
            allocations = sorted((st, n) for st, n in info["allocations"].items() if n > 0)
            cells.append({
                "form_id": fid, "cell_key": key, "target": info["target"],
                "tolerance": info["tolerance"], "count": info["count"],
                "status": info["status"], "remaining": info["remaining"],
                "allocations": allocations, "allocated": sum(n for _, n in allocations),
                "bar": charts.quota_bar(info["count"], info["target"], info["tolerance"],
                                        allocations,
                                        label=f"{key}: {info['count']} / {info['target']}")})
    return cells


def station_rows() -> list[dict[str, Any]]:
    db = get_db()
    if "stations" not in db.table_names():
        return []
    have = _columns("stations")
    cols = [c for c in ("code", "created_at", "revoked_at", "last_sync_at",
                        "reported_pending", "reported_at") if c in have]
    return [dict(r) for r in db.query(f"SELECT {', '.join(cols)} FROM stations ORDER BY code")]


def review_items(status: str | None = "open") -> list[dict[str, Any]]:
    db = get_db()
    if "review_items" not in db.table_names():
        return []
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    return [dict(r) for r in db.query(
        f"SELECT * FROM review_items {where} ORDER BY created_at, id", params)]


def _speed_rule() -> supervision.SpeedRule:
    """Thresholds from app config ``SPEED_MIN_SECONDS_PER_ANSWER`` (default 4) and
    ``SPEED_FRACTION_OF_MEDIAN`` (default 0.4)."""
    return supervision.SpeedRule(
        min_seconds_per_answer=float(current_app.config.get("SPEED_MIN_SECONDS_PER_ANSWER",
                                                            4.0)),
        fraction_of_median=float(current_app.config.get("SPEED_FRACTION_OF_MEDIAN", 0.4)))


def _selected_form() -> str | None:
    form = request.args.get("form") or None
    return form if form in form_ids() else None


# --- pages ------------------------------------------------------------------------------
@bp.route("/")
@role_required(*SUPERVISORS)
def overview() -> Any:
    form = _selected_form()
    days = completes_per_day(form)
    cells = quota_cells(form)
    by_form: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for cell in cells:
        by_form[cell["form_id"]].append(cell)
    return render_template(
        "supervisor/overview.html", forms=form_ids(), form=form, quotas=dict(by_form),
        days=days, days_chart=charts.day_columns(days, label="completes per day"),
        totals=supervision.outcome_total(outcome_counts("site", form)),
        stations=supervision.freshness(station_rows()),
        open_reviews=len(review_items("open")),
        speed_count=len(speed_flags(form)),
        outcome_labels=supervision.OUTCOME_LABELS, outcomes=supervision.OUTCOMES,
        charts=charts)


@bp.route("/outcomes")
@role_required(*SUPERVISORS)
def outcomes() -> Any:
    form = _selected_form()
    by_site = outcome_counts("site", form)
    return render_template(
        "supervisor/outcomes.html", forms=form_ids(), form=form,
        by_site=by_site, by_enumerator=outcome_counts("enumerator", form),
        totals=supervision.outcome_total(by_site),
        outcome_labels=supervision.OUTCOME_LABELS, outcomes=supervision.OUTCOMES,
        charts=charts)


@bp.route("/stations")
@role_required(*SUPERVISORS)
def stations() -> Any:
    return render_template("supervisor/stations.html",
                           stations=supervision.freshness(station_rows()))


@bp.route("/speed")
@role_required(*SUPERVISORS)
def speed() -> Any:
    form = _selected_form()
    flags = speed_flags(form)
    rule = _speed_rule()
    return render_template("supervisor/speed.html", forms=form_ids(), form=form,
                           flags=flags[:SPEED_LIST_LIMIT], total=len(flags),
                           by_enumerator=supervision.speed_by_enumerator(flags),
                           min_seconds=rule.min_seconds_per_answer,
                           pct=round(100 * rule.fraction_of_median))


@bp.route("/reviews")
@role_required(*SUPERVISORS)
def reviews() -> Any:
    show = request.args.get("show", "open")
    items = review_items(None if show == "all" else "open")
    return render_template("supervisor/reviews.html", items=items, show=show)


def _headers_of(ids: list[int]) -> dict[int, dict[str, Any]]:
    """Clear headers of the given submission rows (a conflict's two rows share a UUID)."""
    have = _columns("submissions")
    cols = [c for c in HEADER_COLUMNS if c in have]
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    return {r["id"]: dict(r) for r in get_db().query(
        f"SELECT {', '.join(cols)} FROM submissions WHERE id IN ({marks})", ids)}


def _decisions(item_id: int) -> list[dict[str, Any]]:
    db = get_db()
    if "review_decisions" not in db.table_names():
        return []
    return [dict(r) for r in db.query(
        "SELECT * FROM review_decisions WHERE item_id = ? ORDER BY decided_at, id", [item_id])]


@bp.route("/reviews/<int:item_id>", methods=["GET", "POST"])
@role_required(*SUPERVISORS)
def review(item_id: int) -> Any:
    db = get_db()
    rows = list(db.query("SELECT * FROM review_items WHERE id = ?", [item_id])) \
        if "review_items" in db.table_names() else []
    if not rows:
        abort(404)
    item = dict(rows[0])
    error = None
    if request.method == "POST":
        decision = request.form.get("decision")
        note = (request.form.get("note") or "").strip()[:500]
        if decision not in DECISIONS:
            error = "decision"
        else:
            user = current_user()
            assert user is not None
            # Logged with who and when; the quota count follows the decision.
            decide(db, item_id, decision, user["username"], note or None)
            return redirect(url_for("dashboard.reviews"))
    headers = _headers_of([item["submission_a"], item["submission_b"]])
    pair = [headers.get(item["submission_a"], {}), headers.get(item["submission_b"], {})]
    return render_template("supervisor/review.html", item=item, rows=_comparison(pair),
                           decisions=_decisions(item_id), error=error), (400 if error else 200)


# What the review page compares: (label, field, how to show it).
COMPARED = (
    (N_("Submission ID"), "uuid", "short"), (N_("Form version"), "form_hash", "short"),
    (N_("Station"), "station", ""), (N_("Enumerator"), "enumerator", ""),
    (N_("Site"), "site", ""), (N_("Outcome"), "outcome", "outcome"),
    (N_("Started"), "started_at", "when"), (N_("Minutes"), "minutes", ""),
    (N_("Answers"), "n_answered", ""), (N_("Received"), "received_at", "when"),
    (N_("Stored as"), "status", "status"),
)


def _comparison(pair: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for h in pair:
        seconds = supervision.duration_seconds(h) if h else None
        h["minutes"] = None if seconds is None else round(seconds / 60, 1)
    rows = []
    for label, field, how in COMPARED:
        values = [h.get(field) for h in pair]
        rows.append({"label": label, "field": field, "how": how, "cells": values,
                     "same": values[0] is not None and values[0] == values[1]})
    return rows
