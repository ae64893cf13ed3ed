"""What adapters and probes hand to the monitors core. Pure data, no Django, so an alert
adapter (``alerts/<source>/``) and a probe (``kinds/<kind>/``) import only this module."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class BadPayload(ValueError):
    """The body is not what the source sends; the message says what is wrong (answered 400)."""


@dataclass(frozen=True)
class AlertEvent:
    """One alert's state in one notification, in the sender's words.

    ``group`` is what deduplicates incidents (Alertmanager's ``groupKey``, PagerDuty's
    ``dedup_key``); ``fingerprint`` names one alert inside the group. ``at`` is the sender's
    time for this state (start while firing, end once resolved) when it gives one: a late,
    older notification never overrides a newer state."""

    group: str
    fingerprint: str
    firing: bool
    severity: str = ""
    title: str = ""
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    url: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class Parsed:
    events: list[AlertEvent]
    #: What the sender expects back (PagerDuty wants its ``dedup_key``).
    answer: dict[str, Any] = field(default_factory=dict)
    status: int = 202
    #: Facts to keep with the stored body so processing it later decides the same way.
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """One check's result: ``latency_ms`` is the time to the answer (0 when none came)."""

    ok: bool
    latency_ms: int = 0
    error: str = ""


@dataclass(frozen=True)
class Target:
    """A monitor as a probe sees it: no database row, just what to check."""

    id: int
    kind: str
    target: str
    config: dict[str, Any]
    interval: int
    #: Heartbeats: the last ping, or the monitor's creation before the first one.
    since: datetime | None = None
