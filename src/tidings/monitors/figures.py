"""Figures the status page shows from monitor results (read by the publisher, which must not
reach the parts of monitors that send anything)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Sum

from tidings.monitors.models import CheckHour


def component_figures(now: datetime, days: int = 30) -> dict[str, tuple[float, int | None]]:
    """Per component with monitors: (uptime over ``days`` from checks, mean response time
    over the last 24 hours in ms), from the hourly totals."""
    since = now - timedelta(days=days)
    out: dict[str, tuple[float, int | None]] = {}
    totals = (
        CheckHour.objects.filter(hour__gte=since, monitor__enabled=True)
        .values("monitor__component__public_id")
        .annotate(checks=Sum("checks"), failures=Sum("failures"))
    )
    recent = {
        r["monitor__component__public_id"]: r
        for r in CheckHour.objects.filter(
            hour__gte=now - timedelta(hours=24), monitor__enabled=True
        )
        .exclude(monitor__kind="heartbeat")
        .values("monitor__component__public_id")
        .annotate(checks=Sum("checks"), failures=Sum("failures"), latency=Sum("latency_sum_ms"))
    }
    for row in totals:
        cid = row["monitor__component__public_id"]
        if not row["checks"]:
            continue
        r = recent.get(cid)
        ok = (r["checks"] - r["failures"]) if r else 0
        mean = round(r["latency"] / ok) if r and ok else None
        out[cid] = (1 - row["failures"] / row["checks"], mean)
    return out
