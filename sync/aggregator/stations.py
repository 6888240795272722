"""Stations: creation, one-time enrollment tokens, credentials, revocation.

Secrets and how they are stored:

* **Enrollment token**: 32 random bytes (``secrets.token_urlsafe``), shown once as a QR
  code, stored as its SHA-256, single use (``used_at`` set in the same transaction that
  checks it) and expiring (default 72 hours).
* **Station credential**: 32 random bytes, sent by the station as ``Authorization:
  Bearer``, stored as its SHA-256. A fast hash is right here, unlike for passwords:
  the credential has 256 bits of entropy, so nobody can guess it whatever the hash
  speed, and a stolen database yields only hashes from which no credential can be
  recovered. A slow KDF (Argon2id) only helps low-entropy secrets and would cost a
  CPU-heavy hash on every sync request of a 2-core server. Lookup is by hash
  (indexed), so no secret is ever compared byte by byte in Python.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

import sqlite_utils

from fieldkit.errors import FieldkitError

from aggregator.db import transaction, utc_iso, utc_now
from aggregator.registry import audit

TOKEN_TTL_HOURS = 72
CREDENTIAL_PREFIX = "fks1_"
_STATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_station_code(code: str) -> str:
    if not isinstance(code, str) or not _STATION.match(code):
        raise FieldkitError("sync.bad_station_name", station=str(code))
    return code


def create_station(db: sqlite_utils.Database, code: str, *, enumerators: Sequence[str] = (),
                   ttl_hours: float = TOKEN_TTL_HOURS, actor: str = "cli") -> str:
    """Create a station and return its one-time enrollment token (shown once)."""
    check_station_code(code)
    for enumerator in enumerators:
        check_station_code(enumerator)
    with transaction(db):
        if db.execute("SELECT 1 FROM stations WHERE code = ?", [code]).fetchone():
            raise FieldkitError("sync.station_exists", station=code)
        db.execute("INSERT INTO stations (code, enumerators, created_at) VALUES (?, ?, ?)",
                   [code, json.dumps(sorted(set(enumerators))), utc_now()])
        token = _new_token(db, code, ttl_hours)
        audit(db, actor, "station.create", code)
    return token


def issue_token(db: sqlite_utils.Database, code: str, *, ttl_hours: float = TOKEN_TTL_HOURS,
                actor: str = "cli") -> str:
    """A new one-time enrollment token for an existing station (e.g. a replaced laptop)."""
    with transaction(db):
        row = db.execute("SELECT revoked_at FROM stations WHERE code = ?", [code]).fetchone()
        if row is None:
            raise FieldkitError("sync.no_such_station", station=code)
        if row[0]:
            raise FieldkitError("sync.station_revoked", station=code)
        token = _new_token(db, code, ttl_hours)
        audit(db, actor, "station.token", code)
    return token


def _new_token(db: sqlite_utils.Database, code: str, ttl_hours: float) -> str:
    token = secrets.token_urlsafe(32)
    now = datetime.now(timezone.utc)
    db.execute("INSERT INTO enrollment_tokens (token_hash, station, created_at, expires_at) "
               "VALUES (?, ?, ?, ?)",
               [secret_hash(token), code, utc_iso(now), utc_iso(now + timedelta(hours=ttl_hours))])
    return token


def enroll(db: sqlite_utils.Database, token: str) -> tuple[str, str, list[str]]:
    """Exchange a one-time token for a new credential: (station code, credential, enumerators).

    The token is consumed and the credential hash stored in one transaction; a second
    use of the same token fails with ``sync.enroll_token_used``. A station that enrolls
    again (new laptop) gets a new credential and the old one stops working.
    """
    if not isinstance(token, str) or not 10 <= len(token) <= 200:
        raise FieldkitError("sync.enroll_token_invalid")
    now = utc_now()
    with transaction(db):
        row = db.execute(
            "SELECT t.station, t.expires_at, t.used_at, s.revoked_at, s.enumerators "
            "FROM enrollment_tokens t JOIN stations s ON s.code = t.station "
            "WHERE t.token_hash = ?", [secret_hash(token)]).fetchone()
        if row is None:
            raise FieldkitError("sync.enroll_token_invalid")
        station, expires_at, used_at, revoked_at, enumerators = row
        if used_at:
            raise FieldkitError("sync.enroll_token_used")
        if revoked_at:
            raise FieldkitError("sync.station_revoked", station=station)
        if expires_at <= now:
            raise FieldkitError("sync.enroll_token_expired")
        credential = CREDENTIAL_PREFIX + secrets.token_urlsafe(32)
        db.execute("UPDATE enrollment_tokens SET used_at = ? WHERE token_hash = ?",
                   [now, secret_hash(token)])
        db.execute("UPDATE stations SET credential_hash = ?, enrolled_at = ? WHERE code = ?",
                   [secret_hash(credential), now, station])
        audit(db, f"station:{station}", "station.enroll", station)
    return station, credential, json.loads(enumerators)


def authenticate(db: sqlite_utils.Database, credential: str | None) -> dict[str, Any]:
    """The station row for a Bearer credential, or ``sync.unauthenticated``.

    A revoked station is returned (with ``revoked_at`` set): the sync reply tells it.
    """
    if not credential or not credential.startswith(CREDENTIAL_PREFIX) or len(credential) > 200:
        raise FieldkitError("sync.unauthenticated")
    row = db.execute("SELECT code, revoked_at, enumerators FROM stations "
                     "WHERE credential_hash = ?", [secret_hash(credential)]).fetchone()
    if row is None:
        raise FieldkitError("sync.unauthenticated")
    return {"code": row[0], "revoked_at": row[1], "enumerators": json.loads(row[2])}


def revoke_station(db: sqlite_utils.Database, code: str, *, actor: str = "cli") -> None:
    """Revoke a station: its credential and unused tokens stop working; nothing is deleted."""
    now = utc_now()
    with transaction(db):
        cur = db.execute("UPDATE stations SET revoked_at = COALESCE(revoked_at, ?) WHERE code = ?",
                         [now, code])
        if not cur.rowcount:
            raise FieldkitError("sync.no_such_station", station=code)
        db.execute("UPDATE enrollment_tokens SET used_at = COALESCE(used_at, ?) "
                   "WHERE station = ?", [now, code])
        db.execute("DELETE FROM allocations WHERE station = ?", [code])
        audit(db, actor, "station.revoke", code)


def station_row(db: sqlite_utils.Database, code: str) -> dict[str, Any] | None:
    row = db.execute("SELECT code, revoked_at, enumerators FROM stations WHERE code = ?",
                     [code]).fetchone()
    if row is None:
        return None
    return {"code": row[0], "revoked_at": row[1], "enumerators": json.loads(row[2])}


def enrollment_code(base_url: str, token: str) -> str:
    """What the QR code holds: compact JSON with the aggregator URL and the token."""
    return json.dumps({"fieldkit_enroll": 1, "url": base_url.rstrip("/"), "token": token},
                      separators=(",", ":"))
