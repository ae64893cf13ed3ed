"""The monitors screen in the console shell: the waiting first updates come first and stay
live (the poll answers 204 while nothing changed), a mistake in an add form sits next to its
field with what was typed, staff event hooks are listed, added and removed here."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client

from tidings.core import clock
from tidings.incidents.models import Incident
from tidings.monitors import services
from tidings.monitors.models import AlertGroup, EventHook, Monitor


def _waiting(catalog: dict[str, str]) -> AlertGroup:
    source = services.create_source(actor="omer", kind="alertmanager", name="prometheus")
    now = clock.now()
    return AlertGroup.objects.create(
        source=source, key="g1", label='{}:{alertname="ApiDown"}', title="API is returning 5xx",
        firing=True, components={catalog["API"]: "major_outage"},
        publish_at=now + timedelta(minutes=5), created_at=now, updated_at=now,
    )  # fmt: skip


def test_the_waiting_post_comes_first_and_the_poll_moves_nothing_until_it_changes(
    client: Client, omer: Any, catalog: dict[str, str], now: Any
) -> None:
    group = _waiting(catalog)
    client.force_login(omer)
    page = client.get("/console/monitors").content.decode()
    assert page.index("API is returning 5xx") < page.index('id="monitors"')
    assert "/hooks/alerts/" in page and "data-copy=" in page
    fresh = client.get("/console/monitors/pending")
    signature = fresh.content.decode().split("since=")[1].split('"')[0]
    assert client.get(f"/console/monitors/pending?since={signature}").status_code == 204
    refused = client.post(
        f"/console/monitors/groups/{group.public_id}",
        {"action": "edit", "title_he": "ה-API מחזיר שגיאות", "body_en": "Broken\x01 text"},
    )
    page = refused.content.decode()
    assert refused.status_code == 422 and 'value="ה-API מחזיר שגיאות"' in page
    assert page.index("U+0001") > page.index('name="body_en"')  # under the message it is about
    assert not Incident.objects.exists()
    posted = client.post(f"/console/monitors/groups/{group.public_id}", {"action": "confirm"})
    incident = Incident.objects.get()
    assert posted["Location"] == f"/console/incidents/{incident.public_id}"
    after = client.get(f"/console/monitors/pending?since={signature}")
    assert after.status_code == 200 and "Nothing is waiting." in after.content.decode()


def test_a_mistake_in_an_add_form_is_shown_next_to_its_field_with_what_was_typed(
    commander: Client, catalog: dict[str, str]
) -> None:
    r = commander.post(
        "/console/monitors/add/monitor",
        {"kind": "tcp", "name": "Database", "target": "nonsense", "component": "website",
         "interval": "often", "publish_after": "0"},
    )  # fmt: skip
    page = r.content.decode()
    assert r.status_code == 422 and "Give a whole number of seconds." in page
    assert 'value="often"' in page and 'value="Database"' in page
    assert '<option value="website" selected>' in page
    r = commander.post(
        "/console/monitors/add/monitor",
        {"kind": "tcp", "name": "Database", "target": "nonsense", "component": "website"},
    )
    page = r.content.decode()
    target = page[page.index('name="target"') :]
    assert r.status_code == 422 and "host:port" in target[:600] and not Monitor.objects.exists()


def test_staff_event_hooks_are_added_and_removed_from_the_monitors_screen(
    client: Client, omer: Any, dana: Any
) -> None:
    client.force_login(omer)
    bad = client.post("/console/monitors/add/hook", {"kind": "slack", "url": "not a url"})
    assert bad.status_code == 422 and 'value="not a url"' in bad.content.decode()
    added = client.post(
        "/console/monitors/add/hook",
        {"kind": "webhook", "url": "https://hooks.acme.test/tidings", "language": "he"},
        follow=True,
    )
    hook = EventHook.objects.get()
    assert hook.language == "he" and hook.secret in added.content.decode()
    client.force_login(dana)  # communications reads, but hooks are the leads'
    page = client.get("/console/monitors").content.decode()
    assert "https://hooks.acme.test/tidings" in page and hook.secret not in page
    assert client.post(f"/console/monitors/hooks/{hook.public_id}").status_code == 403
    client.force_login(omer)
    client.post(f"/console/monitors/hooks/{hook.public_id}")
    assert not EventHook.objects.exists()
