"""Publishing proportional to the change: an incremental publish renders only what a change
shows on, carries the rest over, and is byte for byte what a full render makes."""

import shutil
from datetime import timedelta

import pytest
from django.db import transaction

from tests.conftest import published, resolved_long_ago
from tidings.components import services as components
from tidings.core import clock, db, events
from tidings.core.models import Event
from tidings.incidents import content, maintenances, services
from tidings.incidents.deletion import delete_incident
from tidings.incidents.models import Incident
from tidings.statuspage import incremental, publisher, snapshot


def _publish_and_check(settings):
    """Publish what is pending incrementally and compare it with a full render."""
    assert publisher.publish(settings=settings) is not None
    assert publisher.check(settings) == []


def _plan_of_pending(settings, now):
    with db.read_snapshot():
        scopes = events.publish_scopes(events.pending_publish_requests())
        return incremental.render(settings, 99, now, scopes, entries_of=publisher._entries)


def test_a_series_of_changes_published_incrementally_equals_a_full_render(
    now, site_settings, catalog, outage
):
    old = resolved_long_ago(now, days=500)
    published(site_settings)
    assert publisher.check(site_settings) == []

    with transaction.atomic():
        services.post_update(
            actor="dana", incident=outage, status="identified", body="Cause found."
        )
    job = _plan_of_pending(site_settings, now)
    assert job.staging is not None and not job.full
    carried = job.staging.result()
    shutil.rmtree(job.staging.tmp)
    assert f"/incidents/{old.public_id}" in carried
    assert f"/incidents/{outage.public_id}" not in carried
    _publish_and_check(site_settings)

    with clock.frozen(now + timedelta(minutes=5)):
        services.change_incident(actor="dana", incident=outage, title="API errors in EU")
        content.add_faq(actor="dana", incident=outage, question="Data lost?", answer="No.")
        _publish_and_check(site_settings)
    with clock.frozen(now + timedelta(minutes=10)):
        components.set_status(
            actor="dana",
            component=components.get_component(catalog["Docs"]),
            status="degraded_performance",
        )
        job = _plan_of_pending(site_settings, clock.now())
        assert not job.full and job.staging is not None and job.staging.result()
        shutil.rmtree(job.staging.tmp)
        _publish_and_check(site_settings)
        maintenances.create_maintenance(
            actor="dana",
            title="Upgrade",
            body="Planned.",
            scheduled_for=clock.now() + timedelta(days=1),
            scheduled_until=clock.now() + timedelta(days=1, hours=2),
            components={catalog["Email"]: "x"},
        )
        _publish_and_check(site_settings)
    with clock.frozen(now + timedelta(minutes=20)):
        services.post_update(actor="dana", incident=old, status="investigating", body="Back.")
        _publish_and_check(site_settings)
        services.post_update(actor="dana", incident=old, status="resolved", body="Gone.")
        delete_incident(actor="dana", incident=outage)
        _publish_and_check(site_settings)
        page = snapshot.load(site_settings.snapshot_dir)
        assert page is not None
        assert "Back." in page.entries[f"/incidents/{old.public_id}"].body.decode()
        assert f"/incidents/{outage.public_id}" not in page.entries


def test_a_publisher_that_did_not_write_the_last_snapshot_takes_its_pages_from_it(
    now, site_settings, outage
):
    old = resolved_long_ago(now)
    published(site_settings)
    incremental._known.clear()  # as a worker started since: it knows only what is on disk
    with transaction.atomic():
        services.post_update(actor="dana", incident=outage, status="identified", body="Found.")
    job = _plan_of_pending(site_settings, now)
    assert not job.full and job.staging is not None
    assert f"/he/incidents/{old.public_id}" in job.staging.result()
    shutil.rmtree(job.staging.tmp)
    _publish_and_check(site_settings)


def _hide(i):
    return {"visibility": "internal"}


