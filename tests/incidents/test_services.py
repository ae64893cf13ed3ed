from datetime import timedelta

import pytest
from django.db import transaction

from tests.conftest import planned
from tidings.components.models import Component, StatusChange
from tidings.core import clock
from tidings.core.errors import InvalidInput, InvalidTransition, NotFound
from tidings.core.models import Event
from tidings.incidents import maintenances, services
from tidings.incidents.models import AppendOnly, Incident, IncidentUpdate


def status_of(cid):
    return Component.objects.get(public_id=cid).status


def test_declaring_an_incident_acknowledges_it_publicly_and_promises_the_next_update(now, catalog):
    inc = services.create_incident(
        actor="dana",
        title="API errors",
        severity="SEV1",
        body="We are investigating.",
        components={catalog["API"]: "major_outage"},
    )
    assert inc.acknowledged_at == now
    assert inc.next_update_due_at == now + timedelta(minutes=20)  # SEV1: every 20 min at first
    assert inc.impact == "critical"  # derived from the worst component when not set
    assert status_of(catalog["API"]) == "major_outage"
    kinds = list(Event.objects.filter(subject_id=inc.public_id).values_list("kind", flat=True))
    assert kinds == ["incident.created", "incident.update_posted"]


def test_minor_incidents_promise_updates_hourly(now, catalog):
    inc = services.create_incident(actor="dana", title="Slow docs", severity="SEV4", body="Slow.")
    assert inc.next_update_due_at == now + timedelta(minutes=60)


def test_updates_walk_the_lifecycle_and_stamp_times(now, outage, catalog):
    with clock.frozen(now + timedelta(minutes=10)):
        services.post_update(actor="dana", incident=outage, status="identified", body="Found it.")
    with clock.frozen(now + timedelta(minutes=20)):
        services.post_update(
            actor="dana", incident=outage, status="monitoring", body="Fixed, watching."
        )
    with clock.frozen(now + timedelta(minutes=30)):
        services.post_update(actor="dana", incident=outage, status="resolved", body="All good.")
    outage.refresh_from_db()
    assert outage.identified_at == now + timedelta(minutes=10)
    assert outage.monitoring_at == now + timedelta(minutes=20)
    assert outage.resolved_at == now + timedelta(minutes=30)
    assert outage.next_update_due_at is None
    assert status_of(catalog["API"]) == "operational"  # released on resolve
    assert [c.new_status for c in StatusChange.objects.order_by("at")] == [
        "partial_outage",
        "operational",
    ]


def test_a_step_back_is_allowed_and_recorded(now, outage):
    services.post_update(actor="dana", incident=outage, status="monitoring", body="Fix deployed.")
    services.post_update(
        actor="dana", incident=outage, status="investigating", body="Errors are back."
    )
    change = Event.objects.filter(
        kind="incident.status_changed", subject_id=outage.public_id
    ).last()
    assert change.data["old"] == "monitoring" and change.data["new"] == "investigating"
    assert change.data["backward"] is True


def test_still_investigating_updates_keep_the_status_and_move_the_promise(now, outage):
    later = now + timedelta(minutes=25)
    with clock.frozen(later):
        services.post_update(
            actor="dana",
            incident=outage,
            status="investigating",
            body="Still working on it, no ETA yet.",
        )
    outage.refresh_from_db()
    assert outage.status == "investigating"
    assert outage.next_update_due_at == later + timedelta(minutes=30)


def test_resolving_keeps_a_component_another_incident_still_holds(now, catalog, outage):
    other = services.create_incident(
        actor="dana", title="Second", body="x", components={catalog["API"]: "major_outage"}
    )
    services.post_update(actor="dana", incident=outage, status="resolved", body="Done.")
    assert status_of(catalog["API"]) == "major_outage"
    services.post_update(actor="dana", incident=other, status="resolved", body="Done.")
    assert status_of(catalog["API"]) == "operational"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"status": "fixed"}, InvalidTransition, "'fixed' is not a incident status"),
        ({"components": {"nosuchcompon": "major_outage"}}, NotFound, "nosuchcompon"),
        ({"body": ""}, InvalidInput, "needs text"),
        ({"body": {"fr": "Bonjour"}}, InvalidInput, "unknown language 'fr'"),
        ({"body": "x" * 20_001}, InvalidInput, "limit is 20000"),
        ({"impact": "apocalyptic"}, InvalidInput, "impact must be one of"),
    ],
)
def test_bad_updates_are_refused_and_leave_no_trace(now, outage, catalog, kwargs, error, message):
    before = (IncidentUpdate.objects.count(), Event.objects.count(), StatusChange.objects.count())
    args = {
        "status": "identified",
        "body": "ok",
        "components": {catalog["Website"]: "major_outage"},
        **kwargs,
    }
    with pytest.raises(error, match=message), transaction.atomic():
        services.post_update(actor="dana", incident=outage, **args)
    assert (
        IncidentUpdate.objects.count(),
        Event.objects.count(),
        StatusChange.objects.count(),
    ) == before
    assert status_of(catalog["Website"]) == "operational"
    outage.refresh_from_db()
    assert outage.status == "investigating"


