"""The field station's Flask app factory.

``create_app(config)`` with the contract's keys: ``STATION_DIR`` (station.db, journal/,
study.json), ``FORMS_DIR``, ``TRAINING`` (bool), ``IDLE_LOCK_SECONDS``, ``SECRET_KEY``.
Optional: ``SELFADMIN_TTL_SECONDS`` (one-time link lifetime, default 900),
``PUBLIC_URL`` (the address phones use, for the QR code; default: this request's host).

Every response: ``Cache-Control: no-store`` (static assets excepted: they hold no data
and are what keeps a question page small), a CSP without inline script, neutral title
and favicon. The session cookie is HttpOnly, SameSite=Strict and holds only an opaque
session id plus the CSRF token.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect

from fieldkit.errors import FieldkitError
from fieldkit.i18n import LANGUAGE_NAMES, LANGUAGES, normalise_language, translations
from fieldkit.station import fmt
from fieldkit.station.state import SessionRecord, StationState

FONTS_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"

DEFAULTS: dict[str, Any] = {
    "TRAINING": False,
    "IDLE_LOCK_SECONDS": 300,
    "SELFADMIN_TTL_SECONDS": 900,
    "PUBLIC_URL": None,
}

# Endpoints reachable without a session. Everything else needs a signed-in, unlocked one.
PUBLIC_ENDPOINTS = frozenset({
    "auth.signin", "auth.set_pin", "auth.setup", "auth.neutral", "auth.quick_exit",
    "selfadmin.open", "static", "fonts",
})
# Endpoints a locked session may still reach.
LOCKED_ENDPOINTS = frozenset({"auth.unlock", "auth.signout"})

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")


def state() -> StationState:
    from flask import current_app

    return current_app.extensions["fieldkit_station"]


def current_record() -> SessionRecord | None:
    return g.get("record")


def create_app(config: dict[str, Any]) -> Flask:
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(DEFAULTS)
    app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_NAME="s",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,          # the token lives as long as the server session
        WTF_CSRF_SSL_STRICT=False,         # plain HTTP on the hotspot: no Referer checks
        SEND_FILE_MAX_AGE_DEFAULT=86400,
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    app.extensions["fieldkit_station"] = StationState(app.config)
    csrf = CSRFProtect(app)

    from fieldkit.station import auth, home, interview, selfadmin

    app.register_blueprint(auth.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(interview.bp)
    app.register_blueprint(selfadmin.bp)
    app.add_url_rule("/fonts/<path:filename>", endpoint="fonts", view_func=_font)
    csrf.exempt(auth.quick_exit)   # it only locks; it must work even with a stale page

    _install_i18n(app)
    app.before_request(_load_session)
    app.after_request(_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(FieldkitError, _fieldkit_error)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(405, _not_found)
    app.register_error_handler(413, _bad_request)
    app.register_error_handler(400, _bad_request)
    app.register_error_handler(500, _internal)
    return app


def _font(filename: str) -> Any:
    from flask import send_from_directory

    if not filename.endswith(".woff2"):
        return _not_found(None)
    return send_from_directory(FONTS_DIR, filename, max_age=30 * 86400)


# --- i18n -------------------------------------------------------------------------------

def page_lang() -> str:
    return g.get("lang") or "en"


def _install_i18n(app: Flask) -> None:
    """Babel translations of the request's language, thread-safe.

    ``fieldkit.i18n.translations(lang)`` is looked up per request (``g.lang``) through
    callables installed once: installing a Translations object into the shared Jinja
    environment per request would race between gunicorn threads.
    """
    def _gettext(message: str, **params: Any) -> str:
        return translations(page_lang()).gettext(message)

    def _ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
        return translations(page_lang()).ngettext(singular, plural, n)

    def _pgettext(context: str, message: str, **params: Any) -> str:
        return translations(page_lang()).pgettext(context, message)

    def _npgettext(context: str, singular: str, plural: str, n: int, **params: Any) -> str:
        return translations(page_lang()).npgettext(context, singular, plural, n)

    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext)
    import hashlib

    static_dir = Path(app.static_folder or "")
    versions = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:10]
                for p in static_dir.glob("*") if p.is_file()}

    def asset(name: str) -> str:
        """A static URL that changes with the file, so phones may cache it for long."""
        return url_for("static", filename=name, v=versions.get(name, "0"))

    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES, LANGUAGE_NAMES=LANGUAGE_NAMES, fmt=fmt, page_lang=page_lang,
        tx=lambda text: fmt.text(text, page_lang()), asset=asset,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _context() -> dict[str, Any]:
        st = state()
        return {"training": st.training, "record": current_record(),
                "station_code": st.station_code}


def _(message: str, **params: Any) -> str:
    text = translations(page_lang()).gettext(message)
    return text.format(**params) if params else text


# --- sessions and access ----------------------------------------------------------------

def _load_session() -> Any:
    st = state()
    rec = st.sessions.get(session.get("sid"))
    g.record = rec
    g.lang = rec.ui_lang if rec is not None else normalise_language(
        request.args.get("lang") or request.form.get("lang"))
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    if rec is None:
        session.pop("sid", None)
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("auth.signin"))
        return render_error("general.unauthenticated", 401)
    now = time.time()
    idle = float(st.config.get("IDLE_LOCK_SECONDS") or 0)
    if (rec.role == "enumerator" and not rec.locked and idle > 0
            and now - rec.last_seen > idle):
        rec.locked = True
        rec.resume = rec.last_page
    if rec.locked and endpoint not in LOCKED_ENDPOINTS:
        if rec.resume is None and request.method in ("GET", "HEAD") and endpoint.startswith(
                ("interview.", "home.", "selfadmin.")):
            rec.resume = request.full_path.rstrip("?")
        return redirect(url_for("auth.unlock"))
    rec.last_seen = now
    if rec.role == "respondent" and endpoint not in LOCKED_ENDPOINTS:
        allowed = (endpoint.startswith("interview.")
                   and (request.view_args or {}).get("iid") == rec.interview_id) \
            or endpoint in ("interview.done",)
        if not allowed:
            if rec.interview_id and st.interviews.get(rec.interview_id) is not None:
                return redirect(url_for("interview.resume", iid=rec.interview_id))
            return redirect(url_for("interview.done"))
    return None


_GZIP_CACHE: dict[tuple[str, int], bytes] = {}


def _gzip_static(response: Any) -> None:
    """CSS and JS go out gzipped (HTML does not: pages carry a CSRF token next to text
    the user typed, the BREACH pattern; they are a few KB anyway)."""
    import gzip

    if (response.mimetype not in ("text/css", "text/javascript", "application/javascript")
            or "gzip" not in request.headers.get("Accept-Encoding", "")):
        return
    response.direct_passthrough = False
    body = response.get_data()
    key = (request.path, hash(body))
    packed = _GZIP_CACHE.get(key)
    if packed is None:
        packed = _GZIP_CACHE[key] = gzip.compress(body, 9, mtime=0)
    response.set_data(packed)
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"


def _headers(response: Any) -> Any:
    if request.endpoint in ("static", "fonts") and response.status_code == 200:
        # versioned URLs (?v=<content hash>) never change; the font is fixed by name
        response.headers["Cache-Control"] = ("public, max-age=2592000, immutable"
                                             if request.args.get("v") or
                                             request.endpoint == "fonts"
                                             else "public, max-age=86400")
        if request.endpoint == "static" and request.method == "GET":
            _gzip_static(response)
    else:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    rec = g.get("record")
    if (rec is not None and request.method == "GET" and response.status_code == 200
            and response.mimetype == "text/html" and not rec.locked
            and request.endpoint not in PUBLIC_ENDPOINTS | LOCKED_ENDPOINTS):
        rec.last_page = request.full_path.rstrip("?")
    return response


# --- errors -----------------------------------------------------------------------------

def render_error(code: str, status: int | None = None, **params: Any) -> Any:
    err = FieldkitError(code, **params)
    lang = page_lang()
    body = render_template("error.html", message=err.message(lang), fix=err.fix(lang))
    return body, status or err.status


def _csrf_error(exc: CSRFError) -> Any:
    return render_error("general.csrf", 400)


def _fieldkit_error(exc: FieldkitError) -> Any:
    lang = page_lang()
    body = render_template("error.html", message=exc.message(lang), fix=exc.fix(lang))
    return body, exc.status


def _not_found(exc: Any) -> Any:
    return render_error("general.not_found", 404)


def _bad_request(exc: Any) -> Any:
    return render_error("general.bad_request", 400, reason=getattr(exc, "description", ""))


def _internal(exc: Any) -> Any:
    if _storage_failure(getattr(exc, "original_exception", None)):
        return render_error("station.storage_unwritable")
    return render_error("general.internal", 500)


def _storage_failure(exc: Any) -> bool:
    """Disk full, read-only file or file system: a write the enumerator can fix."""
    import errno
    import sqlite3

    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc)
        return "disk is full" in text or "readonly" in text or "read-only" in text
    return False


def safe_next(target: str | None) -> str | None:
    """Only local paths (never another host) are followed after unlocking."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


__all__ = ["create_app", "state", "current_record", "render_error", "safe_next"]
