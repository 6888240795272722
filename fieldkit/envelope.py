"""The sealed submission: its clear header, its wire form, and the header's schema.

A submission travels as a :class:`SealedItem` -- a clear *header* (the only part
anyone but the analyst can read), the HPKE *ciphertext*, and ``ct_hash`` (SHA-256
hex of the ciphertext bytes, the acknowledgement token of sync).

Why the header is validated so strictly (``unknown=RAISE``, no type coercion):

* The header is bound into HPKE as ``info`` (see :mod:`fieldkit.crypto`), so the
  bytes the station sealed over must be exactly the bytes the analyst checks.
  A schema that silently coerced ``"1"`` into ``1`` or ``"true"`` into ``True``
  would make an honest header fail to open, or -- worse -- let two different wire
  headers describe "the same" submission. Loading returns the very same values.
* It is the one place where data leaves the laptop readable. Unknown keys are
  refused so that nobody can smuggle answers or names into the clear part, and
  every string is pattern-checked (codes, hex, UTC timestamps) for the same reason.

Wire form (JSON object, used by sync and bundles)::

    {"header": {...}, "ciphertext": "<standard base64>", "ct_hash": "<64 hex>"}

``SealedItem.from_wire`` validates the header, decodes the base64 strictly and
checks ``ct_hash`` against the bytes; any problem raises
``FieldkitError("crypto.bad_item", uuid=..., reason=...)``.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import time
import uuid as uuid_mod
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from fieldkit.canonical import sha256_hex
from fieldkit.errors import FieldkitError

HEADER_VERSION = 1
OUTCOMES: tuple[str, ...] = ("completed", "terminated", "refused", "ineligible", "interrupted")
PAYLOAD_KINDS: tuple[str, ...] = ("hpke", "journal")
SKETCH_LENGTH = 64

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")
_IDENT = re.compile(r"^[a-z][a-z0-9_]{0,127}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


class _StrictBool(fields.Field):
    """A JSON boolean and nothing else (marshmallow's Boolean accepts "yes", 1, ...)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("Must be true or false.")
        return value


class _StrictInt(fields.Field):
    """A JSON integer (not a bool, not a float, not a numeric string)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Must be an integer.")
        return value


class _StrictStr(fields.Field):
    def __init__(self, pattern: re.Pattern[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pattern = pattern

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("Must be a string.")
        if self.pattern is not None and not self.pattern.match(value):
            raise ValidationError("Badly formed value.")
        return value


def _valid_uuid(value: str) -> None:
    try:
        parsed = uuid_mod.UUID(value)
    except ValueError as exc:
        raise ValidationError("Not a UUID.") from exc
    if str(parsed) != value:
        raise ValidationError("UUID must be in canonical lower-case form.")


def _valid_utc(value: str) -> None:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError("Not a valid time.") from exc


class _Quota(fields.Field):
    """``{field_id: option_code}`` (one check in plain Python: headers are validated
    on every seal and every sync item, so per-element marshmallow fields cost)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, str]:
        if not isinstance(value, dict) or len(value) > 16 or not all(
                isinstance(k, str) and _IDENT.match(k) and isinstance(v, str) and _CODE.match(v)
                for k, v in value.items()):
            raise ValidationError("Quota must map field ids to option codes.")
        return value


class _Sketch(fields.Field):
    """Exactly 64 JSON integers."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[int]:
        if not isinstance(value, list) or len(value) != SKETCH_LENGTH or not all(
                type(v) is int for v in value):
            raise ValidationError(f"Must be a list of {SKETCH_LENGTH} integers.")
        return value


class HeaderSchema(Schema):
    """marshmallow 4 schema of the clear header (version 1). Load = validate."""

    class Meta:
        unknown = RAISE

    v = _StrictInt(required=True, validate=validate.Equal(HEADER_VERSION))
    uuid = _StrictStr(required=True, validate=_valid_uuid)
    form_id = _StrictStr(_IDENT, required=True)
    form_hash = _StrictStr(_HEX64, required=True)
    key_id = _StrictStr(_KEY_ID, required=True)
    station = _StrictStr(_CODE, required=True)
    enumerator = _StrictStr(_CODE, required=True)
    site = _StrictStr(_CODE, required=True, allow_none=True)
    quota = _Quota(required=True)
    outcome = _StrictStr(required=True, validate=validate.OneOf(OUTCOMES))
    keep_partial = _StrictBool(required=True, allow_none=True)
    started_at = _StrictStr(_UTC, required=True, validate=_valid_utc)
    ended_at = _StrictStr(_UTC, required=True, validate=_valid_utc)
    n_answered = _StrictInt(required=True, validate=validate.Range(min=0))
    fingerprint = _StrictStr(_HEX64, required=True, allow_none=True)
    sketch = _Sketch(required=True, allow_none=True)
    over_quota = _StrictBool(required=True)
    training = _StrictBool(required=True)
    payload = _StrictStr(required=True, validate=validate.OneOf(PAYLOAD_KINDS))

    # No "ended_at >= started_at" rule on purpose: a laptop clock that jumps back
    # mid-interview (NTP on reconnecting, a manual fix) must not make a finished
    # interview unsealable or unsyncable. Odd times are for supervisors to see.


_SCHEMA = HeaderSchema()


def utc_timestamp(moment: datetime | None = None) -> str:
    """ISO-8601 UTC with a ``Z``, second precision: the header's time format."""
    moment = moment or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uuid(unix_ms: int | None = None, random_bits: int | None = None) -> str:
    """A UUIDv7 (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random bits.

    Submission uuids are made when an interview starts. Time-ordered uuids keep the
    aggregator's uuid index growing at its end, so a sync batch touches a few index
    pages instead of one per item (random uuid4s: ~100 pages, 400 KB of WAL per batch
    of 100). The time they carry is no news: the clear header has ``started_at``.
    ``unix_ms`` and ``random_bits`` are for tests and benchmarks.
    """
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    rand = secrets.randbits(74) if random_bits is None else random_bits & ((1 << 74) - 1)
    value = ((ms & ((1 << 48) - 1)) << 80) | (0x7 << 76) | ((rand >> 62) << 64) \
        | (0b10 << 62) | (rand & ((1 << 62) - 1))
    return str(uuid_mod.UUID(int=value))


