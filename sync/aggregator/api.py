"""The sync API, blueprint ``/api/v1``: thin HTTP over ``stations`` and ``ingest``.

Strict request handling: every refusal is a 4xx in the one JSON error shape, decided
before anything is written, so a refused request stores nothing. See sync/PROTOCOL.md
and sync/openapi.yaml.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
import orjson

from fieldkit.errors import FieldkitError
from fieldkit.i18n import LANGUAGES, normalise_language

from aggregator import ingest, quota_service, registry, stations
from aggregator.db import transaction, utc_now

PROTOCOL = 1
bp = Blueprint("sync_api", __name__, url_prefix="/api/v1")

DEFAULT_MAX_BODY = 8 * 1024 * 1024          # bytes on the wire (compressed)
DEFAULT_MAX_JSON = 32 * 1024 * 1024         # bytes after gunzip
_SYNC_KEYS = {"protocol", "items", "station_status"}
MAX_PENDING = 10 ** 9                       # station_status.pending (SQLite ints are 64-bit)


def _db() -> Any:
    return current_app.config["GET_DB"]()


def api_language() -> str:
    return normalise_language(request.accept_languages.best_match(LANGUAGES))


def error_response(err: FieldkitError) -> Response:
    response = jsonify(err.to_json(api_language()))
    response.status_code = err.status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(FieldkitError)
def _on_error(err: FieldkitError) -> Response:
    return error_response(err)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_json_body() -> Any:
    """The request body as JSON: content type, encoding, size and syntax checked."""
    content_type = (request.mimetype or "").lower()
    if content_type != "application/json":
        raise FieldkitError("sync.bad_content_type", content_type=content_type or "none")
    encoding = (request.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise FieldkitError("sync.bad_encoding", encoding=encoding)
    max_body = int(current_app.config.get("MAX_BODY_BYTES", DEFAULT_MAX_BODY))
    max_json = int(current_app.config.get("MAX_JSON_BYTES", DEFAULT_MAX_JSON))
    if request.content_length is not None and request.content_length > max_body:
        raise FieldkitError("sync.body_too_large", limit=max_body)
    raw = request.stream.read(max_body + 1)
    if len(raw) > max_body:
        raise FieldkitError("sync.body_too_large", limit=max_body)
    if encoding == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, max_json + 1)
        except zlib.error:
            raise FieldkitError("sync.bad_request", reason="the gzip body is damaged",
                                protocol=PROTOCOL) from None
        if len(raw) > max_json or inflater.unconsumed_tail:
            raise FieldkitError("sync.body_too_large", limit=max_json)
        if not inflater.eof:
            raise FieldkitError("sync.bad_request", reason="the gzip body is truncated",
                                protocol=PROTOCOL)
    elif len(raw) > max_json:
        raise FieldkitError("sync.body_too_large", limit=max_json)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass        # the standard library decides what orjson refuses (and words it)
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise FieldkitError("sync.malformed_json") from None


def _check_protocol(body: Any) -> None:
    if not isinstance(body, dict):
        raise FieldkitError("sync.bad_request", reason="the body must be a JSON object",
                            protocol=PROTOCOL)
    got = body.get("protocol")
    if isinstance(got, bool) or not isinstance(got, int):
        raise FieldkitError("sync.bad_request", reason="'protocol' must be an integer",
                            protocol=PROTOCOL)
    if got != PROTOCOL:
        raise FieldkitError("sync.unsupported_protocol", got=got, supported=PROTOCOL)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def station_status(db: Any, station: str, *, revoked: bool,
                   allocations: dict[tuple[str, str], int] | None = None) -> dict[str, Any]:
    """The ``status`` part of sync and enroll replies."""
    if revoked:
        return {"quotas": {}, "approved_forms": [], "revoked": True, "server_time": utc_now()}
    return {"quotas": quota_service.station_quotas(db, allocations or {}),
            "approved_forms": registry.approved_hashes(db), "revoked": False,
            "server_time": utc_now()}


@bp.get("/ping")
def ping() -> Response:
    """Liveness: no authentication, no information beyond the protocol version."""
    return jsonify({"protocol": PROTOCOL, "ok": True})


@bp.post("/enroll")
def enroll() -> Response:
    db = _db()
    body = read_json_body()
    _check_protocol(body)
    if set(body) - {"protocol", "token"}:
        raise FieldkitError("sync.bad_request", reason="unknown fields", protocol=PROTOCOL)
    study = registry.get_study(db)
    if study is None:
        raise FieldkitError("sync.not_ready")
    token = body.get("token")
    if not isinstance(token, str):
        raise FieldkitError("sync.enroll_token_invalid")
    code, credential, enumerators = stations.enroll(db, token)
    with transaction(db):
        db.execute("UPDATE stations SET last_sync_at = ? WHERE code = ?", [utc_now(), code])
        allocations = quota_service.refresh_allocations(db, code)
    status = station_status(db, code, revoked=False, allocations=allocations)
    response = jsonify({"protocol": PROTOCOL, "station_code": code, "credential": credential,
                        "study": study, "enumerators": enumerators,
                        "approved_forms": status["approved_forms"],
                        "quotas": status["quotas"], "server_time": status["server_time"]})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/sync")
def sync() -> Response:
    db = _db()
    station = stations.authenticate(db, _bearer())
    body = read_json_body()
    _check_protocol(body)
    extra = set(body) - _SYNC_KEYS
    if extra:
        raise FieldkitError("sync.bad_request", protocol=PROTOCOL,
                            reason="unknown fields: " + ", ".join(sorted(map(str, extra))))
    items = body.get("items")
    if not isinstance(items, list):
        raise FieldkitError("sync.bad_request", reason="'items' must be a list",
                            protocol=PROTOCOL)
    if len(items) > ingest.MAX_BATCH_ITEMS:
        raise FieldkitError("sync.too_many_items", limit=ingest.MAX_BATCH_ITEMS,
                            count=len(items))
    reported = None
    station_state = body.get("station_status")
    if station_state is not None:
        pending = station_state.get("pending") if isinstance(station_state, dict) else None
        if (not isinstance(station_state, dict) or set(station_state) - {"pending"}
                or isinstance(pending, bool) or not isinstance(pending, int)
                or not 0 <= pending <= MAX_PENDING):
            raise FieldkitError("sync.bad_request", protocol=PROTOCOL,
                                reason="'station_status' must be {\"pending\": n}")
        reported = pending
    revoked = bool(station["revoked_at"])
    if registry.get_study(db) is None:
        raise FieldkitError("sync.not_ready")
    result = ingest.ingest_batch(db, station["code"], items, via="http", revoked=revoked,
                                 lang=api_language(), reported_pending=reported,
                                 refresh_allocations=True,
                                 max_item_bytes=int(current_app.config.get(
                                     "MAX_ITEM_BYTES", ingest.MAX_ITEM_BYTES)))
    response = Response(orjson.dumps({
        "protocol": PROTOCOL, "results": [r.to_json() for r in result.results],
        "summary": result.summary(),
        "status": station_status(db, station["code"], revoked=revoked,
                                 allocations=result.allocations)}),
        mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response
