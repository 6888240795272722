"""The crash journal of an interview in progress: encrypted, append-only, fsynced.

While an interview runs, its answers live in the station process's memory. So that a
crash, a ``kill -9`` or a power cut loses nothing and exposes nothing, every change
is also appended to a journal file ``<journal_dir>/<uuid>.fkj``:

File layout (all integers big-endian)::

    b"FKJ1"
    u32 n, pre-header      canonical JSON of the pre-header (clear: the same facts the
                           clear header shows anyway -- uuid, form id/hash, key id,
                           station, enumerator, site, quota known so far, started_at,
                           training; never an answer)
    u32 n, sealed key      HPKE(study public key, info = b"fieldkit/journal/v1\\x00" +
                           canonical_json(pre-header), plaintext = 32-byte random key)
    then, per event i = 1, 2, ...:
    u32 n, record          ChaCha20-Poly1305(key, nonce = 4 zero bytes || u64 i,
                           aad = b"fieldkit/journal/v1\\x00" || uuid || u64 i,
                           plaintext = exact_json(event): no Unicode
                           normalisation, so text comes back exactly as typed)

Why this shape:

* **The per-interview key exists only in memory** (and sealed to the study key in
  the file). The station can write the journal but never read it back; a seized
  laptop's journal is as opaque as a sealed submission.
* **One random key per interview + a counter nonce**: nonces never repeat under a
  key without any randomness or state on disk; the counter in nonce and AAD also
  pins each record to its position, so a dropped, duplicated or reordered record
  makes replay stop there instead of yielding a silently different interview.
* **fsync after every record** (and of the directory at creation): an answer the
  enumerator saw accepted is on disk. A torn last record (power cut mid-write) fails
  its tag and replay ends cleanly before it. If a write fails (disk full), the torn
  record is cut off and the journal refuses further records rather than ever reuse
  a counter, i.e. a nonce (what was journaled so far stays recoverable).
* **Sealing the key with the pre-header as info** binds the key to this interview's
  identity: a journal whose pre-header was edited no longer yields its key.
* The journal holds an exclusive ``flock`` while open, so recovery never touches a
  journal that a live process is still writing.

Recovery (:func:`recover_journals`, at station start) needs no private key: every
leftover journal becomes a submission with ``outcome="interrupted"`` and
``payload="journal"``, stored in the outbox in one transaction; the files are then
deleted.

**Deviation from the contract (stronger, same API):** the recovered item's
ciphertext is not the raw journal bytes but ``HPKE(study key, info = b"fieldkit/v1\\x00"
+ canonical_json(header), plaintext = journal bytes)`` -- the same sealing as a
finished submission. Only this way is *every* header field (outcome, ended_at,
n_answered, ...) bound, as for ``hpke`` items; ``open_sealed`` unwraps it and then
checks that the journal's pre-header agrees with the header. For recovered items
``n_answered`` is the number of journal events (an upper bound on answers: the
station cannot decrypt the journal to count better) and ``ended_at`` is the time of
the last write.

Event vocabulary (what the station appends; each event is a JSON object with a
type ``t``; an ``at`` UTC timestamp is added by :meth:`Journal.append` if absent):

=====================================================  ===================================
``{"t": "answer", "q": qid, "v": value}``              answer set or changed (stored form:
                                                       code, list, band code, text,
                                                       ``_dk``/``_pna``/``_skip``)
``{"t": "clear", "q": qid}``                           answer removed (no longer relevant)
``{"t": "lang", "v": "mr"}``                           interview language (first/changed)
``{"t": "consent", "v": "verbal"|"written"|"refused"}`` consent given (mode) or refused
``{"t": "eligible", "v": true|false}``                 eligibility screening result
``{"t": "page", "q": qid}``                            a question was shown (paradata)
``{"t": "note", "v": text}``                           interviewer note (already redacted)
``{"t": "paradata", "k": key, "v": value}``            any other paradata, last one wins
``{"t": "end", "outcome": o, "keep_partial": b}``      the interview ended (sealing follows)
=====================================================  ===================================

Unknown types are kept in ``paradata["unknown_events"]`` rather than dropped. Free
text in recovered answers and notes passes :func:`fieldkit.privacy.redact` during
replay (the station redacts at finish, which an interrupted interview never reached),
with the counts in ``paradata["redactions"]``.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import struct
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from fieldkit.canonical import canonical_json, sha256_hex
from fieldkit.crypto import SUITE, exact_json, header_info, open_hpke
from fieldkit.envelope import HEADER_VERSION, SealedItem, utc_timestamp, validate_header
from fieldkit.errors import FieldkitError

MAGIC = b"FKJ1"
SUFFIX = ".fkj"
KEY_INFO_PREFIX = b"fieldkit/journal/v1\x00"
AAD_PREFIX = b"fieldkit/journal/v1\x00"
MAX_RECORD = 1 << 20
PRE_HEADER_FIELDS = ("v", "uuid", "form_id", "form_hash", "key_id", "station", "enumerator",
                     "site", "quota", "started_at", "training")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")


def _nonce(counter: int) -> bytes:
    return b"\x00\x00\x00\x00" + _U64.pack(counter)


def _aad(uuid: str, counter: int) -> bytes:
    return AAD_PREFIX + uuid.encode("ascii") + _U64.pack(counter)


def _frame(data: bytes) -> bytes:
    return _U32.pack(len(data)) + data


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _interrupted_header(pre: Mapping[str, Any], *, ended_at: str, n_events: int
                        ) -> dict[str, Any]:
    return {
        "v": HEADER_VERSION, "uuid": pre["uuid"], "form_id": pre["form_id"],
        "form_hash": pre["form_hash"], "key_id": pre["key_id"], "station": pre["station"],
        "enumerator": pre["enumerator"], "site": pre.get("site"),
        "quota": dict(pre.get("quota") or {}), "outcome": "interrupted", "keep_partial": None,
        "started_at": pre["started_at"], "ended_at": max(ended_at, pre["started_at"]),
        "n_answered": n_events, "fingerprint": None, "sketch": None, "over_quota": False,
        "training": bool(pre.get("training", False)), "payload": "journal",
    }


class Journal:
    """An open crash journal. Create with :meth:`start`; one per interview."""

    def __init__(self, path: Path, fd: int, uuid: str, key: bytes) -> None:
        self.path = path
        self.uuid = uuid
        self._fd: int | None = fd
        self._aead: ChaCha20Poly1305 | None = ChaCha20Poly1305(key)
        self._broken = False
        self.events = 0

    @classmethod
    def start(cls, journal_dir: str | os.PathLike[str], pre_header: Mapping[str, Any],
              study: Any) -> "Journal":
        """Create ``<journal_dir>/<uuid>.fkj`` with a fresh key sealed to the study key.

        ``pre_header`` needs uuid, form_id, form_hash, station, enumerator and
        started_at; site, quota (known so far) and training are optional; key_id
        defaults to the study's current key. It is validated as a header would be.
        """
        pre = {k: pre_header[k] for k in PRE_HEADER_FIELDS if k in pre_header}
        extra = set(pre_header) - set(PRE_HEADER_FIELDS)
        if extra:
            raise ValueError(f"not pre-header fields: {sorted(extra)}")
        pre.setdefault("v", HEADER_VERSION)
        pre.setdefault("key_id", study.current_key_id)
        pre.setdefault("site", None)
        pre.setdefault("quota", {})
        pre.setdefault("training", False)
        validate_header(_interrupted_header(pre, ended_at=pre.get("started_at", ""), n_events=0))
        public_key = study.public_keys[pre["key_id"]]
        key = secrets.token_bytes(32)
        pre_bytes = canonical_json(pre)
        sealed_key = SUITE.encrypt(key, public_key, info=KEY_INFO_PREFIX + pre_bytes)
        journal_dir = Path(journal_dir)
        journal_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = journal_dir / f"{pre['uuid']}{SUFFIX}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(fd, MAGIC + _frame(pre_bytes) + _frame(sealed_key))
            os.fsync(fd)
            _fsync_dir(journal_dir)
        except BaseException:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        return cls(path, fd, pre["uuid"], key)

    def append(self, event: Mapping[str, Any]) -> None:
        """Encrypt, append and fsync one event (see the vocabulary above)."""
        if self._fd is None or self._aead is None:
            raise RuntimeError("journal is closed")
        if not isinstance(event.get("t"), str):
            raise ValueError("an event needs a type 't'")
        if self._broken:
            raise RuntimeError("journal write failed earlier; the interview continues in "
                               "memory only")
        event = dict(event)
        event.setdefault("at", utc_timestamp())
        counter = self.events + 1
        record = self._aead.encrypt(_nonce(counter), exact_json(event),
                                    _aad(self.uuid, counter))
        if len(record) > MAX_RECORD:
            raise ValueError("journal event too large")
        frame = memoryview(_frame(record))
        good_size = os.fstat(self._fd).st_size
        try:
            while frame:
                frame = frame[os.write(self._fd, frame):]
            os.fsync(self._fd)
        except OSError:
            # Disk full or I/O error. A counter (= nonce) that may have reached the
            # disk is never used again: this journal takes no more records, so no two
            # ciphertexts under one key and nonce can ever exist. Cut the torn record.
            self._broken = True
            try:
                os.ftruncate(self._fd, good_size)
                os.fsync(self._fd)
            except OSError:
                pass
            raise
        self.events = counter

    def close(self) -> None:
        """Close, keeping the file (it will be recovered as interrupted)."""
        if self._fd is not None:
            os.close(self._fd)   # also releases the flock
        self._fd = None
        self._aead = None

    def close_and_discard(self) -> None:
        """The interview was sealed and stored: close and delete the journal."""
        self.close()
        self.path.unlink(missing_ok=True)
        _fsync_dir(self.path.parent)

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# --- reading (no key needed for the frame; the key is needed for events) -----------

class _Parsed:
    def __init__(self, pre: dict[str, Any], pre_bytes: bytes, sealed_key: bytes,
                 records: list[bytes], torn_tail: bool) -> None:
        self.pre, self.pre_bytes, self.sealed_key = pre, pre_bytes, sealed_key
        self.records, self.torn_tail = records, torn_tail


def _parse(data: bytes) -> _Parsed | None:
    """Split a journal into its parts; None if it has no complete key record."""
    if MAGIC.startswith(data):
        return None    # killed between creating the file and writing its magic: empty
    if not data.startswith(MAGIC):
        raise ValueError("not a fieldkit journal")
    pos = len(MAGIC)
    parts: list[bytes] = []
    torn = False
    while pos < len(data):
        if pos + 4 > len(data):
            torn = True
            break
        (n,) = _U32.unpack_from(data, pos)
        if n > MAX_RECORD or pos + 4 + n > len(data):
            torn = True
            break
        parts.append(data[pos + 4:pos + 4 + n])
        pos += 4 + n
    if len(parts) < 2:
        return None
    pre = json.loads(parts[0].decode("utf-8"))
    if not isinstance(pre, dict) or canonical_json(pre) != parts[0]:
        raise ValueError("pre-header is not canonical JSON")
    return _Parsed(pre, parts[0], parts[1], parts[2:], torn)


def replay(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Fold journal events into ``{"answers": {...}, "paradata": {...}}``."""
    answers: dict[str, Any] = {}
    paradata: dict[str, Any] = {"interrupted": True, "events": len(events), "pages": [],
                                "notes": []}
    unknown: list[dict[str, Any]] = []
    for ev in events:
        t = ev.get("t")
        if t == "answer" and isinstance(ev.get("q"), str):
            answers[ev["q"]] = ev.get("v")
        elif t == "clear" and isinstance(ev.get("q"), str):
            answers.pop(ev["q"], None)
        elif t == "lang":
            paradata.setdefault("languages", []).append(ev.get("v"))
            paradata["lang"] = ev.get("v")
        elif t in ("consent", "eligible"):
            paradata[t] = ev.get("v")
        elif t == "page":
            paradata["pages"].append(ev.get("q"))
        elif t == "note":
            paradata["notes"].append(ev.get("v"))
        elif t == "paradata" and isinstance(ev.get("k"), str):
            paradata[ev["k"]] = ev.get("v")
        elif t == "end":
            paradata["ended"] = {"outcome": ev.get("outcome"),
                                 "keep_partial": ev.get("keep_partial")}
        else:
            unknown.append(ev)
        if "at" in ev:
            paradata.setdefault("first_event_at", ev["at"])
            paradata["last_event_at"] = ev["at"]
    if unknown:
        paradata["unknown_events"] = unknown
    # The station journals answers as typed; its PII redaction runs at finish, which an
    # interrupted interview never reached. Redact here, before anything is written out.
    from fieldkit.privacy import redact
    counts: dict[str, int] = {}

    def scrub(value: Any) -> Any:
        if isinstance(value, str) and not value.startswith("_"):
            r = redact(value)
            for kind, n in r.counts.items():
                counts[kind] = counts.get(kind, 0) + n
            return r.text
        return value
    answers = {qid: scrub(v) for qid, v in answers.items()}
    paradata["notes"] = [scrub(n) for n in paradata["notes"]]
    paradata["redactions"] = counts
    return {"answers": answers, "paradata": paradata}


