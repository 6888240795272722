"""The ingest core, shared by the HTTP sync API and USB bundle import. Flask-free.

``ingest_batch(db, station, items, via=...)`` takes wire items
(``{"header", "ciphertext", "ct_hash"}``) and returns one result per item, in order:

==================  =====================================================  ========  =====
status              meaning                                                stored    acked
==================  =====================================================  ========  =====
accepted            new UUID (and new content)                             yes       yes
duplicate           same UUID, same ct_hash as a stored one: a resend      no (has)  yes
conflict            same UUID, other ct_hash: kept, flagged for review,    yes       yes
                    never overwrites, never counted
duplicate_content   same keyed fingerprint under another UUID (same        yes       yes
                    answers twice): kept, flagged, not counted
rejected            with a machine-readable ``code`` (see below)           no        no
==================  =====================================================  ========  =====

Rejection codes: those of ``aggregator.item_checks`` (each item checked on its own,
before the write lock), and ``sync.station_revoked``.

One rejected item never blocks the rest. The whole batch is one SQLite transaction
(or one savepoint of a transaction shared with other batches waiting at the same
moment: ``aggregator.group_commit``): either every verdict is stored or none is (then
the station simply sends it again, and a resend is harmless), and no batch is
answered before its commit. Accepted completes whose similarity sketch shares an LSH
band with a stored submission of the same form, at estimated similarity >=
``dedup.NEAR_DUPLICATE_THRESHOLD``, go to the review queue (``near_duplicate``);
nothing is ever deleted.

The aggregator validates headers and hashes; it never opens a ciphertext.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import sqlite_utils

from fieldkit import dedup
from fieldkit.errors import FieldkitError

from aggregator import group_commit, memory_index, quota_service
from aggregator.db import process_local, utc_now
from aggregator.item_checks import (MAX_ITEM_BYTES, BatchMemo, CheckedItem, ItemResult,
                                    check_item, ids_of, reject)
from aggregator.registry import form_index, study_key_ids

MAX_BATCH_ITEMS = 500
STORED_STATUSES = ("accepted", "conflict", "duplicate_content")
ACKED_STATUSES = ("accepted", "duplicate", "conflict", "duplicate_content")
_CHUNK = 400                      # SQLite bound parameters per IN (...)


@dataclass
class BatchResult:
    results: list[ItemResult] = field(default_factory=list)
    counted: dict[tuple[str, str], int] = field(default_factory=dict)  # new completes per cell
    allocations: dict[tuple[str, str], int] | None = None   # this station's, if refreshed

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def summary(self) -> dict[str, int]:
        return {"accepted": self.count("accepted"), "duplicates": self.count("duplicate"),
                "conflicts": self.count("conflict"),
                "duplicate_content": self.count("duplicate_content"),
                "rejected": self.count("rejected")}


# the submissions row ingest writes; the verdict columns are filled under the write lock
_COLUMNS = ("id", "uuid", "ct_hash", "form_id", "form_hash", "key_id", "station",
            "enumerator", "site", "cell_key", "quota", "outcome", "keep_partial",
            "started_at", "ended_at", "n_answered", "fingerprint", "sketch", "over_quota",
            "training", "payload", "header", "status", "counted", "over_target",
            "received_at", "received_via")
_ID, _STATUS, _COUNTED, _OVER_TARGET, _RECEIVED_AT = (
    _COLUMNS.index(c) for c in ("id", "status", "counted", "over_target", "received_at"))
_INSERT_SUBMISSION = (f"INSERT INTO submissions ({', '.join(_COLUMNS)}) "
                      f"VALUES ({', '.join('?' * len(_COLUMNS))})")


def _assign_buckets(items: list[CheckedItem]) -> None:
    """The band keys of the items that will be compared for near-copies (those with a
    sketch of at least MIN_TOKENS answers), in one vectorised call for the batch."""
    compared = [v for v in items
                if v.informative and v.header["n_answered"] >= dedup.MIN_TOKENS]
    if compared:
        keys = memory_index.band_keys(np.array([v.header["sketch"] for v in compared],
                                             dtype=np.uint64),
                                    [v.header["form_id"] for v in compared]).tolist()
        for v, row in zip(compared, keys):
            v.buckets = row


def _prepare(items: list[CheckedItem], via: str) -> None:
    """Work done before taking the write lock: band keys, and each submissions row."""
    _assign_buckets(items)
    for v in items:
        h = v.header
        v.row = [None, h["uuid"], v.ct_hash, h["form_id"], h["form_hash"], h["key_id"],
                 h["station"], h["enumerator"], h["site"], v.cell, v.quota_text,
                 h["outcome"], None if h["keep_partial"] is None else int(h["keep_partial"]),
                 h["started_at"], h["ended_at"], h["n_answered"], h["fingerprint"],
                 v.sketch_blob, int(h["over_quota"]), int(h["training"]), h["payload"],
                 v.header_text, None, None, None, None, via]


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


@dataclass(eq=False)
class _IngestJob(group_commit.Job):
    """One batch on its way to the group commit: validated slots in, results out."""
    station: str = ""
    via: str = "http"
    reported_pending: int | None = None
    refresh_allocations: bool = False
    n_items: int = 0
    started: float = 0.0
    slots: list[ItemResult | CheckedItem] = field(default_factory=list)
    result: BatchResult = field(default_factory=BatchResult)


@dataclass
class _Group:
    """What the batches of one transaction share for near-duplicate search: rows the
    in-memory index does not hold yet, i.e. rows other workers committed since this
    worker last caught up (read under the lock) and the group's own new rows (ids from
    ``below`` up), as band keys, ids and sketches."""
    below: int = 0
    keys: np.ndarray = field(default_factory=lambda: np.empty((0, dedup.BANDS), np.uint64))
    ids: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    sketches: dict[int, tuple[str, list[int]]] = field(default_factory=dict)

    def add(self, ids: Sequence[int], keys: np.ndarray) -> None:
        self.ids = np.concatenate([self.ids, np.asarray(ids, dtype=np.uint64)])
        self.keys = np.concatenate([self.keys, keys.astype(np.uint64)])

    def forget_from(self, first_id: int) -> None:
        """Drop what a rolled-back batch (ids from ``first_id`` up) added."""
        keep = self.ids < np.uint64(first_id)
        self.ids, self.keys = self.ids[keep], self.keys[keep]
        for sid in [sid for sid in self.sketches if sid >= first_id]:
            del self.sketches[sid]

    def pairs(self, ids: np.ndarray, keys: np.ndarray) -> dict[int, list[int]]:
        """For each new row (``ids``, ``keys``), the earlier rows of the group (lower
        ids, new ones included) sharing ``MIN_BAND_HITS`` buckets with it, each bucket
        giving at most its newest ``memory_index.PER_BUCKET``: one sort, then Python only
        over buckets that occur twice (chance collisions are few at this size)."""
        all_ids = np.concatenate([self.ids, ids])
        flat = np.concatenate([self.keys, keys]).ravel()
        owner = np.repeat(all_ids, dedup.BANDS)
        order = np.lexsort((owner, flat))
        bucket, owner = flat[order], owner[order].tolist()
        repeated = np.flatnonzero(bucket[1:] == bucket[:-1]).tolist()
        new = set(ids.tolist())
        hits: dict[tuple[int, int], int] = {}
        k = 0
        while k < len(repeated):            # each run of one bucket: owners ascending
            start = end = repeated[k]
            while k < len(repeated) and repeated[k] == end:
                end, k = end + 1, k + 1
            run = owner[start:end + 1]
            for j, later in enumerate(run):
                if later in new:
                    for earlier in run[max(0, j - memory_index.PER_BUCKET):j]:
                        if earlier != later:
                            hits[(earlier, later)] = hits.get((earlier, later), 0) + 1
        found: dict[int, list[int]] = {}
        for (earlier, later), n in hits.items():
            if n >= dedup.MIN_BAND_HITS:
                found.setdefault(later, []).append(earlier)
        return found


def ingest_batch(db: sqlite_utils.Database, station: str, items: Sequence[Any], *,
                 via: str = "http", revoked: bool = False, lang: str = "en",
                 reported_pending: int | None = None, refresh_allocations: bool = False,
                 max_item_bytes: int = MAX_ITEM_BYTES) -> BatchResult:
    """Classify and store a batch in one transaction (see the module docstring); batches
    of the same process that wait for the write lock together share it (group commit)."""
    job = _IngestJob(station=station, via=via,
                     reported_pending=reported_pending,
                     refresh_allocations=refresh_allocations and not revoked,
                     n_items=len(items), started=time.perf_counter())
    if revoked:
        for index, raw in enumerate(items):
            uid, ct_hash = ids_of(raw)
            job.slots.append(reject(index, uid, ct_hash,
                                     FieldkitError("sync.station_revoked", station=station),
                                     lang))
    else:
        forms = form_index(db)
        key_ids = study_key_ids(db)
        memo = BatchMemo()
        for index, raw in enumerate(items):
            try:
                valid = check_item(raw, station=station, forms=forms, key_ids=key_ids,
                                   max_item_bytes=max_item_bytes, memo=memo)
            except FieldkitError as err:
                uid, ct_hash = ids_of(raw)
                job.slots.append(reject(index, uid, ct_hash, err, lang))
                continue
            valid.index = index
            job.slots.append(valid)
    valid_items = [slot for slot in job.slots if isinstance(slot, CheckedItem)]
    if valid_items:
        _prepare(valid_items, via)
        # outside the write lock: what other processes committed since the last batch
        memory_index.for_database(db).catch_up(db)
    process_local(db, "group_commit", group_commit.GroupCommit).run(db, job, _write_group)
    return job.result


def _next_id(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT COALESCE(MAX(id), 0) FROM submissions").fetchone()[0]) + 1


def _write_group(db: sqlite_utils.Database, jobs: Sequence[group_commit.Job]) -> None:
    """Inside the group's transaction: each batch in a savepoint (a group of one needs
    none: its failure is the transaction's)."""
    index = memory_index.for_database(db)
    group = _Group(below=_next_id(db))
    _add_uncaught_rows(db, index, group)
    if len(jobs) == 1:
        _write_job(db, index, jobs[0], group)  # type: ignore[arg-type]
        return
    for job in jobs:
        first = _next_id(db)
        db.conn.execute("SAVEPOINT ingest_batch")
        try:
            _write_job(db, index, job, group)  # type: ignore[arg-type]
        except Exception as err:               # this batch only; the others go on
            db.conn.execute("ROLLBACK TO ingest_batch")
            group.forget_from(first)
            job.error = err
        db.conn.execute("RELEASE ingest_batch")


