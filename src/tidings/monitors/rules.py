"""Pure monitor and alert rules: severity to status, dedup keys, alert-group state,
N-in-a-row, the spread of checks over their interval, and which addresses a monitor may reach.
No I/O: everything here is a function of its arguments."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tidings.monitors.protocol import AlertEvent

SOURCE_KINDS = ("alertmanager", "grafana", "pagerduty", "generic")
MONITOR_KINDS = ("http", "tcp", "dns", "heartbeat")
#: The issue's default: critical -> major outage, warning -> partial outage, else degraded.
DEFAULT_SEVERITY_MAP = {"critical": "major_outage", "warning": "partial_outage"}
FALLBACK_STATUS = "degraded_performance"
DEFAULT_LABELS = ("component",)
_STATUS_RANK = ("degraded_performance", "partial_outage", "major_outage")
_SEV_OF_STATUS = {"major_outage": "SEV2", "partial_outage": "SEV3", "degraded_performance": "SEV3"}


def status_for(severity: str, mapping: Mapping[str, str]) -> str:
    """The component status an alert of ``severity`` sets (``*`` in the map: the fallback)."""
    key = severity.strip().lower()
    return mapping.get(key) or mapping.get("*") or FALLBACK_STATUS


def worst_status(statuses: Iterable[str]) -> str:
    return max(statuses, key=_rank, default=FALLBACK_STATUS)


def _rank(status: str) -> int:
    return _STATUS_RANK.index(status) if status in _STATUS_RANK else -1


def incident_severity(status: str) -> str:
    """SEV of an incident opened automatically: a major outage is SEV2 (SEV1 is declared by a
    person, who knows how many customers it hits), the rest SEV3."""
    return _SEV_OF_STATUS.get(status, "SEV3")


def dedup_key(raw: str) -> str:
    """A fixed-length key for a sender's group key (Alertmanager's can be long)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


# --- alert groups ----------------------------------------------------------------------


@dataclass(frozen=True)
class GroupChange:
    alerts: dict[str, dict[str, Any]]
    was_firing: bool
    is_firing: bool
    changed: bool

    @property
    def opened(self) -> bool:
        return self.is_firing and not self.was_firing

    @property
    def resolved(self) -> bool:
        return self.was_firing and not self.is_firing


def is_firing(alerts: Mapping[str, Mapping[str, Any]]) -> bool:
    return any(a.get("firing") for a in alerts.values())


def apply_events(
    alerts: Mapping[str, Mapping[str, Any]], events: Iterable[AlertEvent], received: datetime
) -> GroupChange:
    """Fold notifications into a group's alerts (fingerprint -> state). A repeat changes
    nothing; an event older than the state it would replace (a late re-send) is ignored."""
    state = {fp: dict(a) for fp, a in alerts.items()}
    changed = False
    for ev in events:
        at = ev.at or received
        current = state.get(ev.fingerprint)
        if current is not None:
            if current["firing"] == ev.firing and current.get("severity") == ev.severity:
                continue
            if at.isoformat() < str(current.get("at", "")):
                continue
        state[ev.fingerprint] = {"firing": ev.firing, "severity": ev.severity, "at": at.isoformat()}
        changed = True
    return GroupChange(state, is_firing(alerts), is_firing(state), changed)