def new_header(**fields: Any) -> dict[str, Any]:
    """A header with defaults for everything optional; ``fields`` override.

    Callers must give at least ``form_id``, ``form_hash``, ``station``,
    ``enumerator`` and ``outcome``; ``key_id`` is filled in by ``seal``. A fresh
    uuid (``new_uuid``) and the current time are used unless given. Not validated here (``seal``
    validates).
    """
    now = utc_timestamp()
    header: dict[str, Any] = {
        "v": HEADER_VERSION, "uuid": new_uuid(), "site": None, "quota": {},
        "keep_partial": None, "started_at": now, "ended_at": now, "n_answered": 0,
        "fingerprint": None, "sketch": None, "over_quota": False, "training": False,
        "payload": "hpke",
    }
    header.update(fields)
    return header


def validate_header(header: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``header`` as a plain dict if valid, else raise ``crypto.bad_header``."""
    if not isinstance(header, Mapping):
        raise FieldkitError("crypto.bad_header", uuid="?", reason="header is not an object")
    try:
        _SCHEMA.load(dict(header))
    except ValidationError as exc:
        uid = header.get("uuid") if isinstance(header.get("uuid"), str) else "?"
        raise FieldkitError("crypto.bad_header", uuid=uid,
                            reason=_describe(exc.normalized_messages())) from None
    # Return the caller's own values (already checked to be exactly the right types)
    # so that the bytes bound as HPKE info are unchanged by validation.
    return {key: header[key] for key in header}


def _describe(messages: Any) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{key}: {_describe(value)}" for key, value in sorted(messages.items(),
                                                                                key=str))
    if isinstance(messages, list):
        return " ".join(str(m) for m in messages)
    return str(messages)


@dataclass(frozen=True)
class SealedItem:
    """One sealed submission: clear header, ciphertext, SHA-256 hex of the ciphertext."""

    header: dict[str, Any]
    ciphertext: bytes
    ct_hash: str

    @property
    def uuid(self) -> str:
        return str(self.header.get("uuid", "?"))

    @property
    def outcome(self) -> str:
        return str(self.header.get("outcome"))

    @property
    def key_id(self) -> str:
        return str(self.header.get("key_id"))

    def check(self) -> None:
        """Raise ``crypto.bad_item`` if the header or the hash is wrong."""
        validate_header(self.header)
        if sha256_hex(self.ciphertext) != self.ct_hash:
            raise FieldkitError("crypto.bad_item", uuid=self.uuid,
                                reason="ct_hash does not match the ciphertext")

    def to_wire(self) -> dict[str, Any]:
        return {"header": dict(self.header),
                "ciphertext": base64.b64encode(self.ciphertext).decode("ascii"),
                "ct_hash": self.ct_hash}

    @classmethod
    def from_wire(cls, data: Any) -> "SealedItem":
        if not isinstance(data, Mapping):
            raise FieldkitError("crypto.bad_item", uuid="?", reason="item is not an object")
        extra = set(data) - {"header", "ciphertext", "ct_hash"}
        header = data.get("header")
        uid = header.get("uuid", "?") if isinstance(header, Mapping) else "?"
        if extra:
            raise FieldkitError("crypto.bad_item", uuid=uid,
                                reason="unknown fields: " + ", ".join(sorted(map(str, extra))))
        header = validate_header(header if isinstance(header, Mapping) else {})
        ct_b64, ct_hash = data.get("ciphertext"), data.get("ct_hash")
        if not isinstance(ct_b64, str) or not isinstance(ct_hash, str):
            raise FieldkitError("crypto.bad_item", uuid=uid,
                                reason="ciphertext and ct_hash must be strings")
        try:
            ciphertext = base64.b64decode(ct_b64, validate=True)
        except (binascii.Error, ValueError):
            raise FieldkitError("crypto.bad_item", uuid=uid,
                                reason="ciphertext is not base64") from None
        item = cls(header=header, ciphertext=ciphertext, ct_hash=ct_hash)
        item.check()
        return item
