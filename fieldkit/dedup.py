"""Deduplication without reading answers: keyed fingerprints and similarity sketches.

The station computes both from the plaintext answers just before sealing, with study
secrets (``StudyConfig.fingerprint_secret`` / ``sketch_secret``); only the results travel
in the clear header. The aggregator compares them without ever seeing an answer:

- ``fingerprint``: HMAC-SHA256 over the canonical answers and the form hash. Equal
  fingerprints under different UUIDs mean the same answers were submitted twice.
  Keyed, so nobody without the secret can test a guessed set of answers against it.
- ``sketch``: a keyed MinHash of the ``question=answer`` tokens (k values). The share of
  equal positions in two sketches estimates the Jaccard similarity of the two answer
  sets: a near-copy (possible fabrication or double entry) scores close to 1.
- LSH banding (the aggregator's ``memory_index``): the sketch cut into ``b`` bands of
  ``r`` values; two sketches that share at least ``MIN_BAND_HITS`` bands are candidates. Survey answers overlap a
  lot by chance (a few options per question: two unrelated respondents have Jaccard
  ~0.15-0.3), so single-band collisions with unrelated interviews grow with the store;
  requiring two of eight bands (r=8) keeps them near zero at a million stored, while a
  pair at similarity 0.95 (1 answer of 40 changed) is still found with probability
  ~0.999 and at 0.9 with ~0.92. Lookup is a few index seeks whatever the store size.

Flask-free, dependency-free (hashlib/hmac only).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from typing import Any, Iterable, Mapping, Sequence

from fieldkit.canonical import canonical_json

K = 64                      # sketch length
BANDS = 8                   # LSH bands ...
ROWS = 8                    # ... of this many values each (BANDS * ROWS == K)
MIN_BAND_HITS = 2           # shared bands that make a stored sketch a candidate
NEAR_DUPLICATE_THRESHOLD = 0.9   # estimated similarity that sends a pair to review
MIN_TOKENS = 5              # answer sets smaller than this are not compared (too little signal)

_P = (1 << 61) - 1          # Mersenne prime for the universal hash family
_MASK32 = 0xFFFFFFFF
EMPTY = _MASK32             # sketch value of an empty token set


def fingerprint(form_hash: str, answers: Mapping[str, Any], secret: bytes) -> str:
    """Keyed exact-duplicate fingerprint (64 hex) of ``answers`` under ``form_hash``."""
    message = canonical_json({"form_hash": form_hash, "answers": dict(answers)})
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def tokens(answers: Mapping[str, Any]) -> set[str]:
    """The ``question=answer`` tokens of an answer set.

    A list answer (multiple choice, ranking) gives one token per code, plus one per
    ``code@position`` so that two rankings in a different order differ.
    """
    out: set[str] = set()
    for qid, value in answers.items():
        if isinstance(value, (list, tuple)):
            for position, item in enumerate(value):
                text = _scalar(item)
                out.add(f"{qid}={text}")
                out.add(f"{qid}@{position}={text}")
            if not value:
                out.add(f"{qid}=[]")
        else:
            out.add(f"{qid}={_scalar(value)}")
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    return canonical_json(value).decode("utf-8")


def _coefficients(secret: bytes, k: int) -> list[tuple[int, int]]:
    coeffs = []
    for i in range(k):
        digest = hmac.new(secret, b"fieldkit/minhash/" + str(i).encode(), hashlib.sha256).digest()
        a, b = struct.unpack(">QQ", digest[:16])
        coeffs.append(((a % (_P - 1)) + 1, b % _P))
    return coeffs


def sketch(answers: Mapping[str, Any], secret: bytes, k: int = K) -> list[int]:
    """Keyed MinHash sketch: ``k`` ints in [0, 2**32) (JSON- and SQLite-safe)."""
    toks = tokens(answers)
    if not toks:
        return [EMPTY] * k
    key = hashlib.sha256(b"fieldkit/minhash-key\x00" + secret).digest()
    bases = [int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=8, key=key).digest(),
                            "big") % _P for t in toks]
    result = []
    for a, b in _coefficients(secret, k):
        result.append(min(((a * x + b) % _P) & _MASK32 for x in bases))
    return result


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity: the share of equal positions."""
    if not a or len(a) != len(b):
        return 0.0
    return sum(1 for x, y in zip(a, b) if x == y) / len(a)


def pack(sketch_values: Iterable[int]) -> bytes:
    """Compact storage form (4 bytes per value)."""
    values = list(sketch_values)
    return struct.pack(f">{len(values)}I", *values)


def unpack(blob: bytes) -> list[int]:
    return list(struct.unpack(f">{len(blob) // 4}I", blob))
