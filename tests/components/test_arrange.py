"""Components and groups are moved one place at a time and deleted only where that is safe:
never while an open incident holds them, never taking a monitor along silently."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from tidings.components import services
from tidings.components.models import Component, ComponentGroup
from tidings.components.rules import moved
from tidings.core.errors import InvalidInput
from tidings.incidents import services as incidents


@pytest.fixture
def api(lead_api):
    """Components are arranged by the leads: the API here is Rina's (an admin)."""
    return lead_api


def test_moving_swaps_with_the_neighbour_and_stops_at_either_end():
    assert moved(["a", "b", "c"], "b", "up") == ["b", "a", "c"]
    assert moved(["a", "b", "c"], "b", "down") == ["a", "c", "b"]
    assert moved(["a", "b", "c"], "a", "up") == ["a", "b", "c"]
    assert moved(["a", "b", "c"], "c", "down") == ["a", "b", "c"]
    with pytest.raises(ValueError, match="up or down"):
        moved(["a"], "a", "sideways")


def test_moving_a_component_renumbers_its_group_even_after_equal_positions(
    db: Any, catalog: dict[str, str]
) -> None:
    Component.objects.filter(group__name="Core").update(position=5)  # as an old import left them
    api = services.get_component(catalog["API"])
    with transaction.atomic():
        services.move_component(actor="omer", component=api, direction="down")
    core = Component.objects.filter(group__name="Core").order_by("position")
    assert [(c.name, c.position) for c in core] == [("Website", 1), ("API", 2)]
    with pytest.raises(InvalidInput, match="up or down"):
        services.move_component(actor="omer", component=api, direction="left")


def test_the_api_moves_and_deletes_components_and_groups(
    api: Any, catalog: dict[str, str], site_settings: Any
) -> None:
    r = api.call("POST", f"/components/{catalog['Website']}/move", {"direction": "up"})
    assert r.status_code == 200 and [c["name"] for c in r.json()] == ["Website", "API"]
    extras = ComponentGroup.objects.get(name="Extras").public_id
    r = api.call("POST", f"/groups/{extras}/move", {"direction": "up"})
    assert [g["name"] for g in r.json()] == ["Extras", "Core"]
    assert api.call("POST", f"/groups/{extras}/move", {"direction": "left"}).status_code == 422
    assert api.call("DELETE", f"/components/{catalog['Docs']}").status_code == 204
    assert api.call("GET", f"/components/{catalog['Docs']}").status_code == 404
    assert api.call("DELETE", f"/groups/{extras}").status_code == 204
    assert Component.objects.get(public_id=catalog["Email"]).group is None


def test_a_component_an_open_incident_holds_is_kept_until_the_incident_closes(
    api: Any, outage: Any, catalog: dict[str, str], now: Any
) -> None:
    r = api.call("DELETE", f"/components/{catalog['API']}")
    assert r.status_code == 422 and "Elevated API errors" in r.json()["detail"]
    core = ComponentGroup.objects.get(name="Core").public_id
    r = api.call("DELETE", f"/groups/{core}")
    assert r.status_code == 422 and "open incident" in r.json()["detail"]
    with transaction.atomic():
        incidents.post_update(actor="dana", incident=outage, status="resolved", body="Fixed.")
    assert api.call("DELETE", f"/components/{catalog['API']}").status_code == 204
    outage.refresh_from_db()
    assert outage.updates.count() == 2  # the past incident keeps its text


def test_a_watched_component_or_a_group_whose_members_would_clash_is_not_deleted(
    db: Any, catalog: dict[str, str]
) -> None:
    from tidings.monitors.checks import create_monitor

    with transaction.atomic():
        create_monitor(
            actor="omer", kind="tcp", name="db", target="127.0.0.1:5432", component="docs"
        )
        loose_email = services.create_component(actor="omer", name="Email")
    with pytest.raises(InvalidInput, match="monitors watch it \\(db\\)") as refused:
        services.delete_component(actor="omer", component=services.get_component(catalog["Docs"]))
    assert refused.value.field == "delete"
    extras = ComponentGroup.objects.get(name="Extras")
    with pytest.raises(InvalidInput, match="same name as one outside any group"):
        services.delete_group(actor="omer", group=extras)
    with transaction.atomic():
        services.change_component(actor="omer", component=loose_email, name="Email (old)")
        services.delete_group(actor="omer", group=extras)
    assert not ComponentGroup.objects.filter(name="Extras").exists()


def test_moving_a_component_into_a_group_with_the_same_name_is_refused(
    db: Any, catalog: dict[str, str]
) -> None:
    with transaction.atomic():
        services.create_component(actor="omer", name="API")  # outside any group
    loose = Component.objects.get(name="API", group=None)
    core = ComponentGroup.objects.get(name="Core").public_id
    with pytest.raises(InvalidInput, match="exists already in that group") as refused:
        services.change_component(actor="omer", component=loose, group_id=core)
    assert refused.value.field == "name_en"
