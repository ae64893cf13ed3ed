"""A component added or changed in the Django admin goes through the services, as one added in
the console would: a slug made from the name, the event recorded, a status change kept."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tidings.components.models import Component, StatusChange
from tidings.core.models import Event


@pytest.fixture
def noa(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("noa", "noa@acme.test", "pw"))
    return client


def test_a_component_added_in_the_admin_is_made_by_the_services(noa):
    r = noa.post("/admin/components/component/add/", {
        "name__en": "Billing", "name__he": "חיוב", "description": "Invoices", "position": "4",
        "status": "degraded_performance", "showcase": "on",
    })  # fmt: skip
    assert r.status_code == 302, r.context["errors"] if r.context else r
    c = Component.objects.get(name="Billing")
    assert (c.names, c.slug, c.position, c.status) == (
        {"en": "Billing", "he": "חיוב"},
        "billing",
        4,
        "degraded_performance",
    )
    assert c.showcase and not c.only_show_if_degraded and c.group is None
    assert Event.objects.filter(kind="component.created", subject_id=c.public_id).exists()


def test_a_status_changed_in_the_admin_is_kept_as_a_status_change(noa):
    noa.post("/admin/components/component/add/", {"name__en": "Search", "position": "1",
                                                    "status": "operational"})  # fmt: skip
    c = Component.objects.get(name="Search")
    r = noa.post(f"/admin/components/component/{c.pk}/change/", {
        "name__en": "Search", "position": "2", "status": "major_outage", "description": "",
    })  # fmt: skip
    assert r.status_code == 302, r.context["errors"] if r.context else r
    c.refresh_from_db()
    assert (c.position, c.status, c.showcase) == (2, "major_outage", False)
    change = StatusChange.objects.get(component=c)
    assert (change.old_status, change.new_status) == ("operational", "major_outage")