def _add_uncaught_rows(db: sqlite_utils.Database, index: memory_index.MemoryIndex,
                       group: _Group) -> None:
    """Rows committed since this worker's index last caught up (another worker's batch,
    usually): searched with the group's own rows. Adding them to the index proper (a
    Python dict per bucket) is left to the next catch-up, outside the write lock."""
    rows = db.execute(
        "SELECT id, uuid, form_id, sketch FROM submissions WHERE id > ? AND id < ? "
        "AND status = 'accepted' AND sketch IS NOT NULL AND n_answered >= ? ORDER BY id",
        [index.upto, group.below, dedup.MIN_TOKENS]).fetchall()
    rows = [r for r in rows if len(r[3]) == 4 * dedup.K]
    if not rows:
        return
    sketches = memory_index.unpack_sketches([r[3] for r in rows])
    usable = memory_index.informative_rows(sketches).tolist()
    rows = [r for r, ok in zip(rows, usable) if ok]
    if rows:
        group.add([r[0] for r in rows], memory_index.band_keys(
            sketches[np.asarray(usable)], [r[2] for r in rows]))
        for sid, uid, _, blob in rows:
            group.sketches[sid] = (uid, dedup.unpack(blob))


def _write_job(db: sqlite_utils.Database, index: memory_index.MemoryIndex, job: _IngestJob,
               group: _Group) -> None:
    result = job.result
    valid_items = [s for s in job.slots if isinstance(s, CheckedItem)]
    stored = (_store(db, index, group, job.station, valid_items, result)
              if valid_items else {})
    for slot in job.slots:
        result.results.append(slot if isinstance(slot, ItemResult) else stored[slot.index])
    now = utc_now()
    if job.via == "http":
        db.execute("UPDATE stations SET last_sync_at = ?, reported_pending = "
                   "COALESCE(?, reported_pending), reported_at = CASE WHEN ? IS NULL "
                   "THEN reported_at ELSE ? END WHERE code = ?",
                   [now, job.reported_pending, job.reported_pending, now, job.station])
    elif result.counted:
        quota_service.consume_allocation(db, job.station, result.counted)
    summary = result.summary()
    rejections = [[r.uuid, r.code] for r in result.results if r.status == "rejected"]
    db.execute("INSERT INTO sync_log (station, at, via, items, accepted, duplicates, "
               "conflicts, duplicate_content, rejected, rejections, duration_ms) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               [job.station, now, job.via, job.n_items, summary["accepted"],
                summary["duplicates"], summary["conflicts"], summary["duplicate_content"],
                summary["rejected"], json.dumps(rejections[:1000]),
                int((time.perf_counter() - job.started) * 1000)])
    if job.refresh_allocations:
        # same transaction: one commit (one fsync) per sync request
        result.allocations = quota_service.refresh_allocations(db, job.station)


