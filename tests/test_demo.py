from datetime import timedelta

from tests.conftest import published
from tidings.components.models import Component, ComponentGroup
from tidings.customers.models import Customer
from tidings.demo.load import load_demo
from tidings.incidents.models import Incident
from tidings.statuspage import snapshot


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
