"""The components screen: the commander adds, renames in both languages, moves, regroups,
sets a status outside an incident and deletes; refusals sit next to their field with what
was typed; communications reads but does not change."""

from __future__ import annotations

import hashlib
from typing import Any

from django.test import Client

from tests.console.conftest import add_component
from tidings.components.models import Component, ComponentGroup
from tidings.core import clock
from tidings.notify.models import Delivery
from tidings.subscribers.models import Subscriber


def _order(group: str) -> list[str]:
    return list(
        Component.objects.filter(group__name=group)
        .order_by("position", "name")
        .values_list("name", flat=True)
    )


def _subscriber(address: str) -> Subscriber:
    return Subscriber.objects.create(
        channel="email", target=address, target_key=hashlib.sha256(address.encode()).hexdigest(),
        status="active", created_at=clock.now(),
    )  # fmt: skip


def test_the_commander_runs_the_catalog_from_the_components_screen(
    client: Client, omer: Any, catalog: dict[str, str], now: Any
) -> None:
    client.force_login(omer)
    page = client.get("/console/components").content.decode()
    assert "Website" in page and 'data-group="' in page and "Move API down" in page

    r = client.post(
        "/console/components/add",
        {"name_en": "Checkout", "name_he": "קופה", "slug": "", "group": "", "description": ""},
    )
    assert r.status_code == 302 and r["Location"].startswith("/console/components#c-")
    checkout = Component.objects.get(slug="checkout")
    assert checkout.names == {"en": "Checkout", "he": "קופה"}

    api = catalog["API"]
    core = ComponentGroup.objects.get(name="Core")
    r = client.post(
        f"/console/components/{api}",
        {"action": "save", "name_en": "Public API", "name_he": "ממשק ציבורי", "slug": "public-api",
         "group": core.public_id, "description": "REST and webhooks"},
    )  # fmt: skip
    assert r.status_code == 302
    renamed = Component.objects.get(public_id=api)
    assert (renamed.names["he"], renamed.slug) == ("ממשק ציבורי", "public-api")

    assert _order("Core") == ["Public API", "Website"]
    client.post(f"/console/components/{api}", {"action": "down"})
    assert _order("Core") == ["Website", "Public API"]
    client.post(f"/console/components/{api}", {"action": "down"}, HTTP_HX_REQUEST="true")
    assert _order("Core") == ["Website", "Public API"]  # already last: nothing moves
    extras = ComponentGroup.objects.get(name="Extras")
    client.post(f"/console/components/groups/{extras.public_id}", {"action": "up"})
    assert list(ComponentGroup.objects.values_list("name", flat=True)) == ["Extras", "Core"]

    _subscriber("erez@example.com")
    r = client.post(
        f"/console/components/{api}", {"action": "status", "status": "degraded_performance"},
        follow=True,
    )  # fmt: skip
    assert "Status set: Degraded performance." in r.content.decode()
    assert Component.objects.get(public_id=api).status == "degraded_performance"
    assert Delivery.objects.filter(target="erez@example.com").count() == 1  # Erez is told

    r = client.post(f"/console/components/{checkout.public_id}", {"action": "delete"})
    assert r.status_code == 422 and "Tick the box" in r.content.decode()
    client.post(f"/console/components/{checkout.public_id}", {"action": "delete", "confirm": "yes"})
    client.post(f"/console/components/groups/{extras.public_id}", {"action": "delete", "confirm": "yes"})  # fmt: skip
    assert not Component.objects.filter(slug="checkout").exists()
    assert Component.objects.get(name="Email").group is None  # the group's component stays


def test_a_refusal_is_shown_next_to_its_field_with_what_was_typed(
    commander: Client, catalog: dict[str, str]
) -> None:
    r = add_component(commander, slug="api")
    page = r.content.decode()
    assert r.status_code == 422
    assert (
        'name="slug" dir="ltr" maxlength="64" autocapitalize="off" value="api" aria-invalid="true"'
        in page
    )
    assert "The slug “api” is taken by another component." in page
    assert 'value="תשלומים"' in page and '<details class="card" id="new-component" open>' in page
    r = commander.post(
        f"/console/components/{catalog['Docs']}",
        {"action": "save", "name_en": "", "name_he": "", "slug": "docs"},
        HTTP_ACCEPT_LANGUAGE="he",
    )
    assert r.status_code == 422 and 'dir="rtl"' in r.content.decode()
    assert Component.objects.get(public_id=catalog["Docs"]).name == "Docs"


def test_a_component_an_open_incident_holds_is_not_deleted(
    client: Client, omer: Any, outage: Any, catalog: dict[str, str]
) -> None:
    client.force_login(omer)
    r = client.post(f"/console/components/{catalog['API']}", {"action": "delete", "confirm": "yes"})
    assert r.status_code == 422
    assert "Elevated API errors" in r.content.decode()
    assert Component.objects.filter(public_id=catalog["API"]).exists()


def test_communications_reads_the_catalog_but_only_leads_change_it(
    client: Client, dana: Any, catalog: dict[str, str]
) -> None:
    client.force_login(dana)
    page = client.get("/console/components").content.decode()
    assert "Website" in page and "Set status" not in page and "Add a component" not in page
    r = client.post(f"/console/components/{catalog['API']}", {"action": "status", "status": "major_outage"})  # fmt: skip
    assert r.status_code == 403 and "Administrator, Incident commander" in r.content.decode()
    assert Component.objects.get(public_id=catalog["API"]).status == "operational"
