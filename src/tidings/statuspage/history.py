"""The history of incidents, without a time limit: an index by year and quarter listing every
month with its count, and one page per month (``/history/2024-03``) from the first incident's
month to the current one, each linking to its neighbours.

A month page shows only that month's incidents, so an incremental publish renders just the
months a change falls in; the index is small and rendered every time."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, date, datetime
from typing import Any

from django.template.loader import render_to_string

from tidings.statuspage.data import IncidentData, Site

View = Callable[[IncidentData], dict[str, Any]]


def month_key(i: IncidentData) -> str:
    return i.started_at.astimezone(UTC).strftime("%Y-%m")


def _next(key: str) -> str:
    year, month = int(key[:4]), int(key[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def all_months(site: Site) -> list[str]:
    """Every month with a page, oldest first: from the first incident's month to now's."""
    return month_keys(site.history, site.generated_at)


def month_keys(counts: Sequence[tuple[str, int]], now: datetime) -> list[str]:
    """The months from the first of ``counts`` (or now's) to now's, oldest first."""
    current = now.astimezone(UTC).strftime("%Y-%m")
    key = min([k for k, _ in counts[:1]] + [current])
    out = []
    while key <= current:
        out.append(key)
        key = _next(key)
    return out


def _as_date(key: str) -> date:
    return date(int(key[:4]), int(key[5:7]), 1)


def _index(site: Site, months: list[str]) -> list[dict[str, Any]]:
    """Years, newest first, each with its quarters (newest first) and their months."""
    counts = dict(site.history)
    years: dict[int, dict[int, list[dict[str, Any]]]] = {}
    for key in reversed(months):
        d = _as_date(key)
        quarter = years.setdefault(d.year, {}).setdefault((d.month - 1) // 3 + 1, [])
        quarter.append({"key": key, "date": d, "count": counts.get(key, 0)})
    return [
        {
            "year": year,
            "count": sum(m["count"] for ms in quarters.values() for m in ms),
            "quarters": [{"n": n, "months": ms} for n, ms in quarters.items()],
        }
        for year, quarters in years.items()
    ]


def render(
    site: Site, base: dict[str, Any], *, view: View, months: Collection[str] | None
) -> dict[str, str]:
    """The index and the month pages (all, or those in ``months``) of one language."""
    p = base["prefix"]
    keys = all_months(site)
    pages: dict[str, str] = {
        f"{p}/history": render_to_string(
            "statuspage/history_index.html",
            {**base, "page_path": "/history", "years": _index(site, keys)},
        )
    }
    wanted = set(keys) if months is None else set(keys) & set(months)
    by_month: dict[str, list[IncidentData]] = {k: [] for k in wanted}
    for i in site.incidents:
        if not i.is_upcoming and (k := month_key(i)) in by_month:
            by_month[k].append(i)
    for n, key in enumerate(keys):
        if key not in wanted:
            continue
        m = {"key": key, "date": _as_date(key), "incidents": [view(i) for i in by_month[key]]}
        pages[f"{p}/history/{key}"] = render_to_string(
            "statuspage/history.html",
            {
                **base,
                "page_path": f"/history/{key}",
                "months": [m],
                "month": m,
                "previous": {"key": keys[n - 1], "date": _as_date(keys[n - 1])} if n else None,
                "following": (
                    {"key": keys[n + 1], "date": _as_date(keys[n + 1])}
                    if n + 1 < len(keys)
                    else None
                ),
            },
        )
    return pages
