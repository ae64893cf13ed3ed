import subprocess
import sys
from datetime import timedelta

from tests.conftest import ROOT, planned
from tidings.core import clock, jobs
from tidings.core.models import JobClaim


def test_two_schedulers_never_run_the_same_slot_twice(now, db):
    job = jobs.JOBS["maintenance_transitions"]
    assert jobs.claim(job, now) is True
    assert jobs.claim(job, now) is False  # the second scheduler backs off
    assert jobs.claim(job, now + timedelta(seconds=job.every_seconds)) is True
    assert JobClaim.objects.filter(name=job.name).count() == 2


def test_the_scheduler_starts_a_due_maintenance(now, catalog, site_settings):
    m = planned("Swap disks", now + timedelta(minutes=1), now + timedelta(hours=1))
    later = now + timedelta(minutes=2)
    with clock.frozen(later):
        ran = jobs.run_due(later)
    assert "maintenance_transitions" in ran and "publish_if_stale" in ran
    m.refresh_from_db()
    assert m.status == "in_progress"
    assert m.updates.first().author == "scheduler"


def test_the_cli_lists_its_periodic_jobs():
    out = subprocess.run(
        [sys.executable, "-m", "tidings.cli", "jobs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    for name in jobs.JOBS:
        assert name in out


def test_staff_can_open_every_admin_page(admin_client, outage):
    for url in (
        "/admin/",
        "/admin/components/component/",
        "/admin/components/componentgroup/",
        "/admin/incidents/incident/",
        f"/admin/incidents/incident/{outage.pk}/change/",
        "/admin/core/event/",
        "/admin/customers/customer/",
        "/admin/customers/customer/add/",
        "/admin/core/apitoken/",
        "/console/",
    ):
        assert admin_client.get(url).status_code == 200, url


def test_changing_an_incident_title_in_the_admin_is_recorded(admin_client, outage):
    from tidings.core.models import Event

    page = admin_client.get(f"/admin/incidents/incident/{outage.pk}/change/")
    form = page.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.update(
        {
            "title__en": "API errors in EU",
            "faq-TOTAL_FORMS": "0",
            "faq-INITIAL_FORMS": "0",
            "resources-TOTAL_FORMS": "0",
            "resources-INITIAL_FORMS": "0",
            "updates-TOTAL_FORMS": "0",
            "updates-INITIAL_FORMS": "0",
            "eta_at_0": "",
            "eta_at_1": "",
        }
    )
    data = {k: v for k, v in data.items() if v is not None}
    r = admin_client.post(f"/admin/incidents/incident/{outage.pk}/change/", data)
    assert r.status_code == 302, r.context["errors"] if r.context else r.status_code
    outage.refresh_from_db()
    assert outage.title == "API errors in EU"
    assert outage.titles == {"en": "API errors in EU", "he": "שגיאות מוגברות ב-API"}
    event = Event.objects.filter(kind="incident.changed", subject_id=outage.public_id).last()
    assert event.data["fields"]["title"] == ["Elevated API errors", "API errors in EU"]


def test_every_job_names_a_function_that_exists():
    import importlib

    for job in jobs.JOBS.values():
        module, _sep, name = job.target.partition(":")
        assert callable(getattr(importlib.import_module(module), name)), job.name
