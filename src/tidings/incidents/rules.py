"""Pure incident and maintenance rules: state machines, the promised next update, impact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

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
        message = (
            _("%(status)s is not a incident status; use one of %(states)s")
            if kind == "incident"
            else _("%(status)s is not a maintenance status; use one of %(states)s")
        )
        raise InvalidTransition(message % {"status": repr(new), "states": ", ".join(states)})
    if kind == "incident":
        # Any step is allowed, including reopening a resolved incident: reality is not linear,
        # and an honest timeline records the step back instead of forbidding it.
        return INCIDENT_STATES.index(new) < INCIDENT_STATES.index(old)
    if new not in _MAINTENANCE_NEXT[old]:
        raise InvalidTransition(
            _("a maintenance cannot move from %(old)s to %(new)s") % {"old": old, "new": new}
        )
    return MAINTENANCE_STATES.index(new) < MAINTENANCE_STATES.index(old)


def is_closed(status: str) -> bool:
    return status in CLOSED_STATES


def check_window(starts: datetime, ends: datetime) -> None:
    if ends <= starts:
        # Fields as the console names them, which finds them by English words otherwise.
        raise InvalidTransition(_("a maintenance must end after it starts"), field="until")


def check_audience(audience: Audience) -> Audience:
    if isinstance(audience, str):
        if audience not in AUDIENCES:
            raise InvalidInput(
                _("audience must be one of %(audiences)s or a segment, not %(audience)s")
                % {"audiences": ", ".join(AUDIENCES), "audience": repr(audience)},
                field="audience",
            )
        return audience
    if not isinstance(audience, dict) or not audience:
        raise InvalidInput(_('a segment audience is an object such as {"plans": ["enterprise"]}'))
    unknown = set(audience) - SEGMENT_KEYS
    if unknown:
        raise InvalidInput(
            _("unknown segment keys: %(keys)s; use %(known)s")
            % {"keys": ", ".join(sorted(unknown)), "known": ", ".join(sorted(SEGMENT_KEYS))}
        )
    for key, value in audience.items():
        if key == "strategic":
            if not isinstance(value, bool):
                raise InvalidInput(_("segment 'strategic' must be true or false"), field="audience")
        elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInput(
                _("segment %(key)s must be a list of strings") % {"key": repr(key)},
                field="audience",
            )
    return audience
