"""In-memory lookup indexes over the stored submissions, rebuilt from the table.

Two of ingest's lookups do not go through SQLite indexes:

* **near-duplicates** (LSH): every accepted submission's similarity sketch
  (``fieldkit.dedup``) is cut into ``dedup.BANDS`` bands; a band hashes to a 32-bit
  bucket key, scoped by form. Two submissions that share ``dedup.MIN_BAND_HITS``
  buckets are candidates, and ingest compares their sketches.
* **duplicate content**: the keyed fingerprint, as a 32-bit key scoped by form; a hit is
  checked against the stored row (a 32-bit key may collide; the row decides).

Why not SQLite: both keys are random, so as B-tree indexes each sync batch of 100
wrote its entries at random places: 800 band rows (800 pages of WAL at a million
stored) and 100 fingerprint entries (~100 pages, 400 KB of WAL per batch, at any size
beyond a few thousand). With the band table the per-item cost grew 2.4-3.1x between
10k and 1M stored; a bare insert of the same rows with only the fingerprint and uuid
indexes ran at 11,000 rows/s against 29,000 without. Here each index is a set of numpy
arrays (``Postings``) searched for a whole batch at once; nothing is written to disk.

The indexes are derived data. The truth is the ``submissions`` table; each worker
process builds its ``MemoryIndex`` on first use (gunicorn's ``post_worker_init``) and
then catches up on rows committed since the last id it saw (``catch_up``). Submission
ids grow in commit order (they are assigned under the write lock), so "id greater than
the last seen" finds exactly the new rows, and a transaction that rolled back never
reaches the index. Rows committed after a worker's last catch-up are few (another
worker's last batch); ingest reads those from the table under the write lock.
Building from a million stored submissions takes a few seconds, once per worker.
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from fieldkit import dedup

from aggregator.db import process_local

PER_BUCKET = 32           # newest N ids per bucket are candidates: bounded work per lookup
MERGE_AT = 65_536         # recent entries merged into the sorted array in one go
_FETCH = 50_000           # rows per read while catching up

_LOW32 = np.uint64(0xFFFFFFFF)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(0x100000001B3)
_FMIX1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_BAND_SALT = np.arange(1, dedup.BANDS + 1, dtype=np.uint64) * _GOLDEN


@lru_cache(maxsize=256)
def _scope_seed(scope: str) -> int:
    return int.from_bytes(hashlib.blake2b(scope.encode("utf-8"), digest_size=8).digest(), "big")


def band_keys(sketches: np.ndarray, scopes: Sequence[str]) -> np.ndarray:
    """32-bit LSH bucket keys, shape ``(n, BANDS)``, of ``n`` sketches (shape ``(n, K)``).

    ``scopes[i]`` (the form id) is mixed into every key of row ``i``, and the band
    number too, so only bands of the same form and position share a bucket. The sketch
    values are keyed MinHash outputs already, so a multiply-xorshift mix of each band's
    values (finished with MurmurHash3's 64-bit finaliser) spreads them evenly.
    """
    n = len(scopes)
    values = np.asarray(sketches, dtype=np.uint64).reshape(n, dedup.BANDS, dedup.ROWS)
    seeds = np.fromiter((_scope_seed(s) for s in scopes), dtype=np.uint64, count=n)
    h = seeds[:, None] ^ _BAND_SALT[None, :]
    for row in range(dedup.ROWS):
        h = (h ^ values[:, :, row]) * _PRIME
        h ^= h >> np.uint64(29)
    h ^= h >> np.uint64(33)
    h *= _FMIX1
    h ^= h >> np.uint64(33)
    h *= _FMIX2
    h ^= h >> np.uint64(33)
    return h >> np.uint64(32)


def fingerprint_keys(fingerprints: Sequence[str], scopes: Sequence[str]) -> np.ndarray:
    """32-bit keys, shape ``(n, 1)``, of fingerprints (64 hex: the first 32 bits of an
    HMAC are already uniform), scoped by form."""
    return np.fromiter(((int(fp[:8], 16) ^ _scope_seed(scope)) & 0xFFFFFFFF
                        for fp, scope in zip(fingerprints, scopes)),
                       dtype=np.uint64, count=len(scopes)).reshape(-1, 1)


def unpack_sketches(blobs: Sequence[bytes]) -> np.ndarray:
    """Stored sketches (``dedup.pack``: big-endian uint32) as a ``(n, K)`` uint64 array."""
    flat = np.frombuffer(b"".join(blobs), dtype=">u4")
    return flat.astype(np.uint64).reshape(len(blobs), dedup.K)


def informative_rows(sketches: np.ndarray) -> np.ndarray:
    """Mask of rows that are not the sketch of an empty answer set."""
    return (sketches != np.uint64(dedup.EMPTY)).any(axis=1)


DIRECTORY_FROM = 1 << 17  # buckets: above this a bisection mostly misses the CPU cache
_WIDEST = 16              # directory partitions searched by a window up to this wide
_U32 = np.uint32


class Postings:
    """Key -> its newest ``PER_BUCKET`` submission ids (not thread-safe: ``MemoryIndex``
    holds the lock).

    Stored as three arrays, like a sparse matrix in CSR form: the sorted distinct
    buckets, where each bucket's ids start, and the ids (newest first, at most
    PER_BUCKET per bucket; older ones are never returned, so a merge drops them).
    Above ``DIRECTORY_FROM`` buckets a directory (where each value of the buckets' top
    bits starts) turns a search into one directory read and a few neighbouring buckets,
    instead of bisecting tens of megabytes with a cache miss at nearly every step.
    Recent entries wait in a dict until there are ``MERGE_AT`` of them, or 1/32 of the
    index, so merging costs in proportion to what is added whatever the store's size.
    """

    def __init__(self) -> None:
        self._set(np.empty(0, _U32), np.zeros(1, _U32), np.empty(0, _U32))
        self._recent: dict[int, list[int]] = {}        # ids ascending per bucket
        self._recent_n = 0

    def copy(self) -> "Postings":
        twin = Postings()
        twin._set(self._buckets.copy(), self._starts.copy(), self._ids.copy())
        twin._recent_n = self._recent_n
        twin._recent = {bucket: list(ids) for bucket, ids in self._recent.items()}
        return twin

    def __len__(self) -> int:
        return len(self._ids) + self._recent_n

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays (the recent dict aside)."""
        arrays = [self._buckets, self._starts, self._ids, self._directory]
        return sum(a.nbytes for a in arrays if a is not None)

    def add(self, keys: np.ndarray, ids: Sequence[int]) -> None:
        """Add row ``i``'s keys (``keys[i]``, 32-bit values) for submission ``ids[i]``;
        ids must be higher than every id already added."""
        if not len(ids):
            return
        width = keys.shape[1]
        merge_at = max(MERGE_AT, len(self._ids) // 32)
        if len(ids) * width >= merge_at:            # a build or a large catch-up: bulk
            self._merge(keys.ravel(), np.repeat(np.asarray(ids, np.uint64), width))
            return
        recent = self._recent
        for sid, row in zip(ids, keys.tolist()):
            for bucket in row:
                if bucket in recent:
                    recent[bucket].append(sid)
                else:
                    recent[bucket] = [sid]
        self._recent_n += len(ids) * width
        if self._recent_n >= merge_at:
            self._merge(np.fromiter((b for b, sids in recent.items() for _ in sids),
                                    dtype=np.uint64, count=self._recent_n),
                        np.fromiter((sid for sids in recent.values() for sid in sids),
                                    dtype=np.uint64, count=self._recent_n))
            self._recent, self._recent_n = {}, 0

    def _merge(self, buckets: np.ndarray, ids: np.ndarray) -> None:
        # as one sorted array of bucket << 32 | (2**32 - 1 - id): a bucket's newest first
        lengths = np.diff(self._starts.astype(np.int64))
        old = ((np.repeat(self._buckets.astype(np.uint64), lengths) << np.uint64(32))
               | (_LOW32 - self._ids.astype(np.uint64)))
        new = (buckets << np.uint64(32)) | (_LOW32 - ids)
        new.sort()
        merged = np.insert(old, np.searchsorted(old, new), new)
        bucket_of = merged >> np.uint64(32)
        first = np.ones(len(merged), dtype=bool)
        first[1:] = bucket_of[1:] != bucket_of[:-1]
        position = np.arange(len(merged))
        rank = position - np.maximum.accumulate(np.where(first, position, 0))
        keep = rank < PER_BUCKET
        merged, first = merged[keep], first[keep]
        starts = np.append(np.flatnonzero(first), len(merged))
        self._set((merged[first] >> np.uint64(32)).astype(_U32), starts.astype(_U32),
                  (_LOW32 - (merged & _LOW32)).astype(_U32))

    def _set(self, buckets: np.ndarray, starts: np.ndarray, ids: np.ndarray) -> None:
        self._buckets, self._starts, self._ids = buckets, starts, ids
        self._directory: np.ndarray | None = None
        if len(buckets) <= DIRECTORY_FROM:
            return
        bits = len(buckets).bit_length() - 1            # 1-2 buckets per partition
        self._shift = _U32(32 - bits)
        counts = np.bincount((buckets >> self._shift).astype(np.intp), minlength=1 << bits)
        self._directory = np.zeros((1 << bits) + 1, dtype=np.int32)
        np.cumsum(counts, out=self._directory[1:])
        self._columns = np.arange(min(_WIDEST, int(counts.max())), dtype=np.int64)

    def _find(self, needles: np.ndarray) -> np.ndarray:
        """``np.searchsorted(self._buckets, needles)``, through the directory if any."""
        if self._directory is None:
            return np.searchsorted(self._buckets, needles)
        part = (needles >> self._shift).astype(np.intp)
        low, high = self._directory[part], self._directory[part + 1]
        at = low[:, None] + self._columns
        below = self._buckets[np.minimum(at, len(self._buckets) - 1)] < needles[:, None]
        found = low + (below & (at < high[:, None])).sum(axis=1)
        wide = high - low > len(self._columns)
        if wide.any():
            found[wide] = np.searchsorted(self._buckets, needles[wide])
        return found

    def candidates(self, keys: np.ndarray, min_hits: int) -> list[list[int]]:
        """For each row of ``keys`` (shape ``(n, width)``), the submission ids found in
        at least ``min_hits`` of its buckets (each giving its newest PER_BUCKET ids)."""
        n, width = keys.shape
        flat = np.ascontiguousarray(keys, dtype=np.uint64).ravel()
        owner = np.arange(len(flat), dtype=np.uint64) // np.uint64(width)
        recent = [self._recent.get(b) for b in flat.tolist()] if self._recent else []
        pairs = np.asarray([(int(o) << 32) | sid
                            for o, group in zip(owner.tolist(), recent) if group
                            for sid in group[-PER_BUCKET:]], dtype=np.uint64)
        if len(self._buckets):
            needles = flat.astype(_U32)
            at = np.minimum(self._find(needles), len(self._buckets) - 1)
            begin = self._starts[at].astype(np.int64)
            room = PER_BUCKET - np.fromiter((len(g) if g else 0 for g in recent),
                                            dtype=np.int64, count=len(recent)) \
                if recent else PER_BUCKET
            length = np.where(self._buckets[at] == needles,
                              np.minimum(self._starts[at + 1] - begin, room), 0).clip(0)
            total = int(length.sum())
            if total:
                ends = np.cumsum(length)
                offsets = np.repeat(begin - (ends - length), length) + np.arange(total)
                ids = self._ids[offsets].astype(np.uint64)
                owners = np.repeat(owner, length)
                pairs = np.concatenate([pairs, (owners << np.uint64(32)) | ids])
        found: list[list[int]] = [[] for _ in range(n)]
        if len(pairs):
            unique, counts = np.unique(pairs, return_counts=True)
            for pair in unique[counts >= min_hits].tolist():
                found[pair >> 32].append(pair & 0xFFFFFFFF)
        return found


class MemoryIndex:
    """The near-duplicate and fingerprint indexes of one database, in one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.bands, self.fingerprints = Postings(), Postings()
        self.upto = 0                                  # highest submission id seen

    def copy(self) -> "MemoryIndex":
        """An independent copy (the benchmark measures on copies of one built index)."""
        with self._lock:
            twin = MemoryIndex()
            twin.bands, twin.fingerprints = self.bands.copy(), self.fingerprints.copy()
            twin.upto = self.upto
            return twin

    @property
    def nbytes(self) -> int:
        return self.bands.nbytes + self.fingerprints.nbytes

    def catch_up(self, db: Any) -> int:
        """Index the rows committed since the last call; returns how many were read.
        Call it outside a write transaction, which would show the caller's own rows."""
        with self._lock:
            top = db.execute("SELECT COALESCE(MAX(id), 0) FROM submissions").fetchone()[0]
            if top < self.upto:          # the database was replaced or restored: start over
                self._reset()
            added = 0
            while self.upto < top:
                rows = db.execute(
                    "SELECT id, form_id, status, n_answered, sketch, fingerprint "
                    "FROM submissions WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
                    [self.upto, top, _FETCH]).fetchall()
                self._add(rows)
                added += len(rows)
                self.upto = rows[-1][0] if len(rows) == _FETCH else top
            return added

    def _add(self, rows: list[tuple[Any, ...]]) -> None:
        compared = [r for r in rows if r[2] == "accepted" and r[3] >= dedup.MIN_TOKENS
                    and r[4] is not None and len(r[4]) == 4 * dedup.K]
        if compared:
            sketches = unpack_sketches([r[4] for r in compared])
            keep = informative_rows(sketches)
            compared = [r for r, ok in zip(compared, keep.tolist()) if ok]
            if compared:
                self.bands.add(band_keys(sketches[keep], [r[1] for r in compared]),
                               [r[0] for r in compared])
        printed = [r for r in rows if r[5] and r[2] != "conflict"]
        if printed:
            self.fingerprints.add(fingerprint_keys([r[5] for r in printed],
                                                   [r[1] for r in printed]),
                                  [r[0] for r in printed])

    def near(self, keys: np.ndarray) -> list[list[int]]:
        """Stored ids sharing ``dedup.MIN_BAND_HITS`` buckets with each row of band
        ``keys`` (from ``band_keys``)."""
        with self._lock:
            return self.bands.candidates(keys, dedup.MIN_BAND_HITS)

    def same_fingerprint(self, keys: np.ndarray) -> list[list[int]]:
        """Stored ids whose fingerprint key equals each row's (from ``fingerprint_keys``;
        a 32-bit key may collide: check the row)."""
        with self._lock:
            return self.fingerprints.candidates(keys, 1)


def for_database(db: Any) -> MemoryIndex:
    """This process's index of ``db``."""
    return process_local(db, "memory_index", MemoryIndex)
