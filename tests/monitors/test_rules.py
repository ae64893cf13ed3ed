"""The pure monitor and alert rules."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tidings.monitors import rules
from tidings.monitors.protocol import AlertEvent

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_severity_to_status_with_the_issue_defaults() -> None:
    m = rules.DEFAULT_SEVERITY_MAP
    assert rules.status_for("critical", m) == "major_outage"
    assert rules.status_for("Warning", m) == "partial_outage"
    assert rules.status_for("info", m) == rules.status_for("", m) == "degraded_performance"
    assert rules.status_for("whatever", {"*": "partial_outage"}) == "partial_outage"


def test_group_state_ignores_repeats_and_older_news() -> None:
    fire = AlertEvent(group="g", fingerprint="a", firing=True, severity="critical", at=T0)
    first = rules.apply_events({}, [fire], T0)
    assert first.opened and first.changed
    assert not rules.apply_events(first.alerts, [fire], T0).changed
    resolve = AlertEvent(group="g", fingerprint="a", firing=False, at=T0 + timedelta(minutes=5))
    done = rules.apply_events(first.alerts, [resolve], T0)
    assert done.resolved
    assert not rules.apply_events(done.alerts, [fire], T0).changed  # a late re-send


def test_n_in_a_row() -> None:
    t = rules.Tally("up", 0, 0)
    for _ in range(2):
        t = t.after(False, need_failures=3, need_successes=2)
    assert t.state == "up"
    t = t.after(False, need_failures=3, need_successes=2)
    assert t.state == "down"
    t = t.after(True, need_failures=3, need_successes=2)
    assert t.state == "down"
    assert t.after(True, need_failures=3, need_successes=2).state == "up"


@given(
    st.integers(min_value=10, max_value=3600),
    st.integers(0, 10**9),
    st.text(min_size=1, max_size=12),
)
def test_next_run_stays_on_the_monitor_grid(interval: int, seconds: int, key: str) -> None:
    after = datetime.fromtimestamp(seconds, tz=UTC)
    offset = rules.phase(key, interval)
    nxt = rules.next_run(after, interval, offset)
    assert after < nxt <= after + timedelta(seconds=interval)
    assert (int(nxt.timestamp()) - offset) % interval == 0


def test_two_thousand_monitors_spread_over_their_interval() -> None:
    per_second = Counter(rules.phase(f"monitor{n}", 30) for n in range(2000))
    assert len(per_second) == 30
    assert max(per_second.values()) < 2 * 2000 / 30  # never a burst of everything at once


def test_private_addresses_only_in_allowed_networks() -> None:
    assert rules.address_allowed("93.184.216.34", [])
    assert not rules.address_allowed("10.1.2.3", [])
    assert rules.address_allowed("10.1.2.3", ["10.0.0.0/8"])
    assert not rules.address_allowed("127.0.0.1", ["10.0.0.0/8"])
    assert not rules.address_allowed("169.254.169.254", [])  # cloud metadata
    assert rules.address_allowed("::1", ["::1/128"])


def firing_on(component: str, group: str, fingerprint: str, severity: str) -> AlertEvent:
    """A firing alert whose ``component`` label names ``component``."""
    return AlertEvent(
        group=group,
        fingerprint=fingerprint,
        firing=True,
        severity=severity,
        labels={"component": component},
    )


def test_routing_by_label_name_and_default() -> None:
    index = {"api": "c1", "website": "c2"}
    events = [firing_on("API", "g1", "a", "critical"), firing_on("nope", "g2", "b", "warning")]
    routed = rules.route(
        events,
        label_names=["component"],
        index=index,
        defaults=["c2"],
        severity_map=rules.DEFAULT_SEVERITY_MAP,
    )
    assert [p.components for p in routed.plans] == [
        {"c1": "major_outage"},
        {"c2": "partial_outage"},
    ]
    assert routed.unknown == ["component=nope"]
    nowhere = rules.route(events[1:], label_names=[], index=index, defaults=[], severity_map={})
    assert nowhere.unplaced == 1 and nowhere.plans == []
