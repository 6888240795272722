"""The human side of the aggregator, plugged into the app in one call: ``init_web(app)``.

Sets up signed-cookie sessions, CSRF for every non-API request, the page language
(en/hi/mr through Babel catalogs), security headers (a CSP without inline script,
``Cache-Control: no-store``), error pages in the user's language, the Devanagari font,
and registers the auth, supervisor, IRB and admin blueprints.

Routes and who may open them (``auth.role_required``; tests walk ``app.url_map``)::

    /login (GET, POST), /logout (POST), /language/<lang>, /static, /fonts   anyone
    /                                   every role: redirects to the role's start page
    /supervisor/                        supervisor, admin: quotas, completes per day,
    /supervisor/outcomes                    approach outcomes per site and enumerator,
    /supervisor/stations                    station freshness, speed flags, the
    /supervisor/speed                       duplicate/conflict review queue and
    /supervisor/reviews[/<id>] (POST)       decisions (logged; nothing deleted)
    /irb/, /irb/forms/<hash>            irb, admin (read-only): versions with hashes and
    /irb/forms/<hash>/packet                approval records, review packets, diffs
    /irb/diff/<old>/<new>
    /admin/, /admin/stations (POST),    admin: enrollment QR codes, revocation, IRB
    /admin/stations/<code>/revoke,          approvals, quota targets, unlocking
    /admin/approvals/<hash>, /admin/quotas,   accounts locked by failed sign-ins
    /admin/users, /admin/users/<id>/unlock

No page reads an answer or a ciphertext: the aggregator has no private key, and the
pages select clear header columns only.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from flask import (Flask, Response, current_app, g, jsonify, redirect, render_template,
                   request, send_from_directory, session, url_for)
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from fieldkit.errors import FieldkitError
from fieldkit.i18n import LANGUAGE_NAMES, LANGUAGES, N_, normalise_language, translations

FONTS_DIR = Path(__import__("fieldkit").__file__).resolve().parent / "assets" / "fonts"

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")

# Paths anyone may open: the sign-in page, static files, the font, the language switch.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.logout", "static", "web_font", "web_language"})


def get_db() -> Any:
    """The aggregator database for this request (a ``sqlite_utils.Database``)."""
    if "web_db" not in g:
        source = current_app.config["GET_DB"]   # set by aggregator.app.create_app
        g.web_db = source() if callable(source) else source
    return g.web_db


def page_language() -> str:
    lang = request.args.get("lang") if request else None
    if lang in LANGUAGES:
        return lang
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    best = request.accept_languages.best_match(LANGUAGES) if request else None
    return normalise_language(best)


def _gettext(message: str) -> str:
    # Jinja's new-style gettext applies the %-formatting itself.
    return translations(g.get("lang", "en")).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(g.get("lang", "en")).ngettext(singular, plural, n)


# Words for codes shown on pages (translated in the templates with ``_()``).
LABELS: dict[str, dict[str, str]] = {
    "ROLE_LABELS": {"admin": N_("Study admin"), "supervisor": N_("Supervisor"),
                    "irb": N_("IRB reviewer")},
    "QUOTA_LABELS": {"open": N_("open"), "met": N_("target met"),
                     "over": N_("over target")},
    "STATION_STATES": {"fresh": N_("synced today"), "stale": N_("not synced for a day"),
                       "silent": N_("silent for 3 days or more"), "never": N_("never synced"),
                       "revoked": N_("revoked")},
    "REVIEW_KINDS": {"conflict": N_("Conflicting resend"),
                     "duplicate_content": N_("Same answers under another ID"),
                     "near_duplicate": N_("Very similar answers")},
    "REVIEW_HELP": {
        "conflict": N_("A station sent the same submission ID twice with different sealed "
                       "contents. Both copies are kept."),
        "duplicate_content": N_("Two submissions with different IDs have exactly the same "
                                "answers (a keyed fingerprint matched). Both are kept."),
        "near_duplicate": N_("Two submissions of the same form have very similar answers "
                             "(a keyed similarity sketch matched). This can be double entry "
                             "or fabrication, or a coincidence.")},
    "STORED_STATUS": {"accepted": N_("accepted"), "conflict": N_("conflicting resend"),
                      "duplicate_content": N_("same answers as another")},
    "REVIEW_STATUS": {"open": N_("open"), "distinct": N_("distinct"),
                      "duplicate": N_("duplicate")},
}


def display_timezone() -> ZoneInfo:
    """Times on pages are shown in the study's time zone (``DISPLAY_TIMEZONE``,
    default Asia/Kolkata); the database keeps UTC."""
    try:
        return ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE") or "Asia/Kolkata")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when(value: str | None, pattern: str = "d MMM, HH:mm") -> str:
    """An ISO UTC time as a short local time in the page language ("23 नोव्हें, 13:36")."""
    from aggregator.supervision import parse_time

    moment = parse_time(value)
    if moment is None:
        return value or ""
    return format_datetime(moment, pattern, tzinfo=display_timezone(),
                           locale=g.get("lang", "en"))


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_page(code: str, status: int | None = None, **params: Any) -> tuple[Any, int]:
    err = FieldkitError(code, **params)
    status = status or err.status
    lang = g.get("lang", "en")
    if _wants_json():
        return jsonify(err.to_json(lang)), status
    return render_template("error.html", message=err.message(lang), fix=err.fix(lang),
                           status=status), status


def init_web(app: Flask) -> None:
    """Install the web side into an aggregator app (call once, in ``create_app``)."""
    from aggregator import admin, auth, dashboard, irb

    # Flask's defaults are already in app.config, so these are set, not defaulted.
    # Behind the TLS proxy (PUBLIC_URL https://...) the cookie is never sent over http.
    app.config["SESSION_COOKIE_NAME"] = "fieldkit_aggregator"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if str(app.config.get("PUBLIC_URL") or "").startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        hours=float(app.config.get("WEB_SESSION_HOURS", 8)))
    # CSRF: we decide which requests are checked (all but the Bearer-token API).
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf = CSRFProtect(app)

    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    from aggregator.supervision import OUTCOME_LABELS
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, LANGUAGE_NAMES=LANGUAGE_NAMES,
                                 OUTCOME_LABELS=OUTCOME_LABELS, **LABELS)
    # Static files are cached for a day; their URLs carry a content hash, so a new
    # release's stylesheet is fetched at once.
    css = Path(app.static_folder or "") / "aggregator.css"
    app.jinja_env.globals["asset_version"] = (
        hashlib.sha256(css.read_bytes()).hexdigest()[:10] if css.exists() else "0")
    app.jinja_env.filters["when"] = when

    @app.before_request
    def _web_before() -> Any:
        g.lang = page_language()
        if request.args.get("lang") in LANGUAGES:
            session["lang"] = g.lang
        if not _wants_json():
            csrf.protect()
        return None

    @app.after_request
    def _web_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # same-origin, not no-referrer: over https Flask-WTF checks that a POST comes
        # from this site (Referer), and nothing leaks to other sites either way.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.endpoint in ("static", "web_font"):
            response.headers["Cache-Control"] = "public, max-age=86400"
        else:
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        if not _wants_json():
            response.headers.setdefault("Content-Language", g.get("lang", "en"))
        return response

    @app.context_processor
    def _web_context() -> dict[str, Any]:
        user = auth.current_user()
        return {"lang": g.get("lang", "en"), "user": user,
                "timezone_name": str(display_timezone())}

    @app.route("/fonts/<path:name>", endpoint="web_font")
    def web_font(name: str) -> Response:
        return send_from_directory(FONTS_DIR, name)

    @app.route("/language/<lang>", endpoint="web_language")
    def web_language(lang: str) -> Any:
        session["lang"] = normalise_language(lang)
        target = request.args.get("next") or "/"
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        return redirect(target)

    # Pages get error pages in the user's language; /api/* keeps the handlers the API
    # installed before us (the one JSON error shape).
    previous = {key: app.error_handler_spec[None][None].get(key)
                for key in (FieldkitError, HTTPException, Exception)}

    def _api_or(key: type, exc: Exception) -> Any:
        handler = previous.get(key)
        if _wants_json() and handler is not None:
            return handler(exc)
        return None

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> Any:
        return error_page("general.csrf", 400)

    @app.errorhandler(FieldkitError)
    def _fieldkit_error(exc: FieldkitError) -> Any:
        return _api_or(FieldkitError, exc) or error_page(exc.code, exc.status, **exc.params)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        api = _api_or(HTTPException, exc)
        if api is not None:
            return api
        codes = {401: "general.unauthenticated", 403: "general.forbidden",
                 404: "general.not_found"}
        code = exc.code or 500
        if code in codes:
            return error_page(codes[code], code)
        if code >= 500:
            return error_page("general.internal", code)
        return error_page("general.bad_request", code, reason=exc.name)

    @app.errorhandler(Exception)
    def _internal(exc: Exception) -> Any:
        api = _api_or(Exception, exc)
        if api is not None:
            return api
        app.logger.exception("unhandled error")
        return error_page("general.internal", 500)

    app.register_blueprint(auth.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(irb.bp)
    app.register_blueprint(admin.bp)

    @app.route("/", endpoint="web_home")
    @auth.role_required("admin", "supervisor", "irb")
    def web_home() -> Any:
        role = auth.current_user()["role"]
        return redirect(url_for({"admin": "admin.home", "supervisor": "dashboard.overview",
                                 "irb": "irb.index"}[role]))
