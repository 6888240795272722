"""The station's side of sync: ``SyncClient`` (HTTP) and bundles (USB). Flask-free.

``SyncClient(url, credential).sync(outbox)`` pushes every pending sealed submission
in gzip-compressed batches of 100 and marks an item synced only when the reply
acknowledges *that* uuid with *that* ct_hash (``Outbox.mark_synced`` checks the hash
again). Each batch is marked as soon as its reply arrives, so a sync interrupted
anywhere (network, aggregator killed, station killed) resumes with what is left, and
whatever was in flight is simply sent again: the aggregator answers ``duplicate`` for
a resend and counts it once. Network errors, timeouts and 5xx are retried with
backoff; then ``FieldkitError("sync.unreachable" | "sync.server_error")`` is raised,
with everything acknowledged so far already marked.

Bundles (no network): ``write_bundle(outbox, path)`` writes every unsynced item to a
JSON Lines file; ``fieldkit aggregator import`` ingests it with the same dedup rules;
the optional ack file it writes can be applied back with ``apply_ack``.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from fieldkit.canonical import canonical_json
from fieldkit.envelope import SealedItem
from fieldkit.errors import CATALOGUE, FieldkitError

PROTOCOL = 1
ACKED = ("accepted", "duplicate", "conflict", "duplicate_content")
BUNDLE_FORMAT = 1
Progress = Callable[[int, int], Any]


@dataclass
class SyncResult:
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    duplicate_content: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)   # (uuid, code)
    status: dict[str, Any] = field(default_factory=dict)
    batches: int = 0
    acked: int = 0

    def add(self, status: str) -> None:
        if status == "accepted":
            self.accepted += 1
        elif status == "duplicate":
            self.duplicates += 1
        elif status == "conflict":
            self.conflicts += 1
        elif status == "duplicate_content":
            self.duplicate_content += 1


def _error_from_reply(status: int, body: bytes) -> FieldkitError:
    try:
        error = json.loads(body)["error"]
        code = error["code"]
        details = error.get("details") or {}
        if code in CATALOGUE and isinstance(details, dict):
            return FieldkitError(code, **details)
    except (ValueError, KeyError, TypeError):
        pass
    return FieldkitError("sync.server_error", status=status)


def parse_enrollment_code(text: str) -> tuple[str, str]:
    """(aggregator URL, token) from what the admin's QR code holds."""
    try:
        data = json.loads(text.strip())
        url, token = data["url"], data["token"]
        if data.get("fieldkit_enroll") != 1 or not isinstance(url, str) \
                or not isinstance(token, str) or not url.startswith(("http://", "https://")):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise FieldkitError("sync.bad_enrollment_code") from None
    return url.rstrip("/"), token


