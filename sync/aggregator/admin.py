"""Study admin pages: enroll stations (one-time token as a QR code), revoke them,
record IRB approvals of form versions, and unlock accounts locked by failed sign-ins."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from markupsafe import Markup

from fieldkit.errors import FieldkitError

from aggregator import irb, supervision
from aggregator.auth import audit, current_user, iso, role_required, utcnow
from aggregator.db import transaction
from aggregator.web import get_db

bp = Blueprint("admin", __name__, url_prefix="/admin")

ADMIN = ("admin",)


def qr_svg(text: str) -> Markup:
    """``text`` as an inline SVG QR code (no image file, no external request)."""
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buf = io.BytesIO()
    img.save(buf)
    svg = buf.getvalue().decode("utf-8")
    svg = svg[svg.index("<svg"):]  # drop the XML declaration: it is inline HTML now
    return Markup(svg.replace("<svg ", '<svg class="qr" role="img" aria-label="QR" ', 1))


@bp.route("/")
@role_required(*ADMIN)
def home() -> Any:
    from aggregator.dashboard import station_rows
    versions = irb.form_versions()
    pending = [v for v in versions if not v["approvals"]]
    from aggregator.quota_service import targets
    return render_template("admin/home.html", stations=supervision.freshness(station_rows()),
                           pending=pending, users=user_rows(), n_cells=len(targets(get_db())))


# --- stations ---------------------------------------------------------------------------
def _enumerator_codes(text: str) -> list[str]:
    return [c for c in re.split(r"[\s,;]+", text.strip()) if c]


@bp.route("/stations", methods=["GET", "POST"])
@role_required(*ADMIN)
def stations() -> Any:
    from aggregator import stations as station_service
    from aggregator.dashboard import station_rows

    enrolled = None
    error = None
    if request.method == "POST":
        code = (request.form.get("code") or "").strip()
        enumerators = _enumerator_codes(request.form.get("enumerators") or "")
        try:
            token = station_service.create_station(get_db(), code, enumerators=enumerators,
                                                   actor=_actor())
        except FieldkitError as exc:
            error = exc.message(g.lang)
        else:
            payload = station_service.enrollment_code(
                current_app.config.get("PUBLIC_URL") or request.host_url, token)
            enrolled = {"code": code, "token": token, "payload": payload,
                        "qr": qr_svg(payload), "enumerators": enumerators}
    return render_template("admin/stations.html",
                           stations=supervision.freshness(station_rows()),
                           enrolled=enrolled, error=error,
                           form_values=request.form), (400 if error else 200)


def _actor() -> str:
    user = current_user()
    assert user is not None
    return str(user["username"])


@bp.route("/stations/<code>/token", methods=["POST"])
@role_required(*ADMIN)
def new_token(code: str) -> Any:
    """A fresh one-time enrollment code for an existing station (a replaced laptop);
    the station's old credential stops working once the new laptop enrolls."""
    from aggregator import stations as station_service
    from aggregator.dashboard import station_rows

    if not any(s["code"] == code for s in station_rows()):
        abort(404)
    try:
        token = station_service.issue_token(get_db(), code, actor=_actor())
    except FieldkitError as exc:    # revoked
        return render_template("admin/stations.html",
                               stations=supervision.freshness(station_rows()), enrolled=None,
                               error=exc.message(g.lang), form_values={}), 400
    payload = station_service.enrollment_code(
        current_app.config.get("PUBLIC_URL") or request.host_url, token)
    enrolled = {"code": code, "token": token, "payload": payload, "qr": qr_svg(payload)}
    return render_template("admin/stations.html", stations=supervision.freshness(station_rows()),
                           enrolled=enrolled, error=None, form_values={})


@bp.route("/stations/<code>/revoke", methods=["GET", "POST"])
@role_required(*ADMIN)
def revoke(code: str) -> Any:
    """Revoke a station, after a confirmation page (a mis-tap must not stop a station)."""
    from aggregator import stations as station_service
    from aggregator.dashboard import station_rows

    station = next((s for s in supervision.freshness(station_rows()) if s.code == code), None)
    if station is None:
        abort(404)
    if request.method == "GET":
        return render_template("admin/revoke.html", station=station)
    station_service.revoke_station(get_db(), code, actor=_actor())
    return redirect(url_for("admin.stations"))


