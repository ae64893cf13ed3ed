"""The cadence policy as pure rules: intervals by severity, elapsed time and phase."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tidings.core.errors import InvalidInput
from tidings.incidents.cadence import DEFAULTS, Policy, check_policy, interval, next_due, standing

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_sev1_is_updated_every_20_minutes_for_two_hours_then_hourly():
    sev1 = DEFAULTS["SEV1"]
    assert interval(sev1, status="investigating", elapsed=timedelta(0)) == timedelta(minutes=20)
    assert interval(sev1, status="identified", elapsed=timedelta(minutes=119)) == timedelta(
        minutes=20
    )
    assert interval(sev1, status="identified", elapsed=timedelta(hours=2)) == timedelta(hours=1)


def test_monitoring_halves_the_frequency_but_never_beyond_four_hours():
    assert interval(DEFAULTS["SEV1"], status="monitoring", elapsed=timedelta(0)) == timedelta(
        minutes=40
    )
    slow = Policy(first_minutes=180, first_period_minutes=60, then_minutes=200, max_gap_minutes=240)
    assert interval(slow, status="monitoring", elapsed=timedelta(hours=5)) == timedelta(hours=4)


def test_next_due_counts_from_the_incident_start_and_stops_when_closed():
    sev1 = DEFAULTS["SEV1"]
    at = T0 + timedelta(hours=3)
    assert next_due(sev1, status="investigating", at=at, started_at=T0) == at + timedelta(hours=1)
    assert next_due(sev1, status="investigating", at=T0, started_at=None) == T0 + timedelta(
        minutes=20
    )
    assert next_due(sev1, status="resolved", at=at, started_at=T0) is None
    assert next_due(DEFAULTS[""], status="scheduled", at=at, started_at=T0) is None


def test_staff_policy_is_checked_field_by_field():
    assert check_policy("SEV2", {"first_minutes": 15}).first_minutes == 15
    with pytest.raises(InvalidInput, match="first_minutes"):
        check_policy("SEV2", {"first_minutes": 2})
    with pytest.raises(InvalidInput, match="max_gap_minutes"):
        check_policy("SEV2", {"then_minutes": 300, "max_gap_minutes": 240})
    with pytest.raises(InvalidInput, match="severity"):
        check_policy("SEV9", {})
    with pytest.raises(InvalidInput, match="unknown"):
        check_policy("SEV1", {"every": 5})
    with pytest.raises(InvalidInput):
        check_policy("SEV1", {"first_minutes": "20"})


def test_standing_says_due_soon_inside_five_minutes_and_overdue_from_the_first_second():
    due = T0 + timedelta(minutes=20)
    assert standing(None, T0) is None
    assert standing(due, T0).state == "ok"
    s = standing(due, due - timedelta(minutes=4, seconds=30))
    assert (s.state, s.minutes) == ("soon", 5)
    s = standing(due, due + timedelta(seconds=1))
    assert (s.state, s.minutes) == ("overdue", -1)
    s = standing(due, due + timedelta(minutes=12))
    assert (s.state, s.minutes) == ("overdue", -12)
