"""Update cadence: how often customers are promised an update, and where an incident stands
against its promise. Pure rules, no I/O (the stored policy is in :mod:`cadence_store`).

Defaults follow shared/reference/domain.md 3.1: a SEV1 is updated at least every 20 minutes for
its first two hours, then hourly; the monitoring phase at half the frequency; and never more
than four hours between customer-facing updates, however long the crisis lasts.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from tidings.core.errors import InvalidInput

#: How long before an update is due its owner is reminded.
REMIND_BEFORE = timedelta(minutes=5)
#: The policy of an incident with no severity is keyed by "".
POLICY_KEYS = ("SEV1", "SEV2", "SEV3", "SEV4", "")
_FIELDS = ("first_minutes", "first_period_minutes", "then_minutes", "max_gap_minutes")


@dataclass(frozen=True)
class Policy:
    """Every ``first_minutes`` during the first ``first_period_minutes`` of an incident, then
    every ``then_minutes``; never more than ``max_gap_minutes`` apart."""

    first_minutes: int
    first_period_minutes: int
    then_minutes: int
    max_gap_minutes: int = 240

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


DEFAULTS: dict[str, Policy] = {
    "SEV1": Policy(20, 120, 60),
    "SEV2": Policy(30, 120, 60),
    "SEV3": Policy(60, 240, 120),
    "SEV4": Policy(60, 120, 120),
    "": Policy(60, 240, 120),
}


def check_policy(severity: str, fields: dict[str, object]) -> Policy:
    """A policy from user input, or :class:`InvalidInput` naming the first wrong field."""
    if severity not in POLICY_KEYS:
        raise InvalidInput(
            _("severity must be one of %(severities)s")
            % {"severities": ", ".join(k or "(none)" for k in POLICY_KEYS)}
        )
    unknown = set(fields) - set(_FIELDS)
    if unknown:
        raise InvalidInput(
            _("unknown policy fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    values = {**DEFAULTS[severity].as_dict(), **fields}
    for name in _FIELDS:
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 5 <= value <= 24 * 60:
            raise InvalidInput(
                _("%(field)s must be a whole number of minutes from 5 to 1440") % {"field": name}
            )
    policy = Policy(**values)  # type: ignore[arg-type]
    if max(policy.first_minutes, policy.then_minutes) > policy.max_gap_minutes:
        raise InvalidInput(_("max_gap_minutes must be at least the update intervals"))
    return policy


def interval(policy: Policy, *, status: str, elapsed: timedelta) -> timedelta:
    """The time until the next update, ``elapsed`` since the incident started."""
    first = elapsed < timedelta(minutes=policy.first_period_minutes)
    minutes = policy.first_minutes if first else policy.then_minutes
    if status in ("monitoring", "verifying"):
        minutes *= 2  # a fix is in: fewer updates, but the promise still stands
    return timedelta(minutes=min(minutes, policy.max_gap_minutes))


def next_due(
    policy: Policy, *, status: str, at: datetime, started_at: datetime | None
) -> datetime | None:
    """When the next update is promised if the author does not say; nothing once closed or
    for a maintenance that has not started."""
    if status in ("resolved", "completed", "cancelled", "scheduled"):
        return None
    elapsed = max(at - started_at, timedelta(0)) if started_at else timedelta(0)
    return at + interval(policy, status=status, elapsed=elapsed)


@dataclass(frozen=True)
class Standing:
    """Where an incident stands against its promised update: ``state`` is "ok", "soon"
    (within the reminder window) or "overdue"; ``minutes`` until due (negative when late)."""

    state: str
    minutes: int


def standing(due: datetime | None, now: datetime) -> Standing | None:
    if due is None:
        return None
    left = due - now
    whole = math.ceil(abs(left.total_seconds()) / 60)  # "overdue by 1 min" from the first second
    minutes = whole if left > timedelta(0) else -whole
    if left <= timedelta(0):
        return Standing("overdue", minutes)
    return Standing("soon" if left <= REMIND_BEFORE else "ok", minutes)
