"""Figures a supervisor sees, from clear submission headers only: the rules.

Flask-free and database-free: the dashboard counts in SQL (``GROUP BY`` over header
columns, so pages stay quick with 100k submissions) and these functions turn the counts
into what the templates show -- outcome lines, days with zeros filled in, the speed rule,
station freshness. Nothing here can see an answer: answers are sealed and the
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


@dataclass(frozen=True)
class OutcomeLine:
    key: str                     # site or enumerator code ("" when unknown)
    counts: dict[str, int]       # outcome -> n, every outcome present
    total: int

    def share(self, outcome: str) -> float:
        return self.counts.get(outcome, 0) / self.total if self.total else 0.0


def outcome_lines(counts: Iterable[tuple[str | None, str, int]]) -> list[OutcomeLine]:
    """Approach outcomes per key from ``(key, outcome, n)`` counts, busiest first."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for key, outcome, n in counts:
        groups[str(key or "")][str(outcome)] += int(n)
    lines = [OutcomeLine(key, {o: counter.get(o, 0) for o in OUTCOMES}, sum(counter.values()))
             for key, counter in groups.items()]
    lines.sort(key=lambda line: (-line.total, line.key))
    return lines


def outcome_total(lines: Iterable[OutcomeLine]) -> OutcomeLine:
    counter: Counter[str] = Counter()
    for line in lines:
        counter.update(line.counts)
    return OutcomeLine("", {o: counter.get(o, 0) for o in OUTCOMES}, sum(counter.values()))


def day_window(days: int, tz: tzinfo, today: date | None = None) -> tuple[date, datetime]:
    """The first local day of the last ``days`` days, and its local midnight in UTC."""
    today = today or datetime.now(tz).date()
    first = today - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=tz).astimezone(timezone.utc)
    return first, start


def completes_per_day(day_counts: Mapping[str, int], *, first: date,
                      days: int = 30) -> list[tuple[str, int]]:
    """Every day from ``first`` for ``days`` days with its count (zeros included)."""
    out = []
    for i in range(days):
        day = (first + timedelta(days=i)).isoformat()
        out.append((day, int(day_counts.get(day, 0))))
    return out


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


@dataclass(frozen=True)
class SpeedRule:
    """When is an interview too fast for its length?

    Speed is seconds per answered question (end - start over ``n_answered``). An
    interview is flagged when it is faster than ``min_seconds_per_answer`` (nobody
    reads, hears and answers a question that fast), or faster than
    ``fraction_of_median`` of the median of the same form's interviews (when the form
    has at least ``min_peers``). Only completed and ended-midway interviews with
    ``min_answers`` answers or more are judged.
    """
    min_seconds_per_answer: float = 4.0
    fraction_of_median: float = 0.4
    min_answers: int = 5
    min_peers: int = 5

    def thresholds(self, speeds: Mapping[str, Sequence[float]]
                   ) -> dict[str, tuple[float, float | None]]:
        """form -> (flag below this many seconds per answer, the form's median)."""
        out = {}
        for form, values in speeds.items():
            median = statistics.median(values) if len(values) >= self.min_peers else None
            limit = self.min_seconds_per_answer
            if median is not None:
                limit = max(limit, self.fraction_of_median * median)
            out[form] = (limit, median)
        return out

    def reason(self, seconds_per_answer: float) -> str:
        return "absolute" if seconds_per_answer < self.min_seconds_per_answer else "relative"


def speed_by_enumerator(flags: Sequence[SpeedFlag]) -> list[tuple[str, int]]:
    counter = Counter(f.enumerator for f in flags)
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def duration_seconds(row: Row) -> float | None:
    start, end = parse_time(row.get("started_at")), parse_time(row.get("ended_at"))
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


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
