"""Administrative records: the study config, form versions, IRB approvals, users, audit.

Flask-free; used by the CLI (``commands.py``), the sync API and the web pages.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, Mapping

import sqlite_utils

from fieldkit.canonical import canonical_json
from fieldkit.errors import FieldkitError

from aggregator.db import transaction, utc_now

ROLES = ("admin", "supervisor", "irb")
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_PRIVATE_MARKERS = ("private", "PRIVATE KEY", "secret_key")


# --- audit ---------------------------------------------------------------------------
def audit(db: sqlite_utils.Database, actor: str, action: str, detail: str = "") -> None:
    """Append to the audit log (call inside the caller's transaction)."""
    db.execute("INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)",
               [utc_now(), actor, action, detail])


# --- study ---------------------------------------------------------------------------
def set_study(db: sqlite_utils.Database, config: Mapping[str, Any], *, source: str = "study.json",
              actor: str = "cli") -> dict[str, Any]:
    """Store the study's public configuration (validated by ``StudyConfig.from_dict``).

    Refuses anything that looks like a private key: the aggregator must never hold one.
    """
    from fieldkit.study import StudyConfig

    text = json.dumps(config)
    if any(marker in text for marker in _PRIVATE_MARKERS) or any(
            "private" in str(k).lower() for k in config):
        raise FieldkitError("sync.study_has_private_key", path=source)
    study = StudyConfig.from_dict(config, source=source)
    stored = study.to_dict()
    with transaction(db):
        db.execute("INSERT INTO study (id, study_id, config, updated_at) VALUES (1, ?, ?, ?) "
                   "ON CONFLICT (id) DO UPDATE SET study_id = excluded.study_id, "
                   "config = excluded.config, updated_at = excluded.updated_at",
                   [study.study_id, json.dumps(stored, sort_keys=True), utc_now()])
        audit(db, actor, "study.set", study.study_id)
    return stored


def get_study(db: sqlite_utils.Database) -> dict[str, Any] | None:
    row = db.execute("SELECT config FROM study WHERE id = 1").fetchone()
    return json.loads(row[0]) if row else None


def study_key_ids(db: sqlite_utils.Database) -> frozenset[str]:
    study = get_study(db)
    return frozenset(study["public_keys"]) if study else frozenset()


# --- forms and approvals ----------------------------------------------------------------
def register_form(db: sqlite_utils.Database, *, form_id: str, form_hash: str, version: str,
                  source: str, data: Mapping[str, Any] | None = None,
                  actor: str = "cli") -> bool:
    """Register one form version. Returns False if this hash was already registered."""
    with transaction(db):
        cur = db.execute(
            "INSERT INTO form_versions (hash, form_id, version, source, data, registered_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING",
            [form_hash, form_id, version, source,
             canonical_json(dict(data or {})).decode("utf-8"), utc_now()])
        if cur.rowcount:
            audit(db, actor, "form.register", f"{form_id} {version} {form_hash}")
        return bool(cur.rowcount)


def register_loaded_form(db: sqlite_utils.Database, form: Any, *, actor: str = "cli") -> bool:
    """Register a ``fieldkit.forms.Form`` (its YAML text as the reviewable source)."""
    from pathlib import Path

    source = Path(form.source).read_text(encoding="utf-8") if form.source else ""
    return register_form(db, form_id=form.id, form_hash=form.hash, version=str(form.version),
                         source=source, data=form.data, actor=actor)


def _check_date(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise FieldkitError("sync.bad_date", value=value) from None


def approve_form(db: sqlite_utils.Database, form_hash: str, *, irb_reference: str,
                 approved_on: str, approver: str, recorded_by: str) -> None:
    """Record the IRB's approval of a form version (only approved hashes are fielded)."""
    approved_on = _check_date(approved_on)
    if not irb_reference.strip() or not approver.strip():
        raise FieldkitError("general.bad_request", reason="IRB reference and approver are required")
    with transaction(db):
        if not db.execute("SELECT 1 FROM form_versions WHERE hash = ?", [form_hash]).fetchone():
            raise FieldkitError("sync.no_such_form", form_hash=form_hash)
        db.execute(
            "INSERT INTO approvals (hash, irb_reference, approved_on, approver, recorded_by, "
            "recorded_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO UPDATE SET "
            "irb_reference = excluded.irb_reference, approved_on = excluded.approved_on, "
            "approver = excluded.approver, recorded_by = excluded.recorded_by, "
            "recorded_at = excluded.recorded_at",
            [form_hash, irb_reference.strip(), approved_on, approver.strip(), recorded_by,
             utc_now()])
        audit(db, recorded_by, "form.approve", f"{form_hash} {irb_reference.strip()}")


def approved_hashes(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT hash FROM approvals ORDER BY hash").fetchall()]


def form_index(db: sqlite_utils.Database) -> dict[str, tuple[str, bool]]:
    """hash -> (form_id, approved) for every registered version (small: read per batch)."""
    rows = db.execute("SELECT f.hash, f.form_id, a.hash IS NOT NULL FROM form_versions f "
                      "LEFT JOIN approvals a ON a.hash = f.hash").fetchall()
    return {h: (fid, bool(ok)) for h, fid, ok in rows}


# --- users -------------------------------------------------------------------------------
def create_user(db: sqlite_utils.Database, username: str, role: str, password: str, *,
                actor: str = "cli") -> int:
    """Create an aggregator account; the password is stored only as Argon2id/scrypt."""
    from fieldkit.crypto import hash_secret

    if role not in ROLES:
        raise FieldkitError("sync.bad_role", role=role)
    if not _USERNAME.match(username):
        raise FieldkitError("general.bad_request", reason="user names are letters, digits, . _ -")
    password_hash = hash_secret(password)
    with transaction(db):
        if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise FieldkitError("sync.user_exists", username=username)
        cur = db.execute("INSERT INTO users (username, role, password_hash, created_at) "
                         "VALUES (?, ?, ?, ?)", [username, role, password_hash, utc_now()])
        audit(db, actor, "user.create", f"{username} {role}")
        return int(cur.lastrowid)
