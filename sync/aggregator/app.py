"""The aggregator's Flask app factory. No global app state: everything hangs off the app.

Config keys (``create_app(config)``):

``AGGREGATOR_DB``     path of the SQLite file (created and migrated at start). Required.
``SECRET_KEY``        signs the web session cookie; default: read (or create, mode 0600)
                      ``<db>.secret`` beside the database, so all gunicorn workers agree.
``PUBLIC_URL``        the URL stations use (QR codes); default http://127.0.0.1:8400.
``MAX_BODY_BYTES``    largest request body on the wire (default 8 MiB).
``MAX_JSON_BYTES``    largest body after gunzip (default 32 MiB).
``MAX_ITEM_BYTES``    largest ciphertext of one submission (default 1 MB).
``WEB``               False to serve only the sync API (default True: the web side's
                      ``aggregator.web.init_web(app)`` is installed when present).

The database reaches request code through ``app.config["GET_DB"]()``: one connection per
worker thread (opened lazily, WAL, ``synchronous=FULL``), never shared across threads.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from pathlib import Path
from typing import Any, Callable

import sqlite_utils
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from fieldkit.errors import FieldkitError
from fieldkit.i18n import LANGUAGES, normalise_language

from aggregator.db import migrate_aggregator, open_aggregator_db
from fieldkit.db import open_db


def _secret_key(db_path: Path) -> str:
    path = db_path.with_name(db_path.name + ".secret")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


def _migrate(db_path: Path) -> None:
    for attempt in range(3):
        db = open_aggregator_db(db_path, migrate_schema=False)
        try:
            migrate_aggregator(db)
            return
        except sqlite3.OperationalError:
            # another worker migrated concurrently; the next round sees its steps done
            if attempt == 2:
                raise
        finally:
            db.conn.close()


def tune_connection(db: sqlite_utils.Database) -> sqlite_utils.Database:
    """Settings for a long-lived server connection: a 32 MB page cache and memory-mapped
    reads (up to 2 GB of file: the OS page cache, shared by all workers), so index
    lookups in a large store do not pay a syscall per page; WAL checkpoints outside
    the write lock."""
    db.execute("PRAGMA cache_size = -32000")
    db.execute("PRAGMA mmap_size = 2147418112")
    # checkpoints run outside the write lock (aggregator.db._maybe_checkpoint)
    db.execute("PRAGMA wal_autocheckpoint = 0")
    return db


def db_getter(db_path: Path) -> Callable[[], sqlite_utils.Database]:
    """A per-thread connection factory for ``db_path``."""
    local = threading.local()

    def get_db() -> sqlite_utils.Database:
        db = getattr(local, "db", None)
        if db is None:
            db = tune_connection(open_db(db_path))
            local.db = db
        return db

    return get_db


def _api_errors(app: Flask) -> None:
    def wants_json() -> bool:
        return request.path.startswith("/api/")

    @app.errorhandler(FieldkitError)
    def _fieldkit_error(err: FieldkitError) -> Any:
        from aggregator.api import error_response
        return error_response(err)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Any:
        if not wants_json():
            return err
        code = {401: "general.unauthenticated", 403: "general.forbidden",
                404: "general.not_found", 413: "sync.body_too_large"}.get(err.code or 400,
                                                                          "general.bad_request")
        params: dict[str, Any] = {"reason": err.name}
        if code == "sync.body_too_large":
            params["limit"] = app.config.get("MAX_BODY_BYTES")
        body = FieldkitError(code, **params).to_json(
            normalise_language(request.accept_languages.best_match(LANGUAGES)))
        response = jsonify(body)
        response.status_code = err.code or 400
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Any:
        app.logger.exception("unexpected error")
        if not wants_json():
            return FieldkitError("general.internal").message("en"), 500
        response = jsonify(FieldkitError("general.internal").to_json("en"))
        response.status_code = 500
        return response


def _close_transactions(app: Flask) -> None:
    @app.teardown_request
    def _rollback_leftovers(exc: BaseException | None) -> None:
        # A request that failed half way must not leave its thread's connection inside
        # a transaction (the next request on this thread would inherit it).
        getter = app.config.get("GET_DB")
        if getter is None:
            return
        db = getter()
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")


def register_blueprints(app: Flask) -> None:
    """Every blueprint of the aggregator. The sync API first; then the web side
    (``aggregator.web.init_web``: sessions, CSRF except /api/*, pages) if present."""
    from aggregator.api import bp as api_bp

    app.register_blueprint(api_bp)
    if not app.config.get("WEB", True):
        return
    try:
        from aggregator.web import init_web
    except ModuleNotFoundError as exc:
        if exc.name != "aggregator.web":
            raise
        return
    init_web(app)


def create_app(config: dict[str, Any]) -> Flask:
    if not config.get("AGGREGATOR_DB"):
        raise ValueError("create_app needs config['AGGREGATOR_DB'] (the SQLite path)")
    db_path = Path(config["AGGREGATOR_DB"]).resolve()
    _migrate(db_path)
    app = Flask("aggregator")
    app.config.update(
        PUBLIC_URL="http://127.0.0.1:8400",
        JSON_AS_ASCII=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.config.update(config)
    app.config["AGGREGATOR_DB"] = str(db_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(db_path)
    app.config["GET_DB"] = db_getter(db_path)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    _api_errors(app)
    _close_transactions(app)
    register_blueprints(app)
    return app


def create_app_from_env() -> Flask:
    """For gunicorn: ``aggregator.app:create_app_from_env()``; reads FIELDKIT_AGGREGATOR_*."""
    config: dict[str, Any] = {"AGGREGATOR_DB": os.environ.get("FIELDKIT_AGGREGATOR_DB",
                                                              "aggregator.db")}
    for key in ("SECRET_KEY", "PUBLIC_URL", "MAX_BODY_BYTES", "MAX_JSON_BYTES",
                "MAX_ITEM_BYTES"):
        value = os.environ.get(f"FIELDKIT_AGGREGATOR_{key}")
        if value:
            config[key] = int(value) if key.startswith("MAX_") else value
    if os.environ.get("FIELDKIT_AGGREGATOR_WEB") == "0":
        config["WEB"] = False
    return create_app(config)