class SyncClient:
    def __init__(self, base_url: str, credential: str, *, timeout: float = 60.0,
                 retries: int = 3, backoff: float = 1.0, lang: str = "en") -> None:
        self.base_url = base_url.rstrip("/")
        self.credential = credential
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.lang = lang

    # -- HTTP ----------------------------------------------------------------------------
    @staticmethod
    def _request(url: str, body: dict[str, Any], *, headers: dict[str, str], timeout: float,
                 retries: int, backoff: float, lang: str) -> dict[str, Any]:
        data = gzip.compress(json.dumps(body, separators=(",", ":")).encode("utf-8"), 6)
        all_headers = {"Content-Type": "application/json", "Content-Encoding": "gzip",
                       "Accept": "application/json", "Accept-Language": lang,
                       "User-Agent": "fieldkit-station", **headers}
        attempt = 0
        while True:
            attempt += 1
            request = urllib.request.Request(url, data=data, headers=all_headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    raw = response.read()
                try:
                    reply = json.loads(raw)
                except ValueError:
                    raise FieldkitError("sync.bad_reply", reason="not JSON") from None
                if not isinstance(reply, dict) or reply.get("protocol") != PROTOCOL:
                    raise FieldkitError("sync.bad_reply", reason="unexpected protocol")
                return reply
            except urllib.error.HTTPError as exc:
                payload = exc.read()
                if exc.code < 500 and exc.code != 429:
                    raise _error_from_reply(exc.code, payload) from None
                failure = _error_from_reply(exc.code, payload)
                if failure.code not in ("sync.server_error", "general.internal", "sync.not_ready"):
                    failure = FieldkitError("sync.server_error", status=exc.code)
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                reason = getattr(exc, "reason", None) or exc
                failure = FieldkitError("sync.unreachable", url=url, reason=str(reason))
            if attempt > retries:
                raise failure
            time.sleep(backoff * (2 ** (attempt - 1)))

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._request(f"{self.base_url}{path}", body,
                             headers={"Authorization": f"Bearer {self.credential}"},
                             timeout=self.timeout, retries=self.retries, backoff=self.backoff,
                             lang=self.lang)

    @classmethod
    def enroll(cls, base_url: str, token: str, *, timeout: float = 60.0,
               lang: str = "en") -> dict[str, Any]:
        """Exchange a one-time token: station_code, credential, study, enumerators,
        approved_forms, quotas. Not retried on 4xx (a used token stays used)."""
        reply = cls._request(f"{base_url.rstrip('/')}/api/v1/enroll",
                             {"protocol": PROTOCOL, "token": token}, headers={},
                             timeout=timeout, retries=2, backoff=1.0, lang=lang)
        for key in ("station_code", "credential", "study"):
            if key not in reply:
                raise FieldkitError("sync.bad_reply", reason=f"'{key}' missing")
        return reply

    # -- sync ----------------------------------------------------------------------------
    def status(self, pending: int | None = None) -> dict[str, Any]:
        """An empty sync: quotas, allocations, approved forms, revocation."""
        body: dict[str, Any] = {"protocol": PROTOCOL, "items": []}
        if pending is not None:
            body["station_status"] = {"pending": pending}
        return self._post("/api/v1/sync", body).get("status", {})

    def sync(self, outbox: Any, batch_size: int = 100,
             progress: Progress | None = None) -> SyncResult:
        """Push all pending items; mark each synced on its ack. Resumable at any point."""
        result = SyncResult()
        total = int(outbox.stats()["pending"])
        skip: set[str] = set()        # rejected (or unanswered) in this run: not resent now
        sent = 0
        if progress:
            progress(0, total)
        while True:
            batch = [item for item in outbox.pending(limit=batch_size + len(skip))
                     if item.uuid not in skip][:batch_size]
            if not batch:
                break
            pending_now = int(outbox.stats()["pending"])
            try:
                reply = self._post("/api/v1/sync", {
                    "protocol": PROTOCOL, "items": [item.to_wire() for item in batch],
                    "station_status": {"pending": pending_now}})
            except FieldkitError as err:
                if err.code not in ("sync.body_too_large", "sync.too_many_items"):
                    raise
                if len(batch) > 1:       # unusually large items: send smaller batches
                    batch_size = max(1, len(batch) // 2)
                    continue
                skip.add(batch[0].uuid)  # one item alone is too large: keep it, go on
                result.rejected.append((batch[0].uuid, "sync.item_too_large"))
                continue
            acks = self._acks(batch, reply, result, skip)
            outbox.mark_synced(acks)
            result.acked += len(acks)
            result.batches += 1
            result.status = reply.get("status") or {}
            sent += len(batch)
            if progress:
                progress(min(sent, total) if total else sent, max(total, sent))
            if result.status.get("revoked"):
                break
        if result.batches == 0:
            result.status = self.status(pending=int(outbox.stats()["pending"]))
        return result

    @staticmethod
    def _acks(batch: list[SealedItem], reply: dict[str, Any], result: SyncResult,
              skip: set[str]) -> list[tuple[str, str]]:
        results = reply.get("results")
        if not isinstance(results, list):
            raise FieldkitError("sync.bad_reply", reason="'results' missing")
        sent = {(item.uuid, item.ct_hash) for item in batch}
        acks: list[tuple[str, str]] = []
        answered: set[str] = set()
        for entry in results:
            if not isinstance(entry, dict):
                continue
            key = (entry.get("uuid"), entry.get("ct_hash"))
            status = entry.get("status")
            if status in ACKED and key in sent:
                acks.append(key)  # type: ignore[arg-type]
                answered.add(key[0])  # type: ignore[arg-type]
                result.add(status)
            elif status == "rejected":
                index = entry.get("index")
                uid = entry.get("uuid")
                if not isinstance(uid, str) and isinstance(index, int) and 0 <= index < len(batch):
                    uid = batch[index].uuid
                if isinstance(uid, str):
                    answered.add(uid)
                    skip.add(uid)
                    result.rejected.append((uid, str(entry.get("code"))))
        for item in batch:          # an item the reply does not mention: retry next run
            if item.uuid not in answered:
                skip.add(item.uuid)
        return acks


# --- bundles (USB) -----------------------------------------------------------------------
def _bundle_key(credential: str) -> bytes:
    """The bundle MAC key: SHA-256 of the station credential (what the aggregator stores)."""
    return hashlib.sha256(credential.encode("utf-8")).digest()


def write_bundle(outbox: Any, path: str | os.PathLike[str], *, station_code: str | None = None,
                 credential: str | None = None) -> int:
    """Write every unsynced item to ``path`` (JSON Lines). Returns the number of items.

    Line 1 ``{"fieldkit_bundle": 1, "station", "created_at"}``, then one wire item per
    line, then ``{"end": true, "count", "sha256", "mac"}``: ``sha256`` over all bytes
    before the last line detects truncation or damage; ``mac`` (HMAC-SHA256 keyed by the
    hash of the station credential, when given) lets the aggregator check the bundle
    comes from that station. Items stay pending on the station until an ack says so.
    Written to a temp file, fsynced, then renamed: a pulled USB stick leaves no half file.
    """
    from datetime import datetime, timezone

    path = Path(path)
    items: list[SealedItem] = []
    seen: set[str] = set()
    while True:
        page = [i for i in outbox.pending(limit=len(seen) + 500) if i.uuid not in seen]
        if not page:
            break
        for item in page:
            seen.add(item.uuid)
            items.append(item)
    if station_code is None and items:
        station_code = str(items[0].header.get("station"))
    lines = [json.dumps({"fieldkit_bundle": BUNDLE_FORMAT, "station": station_code,
                         "created_at": datetime.now(timezone.utc).strftime(
                             "%Y-%m-%dT%H:%M:%SZ")}, separators=(",", ":"))]
    lines += [json.dumps(item.to_wire(), separators=(",", ":"), ensure_ascii=False)
              for item in items]
    body = ("\n".join(lines) + "\n").encode("utf-8")
    mac = hmac.new(_bundle_key(credential), body, hashlib.sha256).hexdigest() \
        if credential else None
    trailer = json.dumps({"end": True, "count": len(items),
                          "sha256": hashlib.sha256(body).hexdigest(), "mac": mac},
                         separators=(",", ":"))
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(body + trailer.encode("ascii") + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return len(items)


@dataclass
class Bundle:
    station: str
    created_at: str
    items: list[Any]              # raw wire dicts: the importer validates each one
    body: bytes
    mac: str | None

    def verify(self, credential_hash_hex: str) -> bool:
        """True if the MAC was made with the credential whose SHA-256 hex is given."""
        if not self.mac:
            return False
        expected = hmac.new(bytes.fromhex(credential_hash_hex), self.body,
                            hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.mac)


def read_bundle(path: str | os.PathLike[str]) -> Bundle:
    """Parse and check a bundle's framing (not its items); ``sync.bundle_invalid`` if bad."""
    path = Path(path)

    def bad(reason: str) -> FieldkitError:
        return FieldkitError("sync.bundle_invalid", path=str(path), reason=reason)

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise bad(exc.strerror or "cannot be read") from None
    if not raw.endswith(b"\n"):
        raise bad("truncated")
    cut = raw.rstrip(b"\n").rfind(b"\n")
    if cut < 0:
        raise bad("no items and no end line")
    body, last = raw[:cut + 1], raw[cut + 1:]
    try:
        trailer = json.loads(last)
        lines = [json.loads(line) for line in body.decode("utf-8").splitlines() if line]
    except (ValueError, UnicodeDecodeError):
        raise bad("not JSON Lines") from None
    if not isinstance(trailer, dict) or trailer.get("end") is not True:
        raise bad("truncated (no end line)")
    if trailer.get("sha256") != hashlib.sha256(body).hexdigest():
        raise bad("damaged (checksum differs)")
    meta = lines[0] if lines else None
    if not isinstance(meta, dict) or meta.get("fieldkit_bundle") != BUNDLE_FORMAT:
        raise bad("not a fieldkit bundle (or a newer format)")
    if not isinstance(meta.get("station"), str):
        raise bad("no station")
    items = lines[1:]
    if trailer.get("count") != len(items):
        raise bad("item count differs")
    mac = trailer.get("mac")
    return Bundle(station=meta["station"], created_at=str(meta.get("created_at", "")),
                  items=items, body=body, mac=mac if isinstance(mac, str) else None)


def write_ack(path: str | os.PathLike[str], station: str,
              acks: Iterable[tuple[str, str, str]]) -> None:
    """Aggregator side: (uuid, ct_hash, status) of every stored item of an imported bundle."""
    data = {"fieldkit_ack": 1, "station": station,
            "acks": [[u, c, s] for u, c, s in acks if s in ACKED]}
    Path(path).write_bytes(canonical_json(data) + b"\n")


def apply_ack(outbox: Any, path: str | os.PathLike[str]) -> int:
    """Station side: mark synced what an import's ack file acknowledges (uuid + ct_hash)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        acks = [(str(u), str(c)) for u, c, s in data["acks"] if s in ACKED]
        if data.get("fieldkit_ack") != 1:
            raise ValueError
    except (OSError, ValueError, KeyError, TypeError):
        raise FieldkitError("sync.bundle_invalid", path=str(path), reason="not an ack file") \
            from None
    return int(outbox.mark_synced(acks))
