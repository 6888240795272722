"""Soft quotas across offline stations: cell keys, status, and slot allocation.

A *cell* is a combination of quota field values (``{"site": "pune", "gender": "female"}``),
written canonically as ``cell_key`` -> ``"gender=female;site=pune"``. Each (form, cell)
has a target and a tolerance. The aggregator counts accepted completes per cell.

Why allocations: stations are offline most of the day. With a plain central counter
every station sees the same "3 slots left" and fills them, so three stations overshoot
by 6. Instead, at every sync the aggregator hands the syncing station a share of the
cell's remaining slots that is not already promised to other recently active stations
(their outstanding allocations stay reserved until they sync again). Shares follow
recent activity, so a busy station gets more of what is left. The station warns its
enumerator when its allocation for a cell is spent (soft: they may go on, with a
reason); over-target completes are accepted and marked, never dropped.

Flask-free, pure functions: the aggregator's ``quota_service`` feeds them from SQLite.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping

_TOKEN = re.compile(r"^[A-Za-z0-9_.\-]+$")

OPEN = "open"            # count < target
MET = "met"              # target <= count <= target + tolerance
OVER = "over"            # count > target + tolerance
STATUSES = (OPEN, MET, OVER)


def cell_key(values: Mapping[str, object]) -> str:
    """Canonical key of a quota cell: ``field=code`` pairs sorted by field, ``;``-joined."""
    parts = []
    for field in sorted(values):
        value = values[field]
        code = "" if value is None else str(value)
        if not _TOKEN.match(field) or (code and not _TOKEN.match(code)):
            raise ValueError(f"quota field and code must be plain tokens: {field}={code}")
        parts.append(f"{field}={code}")
    return ";".join(parts)


def parse_cell_key(key: str) -> dict[str, str]:
    """Inverse of ``cell_key``."""
    if not key:
        return {}
    out = {}
    for part in key.split(";"):
        field, sep, code = part.partition("=")
        if not sep or not _TOKEN.match(field) or (code and not _TOKEN.match(code)):
            raise ValueError(f"not a quota cell key: {key!r}")
        out[field] = code
    return out


@dataclass(frozen=True)
class Target:
    target: int
    tolerance: int = 0

    def __post_init__(self) -> None:
        if self.target < 0 or self.tolerance < 0:
            raise ValueError("target and tolerance must be >= 0")


def status(count: int, target: Target) -> str:
    if count < target.target:
        return OPEN
    if count <= target.target + target.tolerance:
        return MET
    return OVER


def remaining(count: int, target: Target) -> int:
    """Slots still open before the target is reached."""
    return max(0, target.target - count)


def allocate_share(*, remaining_slots: int, reserved_by_others: int, weight: float,
                   total_weight: float) -> int:
    """Slots granted to the syncing station for one cell.

    ``remaining_slots``: target minus accepted completes. ``reserved_by_others``: sum of
    the outstanding allocations of other recently active stations (they may be using
    them offline right now). ``weight``/``total_weight``: this station's share of recent
    activity (all active stations, this one included).

    The grant is the station's fair share of the remaining slots (rounded up, so a
    single last slot goes to somebody) but never more than what nobody else holds:
    the sum of outstanding allocations never exceeds the remaining slots.
    """
    free = max(0, remaining_slots - max(0, reserved_by_others))
    if free == 0 or total_weight <= 0:
        return 0
    fair = math.ceil(remaining_slots * weight / total_weight)
    return max(0, min(free, fair))


def allowance_left(allocation: int, local_completes_since_sync: int) -> int:
    """Station side: how many more completes the station's allocation covers."""
    return max(0, allocation - local_completes_since_sync)


def should_warn(allocation: int, local_completes_since_sync: int) -> bool:
    """Station side: warn (soft) once the allocation for the cell is spent."""
    return local_completes_since_sync >= allocation
