"""Tidings' generic JSON alert (README, "Alert sources"): one alert, or ``{"alerts": [...]}``.

    {"key": "checkout-errors", "status": "firing", "severity": "critical",
     "title": "Checkout errors above 5%", "description": "...", "component": "checkout",
     "labels": {"team": "payments"}, "url": "https://grafana/...", "at": "2026-11-23T05:37:11Z"}

``key`` groups alerts into one incident; ``status`` is ``firing`` or ``resolved``."""

from __future__ import annotations

from typing import Any

from tidings.monitors.alerts.fields import items, labels, obj, text, when
from tidings.monitors.protocol import AlertEvent, BadPayload, Parsed


def _event(alert: dict[str, Any], where: str) -> AlertEvent:
    key = text(alert.get("key"), f"{where}.key", required=True, limit=500)
    status = text(alert.get("status"), f"{where}.status", required=True)
    if status not in ("firing", "resolved"):
        raise BadPayload(f"{where}.status must be firing or resolved, not {status[:20]!r}")
    own = labels(alert.get("labels"), f"{where}.labels")
    if alert.get("component"):
        own["component"] = text(alert.get("component"), f"{where}.component", limit=200)
    return AlertEvent(
        group=key, fingerprint=text(alert.get("fingerprint"), f"{where}.fingerprint") or key,
        firing=status == "firing", severity=text(alert.get("severity"), f"{where}.severity"),
        title=text(alert.get("title"), f"{where}.title", limit=200),
        description=text(alert.get("description"), f"{where}.description"),
        labels=own, url=text(alert.get("url"), f"{where}.url"), at=when(alert.get("at"), f"{where}.at"),
    )  # fmt: skip


def parse(doc: Any, meta: dict[str, Any]) -> Parsed:
    body = obj(doc, "the body")
    if "alerts" in body:
        alerts = items(body.get("alerts"), "alerts")
        return Parsed(events=[_event(a, f"alerts[{i}]") for i, a in enumerate(alerts)])
    return Parsed(events=[_event(body, "the alert")])