def test_updates_are_append_only(outage):
    update = outage.updates.first()
    update.bodies = {"en": "rewritten history"}
    with pytest.raises(AppendOnly):
        update.save()
    with pytest.raises(AppendOnly):
        update.delete()


def test_a_promise_in_the_past_is_refused(now, outage):
    with pytest.raises(InvalidInput, match="future"):
        services.post_update(
            actor="dana",
            incident=outage,
            status="identified",
            body="x",
            next_update_due_at=now - timedelta(minutes=1),
        )


def test_internal_incidents_record_events_without_asking_for_a_publish(now, catalog):
    from tidings.core.events import forget_publish_requests, pending_publish_requests
    from tidings.core.models import PublishRequest

    forget_publish_requests(pending_publish_requests())  # as a publish does
    services.create_incident(
        actor="dana", title="Internal drill", body="Drill.", visibility="internal"
    )
    assert not PublishRequest.objects.exists()
    events = Event.objects.filter(kind="incident.update_posted").last()
    assert events.data["public"] is False


def test_maintenance_starts_and_completes_on_its_own(now, catalog):
    start, end = now + timedelta(hours=1), now + timedelta(hours=3)
    m = maintenances.create_maintenance(
        actor="dana",
        title="DB upgrade",
        body="Upgrading.",
        scheduled_for=start,
        scheduled_until=end,
        components={catalog["Email"]: "under_maintenance"},
    )
    assert m.status == "scheduled" and status_of(catalog["Email"]) == "operational"
    assert maintenances.run_due_maintenances(now=now) == []
    with clock.frozen(start):
        assert maintenances.run_due_maintenances(now=start) == [m.public_id]
    m.refresh_from_db()
    assert m.status == "in_progress" and status_of(catalog["Email"]) == "under_maintenance"
    with clock.frozen(end):
        maintenances.run_due_maintenances(now=end)
    m.refresh_from_db()
    assert m.status == "completed" and m.resolved_at == end
    assert status_of(catalog["Email"]) == "operational"
    bodies = [u.bodies for u in m.updates.order_by("display_at")]
    # Nobody was there to write them: the maintenance templates did, in both languages.
    assert bodies[1]["en"] == (
        "The planned maintenance on Email has started. It should be complete by 2026-11-23 15:00 UTC."
    )
    assert bodies[2]["en"].startswith("The planned maintenance on Email is complete")
    assert set(bodies[1]) == {"en", "he"} and "Email" in bodies[1]["he"]


def test_maintenance_cannot_go_back_from_completed(now, catalog):
    m = planned("m", now + timedelta(hours=1), now + timedelta(hours=2), body="b")
    services.post_update(actor="dana", incident=m, status="cancelled", body="Not needed after all.")
    with pytest.raises(InvalidTransition):
        services.post_update(actor="dana", incident=m, status="in_progress", body="Oops.")


def test_maintenance_window_must_end_after_it_starts(now, db):
    with pytest.raises(InvalidTransition, match="end after"):
        maintenances.create_maintenance(
            actor="dana", title="m", body="b", scheduled_for=now, scheduled_until=now
        )
    assert not Incident.objects.exists()


@pytest.mark.parametrize("count", [1, 3, 4])
def test_an_update_sets_each_named_component_and_records_each_change(now, catalog, count):
    # Up to three components are written row by row, more by one UPDATE: the same outcome.
    incident = services.create_incident(actor="dana", title="Wide", body="Looking.")
    names = ["API", "Website", "Email", "Docs"][:count]
    statuses = ["major_outage", "partial_outage", "degraded_performance", "under_maintenance"]
    wanted = {catalog[n]: statuses[k] for k, n in enumerate(names)}
    before = StatusChange.objects.count()
    with transaction.atomic():  # as the staff API runs it: components read under lock
        services.post_update(actor="dana", incident=incident, status="identified",
                             body="Found it.", components=wanted)  # fmt: skip
    assert {cid: status_of(cid) for cid in wanted} == wanted
    untouched = [cid for name, cid in catalog.items() if name not in names]
    assert all(status_of(cid) == "operational" for cid in untouched)
    changes = StatusChange.objects.order_by("id")[before:]
    assert {(c.component.public_id, c.old_status, c.new_status) for c in changes} == {
        (cid, "operational", status) for cid, status in wanted.items()
    }