# --- approvals --------------------------------------------------------------------------
@bp.route("/approvals/<form_hash>", methods=["POST"])
@role_required(*ADMIN)
def record_approval(form_hash: str) -> Any:
    """Record the IRB's decision on a form version: reference, date, approver."""
    from aggregator.registry import approve_form

    row = irb.version_row(form_hash)   # 404 for an unknown hash
    reference = (request.form.get("irb_reference") or "").strip()[:100]
    approver = (request.form.get("approver") or "").strip()[:100]
    approved_on = (request.form.get("approved_on") or "").strip()
    try:
        valid_date = date.fromisoformat(approved_on) <= utcnow().date()
    except ValueError:
        valid_date = False
    if not reference or not approver or not valid_date:
        return render_template("irb/version.html", v=row,
                               siblings=[v for v in irb.form_versions()
                                         if v["form_id"] == row["form_id"]],
                               approvals=irb.approvals_by_hash().get(form_hash, []),
                               approval_error=True, form_values=request.form), 400
    approve_form(get_db(), form_hash, irb_reference=reference, approved_on=approved_on,
                 approver=approver, recorded_by=_actor())
    return redirect(url_for("irb.version", form_hash=form_hash))


# --- accounts ---------------------------------------------------------------------------
def user_rows() -> list[dict[str, Any]]:
    now = iso(utcnow())
    rows = [dict(r) for r in get_db().query(
        "SELECT id, username, role, failed_logins, locked_until FROM users ORDER BY username")]
    for r in rows:
        r["locked"] = bool(r["locked_until"] and r["locked_until"] > now)
    return rows


@bp.route("/users")
@role_required(*ADMIN)
def users() -> Any:
    return render_template("admin/users.html", users=user_rows())


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@role_required(*ADMIN)
def unlock(user_id: int) -> Any:
    db = get_db()
    rows = list(db.query("SELECT username FROM users WHERE id = ?", [user_id]))
    if not rows:
        abort(404)
    with transaction(db):
        db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?",
                   [user_id])
        audit("user.unlock", rows[0]["username"])
    return redirect(url_for("admin.users"))


# --- audit log --------------------------------------------------------------------------
AUDIT_PAGE = 200


@bp.route("/audit")
@role_required(*ADMIN)
def audit_log() -> Any:
    """Who did what and when: sign-ins, lockouts, approvals, stations, quotas, reviews."""
    try:
        before = int(request.args.get("before") or 0)
    except ValueError:
        before = 0
    where, params = ("WHERE id < ?", [before]) if before > 0 else ("", [])
    rows = [dict(r) for r in get_db().query(
        f"SELECT id, at, actor, action, detail FROM audit_log {where} ORDER BY id DESC "
        f"LIMIT {AUDIT_PAGE}", params)]
    older = rows[-1]["id"] if len(rows) == AUDIT_PAGE else None
    return render_template("admin/audit.html", rows=rows, older=older)


# --- quotas -----------------------------------------------------------------------------
def _parse_cell(text: str) -> str | None:
    """``site=pune; gender=female`` (any order, spaces allowed) -> canonical cell key."""
    from fieldkit.quotas import cell_key, parse_cell_key

    cleaned = ";".join(part.strip() for part in re.split(r"[;,]", text) if part.strip())
    try:
        values = parse_cell_key(cleaned)
        return cell_key(values) if values else None
    except ValueError:
        return None


@bp.route("/quotas", methods=["GET", "POST"])
@role_required(*ADMIN)
def quotas() -> Any:
    """Targets and tolerances per quota cell; stations get allocations at their next sync."""
    from aggregator.dashboard import form_ids, quota_cells
    from aggregator.quota_service import set_target

    db = get_db()
    error = None
    if request.method == "POST":
        form_id = (request.form.get("form_id") or "").strip()
        cell = _parse_cell(request.form.get("cell_key") or "")
        try:
            target = int(request.form.get("target") or "")
            tolerance = int(request.form.get("tolerance") or "0")
        except ValueError:
            target = tolerance = -1
        known = set(form_ids()) | {r["form_id"] for r in irb.form_versions()}
        if form_id not in known or cell is None or target < 0 or tolerance < 0:
            error = True
        else:
            with transaction(db):
                set_target(db, form_id, cell, target, tolerance)
                audit("quota.set", f"{form_id} {cell} target={target} tolerance={tolerance}")
            return redirect(url_for("admin.quotas"))
    forms = sorted(set(form_ids()) | {r["form_id"] for r in irb.form_versions()})
    return render_template("admin/quotas.html", cells=quota_cells(), forms=forms,
                           error=error, form_values=request.form), (400 if error else 200)
