"""Sign-in with enumerator code + PIN, first-time PIN, idle/quick-exit lock and unlock.

No names anywhere: an enumerator is a code. A PIN is set at first sign-in and stored
only as ``fieldkit.crypto.hash_secret``. Five wrong PINs lock the code for a while; the
count and the lock are in station.db, so restarting the server does not reset them.
"""

from __future__ import annotations

import re
import time
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from fieldkit.i18n import normalise_language
from fieldkit.station.app import _, current_record, safe_next, state

bp = Blueprint("auth", __name__)

PIN_RE = re.compile(r"^[0-9]{4,12}$")

def hash_pin(pin: str) -> str:
    from fieldkit.crypto import hash_secret

    return hash_secret(pin)  # KDF calls are serialised in fieldkit.crypto (deadlock guard)


def verify_pin(pin: str, stored: str) -> bool:
    from fieldkit.crypto import verify_secret

    return verify_secret(pin, stored)


def _lockout_message(locked_until: float) -> str:
    minutes = max(1, int((locked_until - time.time() + 59) // 60))
    return _("Too many wrong PINs. Try again in {n} minutes.", n=minutes)


def _start_session(code: str, lang: str) -> Any:
    st = state()
    old = session.get("sid")
    if old:
        st.sessions.drop(old)
    session.clear()
    rec = st.sessions.create("enumerator", code, ui_lang=lang)
    session["sid"] = rec.sid
    g.record = rec
    return redirect(url_for("home.index"))


def _check_pin(code: str, pin: str) -> tuple[bool, str | None]:
    """(ok, error message). Counts failures and applies the persisted lockout."""
    st = state()
    with st.db_lock:
        ent = st.store.enumerator(code)
    if ent is None or not ent["pin_hash"]:
        return False, _("That code and PIN do not match.")
    if ent["locked_until"] > time.time():
        return False, _lockout_message(ent["locked_until"])
    if verify_pin(pin, ent["pin_hash"]):
        with st.db_lock:
            st.store.record_success(code)
        return True, None
    with st.db_lock:
        st.store.record_failure(code)
        ent = st.store.enumerator(code)
    if ent and ent["locked_until"] > time.time():
        return False, _lockout_message(ent["locked_until"])
    return False, _("That code and PIN do not match.")


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> Any:
    lang = normalise_language(request.values.get("lang"))
    g.lang = lang
    if request.method != "POST":
        return render_template("signin.html", error=None, code="", lang=lang,
                               setup_allowed=_setup_allowed())
    code = (request.form.get("code") or "").strip()
    pin = request.form.get("pin") or ""
    st = state()
    with st.db_lock:
        ent = st.store.enumerator(code) if code else None
    if ent is not None and not ent["pin_hash"]:
        return render_template("set_pin.html", code=code, error=None, lang=lang)
    ok, error = _check_pin(code, pin)
    if not ok:
        return render_template("signin.html", error=error, code=code, lang=lang), 401
    return _start_session(code, lang)


@bp.route("/signin/pin", methods=["POST"])
def set_pin() -> Any:
    lang = normalise_language(request.form.get("lang"))
    g.lang = lang
    code = (request.form.get("code") or "").strip()
    pin = request.form.get("pin") or ""
    st = state()
    with st.db_lock:
        ent = st.store.enumerator(code) if code else None
    if ent is None or ent["pin_hash"]:
        return redirect(url_for("auth.signin", lang=lang))
    if not PIN_RE.match(pin):
        error = _("A PIN is 4 to 12 digits.")
    elif pin != request.form.get("pin2"):
        error = _("The two PINs are not the same.")
    else:
        with st.db_lock:
            st.store.set_pin_hash(code, hash_pin(pin))
        return _start_session(code, lang)
    return render_template("set_pin.html", code=code, error=error, lang=lang), 400


@bp.route("/unlock", methods=["GET", "POST"])
def unlock() -> Any:
    rec = current_record()
    st = state()
    if rec is None:
        return redirect(url_for("auth.signin"))
    if not rec.locked:
        return redirect(safe_next(rec.resume) or url_for("home.index"))
    if request.method != "POST":
        return render_template("unlock.html", error=None)
    ok, error = _check_pin(rec.enumerator, request.form.get("pin") or "")
    if not ok:
        with st.db_lock:
            ent = st.store.enumerator(rec.enumerator)
        if ent and ent["locked_until"] > time.time():
            st.sessions.drop(rec.sid)
            session.clear()
        return render_template("unlock.html", error=error), 401
    rec.locked = False
    rec.last_seen = time.time()
    target = safe_next(rec.resume)
    rec.resume = None
    if rec.role == "respondent":
        target = target if target and rec.interview_id and rec.interview_id in target else None
        return redirect(target or url_for("interview.resume", iid=rec.interview_id))
    return redirect(target or url_for("home.index"))


@bp.route("/signout", methods=["POST"])
def signout() -> Any:
    rec = current_record()
    if rec is not None:
        state().sessions.drop(rec.sid)
    session.clear()
    return redirect(url_for("auth.signin"))


@bp.route("/lang", methods=["POST"])
def ui_lang() -> Any:
    rec = current_record()
    rec.ui_lang = normalise_language(request.form.get("lang"))
    return redirect(safe_next(request.form.get("next")) or url_for("home.index"))


def _lock_everything() -> None:
    rec = current_record()
    st = state()
    st.sessions.lock_station(rec)


@bp.route("/n")
def neutral() -> Any:
    """The neutral page quick exit lands on. Arriving here also locks the station."""
    _lock_everything()
    return render_template("neutral.html")


@bp.route("/exit", methods=["POST"])
def quick_exit() -> Any:
    """Quick exit without JavaScript: lock, then the neutral page (303: Back won't repost)."""
    _lock_everything()
    return redirect(url_for("auth.neutral"), code=303)


def _setup_allowed() -> bool:
    """First run only, and only from the laptop itself (not from a phone on the hotspot)."""
    st = state()
    return (not st.store.get("credential") and st.study is None and not st.training
            and request.remote_addr in ("127.0.0.1", "::1"))


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> Any:
    """Enroll a new station by pasting the enrollment code (the admin's QR code text)."""
    from fieldkit.errors import FieldkitError

    lang = normalise_language(request.values.get("lang"))
    g.lang = lang
    if not _setup_allowed():
        return redirect(url_for("auth.signin"))
    if request.method != "POST":
        return render_template("setup.html", error=None, lang=lang)
    from aggregator.client import SyncClient, parse_enrollment_code

    from fieldkit.station.syncing import apply_enrollment

    st = state()
    try:
        url, token = parse_enrollment_code(request.form.get("code") or "")
        reply = SyncClient.enroll(url, token, lang=lang)
        apply_enrollment(st, url, reply)
    except FieldkitError as exc:
        return render_template("setup.html", error=exc.message(lang), lang=lang), 400
    except OSError:
        return render_template("setup.html", error=_("The aggregator could not be reached."),
                               lang=lang), 502
    return redirect(url_for("auth.signin", lang=lang), code=303)
