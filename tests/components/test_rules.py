from hypothesis import given
from hypothesis import strategies as st

from tidings.components.rules import (
    COMPONENT_STATUSES,
    INDICATORS,
    describe_indicator,
    impact_from_components,
    overall_indicator,
)

statuses = st.lists(st.sampled_from(COMPONENT_STATUSES), min_size=1, max_size=12)
impacts = st.lists(st.sampled_from(("none", "minor", "major", "critical")), max_size=4)


def test_all_operational_reads_all_systems_operational():
    level = overall_indicator(["operational"] * 5, [])
    assert level == "none"
    assert describe_indicator(level) == "All Systems Operational"


def test_one_partial_outage_is_a_partial_system_outage():
    assert overall_indicator(["operational", "partial_outage"], []) == "major"


def test_one_component_down_among_many_is_not_called_a_total_outage():
    assert overall_indicator(["operational", "major_outage"], []) == "major"


def test_everything_down_is_critical():
    assert overall_indicator(["major_outage", "major_outage"], []) == "critical"


def test_incident_impact_raises_the_indicator_even_with_green_components():
    assert overall_indicator(["operational"], ["critical"]) == "critical"


def test_maintenance_shows_only_when_nothing_is_worse():
    assert overall_indicator(["operational"], [], maintenance_in_progress=True) == "maintenance"
    assert overall_indicator(["degraded_performance"], [], maintenance_in_progress=True) == "minor"
    assert overall_indicator(["under_maintenance", "operational"], []) == "maintenance"


@given(statuses, impacts, st.booleans())
def test_indicator_is_never_better_than_any_input(comps, incs, maint):
    level = overall_indicator(comps, incs, maint)
    assert level in INDICATORS
    order = INDICATORS.index
    for impact in incs:
        assert order(level) >= order(impact)


@given(statuses, st.sampled_from(COMPONENT_STATUSES))
def test_worsening_a_component_never_improves_the_indicator(comps, worse):
    rank = COMPONENT_STATUSES.index
    before = overall_indicator(comps, [])
    changed = [max(comps[0], worse, key=rank), *comps[1:]]
    assert INDICATORS.index(overall_indicator(changed, [])) >= INDICATORS.index(before)


def test_incident_impact_defaults_from_the_worst_component():
    assert impact_from_components(["degraded_performance"]) == "minor"
    assert impact_from_components(["degraded_performance", "major_outage"]) == "critical"
    assert impact_from_components([]) == "none"
