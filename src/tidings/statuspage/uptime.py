"""Pure uptime arithmetic for the status page bars.

A day's downtime is the time spent in ``major_outage`` plus ``partial_weight`` times the time in
``partial_outage``; degraded performance and maintenance count as up (they colour the bar but do
not reduce the figure). The weight is a setting, shown on the page, because no standard exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from tidings.statuspage.data import Change

_WORST_ORDER = (
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)
_LEVEL = {
    "operational": "ok",
    "under_maintenance": "maintenance",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}


@dataclass
class Day:
    day: date
    level: str  # "nodata", "ok", "maintenance", "minor", "major", "critical"
    uptime: float | None  # 0..1, None without data
    down_seconds: float = 0.0
    incident_titles: list[str] = field(default_factory=list)

    @property
    def pct(self) -> str:
        return "" if self.uptime is None else percent(self.uptime)


def percent(fraction: float) -> str:
    """Two decimals, never rounding a loss up to 100%: 99.999% shows as 99.99%."""
    value = int(fraction * 10_000) / 100
    return f"{value:.2f}"


def status_at_start(changes: Sequence[Change], current: str, start: datetime) -> str:
    before = [c for c in changes if c.at <= start]
    if before:
        return before[-1].new
    after = [c for c in changes if c.at > start]
    return after[0].old if after else current


def daily(
    *,
    changes: Sequence[Change],
    current: str,
    days: int,
    now: datetime,
    partial_weight: float,
    since: date | None = None,
) -> list[Day]:
    """One :class:`Day` per calendar day (UTC), oldest first, ending today."""
    today = now.astimezone(UTC).date()
    first_day = today - timedelta(days=days - 1)
    window_start = datetime.combine(first_day, time.min, tzinfo=UTC)
    status = status_at_start(changes, current, window_start)
    # Segments (start, end, status) covering [window_start, now].
    points = [
        (c.at, c.new) for c in sorted(changes, key=lambda c: c.at) if window_start < c.at <= now
    ]
    segments: list[tuple[datetime, datetime, str]] = []
    cursor = window_start
    for at, new in points:
        segments.append((cursor, at, status))
        cursor, status = at, new
    segments.append((cursor, now, status))

    result = []
    first = 0  # the first segment that can still overlap a day: segments are in time order
    for offset in range(days):
        d = first_day + timedelta(days=offset)
        d_start = datetime.combine(d, time.min, tzinfo=UTC)
        d_end = min(d_start + timedelta(days=1), now)
        while first < len(segments) and segments[first][1] <= d_start:
            first += 1
        if since is not None and d < since:
            result.append(Day(day=d, level="nodata", uptime=None))
            continue
        span = (d_end - d_start).total_seconds()
        seconds: dict[str, float] = {}
        # Only the segments within the day: a sweep, not every segment for every day (with a
        # few hundred incidents in the window that was most of a publish). By index: a slice
        # would copy the rest of the list every day.
        for n in range(first, len(segments)):
            s_start, s_end, s_status = segments[n]
            if s_start >= d_end:
                break
            overlap = (min(s_end, d_end) - max(s_start, d_start)).total_seconds()
            if overlap > 0:
                seconds[s_status] = seconds.get(s_status, 0.0) + overlap
        if d_end == now:
            # An outage that began this instant already colours today, before any time passes.
            seconds.setdefault(segments[-1][2], 0.0)
        down = seconds.get("major_outage", 0.0) + partial_weight * seconds.get(
            "partial_outage", 0.0
        )
        worst = max(seconds or {"operational": 0.0}, key=_WORST_ORDER.index)
        uptime = 1.0 - down / span if span > 0 else 1.0
        result.append(Day(day=d, level=_LEVEL[worst], uptime=max(0.0, uptime), down_seconds=down))
    return result


def overall(days: Sequence[Day]) -> float | None:
    """Uptime over the days that have data, weighted by their length (today counts partially)."""
    counted = [d for d in days if d.uptime is not None]
    if not counted:
        return None
    down = sum(d.down_seconds for d in counted)
    # Full days count 86,400 s; the last (today) is approximated as a full day too, which can only
    # understate downtime by part of a day and keeps the figure stable as the day goes on.
    return max(0.0, 1.0 - down / (86_400 * len(counted)))