def _fingerprint_hits(db: sqlite_utils.Database, index: memory_index.MemoryIndex,
                      items: list[CheckedItem]) -> dict[tuple[str, str], tuple[int, str]]:
    """The oldest stored, non-conflict submission with each item's (form, fingerprint):
    candidates from the in-memory index (rows up to its ``upto``) and the rows after it
    (another worker's last batch, this group's own), checked against the table."""
    wanted = {(v.header["form_id"], v.header["fingerprint"]) for v in items
              if v.header["fingerprint"]}
    if not wanted:
        return {}
    upto = index.upto                     # read first: rows after it are read below
    pairs = sorted(wanted)
    found = index.same_fingerprint(memory_index.fingerprint_keys(
        [fp for _, fp in pairs], [form_id for form_id, _ in pairs]))
    ids = sorted({sid for hits in found for sid in hits if sid <= upto})
    rows = [row for chunk in _chunks(ids) for row in db.execute(
        f"SELECT id, uuid, form_id, fingerprint, status FROM submissions WHERE id IN "
        f"({','.join('?' * len(chunk))})", list(chunk)).fetchall()]
    rows += db.execute("SELECT id, uuid, form_id, fingerprint, status FROM submissions "
                       "WHERE id > ? AND fingerprint IS NOT NULL", [upto]).fetchall()
    by_fp: dict[tuple[str, str], tuple[int, str]] = {}
    for sid, uid, form_id, fp, status in sorted(rows):
        if status != "conflict" and (form_id, fp) in wanted:
            by_fp.setdefault((form_id, fp), (sid, uid))
    return by_fp


