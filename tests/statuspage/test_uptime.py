from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tidings.statuspage.data import Change
from tidings.statuspage.uptime import daily, overall, percent

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def at(days_ago: int, hour: int = 0, minute: int = 0) -> datetime:
    d = (NOW - timedelta(days=days_ago)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return d


def test_no_changes_means_every_day_fully_up():
    days = daily(changes=[], current="operational", days=90, now=NOW, partial_weight=0.3)
    assert len(days) == 90
    assert days[-1].day == NOW.date()
    assert all(d.uptime == 1.0 and d.level == "ok" for d in days)
    assert overall(days) == 1.0


def test_a_six_hour_major_outage_costs_a_quarter_of_that_day():
    changes = [
        Change(at(10, 6), "operational", "major_outage"),
        Change(at(10, 12), "major_outage", "operational"),
    ]
    days = daily(changes=changes, current="operational", days=90, now=NOW, partial_weight=0.3)
    hit = next(d for d in days if d.day == at(10).date())
    assert hit.level == "critical"
    assert abs(hit.uptime - 0.75) < 1e-9
    assert all(d.uptime == 1.0 for d in days if d.day != hit.day)


def test_partial_outage_counts_at_the_configured_weight():
    changes = [
        Change(at(3, 0), "operational", "partial_outage"),
        Change(at(3, 12), "partial_outage", "operational"),
    ]
    half_day_partial = {
        w: daily(changes=changes, current="operational", days=7, now=NOW, partial_weight=w)
        for w in (0.0, 0.3, 1.0)
    }
    uptimes = {
        w: next(d for d in ds if d.day == at(3).date()).uptime for w, ds in half_day_partial.items()
    }
    assert uptimes[0.0] == 1.0
    assert abs(uptimes[0.3] - 0.85) < 1e-9
    assert abs(uptimes[1.0] - 0.5) < 1e-9


def test_degraded_and_maintenance_colour_the_day_but_count_as_up():
    changes = [
        Change(at(2, 1), "operational", "degraded_performance"),
        Change(at(2, 2), "degraded_performance", "operational"),
        Change(at(1, 1), "operational", "under_maintenance"),
        Change(at(1, 2), "under_maintenance", "operational"),
    ]
    days = daily(changes=changes, current="operational", days=7, now=NOW, partial_weight=0.3)
    by_day = {d.day: d for d in days}
    assert by_day[at(2).date()].level == "minor" and by_day[at(2).date()].uptime == 1.0
    assert by_day[at(1).date()].level == "maintenance" and by_day[at(1).date()].uptime == 1.0


def test_an_outage_still_open_runs_until_now():
    changes = [Change(at(0, 11), "operational", "major_outage")]
    days = daily(changes=changes, current="major_outage", days=7, now=NOW, partial_weight=0.3)
    today = days[-1]
    # 11:00 to 12:00 down out of the 12 hours elapsed today
    assert abs(today.uptime - 11 / 12) < 1e-9


def test_days_before_the_component_existed_have_no_data():
    days = daily(
        changes=[],
        current="operational",
        days=10,
        now=NOW,
        partial_weight=0.3,
        since=date(2026, 11, 20),
    )
    assert [d.level for d in days[:6]] == ["nodata"] * 6
    assert days[6].uptime == 1.0


def test_percent_never_rounds_a_loss_up_to_a_perfect_score():
    assert percent(0.99999) == "99.99"
    assert percent(1.0) == "100.00"


@given(
    st.lists(
        st.tuples(
            st.integers(0, 89 * 24 * 60),
            st.sampled_from(
                [
                    "operational",
                    "degraded_performance",
                    "partial_outage",
                    "major_outage",
                    "under_maintenance",
                ]
            ),
        ),
        max_size=20,
    ),
    st.floats(0, 1),
)
def test_uptime_is_always_a_fraction_and_downtime_never_exceeds_time(points, weight):
    changes, status = [], "operational"
    for minutes, new in sorted(points):
        t = NOW - timedelta(minutes=minutes)
        changes.append(Change(t, status, new))
        status = new
    changes.sort(key=lambda c: c.at)
    days = daily(changes=changes, current=status, days=90, now=NOW, partial_weight=weight)
    for d in days:
        assert d.uptime is not None and 0.0 <= d.uptime <= 1.0
        assert d.down_seconds <= 86_400 + 1e-6
    total = overall(days)
    assert total is not None and 0.0 <= total <= 1.0
