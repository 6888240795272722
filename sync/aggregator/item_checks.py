"""Checking one sync item before anything is stored. Flask-free, no database.

``check_item`` takes a wire item (``{"header", "ciphertext", "ct_hash"}``) and returns a
``CheckedItem`` or raises ``FieldkitError`` with a machine-readable code:
``crypto.bad_header`` / ``crypto.bad_item`` (the envelope's own checks: header schema,
base64), ``sync.ct_hash_mismatch`` (tampered or damaged), ``sync.item_too_large``,
``sync.unknown_form``, ``sync.form_not_approved``, ``sync.form_mismatch``,
``sync.unknown_key``, ``sync.station_mismatch``, ``sync.training_item``.
``aggregator.ingest`` stores what passes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

import orjson

from fieldkit import dedup
from fieldkit import envelope
from fieldkit.envelope import validate_header
from fieldkit.errors import FieldkitError
from fieldkit.quotas import cell_key

MAX_ITEM_BYTES = 1_000_000        # ciphertext bytes; an interview is a few kB
MAX_ANSWERS = 100_000             # n_answered beyond this is not an interview


@dataclass
class ItemResult:
    """The verdict on one item of a batch, as the sync reply gives it."""
    index: int
    uuid: str | None
    ct_hash: str | None
    status: str
    code: str | None = None
    message: str | None = None
    flagged: bool = False          # sent to the review queue

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "uuid": self.uuid, "ct_hash": self.ct_hash,
                               "status": self.status}
        if self.code:
            out["code"] = self.code
            out["message"] = self.message
        if self.flagged:
            out["flagged"] = True
        return out


@dataclass
class CheckedItem:
    """A checked item, with everything the write phase needs computed beforehand, so the
    time spent holding the database's write lock is only reads, inserts and commit."""
    index: int
    header: dict[str, Any]
    ciphertext: bytes
    ct_hash: str
    cell: str
    header_text: str = ""
    quota_text: str = ""
    sketch_blob: bytes | None = None
    informative: bool = False      # has a sketch of a non-empty answer set
    buckets: list[int] | None = None   # LSH band keys, if it is compared for near-copies
    row: list[Any] | None = None       # its submissions row, verdict columns left blank


def reject(index: int, uuid: Any, ct_hash: Any, error: FieldkitError, lang: str) -> ItemResult:
    return ItemResult(index=index, uuid=uuid if isinstance(uuid, str) else None,
                      ct_hash=ct_hash if isinstance(ct_hash, str) else None, status="rejected",
                      code=error.code, message=error.message(lang))


def ids_of(raw: Any) -> tuple[Any, Any]:
    if not isinstance(raw, Mapping):
        return None, None
    header = raw.get("header")
    uid = header.get("uuid") if isinstance(header, Mapping) else None
    return uid, raw.get("ct_hash")


# --- header validation: marshmallow is the authority, a mirror of it is the fast path ----
# ``envelope.validate_header`` (marshmallow) costs ~250 us per header, which alone would
# cap ingest near 4,000 items/s per core. ``_fast_header_ok`` mirrors the schema with the
# envelope's own patterns; it may only *accept* what the schema accepts (a test fuzzes
# this), and anything it does not accept goes to the schema, which decides and words the
# error. If the schema's field list changes, the fast path switches itself off.
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_FAST_KEYS = frozenset({"v", "uuid", "form_id", "form_hash", "key_id", "station", "enumerator",
                        "site", "quota", "outcome", "keep_partial", "started_at", "ended_at",
                        "n_answered", "fingerprint", "sketch", "over_quota", "training",
                        "payload"})
try:
    _FAST_ON = (frozenset(envelope.HeaderSchema().fields) == _FAST_KEYS
                and envelope.HEADER_VERSION == 1)
    _P_IDENT, _P_CODE = envelope._IDENT.match, envelope._CODE.match
    _P_HEX64, _P_KEY, _P_UTC = envelope._HEX64.match, envelope._KEY_ID.match, envelope._UTC.match
    _OUTCOMES, _PAYLOADS = frozenset(envelope.OUTCOMES), frozenset(envelope.PAYLOAD_KINDS)
    _SKETCH_LEN = envelope.SKETCH_LENGTH