def _store(db: sqlite_utils.Database, index: memory_index.MemoryIndex, group: _Group,
           station: str, items: list[CheckedItem], result: BatchResult) -> dict[int, ItemResult]:
    uuids = sorted({v.header["uuid"] for v in items})
    by_uuid: dict[str, list[tuple[int, str]]] = {}        # uuid -> [(id, ct_hash)]
    for chunk in _chunks(uuids):
        for sid, uid, ct in db.execute(
                f"SELECT id, uuid, ct_hash FROM submissions WHERE uuid IN "
                f"({','.join('?' * len(chunk))}) ORDER BY id", list(chunk)).fetchall():
            by_uuid.setdefault(uid, []).append((sid, ct))
    by_fp = _fingerprint_hits(db, index, items)      # (form_id, fp) -> (id, uuid)
    cell_targets = quota_service.targets(db, {v.header["form_id"] for v in items})
    cell_counts = {k: n for k, n in quota_service.counts(db).items() if k in cell_targets}
    next_id = _next_id(db)
    received_at = utc_now()

    out: dict[int, ItemResult] = {}
    activity: dict[tuple[str, str, str], int] = {}
    sub_rows: list[list[Any]] = []
    ct_rows: list[list[Any]] = []
    reviews: list[list[Any]] = []
    near_candidates: list[tuple[int, CheckedItem]] = []
    for v in items:
        h = v.header
        uid, form_id = h["uuid"], h["form_id"]
        previous = by_uuid.get(uid, [])
        if any(ct == v.ct_hash for _, ct in previous):
            out[v.index] = ItemResult(v.index, uid, v.ct_hash, "duplicate")
            continue
        sid = next_id
        next_id += 1
        fp_hit = by_fp.get((form_id, h["fingerprint"])) if h["fingerprint"] else None
        if previous:
            status = "conflict"
            reviews.append(["conflict", form_id, uid, uid, previous[0][0], sid, None])
        elif fp_hit is not None and fp_hit[1] != uid:
            status = "duplicate_content"
            reviews.append(["duplicate_content", form_id, fp_hit[1], uid, fp_hit[0], sid, 1.0])
        else:
            status = "accepted"
        counted = status == "accepted" and h["outcome"] == "completed"
        over_target = False
        if counted:
            key = (form_id, v.cell)
            if key in cell_targets:
                before = cell_counts.get(key, 0)
                over_target = before >= cell_targets[key].target
                cell_counts[key] = before + 1
            result.counted[key] = result.counted.get(key, 0) + 1
            day_key = (form_id, station, h["ended_at"][:10])
            activity[day_key] = activity.get(day_key, 0) + 1
        row: list[Any] = v.row  # type: ignore[assignment]   # made by _prepare
        row[_ID], row[_STATUS], row[_COUNTED] = sid, status, int(counted)
        row[_OVER_TARGET], row[_RECEIVED_AT] = int(over_target), received_at
        sub_rows.append(row)
        ct_rows.append([sid, uid, v.ct_hash, v.ciphertext])
        by_uuid.setdefault(uid, []).append((sid, v.ct_hash))
        if h["fingerprint"] and (form_id, h["fingerprint"]) not in by_fp:
            by_fp[(form_id, h["fingerprint"])] = (sid, uid)
        item = ItemResult(v.index, uid, v.ct_hash, status, flagged=status != "accepted")
        out[v.index] = item
        if status == "accepted" and v.buckets is not None:
            near_candidates.append((sid, v))

    db.conn.executemany(_INSERT_SUBMISSION, sub_rows)
    db.conn.executemany("INSERT INTO ciphertexts (submission_id, uuid, ct_hash, ciphertext) "
                   "VALUES (?, ?, ?, ?)", ct_rows)
    quota_service.add_completes_many(db, result.counted, activity)
    reviews.extend(_near_duplicates(db, index, group, near_candidates, out))
    now = utc_now()
    db.conn.executemany("INSERT OR IGNORE INTO review_items (kind, form_id, uuid_a, uuid_b, "
                   "submission_a, submission_b, score, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [r + [now] for r in reviews])
    return out


def _near_duplicates(db: sqlite_utils.Database, index: memory_index.MemoryIndex, group: _Group,
                     items: list[tuple[int, CheckedItem]], out: dict[int, ItemResult]
                     ) -> list[list[Any]]:
    """Near-duplicate candidates of new accepted sketches; returns review rows.

    The batch's band keys are looked up together in the in-memory LSH index
    (``aggregator.memory_index``; each bucket gives at most its newest
    ``memory_index.PER_BUCKET`` ids, so the work per item is bounded whatever the size of
    the store). A stored submission becomes a candidate only if it shares at least
    ``dedup.MIN_BAND_HITS`` bands with the new one: survey answers overlap a lot by
    chance (few options per question), and single-band collisions with unrelated
    interviews grow with the store, while a real near-copy shares several bands (see
    ``fieldkit.dedup``). Later items of the batch, and of the batches sharing its
    transaction, see earlier ones (``group``). Candidates' sketches are read in one
    query and compared; pairs at or above the threshold go to the review queue. The new
    rows reach the index after they commit (``catch_up``).
    """
    if not items:
        return []
    keys = np.array([v.buckets or [] for _, v in items], dtype=np.uint64)
    sids = np.array([sid for sid, _ in items], dtype=np.uint64)
    in_store = index.near(keys)
    in_group = group.pairs(sids, keys)
    to_fetch = sorted({cid for found in in_store for cid in found})
    sketches = group.sketches            # the group's rows, and now the candidates
    for chunk in _chunks(to_fetch):
        for cid, cuid, blob in db.execute(
                f"SELECT id, uuid, sketch FROM submissions WHERE id IN "
                f"({','.join('?' * len(chunk))})", list(chunk)).fetchall():
            if blob:
                sketches[cid] = (cuid, dedup.unpack(blob))
    for sid, v in items:
        sketches[sid] = (v.header["uuid"], v.header["sketch"])
    group.add(sids.tolist(), keys)
    reviews: list[list[Any]] = []
    for (sid, v), found in zip(items, in_store):
        sketch = v.header["sketch"]
        for cid in dict.fromkeys(found + in_group.get(sid, [])):
            if cid not in sketches:
                continue
            cuid, other = sketches[cid]
            score = dedup.similarity(sketch, other)
            if score >= dedup.NEAR_DUPLICATE_THRESHOLD:
                reviews.append(["near_duplicate", v.header["form_id"], cuid,
                                v.header["uuid"], cid, sid, round(score, 4)])
                out[v.index].flagged = True
    return reviews


def import_bundle(db: sqlite_utils.Database, path: Any, *, allow_unsigned: bool = False,
                  ack_path: Any = None, lang: str = "en",
                  batch_size: int = MAX_BATCH_ITEMS) -> BatchResult:
    """Ingest a USB bundle with exactly the sync semantics (``via="bundle"``).

    The bundle must carry a MAC made with its station's credential (see
    ``client.write_bundle``) unless ``allow_unsigned``. A revoked or unknown station's
    items are all rejected. Large bundles go in transactions of ``batch_size`` items; an
    import interrupted halfway is simply run again (what was stored answers duplicate).
    """
    from aggregator.client import read_bundle, write_ack

    bundle = read_bundle(path)
    row = db.execute("SELECT revoked_at, credential_hash FROM stations WHERE code = ?",
                     [bundle.station]).fetchone()
    total = BatchResult()
    if row is None:
        err = FieldkitError("sync.unknown_station", station=bundle.station)
        for index, raw in enumerate(bundle.items):
            uid, ct_hash = ids_of(raw)
            total.results.append(reject(index, uid, ct_hash, err, lang))
        return total
    revoked_at, credential_hash = row
    if not (credential_hash and bundle.verify(credential_hash)) and not allow_unsigned:
        raise FieldkitError("sync.bundle_signature", path=str(path), station=bundle.station)
    for start in range(0, len(bundle.items), batch_size):
        part = ingest_batch(db, bundle.station, bundle.items[start:start + batch_size],
                            via="bundle", revoked=bool(revoked_at), lang=lang)
        for item in part.results:
            item.index += start
            total.results.append(item)
        for key, n in part.counted.items():
            total.counted[key] = total.counted.get(key, 0) + n
    if ack_path is not None:
        write_ack(ack_path, bundle.station,
                  [(r.uuid, r.ct_hash, r.status) for r in total.results
                   if r.uuid and r.ct_hash])
    return total
