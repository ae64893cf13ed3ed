"""Staff's cadence policy, stored per severity; the defaults apply where none is stored."""

from __future__ import annotations

from tidings.core import clock, events
from tidings.incidents import stored_settings
from tidings.incidents.cadence import DEFAULTS, POLICY_KEYS, Policy, check_policy
from tidings.incidents.models import CadencePolicy


def policies() -> dict[str, Policy]:
    """The policy of every severity key, staff's own over the defaults."""
    found = dict(DEFAULTS)
    for row in CadencePolicy.objects.all():
        found[row.severity] = _policy(row)
    return found


def policy_for(severity: str | None) -> Policy:
    """Read with the other settings an update needs, once per transaction (an update asks
    twice: its honesty check, then its post)."""
    key = severity if severity in POLICY_KEYS else ""
    return stored_settings.stored().policies.get(key) or DEFAULTS[key or ""]


def _forget() -> None:
    stored_settings.changed()


def customised() -> set[str]:
    return set(CadencePolicy.objects.values_list("severity", flat=True))


def set_policy(*, actor: str, severity: str, **fields: object) -> Policy:
    policy = check_policy(severity, fields)
    CadencePolicy.objects.update_or_create(
        severity=severity,
        defaults={**policy.as_dict(), "updated_at": clock.now(), "updated_by": actor},
    )
    _forget()
    events.record(kind="cadence.policy_changed", actor=actor, subject_type="cadence",
                  subject_id=severity or "none", public=False, **policy.as_dict())  # fmt: skip
    return policy


def reset_policy(*, actor: str, severity: str) -> Policy:
    check_policy(severity, {})
    CadencePolicy.objects.filter(severity=severity).delete()
    _forget()
    events.record(kind="cadence.policy_reset", actor=actor, subject_type="cadence",
                  subject_id=severity or "none", public=False)  # fmt: skip
    return DEFAULTS[severity]


def _policy(row: CadencePolicy) -> Policy:
    return Policy(
        row.first_minutes, row.first_period_minutes, row.then_minutes, row.max_gap_minutes
    )
