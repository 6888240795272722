"""Accounts, sign-in and roles for the aggregator's pages.

Accounts (``users``: username, role admin|supervisor|irb, password hash) are created by
``fieldkit aggregator create-user``. Passwords are checked with
``fieldkit.crypto.verify_secret``. Failed sign-ins are counted in the database
(``failed_logins``); after ``LOGIN_MAX_FAILURES`` in a row the account is locked until
``locked_until`` (``LOGIN_LOCK_SECONDS``), so the limit holds across workers and restarts.

The session cookie is signed, not encrypted: it holds the user id, a fingerprint of the
password hash (a password change ends old sessions) and the language -- nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from functools import wraps
from typing import Any, Callable

from flask import (Blueprint, abort, current_app, g, redirect, render_template, request,
                   session, url_for)

from aggregator.web import get_db

bp = Blueprint("auth", __name__)

ROLES: tuple[str, ...] = ("admin", "supervisor", "irb")
DEFAULT_MAX_FAILURES = 5
DEFAULT_LOCK_SECONDS = 15 * 60
# A valid hash of a random password: checked against when the username is unknown so
# that an unknown name takes as long to refuse as a wrong password.
_DUMMY_HASH: str | None = None


def utcnow() -> datetime:
    clock = current_app.config.get("CLOCK")
    return clock() if clock else datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _hash_tag(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _find_user(username: str) -> dict[str, Any] | None:
    rows = list(get_db().query("SELECT * FROM users WHERE username = ?", [username]))
    return dict(rows[0]) if rows else None


def current_user() -> dict[str, Any] | None:
    """The signed-in user for this request (id, username, role), or None."""
    if "web_user" in g:
        return g.web_user
    user = None
    uid = session.get("uid")
    if uid is not None:
        rows = list(get_db().query(
            "SELECT id, username, role, password_hash FROM users WHERE id = ?", [uid]))
        if rows and hmac.compare_digest(_hash_tag(rows[0]["password_hash"]),
                                        str(session.get("pw", ""))):
            user = {k: rows[0][k] for k in ("id", "username", "role")}
        else:
            session.pop("uid", None)
            session.pop("pw", None)
    g.web_user = user
    return user


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only users whose role is in ``roles`` reach the view.

    Anonymous: a GET is sent to the sign-in page (``next`` kept); anything else gets 401.
    Signed in with another role: 403. The allowed roles are recorded on the view
    (``view.allowed_roles``) so tests can walk ``app.url_map`` and check every route.
    """
    for role in roles:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                if request.method in ("GET", "HEAD"):
                    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
                abort(401)
            if user["role"] not in roles:
                abort(403)
            return view(*args, **kwargs)

        guarded.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return guarded

    return decorate


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("web_home")
    return target


def _dummy_verify(password: str) -> None:
    global _DUMMY_HASH
    from fieldkit.crypto import hash_secret, verify_secret
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_secret("fieldkit-not-a-user-password")
    verify_secret(password, _DUMMY_HASH)


def check_login(username: str, password: str) -> tuple[dict[str, Any] | None, str]:
    """Verify a sign-in. Returns ``(user, "")`` or ``(None, reason)`` where reason is
    ``"bad"`` (unknown user or wrong password) or ``"locked"``. Counts failures."""
    from fieldkit.crypto import verify_secret

    db = get_db()
    now = utcnow()
    user = _find_user(username)
    if user is None:
        _dummy_verify(password)
        return None, "bad"
    locked_until = _parse(user.get("locked_until"))
    if locked_until is not None and locked_until > now:
        return None, "locked"
    if verify_secret(password, user["password_hash"]):
        db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ? "
                   "WHERE id = ?", [iso(now), user["id"]])
        return user, ""
    max_failures = int(current_app.config.get("LOGIN_MAX_FAILURES", DEFAULT_MAX_FAILURES))
    lock_seconds = int(current_app.config.get("LOGIN_LOCK_SECONDS", DEFAULT_LOCK_SECONDS))
    # One statement: concurrent wrong guesses all count.
    db.execute("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?", [user["id"]])
    failures = db.execute("SELECT failed_logins FROM users WHERE id = ?",
                          [user["id"]]).fetchone()[0]
    if failures >= max_failures:
        db.execute("UPDATE users SET locked_until = ?, failed_logins = 0 WHERE id = ?",
                   [iso(now + timedelta(seconds=lock_seconds)), user["id"]])
        audit("login.locked", username)
        return None, "locked"
    return None, "bad"


def audit(action: str, detail: str = "", actor: str | None = None) -> None:
    """Append to the aggregator's audit log as the signed-in user (or ``actor``)."""
    from aggregator.registry import audit as write_audit

    if actor is None:
        user = current_user()
        actor = user["username"] if user else ""
    write_audit(get_db(), actor, action, detail)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        if current_user() is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("login.html", next=request.args.get("next", ""), error=None)
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    user, reason = (None, "bad") if not username or not password else check_login(
        username, password)
    if user is None:
        status = 429 if reason == "locked" else 401
        return render_template("login.html", next=request.form.get("next", ""),
                               error=reason, username=username), status
    lang = session.get("lang")
    session.clear()  # a fresh session at every sign-in
    session.permanent = True
    session["uid"] = user["id"]
    session["pw"] = _hash_tag(user["password_hash"])
    if lang:
        session["lang"] = lang
    g.pop("web_user", None)
    audit("login", "", actor=user["username"])
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))

