"""Deleting an incident or a maintenance through the API and from the desk screen."""

from tidings.components.models import Component
from tidings.core.models import Event, PublishRequest
from tidings.incidents.models import Incident


def test_the_api_deletes_an_incident_and_asks_for_a_publish(api, catalog, outage):
    r = api.call("DELETE", f"/incidents/{outage.public_id}")
    assert r.status_code == 204, r.content
    assert not Incident.objects.filter(public_id=outage.public_id).exists()
    assert Component.objects.get(public_id=catalog["API"]).status == "operational"
    assert Event.objects.filter(kind="incident.deleted", subject_id=outage.public_id).exists()
    scopes = set(PublishRequest.objects.values_list("scope", flat=True))
    assert f"incident:{outage.public_id}" in scopes
    assert f"month:{outage.started_at:%Y-%m}" in scopes
    assert api.call("DELETE", f"/incidents/{outage.public_id}").status_code == 404


def test_the_desk_deletes_only_with_the_box_ticked(client, dana, outage):
    client.force_login(dana)
    url = f"/console/incidents/{outage.public_id}/delete"
    page = client.get(f"/console/incidents/{outage.public_id}").content.decode()
    assert url in page
    r = client.post(url, {"action": "delete"})
    assert r.status_code == 422
    assert "Tick the box to confirm the deletion." in r.content.decode()
    assert Incident.objects.filter(pk=outage.pk).exists()
    r = client.post(url, {"action": "delete", "confirm": "yes"})
    assert r.status_code == 302
    assert not Incident.objects.filter(pk=outage.pk).exists()
    assert Event.objects.get(kind="incident.deleted").actor == dana.username
