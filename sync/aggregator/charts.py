"""Tiny server-side SVG charts for the dashboards.

Each helper returns a ``Markup`` SVG string that scales to the width of its container
(``viewBox`` + ``width=100%``), so a chart works on a 360 px phone and a desktop alike.
Colours come from classes styled in ``static/aggregator.css`` (no inline ``style``:
the pages run under a CSP without ``'unsafe-inline'``). Every chart carries a
``<title>`` for screen readers; pages also print the numbers next to it.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from markupsafe import Markup, escape

# Classes for the outcome segments, in the order the legend shows them.
OUTCOME_CLASSES = {
    "completed": "c-completed",
    "terminated": "c-terminated",
    "interrupted": "c-interrupted",
    "refused": "c-refused",
    "ineligible": "c-ineligible",
}


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def quota_bar(count: int, target: int, tolerance: int = 0,
              allocations: Sequence[tuple[str, int]] = (), *, label: str = "") -> Markup:
    """One quota cell: completes (solid), slots allocated to stations (light,
    one segment each), target (line) and tolerance (shaded band past the target)."""
    width, height, bar_y, bar_h = 300.0, 28.0, 6.0, 16.0
    allocated = sum(max(0, a) for _, a in allocations)
    scale_max = max(target + tolerance, count + allocated, 1) * 1.05
    def x(v: float) -> float:
        return width * v / scale_max

    parts = [f'<rect class="q-track" x="0" y="{_num(bar_y)}" width="{_num(width)}" '
             f'height="{_num(bar_h)}" rx="2"/>']
    if tolerance > 0:
        parts.append(f'<rect class="q-tolerance" x="{_num(x(target))}" y="{_num(bar_y)}" '
                     f'width="{_num(x(target + tolerance) - x(target))}" height="{_num(bar_h)}"/>')
    fill_class = "q-count" if count <= target else (
        "q-count q-over" if count > target + tolerance else "q-count q-near")
    parts.append(f'<rect class="{fill_class}" x="0" y="{_num(bar_y)}" '
                 f'width="{_num(x(count))}" height="{_num(bar_h)}" rx="2"/>')
    start = count
    for station, slots in allocations:
        if slots <= 0:
            continue
        parts.append(f'<rect class="q-alloc" x="{_num(x(start))}" y="{_num(bar_y + 3)}" '
                     f'width="{_num(x(start + slots) - x(start))}" height="{_num(bar_h - 6)}">'
                     f'<title>{escape(station)}: {slots}</title></rect>')
        start += slots
    parts.append(f'<line class="q-target" x1="{_num(x(target))}" x2="{_num(x(target))}" '
                 f'y1="2" y2="{_num(height - 2)}"/>')
    title = escape(label or f"{count} / {target}")
    return Markup(
        f'<svg class="chart quota-bar" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'width="100%" preserveAspectRatio="none" role="img" aria-label="{title}">'
        f'<title>{title}</title>{"".join(parts)}</svg>')


def day_columns(days: Sequence[tuple[str, int]], *, label: str = "") -> Markup:
    """Completes per day as columns; ``days`` is ``[(YYYY-MM-DD, n), ...]`` in order.
    Labels show day-of-month under each column (every few columns when crowded)."""
    width, height, top, bottom = 320.0, 140.0, 14.0, 20.0
    n = max(len(days), 1)
    peak = max([v for _, v in days] + [1])
    slot = width / n
    col = max(slot * 0.7, 1.0)
    every = max(1, round(n / 10))
    parts: list[str] = [f'<line class="axis" x1="0" x2="{_num(width)}" '
                        f'y1="{_num(height - bottom)}" y2="{_num(height - bottom)}"/>']
    plot_h = height - top - bottom
    for i, (day, value) in enumerate(days):
        h = plot_h * value / peak
        cx = i * slot + (slot - col) / 2
        parts.append(f'<rect class="col" x="{_num(cx)}" y="{_num(height - bottom - h)}" '
                     f'width="{_num(col)}" height="{_num(h)}">'
                     f'<title>{escape(day)}: {value}</title></rect>')
        if value and n <= 31:
            parts.append(f'<text class="val" x="{_num(cx + col / 2)}" '
                         f'y="{_num(height - bottom - h - 3)}" text-anchor="middle">{value}</text>')
        if i % every == 0:
            parts.append(f'<text class="tick" x="{_num(cx + col / 2)}" y="{_num(height - 6)}" '
                         f'text-anchor="middle">{escape(day[-2:])}</text>')
    title = escape(label)
    return Markup(
        f'<svg class="chart day-columns" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'width="100%" role="img" aria-label="{title}"><title>{title}</title>'
        f'{"".join(parts)}</svg>')


def stacked_bar(segments: Iterable[tuple[str, int]], *, label: str = "") -> Markup:
    """One horizontal bar split into outcome segments ``[(outcome, n), ...]``."""
    segs = [(k, v) for k, v in segments if v > 0]
    total = sum(v for _, v in segs)
    width, height = 300.0, 18.0
    parts = [f'<rect class="q-track" x="0" y="0" width="{_num(width)}" '
             f'height="{_num(height)}"/>']
    pos = 0.0
    for outcome, value in segs:
        w = width * value / total if total else 0
        cls = OUTCOME_CLASSES.get(outcome, "c-other")
        parts.append(f'<rect class="{cls}" x="{_num(pos)}" y="0" width="{_num(w)}" '
                     f'height="{_num(height)}"><title>{escape(outcome)}: {value}</title></rect>')
        pos += w
    title = escape(label)
    return Markup(
        f'<svg class="chart stacked" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'width="100%" preserveAspectRatio="none" role="img" aria-label="{title}">'
        f'<title>{title}</title>{"".join(parts)}</svg>')


def swatch(outcome: str) -> Markup:
    """A small legend square for an outcome."""
    cls = OUTCOME_CLASSES.get(outcome, "c-other")
    return Markup(f'<svg class="swatch" viewBox="0 0 10 10" width="10" height="10" '
                  f'aria-hidden="true"><rect class="{cls}" width="10" height="10"/></svg>')