def read_journal(data: bytes, private_key: X25519PrivateKey, *, uuid: str = "?"
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Decrypt raw journal bytes: (pre-header, replayed payload)."""
    try:
        parsed = _parse(data)
    except (ValueError, UnicodeDecodeError):
        parsed = None
    if parsed is None:
        raise FieldkitError("crypto.open_failed", uuid=uuid, key_id="?",
                            reason="the journal is damaged")
    try:
        key = SUITE.decrypt(parsed.sealed_key, private_key,
                            info=KEY_INFO_PREFIX + parsed.pre_bytes)
    except (InvalidTag, ValueError):
        raise FieldkitError("crypto.open_failed", uuid=uuid,
                            key_id=parsed.pre.get("key_id", "?"),
                            reason="wrong key, or the journal was changed") from None
    aead = ChaCha20Poly1305(key)
    events: list[dict[str, Any]] = []
    complete = not parsed.torn_tail
    for i, record in enumerate(parsed.records, start=1):
        try:
            plain = aead.decrypt(_nonce(i), record, _aad(str(parsed.pre.get("uuid")), i))
        except InvalidTag:
            complete = False     # a damaged or torn record: keep what came before
            break
        events.append(json.loads(plain.decode("utf-8")))
    payload = replay(events)
    payload["paradata"]["journal_complete"] = complete
    return parsed.pre, payload


def open_journal_item(item: SealedItem, private_key: X25519PrivateKey) -> dict[str, Any]:
    """Open a recovered (``payload="journal"``) submission; see the module docstring."""
    data = open_hpke(item, private_key, header_info(item.header))
    pre, payload = read_journal(data, private_key, uuid=item.uuid)
    for field in PRE_HEADER_FIELDS:
        if pre.get(field) != item.header.get(field):
            raise FieldkitError("crypto.open_failed", uuid=item.uuid, key_id=item.key_id,
                                reason=f"header {field} differs from the journal")
    return payload


def journal_header(data: bytes, ended_at: str) -> dict[str, Any] | None:
    """The validated "interrupted" header a raw journal would be recovered under.

    None if the journal holds no key record (it crashed while starting: nothing in
    it). Raises ``ValueError`` or ``FieldkitError`` if it is damaged. Used by export
    to read journals copied straight off a station that never restarted.
    """
    parsed = _parse(data)
    if parsed is None:
        return None
    try:
        return validate_header(_interrupted_header(parsed.pre, ended_at=ended_at,
                                                   n_events=len(parsed.records)))
    except (KeyError, TypeError):
        raise ValueError("pre-header incomplete") from None


# --- recovery -------------------------------------------------------------------------

def recover_journals(journal_dir: str | os.PathLike[str], outbox: Any, study: Any
                     ) -> list[str]:
    """Turn every leftover journal into a sealed "interrupted" submission in ``outbox``.

    All recovered items are stored in one transaction, then the files are deleted.
    Journals held open by a live process are skipped. A journal that crashed before
    its key record was complete holds nothing and is deleted. A file that is not a
    journal at all is left alone; a journal whose pre-header cannot make a valid
    header is renamed ``*.damaged`` (it stays encrypted) so it is not retried forever.
    An interview whose uuid is already in the outbox (it was sealed and stored, and
    the crash came before its journal was discarded) is not recovered twice: its
    journal is just deleted. Returns the uuids recovered.
    """
    journal_dir = Path(journal_dir)
    if not journal_dir.is_dir():
        return []
    items: list[SealedItem] = []
    done: list[Path] = []
    empty: list[Path] = []
    locks: list[int] = []
    try:
        for path in sorted(journal_dir.glob(f"*{SUFFIX}")):
            fd = os.open(path, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue                      # a live interview
            locks.append(fd)
            data = path.read_bytes()
            try:
                parsed = _parse(data)
            except (ValueError, UnicodeDecodeError):
                if data.startswith(MAGIC):
                    path.rename(path.with_name(path.name + ".damaged"))
                continue
            if parsed is None:
                empty.append(path)
                continue
            if any(i.uuid == parsed.pre.get("uuid") for i in items):
                # A second journal naming the same interview (a copied file): keep it
                # aside rather than let one bad file block every recovery.
                path.rename(path.with_name(path.name + ".damaged"))
                continue
            if outbox.get(str(parsed.pre.get("uuid"))) is not None:
                # Sealed and stored, but the process died before discarding the journal.
                empty.append(path)
                continue
            mtime = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
            try:
                header = validate_header(_interrupted_header(
                    parsed.pre, ended_at=utc_timestamp(mtime), n_events=len(parsed.records)))
                public_key = study.public_keys[header["key_id"]]
            except (FieldkitError, KeyError, TypeError):
                path.rename(path.with_name(path.name + ".damaged"))
                continue
            ciphertext = SUITE.encrypt(data, public_key, info=header_info(header))
            items.append(SealedItem(header, ciphertext, sha256_hex(ciphertext)))
            done.append(path)
        if items:
            outbox.store_many(items)
        for path in done + empty:
            path.unlink(missing_ok=True)
        if done or empty:
            _fsync_dir(journal_dir)
    finally:
        for fd in locks:
            os.close(fd)
    return [item.uuid for item in items]
