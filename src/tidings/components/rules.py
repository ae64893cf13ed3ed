"""Pure status rules: component statuses, incident impact and the overall indicator.

The roll-up (documented in the README):

1. Each component status maps to a level: operational -> none, under_maintenance -> maintenance,
   degraded_performance -> minor, partial_outage -> major, major_outage -> major; if *every*
   component is in major_outage the level is critical.
2. Each unresolved public incident contributes its impact (none/minor/major/critical).
3. The indicator is the worst of these. ``maintenance`` wins only over ``none``: it shows when a
   maintenance is in progress (or a component is under maintenance) and nothing is worse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

COMPONENT_STATUSES = (
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)
#: Severity order for "the worst of": maintenance is planned, so it ranks below any failure.
_COMPONENT_RANK = {s: i for i, s in enumerate(COMPONENT_STATUSES)}

IMPACTS = ("none", "minor", "major", "critical")
INDICATORS = ("none", "maintenance", "minor", "major", "critical")
_INDICATOR_RANK = {s: i for i, s in enumerate(INDICATORS)}

INDICATOR_DESCRIPTIONS = {
    "none": "All Systems Operational",
    "maintenance": "Service Under Maintenance",
    "minor": "Partially Degraded Service",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
}

_COMPONENT_LEVEL = {
    "operational": "none",
    "under_maintenance": "maintenance",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "major",
}
_IMPACT_FROM_COMPONENT = {
    "operational": "none",
    "under_maintenance": "none",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}


def worst_component_status(statuses: Iterable[str]) -> str:
    return max(statuses, key=_COMPONENT_RANK.__getitem__, default="operational")


def worst_indicator(levels: Iterable[str]) -> str:
    return max(levels, key=_INDICATOR_RANK.__getitem__, default="none")


def impact_from_components(statuses: Iterable[str]) -> str:
    """Public impact of an incident when its author does not set one."""
    worst = worst_component_status(statuses)
    return _IMPACT_FROM_COMPONENT[worst]


def overall_indicator(
    component_statuses: Iterable[str],
    incident_impacts: Iterable[str],
    maintenance_in_progress: bool = False,
) -> str:
    statuses = list(component_statuses)
    levels = [_COMPONENT_LEVEL[s] for s in statuses]
    if statuses and all(s == "major_outage" for s in statuses):
        levels.append("critical")
    levels.extend(i for i in incident_impacts if i != "maintenance")
    if maintenance_in_progress:
        levels.append("maintenance")
    return worst_indicator(levels)


def describe_indicator(indicator: str) -> str:
    return INDICATOR_DESCRIPTIONS[indicator]


_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def check_slug(value: str) -> str:
    """A slug names a component in commands and alert labels: lowercase Latin letters, digits
    and single hyphens, at most 64 characters."""
    slug = value.strip().lower()
    if not slug or len(slug) > 64 or not _SLUG.match(slug):
        raise ValueError(
            f"{value!r} is not a usable slug: use lowercase letters, digits and hyphens"
        )
    return slug


def slug_for(name: str, taken: Iterable[str], fallback: str) -> str:
    """A free slug made from ``name`` (``fallback`` when it has no Latin letters or digits)."""
    from django.utils.text import slugify

    base = slugify(name)[:56].strip("-") or fallback
    used = set(taken)
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    return slug


def moved(order: list[str], item: str, direction: str) -> list[str]:
    """``order`` with ``item`` one place earlier (``up``) or later (``down``); unchanged at
    either end. The console's arrow buttons: no dragging, so they work on a phone."""
    if direction not in ("up", "down"):
        raise ValueError(f"move {direction!r}? use up or down")
    i = order.index(item)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(order):
        return list(order)
    out = list(order)
    out[i], out[j] = out[j], out[i]
    return out
