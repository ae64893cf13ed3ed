from datetime import timedelta

from django.db.models import Count

from tests.conftest import published
from tidings.components.models import Component, ComponentGroup
from tidings.customers.models import Customer
from tidings.demo.history import add_history
from tidings.demo.load import load_demo
from tidings.incidents.models import Incident, IncidentComponent
from tidings.statuspage import publisher, snapshot


def test_the_demo_company_is_realistic_and_loads_once(now, site_settings, db):
    message = load_demo()
    assert "Staff login: admin / " in message
    assert Component.objects.count() == 12 and ComponentGroup.objects.count() == 3
    assert Customer.objects.filter(strategic=True).count() >= 2
    assert all(c.contacts.exists() and c.components.exists() for c in Customer.objects.all())
    incidents = Incident.objects.filter(kind="incident")
    assert incidents.filter(status="resolved").count() == 12
    oldest = incidents.order_by("started_at").first().started_at
    assert now - timedelta(days=90) <= oldest <= now - timedelta(days=60)
    [active] = incidents.exclude(status="resolved")
    assert active.faq.exists() and active.resources.exists()
    assert Incident.objects.filter(kind="maintenance", status="scheduled").count() == 1
    assert load_demo() == ""  # a database with data is left alone
    from tidings.notify.models import Delivery

    assert not Delivery.objects.exists()  # history is not news: loading the demo emails nobody

    published(site_settings)
    snap = snapshot.load(site_settings.snapshot_dir)
    page = snap.entries["/"].body.decode()
    assert active.title in page
    assert page.count('class="bars"') == 12
    assert 'class="critical"' in page  # past outages show in the bars


def test_years_of_history_are_added_in_bulk_and_published_whole(now, site_settings, db):
    load_demo()
    before = set(Incident.objects.values_list("pk", flat=True))
    assert add_history(60, seed=7) == "Added 60 resolved incidents over the past 5 years."
    added = Incident.objects.exclude(pk__in=before)
    assert added.count() == 60
    assert set(added.values_list("status", "visibility").distinct()) == {("resolved", "public")}
    per_incident = added.annotate(n=Count("updates")).values_list("n", flat=True)
    assert set(per_incident) <= {2, 3, 4} and len(set(per_incident)) > 1
    first = added.order_by("started_at").first().started_at
    assert now - timedelta(days=5 * 366) <= first < now - timedelta(days=365)
    hit = IncidentComponent.objects.filter(incident__in=added).values("component").distinct()
    assert hit.count() > 6  # spread across the components
    assert publisher.publish(settings=site_settings) is not None  # it asked for a publish
    assert publisher.check(site_settings) == []
    snap = snapshot.load(site_settings.snapshot_dir)
    assert f"/history/{first.strftime('%Y-%m')}" in snap.entries