def _unlist(i):  # a scheduled maintenance: no longer counted in the history
    window = {"scheduled_for": i.started_at, "scheduled_until": i.started_at + timedelta(hours=1)}
    return {"kind": "maintenance", "status": "scheduled", **window}


@pytest.mark.parametrize("edit", [_hide, _unlist])
def test_a_change_that_asked_for_no_publish_has_the_next_one_render_everything(
    now, site_settings, outage, edit
):
    old = resolved_long_ago(now)
    published(site_settings)
    Incident.objects.filter(pk=old.pk).update(**edit(old))  # behind Tidings' back: no request
    with transaction.atomic():
        services.post_update(actor="dana", incident=outage, status="identified", body="Found.")
    assert _plan_of_pending(site_settings, now).full  # what it knows disagrees with the database
    _publish_and_check(site_settings)
    page = snapshot.load(site_settings.snapshot_dir)
    assert page is not None
    assert (f"/incidents/{old.public_id}" in page.entries) == (edit is _unlist)


def test_full_publish_renders_every_page_and_agrees(now, site_settings, outage):
    published(site_settings)
    with transaction.atomic():
        services.post_update(actor="dana", incident=outage, status="identified", body="Found.")
    assert publisher.publish(settings=site_settings, full=True) is not None
    assert publisher.check(site_settings) == []


def test_history_reaches_every_month_however_old(now, site_settings, catalog):
    with clock.frozen(now - timedelta(days=3 * 365)):
        old = services.create_incident(actor="dana", title="Ancient trouble", body="x")
        services.post_update(actor="dana", incident=old, status="resolved", body="done")
    published(site_settings)
    snap = snapshot.load(site_settings.snapshot_dir)
    assert snap is not None
    key = old.started_at.strftime("%Y-%m")
    assert "Ancient trouble" in snap.entries[f"/history/{key}"].body.decode()
    assert f"/he/history/{key}" in snap.entries
    index = snap.entries["/history"].body.decode()
    assert f"/history/{key}" in index and str(old.started_at.year) in index
    months = [p for p in snap.entries if p.startswith("/history/")]
    assert len(months) == 3 * 12 + 1  # every month from then to now, each reachable
    month_page = snap.entries[f"/history/{key}"].body.decode()
    assert 'rel="next"' in month_page and 'rel="prev"' not in month_page


def test_a_deleted_incident_leaves_the_page_and_its_components_return(now, site_settings, catalog):
    api = components.get_component(catalog["API"])
    components.set_status(actor="dana", component=api, status="degraded_performance")
    with clock.frozen(now + timedelta(minutes=1)):
        outage = services.create_incident(
            actor="dana",
            title="Elevated API errors",
            body="Failing.",
            components={catalog["API"]: "partial_outage"},
        )
        services.post_update(
            actor="dana",
            incident=outage,
            status="identified",
            body="Worse.",
            components={catalog["API"]: "major_outage"},
        )
    published(site_settings)
    with transaction.atomic():
        delete_incident(actor="lee", incident=outage)
    api.refresh_from_db()
    assert api.status == "degraded_performance"  # as before the incident, not "operational"
    logged = Event.objects.get(kind="incident.deleted")
    assert logged.actor == "lee" and logged.data["title"] == "Elevated API errors"
    assert publisher.publish(settings=site_settings) is not None  # asked for at once
    snap = snapshot.load(site_settings.snapshot_dir)
    assert snap is not None
    assert f"/incidents/{outage.public_id}" not in snap.entries
    assert "Elevated API errors" not in snap.entries["/"].body.decode()
    assert publisher.check(site_settings) == []


def test_a_status_set_after_the_incident_stands_when_it_is_deleted(
    now, site_settings, catalog, outage
):
    api = components.get_component(catalog["API"])
    with clock.frozen(now + timedelta(minutes=1)):
        components.set_status(actor="dana", component=api, status="major_outage")
    delete_incident(actor="dana", incident=outage)
    api.refresh_from_db()
    assert api.status == "major_outage"
