"""Pure incident and maintenance rules: state machines, the promised next update, impact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tidings.core.errors import InvalidInput, InvalidTransition

#: Who an update notifies: a named audience or a segment of customers.
Audience = str | dict[str, Any]
AUDIENCES = ("affected", "all", "none")
SEGMENT_KEYS = {"plans", "strategic", "customers", "components", "channels", "languages"}

INCIDENT_STATES = ("investigating", "identified", "monitoring", "resolved")
MAINTENANCE_STATES = ("scheduled", "in_progress", "verifying", "completed", "cancelled")
ACTIVE_INCIDENT_STATES = INCIDENT_STATES[:3]
ACTIVE_MAINTENANCE_STATES = ("in_progress", "verifying")
CLOSED_STATES = ("resolved", "completed", "cancelled")
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
IMPACTS = ("none", "minor", "major", "critical", "maintenance")
ETA_CONFIDENCE = ("low", "medium", "high")

# Maintenance moves forward only, except verifying -> in_progress when verification fails.
_MAINTENANCE_NEXT: dict[str, tuple[str, ...]] = {
    "scheduled": ("scheduled", "in_progress", "cancelled"),
    "in_progress": ("in_progress", "verifying", "completed", "cancelled"),
    "verifying": ("verifying", "in_progress", "completed"),
    "completed": (),
    "cancelled": (),
}


def states_for(kind: str) -> tuple[str, ...]:
    return INCIDENT_STATES if kind == "incident" else MAINTENANCE_STATES


def check_transition(kind: str, old: str, new: str) -> bool:
    """Raise :class:`InvalidTransition` unless ``old -> new`` is allowed; return True when it
    is a step back (recorded in the timeline, since a regression is a fact worth explaining)."""
    states = states_for(kind)
    if new not in states:
        raise InvalidTransition(f"{new!r} is not a {kind} status; use one of {', '.join(states)}")
    if kind == "incident":
        # Any step is allowed, including reopening a resolved incident: reality is not linear,
        # and an honest timeline records the step back instead of forbidding it.
        return INCIDENT_STATES.index(new) < INCIDENT_STATES.index(old)
    if new not in _MAINTENANCE_NEXT[old]:
        raise InvalidTransition(f"a maintenance cannot move from {old} to {new}")
    return MAINTENANCE_STATES.index(new) < MAINTENANCE_STATES.index(old)


def is_closed(status: str) -> bool:
    return status in CLOSED_STATES


def check_window(starts: datetime, ends: datetime) -> None:
    if ends <= starts:
        raise InvalidTransition("a maintenance must end after it starts")


def check_audience(audience: Audience) -> Audience:
    if isinstance(audience, str):
        if audience not in AUDIENCES:
            raise InvalidInput(
                f"audience must be one of {', '.join(AUDIENCES)} or a segment, not {audience!r}"
            )
        return audience
    if not isinstance(audience, dict) or not audience:
        raise InvalidInput('a segment audience is an object such as {"plans": ["enterprise"]}')
    unknown = set(audience) - SEGMENT_KEYS
    if unknown:
        raise InvalidInput(
            f"unknown segment keys: {', '.join(sorted(unknown))}; use {', '.join(sorted(SEGMENT_KEYS))}"
        )
    for key, value in audience.items():
        if key == "strategic":
            if not isinstance(value, bool):
                raise InvalidInput("segment 'strategic' must be true or false")
        elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInput(f"segment {key!r} must be a list of strings")
    return audience