def firing_severities(alerts: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return [str(a.get("severity", "")) for a in alerts.values() if a.get("firing")]


# --- monitors: N in a row --------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    state: str  # "up", "down" or "unknown" (not checked enough yet)
    failures: int
    successes: int

    def after(self, ok: bool, *, need_failures: int, need_successes: int) -> Tally:
        """The tally after one more result: N failures in a row turn it down (a firing alert),
        N successes in a row turn it up (a resolve)."""
        failures = 0 if ok else self.failures + 1
        successes = self.successes + 1 if ok else 0
        state = self.state
        if not ok and failures >= need_failures:
            state = "down"
        elif ok and (successes >= need_successes or state == "unknown"):
            state = "up"
        return Tally(state, failures, successes)


# --- scheduling ------------------------------------------------------------------------


def phase(key: str, interval: int) -> int:
    """A monitor's fixed offset within its interval, so thousands of checks with one
    interval spread evenly instead of all starting on the same second."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % max(1, interval)


def next_run(after: datetime, interval: int, offset: int) -> datetime:
    """The first time strictly after ``after`` on the monitor's grid (multiples of
    ``interval`` seconds since the epoch, shifted by ``offset``)."""
    t = int(after.timestamp())
    step = max(1, interval)
    k = (t - offset) // step + 1
    return datetime.fromtimestamp(k * step + offset, tz=after.tzinfo)


# --- where a monitor may connect -------------------------------------------------------


def address_allowed(address: str, networks: Iterable[str]) -> bool:
    """Public addresses always; private, loopback and link-local ones only inside a network an
    admin allowed (``TIDINGS_MONITOR_ALLOWED_NETWORKS``)."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    if ip.is_global and not ip.is_multicast:
        return True
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


def parse_statuses(spec: str) -> list[tuple[int, int]]:
    """``"200-299,301"`` -> [(200, 299), (301, 301)]."""
    ranges = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        low, _sep, high = part.partition("-")
        try:
            a, b = int(low), int(high or low)
        except ValueError:
            raise ValueError(f"{part!r} is not a status code or range such as 200-299") from None
        if not (100 <= a <= b <= 599):
            raise ValueError(f"{part!r} is not a range of HTTP status codes")
        ranges.append((a, b))
    if not ranges:
        raise ValueError("give at least one status code, such as 200-299")
    return ranges


def status_ok(status: int, ranges: Iterable[tuple[int, int]]) -> bool:
    return any(a <= status <= b for a, b in ranges)


# --- routing alerts to groups and components -------------------------------------------


@dataclass
class Plan:
    """The events of one alert group in one notification, with the components they name."""

    key: str
    label: str
    events: list[AlertEvent]
    components: dict[str, str]  # component public id -> status the firing alerts ask for
    title: str = ""
    description: str = ""
    url: str = ""


@dataclass
class Routed:
    plans: list[Plan]
    #: ``label=value`` pairs that named no component (logged; a default may have applied).
    unknown: list[str]
    #: Firing alerts no label or default could place on a component (dropped).
    unplaced: int


def component_of(
    labels: Mapping[str, str], label_names: Iterable[str], index: Mapping[str, str]
) -> tuple[str | None, list[str]]:
    """The component the first matching label names (slug or name, any case)."""
    unknown: list[str] = []
    for name in label_names:
        value = labels.get(name, "").strip()
        if not value:
            continue
        found = index.get(value.lower())
        if found:
            return found, unknown
        unknown.append(f"{name}={value}")
    return None, unknown


def route(
    events: Iterable[AlertEvent],
    *,
    label_names: Iterable[str],
    index: Mapping[str, str],
    defaults: Iterable[str],
    severity_map: Mapping[str, str],
) -> Routed:
    names = list(label_names) or list(DEFAULT_LABELS)
    fallback = list(defaults)
    plans: dict[str, Plan] = {}
    unknown: list[str] = []
    unplaced = 0
    for ev in events:
        plan = plans.get(ev.group)
        if plan is None:
            plan = plans[ev.group] = Plan(
                key=dedup_key(ev.group), label=ev.group[:300], events=[], components={}
            )
        if ev.firing:
            found, missing = component_of(ev.labels, names, index)
            unknown += missing
            targets = [found] if found else fallback
            if not targets:
                unplaced += 1
                continue
            status = status_for(ev.severity, severity_map)
            for cid in targets:
                plan.components[cid] = worst_status([plan.components.get(cid, status), status])
            if not plan.title:
                plan.title, plan.description, plan.url = ev.title, ev.description, ev.url
        plan.events.append(ev)
    for plan in plans.values():
        if not plan.title and plan.events:
            plan.title = plan.events[0].title
    return Routed([p for p in plans.values() if p.events], unknown, unplaced)


def one_line(text: str, limit: int = 200) -> str:
    """A title from a sender's text: one line, no control characters, at most ``limit``."""
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return cleaned[:limit].rstrip()
