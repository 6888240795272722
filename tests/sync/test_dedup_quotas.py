"""Unit tests of the Flask-free cores: fingerprints, sketches, LSH bands, quota rules."""

from __future__ import annotations

import random

import numpy as np
import pytest

from aggregator import memory_index
from fieldkit import dedup
from fieldkit.quotas import (MET, OPEN, OVER, Target, allocate_share, cell_key, parse_cell_key,
                             should_warn, status)

SECRET = b"k" * 32


def test_fingerprint_is_keyed_and_order_independent() -> None:
    a = {"q1": "a", "q2": ["x", "y"]}
    b = {"q2": ["x", "y"], "q1": "a"}
    assert dedup.fingerprint("h" * 64, a, SECRET) == dedup.fingerprint("h" * 64, b, SECRET)
    assert dedup.fingerprint("h" * 64, a, SECRET) != dedup.fingerprint("h" * 64, a, b"z" * 32)
    assert dedup.fingerprint("h" * 64, a, SECRET) != dedup.fingerprint("g" * 64, a, SECRET)


def test_sketch_similarity_tracks_answer_overlap() -> None:
    rng = random.Random(1)
    base = {f"q{i}": rng.choice("abcde") for i in range(40)}
    near = dict(base, q0="z")                    # 1 of 40 answers changed
    other = {f"q{i}": rng.choice("abcde") for i in range(40)}
    s_base, s_near, s_other = (dedup.sketch(x, SECRET) for x in (base, near, other))
    assert len(s_base) == 64 and all(0 <= v < 2 ** 32 for v in s_base)
    assert dedup.similarity(s_base, s_base) == 1.0
    assert dedup.similarity(s_base, s_near) >= dedup.NEAR_DUPLICATE_THRESHOLD
    assert dedup.similarity(s_base, s_other) < 0.5
    # near-copies share an LSH bucket; the same answers under another key do not
    def buckets(sketch: list[int], form_id: str) -> set[int]:
        return set(memory_index.band_keys(np.array([sketch]), [form_id]).ravel().tolist())

    assert buckets(s_base, "police") & buckets(s_near, "police")
    assert not buckets(s_base, "police") & buckets(s_base, "other_form")
    assert dedup.sketch(base, b"x" * 32) != s_base


def test_ranking_order_changes_the_sketch() -> None:
    a = dedup.sketch({"rank": ["a", "b", "c"]}, SECRET)
    b = dedup.sketch({"rank": ["c", "b", "a"]}, SECRET)
    assert a != b


def test_cell_key_round_trip_and_rejects_odd_tokens() -> None:
    key = cell_key({"site": "pune", "gender": "female"})
    assert key == "gender=female;site=pune"
    assert parse_cell_key(key) == {"gender": "female", "site": "pune"}
    with pytest.raises(ValueError):
        cell_key({"site": "pu;ne"})


def test_status_and_share() -> None:
    t = Target(10, 2)
    assert [status(n, t) for n in (9, 10, 12, 13)] == [OPEN, MET, MET, OVER]
    # the grant never exceeds what other stations have not reserved
    assert allocate_share(remaining_slots=6, reserved_by_others=4, weight=1, total_weight=2) == 2
    assert allocate_share(remaining_slots=1, reserved_by_others=0, weight=1, total_weight=3) == 1
    assert allocate_share(remaining_slots=1, reserved_by_others=1, weight=1, total_weight=3) == 0
    # busier stations get more of what is left
    assert allocate_share(remaining_slots=10, reserved_by_others=0, weight=8,
                          total_weight=10) == 8
    assert should_warn(2, 2) and not should_warn(2, 1)