except AttributeError:          # the envelope changed shape: always use the schema
    _FAST_ON = False


_INT_ONLY = {int}        # exact type: a JSON true/false is a bool, which the schema refuses


def _utc_ok(value: Any) -> bool:
    if type(value) is not str or not _P_UTC(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _context_ok(h: dict[str, Any]) -> bool:
    """The fields that are the same for most items of a batch (form, key, station,
    enumerator, site, quota): checked once per distinct value (see ``_fast_header_ok``)."""
    s = str
    quota = h["quota"]
    return bool(
        type(h["form_id"]) is s and _P_IDENT(h["form_id"])
        and type(h["form_hash"]) is s and _P_HEX64(h["form_hash"])
        and type(h["key_id"]) is s and _P_KEY(h["key_id"])
        and type(h["station"]) is s and _P_CODE(h["station"])
        and type(h["enumerator"]) is s and _P_CODE(h["enumerator"])
        and (h["site"] is None or (type(h["site"]) is s and _P_CODE(h["site"])))
        and type(quota) is dict and len(quota) <= 16
        and all(type(k) is s and _P_IDENT(k) and type(v) is s and _P_CODE(v)
                for k, v in quota.items()))


def _fast_header_ok(h: Any, seen: set[tuple[Any, ...]] | None = None) -> bool:
    """True only for headers the schema certainly accepts (see above). ``seen`` (one
    set per batch) remembers contexts already checked; a context is a tuple of strings
    (or None), which compares equal only to the very same strings."""
    if not _FAST_ON or type(h) is not dict or h.keys() != _FAST_KEYS:
        return False
    s = str
    try:
        if seen is None:
            context = _context_ok(h)
        else:
            quota = h["quota"]
            key = (h["form_id"], h["form_hash"], h["key_id"], h["station"], h["enumerator"],
                   h["site"], *(quota.items() if type(quota) is dict else [quota]))
            context = key in seen or _context_ok(h)
            if context:
                seen.add(key)
        sketch = h["sketch"]
        return bool(
            context
            and type(h["v"]) is int and h["v"] == 1
            and type(h["uuid"]) is s and _UUID.match(h["uuid"])
            and type(h["outcome"]) is s and h["outcome"] in _OUTCOMES
            and (h["keep_partial"] is None or type(h["keep_partial"]) is bool)
            and _utc_ok(h["started_at"]) and _utc_ok(h["ended_at"])
            and type(h["n_answered"]) is int and h["n_answered"] >= 0
            and (h["fingerprint"] is None
                 or (type(h["fingerprint"]) is s and _P_HEX64(h["fingerprint"])))
            and (sketch is None or (type(sketch) is list and len(sketch) == _SKETCH_LEN
                                    and set(map(type, sketch)) == _INT_ONLY))
            and type(h["over_quota"]) is bool and type(h["training"]) is bool
            and type(h["payload"]) is s and h["payload"] in _PAYLOADS)
    except (TypeError, ValueError):
        return False


@dataclass
class BatchMemo:
    """What one batch's items share, worked out once: checked header contexts, and each
    distinct quota's cell key and canonical JSON."""
    contexts: set[tuple[Any, ...]] = field(default_factory=set)
    quotas: dict[tuple[tuple[str, str], ...], tuple[str, str]] = field(default_factory=dict)

    def quota(self, quota: dict[str, str]) -> tuple[str, str]:
        key = tuple(quota.items())
        known = self.quotas.get(key)
        if known is None:
            known = self.quotas[key] = (cell_key(quota), header_json(quota))
        return known


def header_json(h: dict[str, Any]) -> str:
    """Canonical JSON of a *validated* header. Every string in it matched an ASCII
    pattern, so NFC normalisation is a no-op and sorted compact JSON gives the very bytes
    of ``canonical_json`` (a test checks); orjson writes it ~10x faster than ``json``."""
    return orjson.dumps(h, option=orjson.OPT_SORT_KEYS).decode("ascii")


def check_item(raw: Any, *, station: str, forms: Mapping[str, tuple[str, bool]],
               key_ids: frozenset[str], max_item_bytes: int = MAX_ITEM_BYTES,
               memo: BatchMemo | None = None) -> CheckedItem:
    """Validate one wire item without touching the database; raise ``FieldkitError``."""
    if not isinstance(raw, Mapping):
        raise FieldkitError("crypto.bad_item", uuid="?", reason="item is not an object")
    uid, ct_hash = ids_of(raw)
    shown = uid if isinstance(uid, str) else "?"
    if raw.keys() - {"header", "ciphertext", "ct_hash"}:
        extra = sorted(map(str, raw.keys() - {"header", "ciphertext", "ct_hash"}))
        raise FieldkitError("crypto.bad_item", uuid=shown,
                            reason="unknown fields: " + ", ".join(extra))
    memo = memo or BatchMemo()
    header = raw.get("header")
    if not _fast_header_ok(header, memo.contexts):
        header = validate_header(header)          # decides; raises crypto.bad_header
    # ranges the schema leaves open but storage needs (SQLite integers are 64-bit,
    # sketch values are packed as 32-bit): refuse instead of failing with a 500
    if header["n_answered"] > MAX_ANSWERS:
        raise FieldkitError("crypto.bad_header", uuid=shown, reason="n_answered is too large")
    sketch = header["sketch"]
    if sketch is not None:
        low, high = min(sketch), max(sketch)
        if low < 0 or high > 0xFFFFFFFF:
            raise FieldkitError("crypto.bad_header", uuid=shown,
                                reason="sketch values must be 32-bit unsigned integers")
    ct_b64 = raw.get("ciphertext")
    if not isinstance(ct_b64, str) or not isinstance(ct_hash, str):
        raise FieldkitError("crypto.bad_item", uuid=shown,
                            reason="ciphertext and ct_hash must be strings")
    if len(ct_b64) > (max_item_bytes * 4) // 3 + 4:
        raise FieldkitError("sync.item_too_large", uuid=shown, limit=max_item_bytes)
    try:
        ciphertext = base64.b64decode(ct_b64, validate=True)
    except (binascii.Error, ValueError):
        raise FieldkitError("crypto.bad_item", uuid=shown, reason="ciphertext is not base64") \
            from None
    if hashlib.sha256(ciphertext).hexdigest() != ct_hash:
        raise FieldkitError("sync.ct_hash_mismatch", uuid=shown)
    if header["training"]:
        raise FieldkitError("sync.training_item", uuid=shown)
    if header["station"] != station:
        raise FieldkitError("sync.station_mismatch", uuid=shown, claimed=header["station"],
                            station=station)
    known = forms.get(header["form_hash"])
    if known is None:
        raise FieldkitError("sync.unknown_form", uuid=shown, form_hash=header["form_hash"])
    if known[0] != header["form_id"]:
        raise FieldkitError("sync.form_mismatch", uuid=shown, form_id=header["form_id"],
                            form_hash=header["form_hash"], registered=known[0])
    if not known[1]:
        raise FieldkitError("sync.form_not_approved", uuid=shown, form_hash=header["form_hash"])
    if header["key_id"] not in key_ids:
        raise FieldkitError("sync.unknown_key", uuid=shown, key_id=header["key_id"])
    cell, quota_text = memo.quota(header["quota"])
    return CheckedItem(index=-1, header=header, ciphertext=ciphertext, ct_hash=ct_hash,
                  cell=cell, header_text=header_json(header), quota_text=quota_text,
                  sketch_blob=dedup.pack(sketch) if sketch else None,
                  informative=sketch is not None and not low == high == dedup.EMPTY)
