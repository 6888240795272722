"""Figures a supervisor sees, computed from clear submission headers only.

Flask-free and database-free: every function takes header rows (mappings with the
clear header's fields: ``form_id``, ``station``, ``enumerator``, ``site``, ``outcome``,
``started_at``, ``ended_at``, ``n_answered``, ``training`` ...) and returns plain data
for the templates. Nothing here can see an answer: answers are sealed and the
aggregator has no key.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Iterable, Mapping, Sequence

from fieldkit.i18n import N_

# Display order and the words a supervisor uses for each outcome.
OUTCOMES: tuple[str, ...] = ("completed", "terminated", "interrupted", "refused", "ineligible")
OUTCOME_LABELS = {
    "completed": N_("Completed"),
    "terminated": N_("Ended midway"),
    "interrupted": N_("Interrupted"),
    "refused": N_("Refused"),
    "ineligible": N_("Not eligible"),
}

Row = Mapping[str, Any]


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _real(rows: Iterable[Row]) -> list[Row]:
    """Training interviews never count."""
    return [r for r in rows if not r.get("training")]


@dataclass(frozen=True)
class OutcomeLine:
    key: str                     # site or enumerator code ("" when unknown)
    counts: dict[str, int]       # outcome -> n, every outcome present
    total: int

    @property
    def approached(self) -> int:
        return self.total

    def share(self, outcome: str) -> float:
        return self.counts.get(outcome, 0) / self.total if self.total else 0.0


def outcomes_by(rows: Iterable[Row], field: str) -> list[OutcomeLine]:
    """Approach outcomes grouped by ``field`` (``site`` or ``enumerator``), busiest first."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for row in _real(rows):
        groups[str(row.get(field) or "")][str(row.get("outcome"))] += 1
    lines = []
    for key, counter in groups.items():
        counts = {o: counter.get(o, 0) for o in OUTCOMES}
        lines.append(OutcomeLine(key, counts, sum(counter.values())))
    lines.sort(key=lambda line: (-line.total, line.key))
    return lines


def outcome_totals(rows: Iterable[Row]) -> OutcomeLine:
    counter = Counter(str(r.get("outcome")) for r in _real(rows))
    return OutcomeLine("", {o: counter.get(o, 0) for o in OUTCOMES}, sum(counter.values()))


def completes_per_day(rows: Iterable[Row], *, days: int = 30, today: date | None = None,
                      tz: tzinfo = timezone.utc) -> list[tuple[str, int]]:
    """Completed interviews per day (local day in ``tz``, by end time) for the last
    ``days`` days, every day present (zeros included), oldest first."""
    today = today or datetime.now(tz).date()
    first = today - timedelta(days=days - 1)
    counter: Counter[date] = Counter()
    for row in _real(rows):
        if row.get("outcome") != "completed":
            continue
        ended = parse_time(row.get("ended_at"))
        if ended is not None:
            counter[ended.astimezone(tz).date()] += 1
    return [((first + timedelta(days=i)).isoformat(), counter.get(first + timedelta(days=i), 0))
            for i in range(days)]


@dataclass(frozen=True)
class SpeedFlag:
    uuid: str
    form_id: str
    station: str
    enumerator: str
    site: str
    ended_at: str
    n_answered: int
    seconds: float
    seconds_per_answer: float
    median_seconds_per_answer: float | None
    reason: str                  # "absolute" | "relative"


def duration_seconds(row: Row) -> float | None:
    start, end = parse_time(row.get("started_at")), parse_time(row.get("ended_at"))
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def speed_flags(rows: Iterable[Row], *, min_seconds_per_answer: float = 4.0,
                fraction_of_median: float = 0.4, min_answers: int = 5,
                min_peers: int = 5) -> list[SpeedFlag]:
    """Interviews too fast for their length.

    Speed is seconds per answered question (end - start over ``n_answered``). An interview
    is flagged when it is faster than ``min_seconds_per_answer`` (nobody reads, hears and
    answers a question that fast), or faster than ``fraction_of_median`` of the median of
    the same form's interviews (when the form has at least ``min_peers``). Only completed
    and ended-midway interviews with ``min_answers`` answers or more are judged.
    """
    timed: list[tuple[Row, float, float]] = []
    per_form: dict[str, list[float]] = defaultdict(list)
    for row in _real(rows):
        if row.get("outcome") not in ("completed", "terminated"):
            continue
        n = int(row.get("n_answered") or 0)
        seconds = duration_seconds(row)
        if n < min_answers or seconds is None or seconds < 0:
            continue
        spa = seconds / n
        timed.append((row, seconds, spa))
        per_form[str(row.get("form_id"))].append(spa)
    medians = {form: statistics.median(values) for form, values in per_form.items()
               if len(values) >= min_peers}
    flags = []
    for row, seconds, spa in timed:
        median = medians.get(str(row.get("form_id")))
        reason = ""
        if spa < min_seconds_per_answer:
            reason = "absolute"
        elif median is not None and spa < fraction_of_median * median:
            reason = "relative"
        if reason:
            flags.append(SpeedFlag(
                uuid=str(row.get("uuid")), form_id=str(row.get("form_id")),
                station=str(row.get("station") or ""),
                enumerator=str(row.get("enumerator") or ""), site=str(row.get("site") or ""),
                ended_at=str(row.get("ended_at") or ""), n_answered=int(row["n_answered"]),
                seconds=seconds, seconds_per_answer=spa, median_seconds_per_answer=median,
                reason=reason))
    flags.sort(key=lambda f: f.seconds_per_answer)
    return flags


def speed_by_enumerator(flags: Sequence[SpeedFlag]) -> list[tuple[str, int]]:
    counter = Counter(f.enumerator for f in flags)
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


@dataclass(frozen=True)
class Freshness:
    code: str
    last_sync_at: str | None
    hours_since: float | None
    pending: int | None          # items waiting in its outbox, as the station reported
    reported_at: str | None
    revoked: bool
    state: str                   # "fresh" | "stale" | "silent" | "never" | "revoked"


def freshness(stations: Iterable[Row], *, now: datetime | None = None,
              stale_hours: float = 24.0, silent_hours: float = 72.0) -> list[Freshness]:
    """Stations with how long ago they last synced; oldest news first."""
    now = now or datetime.now(timezone.utc)
    result = []
    for st in stations:
        last = parse_time(st.get("last_sync_at"))
        hours = (now - last).total_seconds() / 3600 if last else None
        revoked = bool(st.get("revoked_at"))
        if revoked:
            state = "revoked"
        elif hours is None:
            state = "never"
        elif hours < stale_hours:
            state = "fresh"
        elif hours < silent_hours:
            state = "stale"
        else:
            state = "silent"
        pending = st.get("reported_pending")
        result.append(Freshness(
            code=str(st.get("code")), last_sync_at=st.get("last_sync_at"),
            hours_since=hours, pending=None if pending is None else int(pending),
            reported_at=st.get("reported_at"), revoked=revoked, state=state))
    order = {"never": 0, "silent": 1, "stale": 2, "fresh": 3, "revoked": 4}
    result.sort(key=lambda f: (order[f.state], -(f.hours_since or 0), f.code))
    return result
