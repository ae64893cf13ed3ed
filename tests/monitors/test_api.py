"""The API, the CLI and the console screen for alert sources, monitors and waiting posts;
on-call pages and staff event hooks delivered by the real worker."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from tests.monitors import payloads
from tests.monitors.conftest import process
from tests.notify.sinks import HttpSink
from tidings.cli import main
from tidings.components import services as components
from tidings.config import overridden
from tidings.incidents.models import Incident
from tidings.monitors.models import AlertGroup, AlertSource, Monitor
from tidings.notify.models import Delivery
from tidings.notify.worker import DeliveryWorker
from tidings.staff import services as staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(lead_api):
    """Monitors and alert sources are the leads': the API here is Rina's (an admin)."""
    return lead_api


def test_an_alert_source_through_the_api(
    api: Any, alert_settings: Any, catalog: Any, sender: Any
) -> None:
    created = api.call(
        "POST",
        "/alert-sources",
        {"kind": "alertmanager", "name": "prom", "components": ["api"], "publish_after": 0},
    )
    assert created.status_code == 201
    url = created.json()["receiver_url"]
    assert (
        url.startswith("https://status.acme.test/hooks/alerts/")
        and len(url.rsplit("/", 1)[1]) >= 32
    )
    assert api.call("POST", "/alert-sources", {"kind": "nagios", "name": "x"}).status_code == 422
    assert (
        api.call(
            "POST", "/alert-sources", {"kind": "generic", "name": "y", "components": ["nope"]}
        ).status_code
        == 404
    )
    bad_map = api.call(
        "POST",
        "/alert-sources",
        {"kind": "generic", "name": "z", "severity_map": {"page": "operational"}},
    )
    assert bad_map.status_code == 422
    sender.send(AlertSource.objects.get(), payloads.AM_FIRING)
    [listed] = api.call("GET", "/alert-sources").json()
    assert listed["last_received_at"] is not None
    assert api.call("GET", "/alert-sources").status_code == 200
    assert Client().get("/api/v1/alert-sources").status_code == 401


def test_monitors_through_the_api(api: Any, alert_settings: Any, catalog: Any) -> None:
    body = {"kind": "http", "name": "API health", "target": "https://api.acme.test/health", "component": "api",
            "interval": 30, "config": {"keyword": "ok", "max_latency_ms": 800}}  # fmt: skip
    created = api.call("POST", "/monitors", body)
    assert created.status_code == 201, created.content
    assert created.json()["failures"] == 3 and created.json()["config"] == {
        "keyword": "ok",
        "max_latency_ms": 800,
    }
    wrong = api.call("POST", "/monitors", {**body, "name": "bad", "config": {"statuses": "abc"}})
    assert wrong.status_code == 422 and "statuses" in wrong.json()["detail"]
    unknown = api.call("POST", "/monitors", {**body, "name": "bad2", "config": {"colour": "red"}})
    assert unknown.status_code == 422 and "colour" in unknown.json()["detail"]
    not_url = api.call("POST", "/monitors", {**body, "name": "bad3", "target": "ftp://x"})
    assert not_url.status_code == 422
    inside = api.call("POST", "/monitors", {**body, "name": "bad4", "target": "http://10.1.2.3/"})
    assert (
        inside.status_code == 422 and "TIDINGS_MONITOR_ALLOWED_NETWORKS" in inside.json()["detail"]
    )
    with overridden(monitor_allowed_networks=["10.0.0.0/8"]):
        assert (
            api.call(
                "POST", "/monitors", {**body, "name": "inside", "target": "http://10.1.2.3/"}
            ).status_code
            == 201
        )
    beat = api.call(
        "POST",
        "/monitors",
        {"kind": "heartbeat", "name": "backup", "component": "api", "interval": 3600},
    )
    assert beat.json()["ping_url"].startswith("https://status.acme.test/hooks/heartbeat/")
    mid = created.json()["id"]
    assert api.call("PATCH", f"/monitors/{mid}", {"enabled": False}).json()["enabled"] is False
    assert api.call("GET", f"/monitors/{mid}").json()["hours"] == []
    assert api.call("DELETE", f"/monitors/{mid}").status_code == 204
    assert Monitor.objects.count() == 2


def test_waiting_posts_are_confirmed_edited_or_dismissed(
    api: Any, make_source: Any, sender: Any
) -> None:
    source = make_source(publish_after=300, components=["docs"])
    for key in ("a", "b", "c"):
        sender.send(source, {**payloads.AM_FIRING, "groupKey": key})
    process()
    a, b, c = (AlertGroup.objects.get(label=k).public_id for k in "abc")
    assert len(api.call("GET", "/alert-groups?pending=true").json()) == 3
    assert api.call("POST", f"/alert-groups/{a}/confirm", {}).json()["incident_id"]
    edited = api.call(
        "POST",
        f"/alert-groups/{b}/confirm",
        {
            "title": "Checkout is slow",
            "body": {"en": "We see slow checkouts.", "he": "אנחנו רואים האטה בתשלום."},
        },
    )
    incident = Incident.objects.get(public_id=edited.json()["incident_id"])
    assert (
        incident.title == "Checkout is slow"
        and incident.updates.get().bodies["he"] == "אנחנו רואים האטה בתשלום."
    )
    assert api.call("POST", f"/alert-groups/{c}/dismiss").json()["dismissed"] is True
    again = api.call("POST", f"/alert-groups/{c}/confirm", {})
    assert again.status_code == 409
    assert Incident.objects.count() == 2


def test_the_console_lists_sources_monitors_and_waiting_posts(
    dana: Any, make_source: Any, sender: Any
) -> None:
    dana.set_password("pw")
    dana.save()
    source = make_source(publish_after=300)
    sender.send(source, payloads.AM_FIRING)
    process()
    console = Client()
    console.login(username="dana", password="pw")
    page = console.get("/console/monitors")
    assert page.status_code == 200
    text = page.content.decode()
    assert source.secret in text and "API is returning 5xx" in text
    group = AlertGroup.objects.get()
    done = console.post(
        f"/console/monitors/groups/{group.public_id}", {"action": "dismiss"}, follow=True
    )
    assert "Dismissed" in done.content.decode()
    assert AlertGroup.objects.get().dismissed
    hebrew = console.get("/console/monitors", HTTP_ACCEPT_LANGUAGE="he").content.decode()
    assert 'dir="rtl"' in hebrew and "מקורות התראות" in hebrew
    assert Client().get("/console/monitors").status_code == 302  # staff only


def test_the_cli_prints_the_receiver_url_last(
    alert_settings: Any, catalog: Any, capsys: Any
) -> None:
    assert (
        main(
            [
                "alerts",
                "add-source",
                "alertmanager",
                "prom",
                "--component",
                "api",
                "--publish-after",
                "0",
            ]
        )
        == 0
    )
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == f"https://status.acme.test/hooks/alerts/{AlertSource.objects.get().secret}"
    assert main(["monitors", "add", "http", "API", "https://api.acme.test/", "--component", "api",
                 "--interval", "30", "--failures", "2", "--keyword", "ok"]) == 0  # fmt: skip
    assert Monitor.objects.get().config == {"keyword": "ok"}
    assert (
        main(["monitors", "add", "heartbeat", "backup", "--component", "api", "--interval", "3600"])
        == 0
    )
    assert (
        capsys.readouterr()
        .out.strip()
        .splitlines()[-1]
        .startswith("https://status.acme.test/hooks/heartbeat/")
    )
    assert main(["monitors", "add", "tcp", "db", "nonsense", "--component", "api"]) == 2
    assert "host:port" in capsys.readouterr().err


def test_on_call_staff_are_paged_on_their_channels(
    make_source: Any, sender: Any, dana: Any, http_sink: HttpSink, alert_settings: Any
) -> None:
    erez = User.objects.create_user("erez", "erez@acme.test", "pw", is_staff=True)
    staff.set_profile(
        actor="admin",
        user=dana,
        on_call=True,
        channels=[{"channel": "slack", "target": f"{http_sink.url}/dana"}],
    )
    staff.set_profile(
        actor="admin",
        user=erez,
        on_call=False,
        channels=[{"channel": "slack", "target": f"{http_sink.url}/erez"}],
    )
    source = make_source(publish_after=300)
    sender.send(source, payloads.AM_FIRING)
    process()
    page = Delivery.objects.get(message__kind="page")
    assert page.target == f"{http_sink.url}/dana"
    asyncio.run(DeliveryWorker(alert_settings).drain())
    [req] = [r for r in http_sink.requests if r.path == "/dana"]
    assert "unless you confirm, edit or dismiss" in json.loads(req.body)["text"] + json.dumps(
        json.loads(req.body)["blocks"]
    )


def test_staff_hooks_hear_incidents_and_component_changes(
    api: Any, alert_settings: Any, catalog: Any, http_sink: HttpSink, make_source: Any, sender: Any
) -> None:
    hook = api.call(
        "POST", "/event-hooks", {"kind": "webhook", "url": f"{http_sink.url}/hook"}
    ).json()
    api.call("POST", "/event-hooks", {"kind": "slack", "url": f"{http_sink.url}/slack"})
    sender.send(make_source(), payloads.AM_FIRING)
    process()
    with transaction.atomic():
        components.set_status(
            actor="dana", component=components.find_component("docs"), status="degraded_performance"
        )
    asyncio.run(DeliveryWorker(alert_settings).drain())
    hooked = [r for r in http_sink.requests if r.path == "/hook"]
    events = [json.loads(r.body)["event"] for r in hooked]
    assert events == ["incident.declared", "component.changed"]
    for r in hooked:
        stamp, mac = r.headers["X-Tidings-Signature"].removeprefix("t=").split(",sha256=")
        expected = hmac.new(
            hook["secret"].encode(), f"{stamp}.".encode() + r.body, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(mac, expected)
    assert len([r for r in http_sink.requests if r.path == "/slack"]) == 2


def test_sources_and_monitors_are_added_in_the_console(
    omer: Any, alert_settings: Any, catalog: Any
) -> None:
    # Adding alert sources and monitors is the incident commander's (monitors.write).
    omer.set_password("pw")
    omer.save()
    console = Client()
    console.login(username="omer", password="pw")
    added = console.post(
        "/console/monitors/add/source",
        {"kind": "grafana", "name": "grafana", "component": "api", "publish_after": "0"},
        follow=True,
    )
    source = AlertSource.objects.get()
    assert (source.kind, source.default_components, source.publish_after) == (
        "grafana",
        [catalog["API"]],
        0,
    )
    assert f"/hooks/alerts/{source.secret}" in added.content.decode()
    console.post("/console/monitors/add/monitor", {"kind": "http", "name": "API", "target": "https://api.acme.test/",
                                                   "component": "api", "interval": "30", "max_latency_ms": "800"})  # fmt: skip
    assert Monitor.objects.get().config == {"max_latency_ms": 800}
    refused = console.post(
        "/console/monitors/add/monitor",
        {"kind": "tcp", "name": "db", "target": "nonsense", "component": "api"},
        follow=True,
    )
    assert "host:port" in refused.content.decode() and Monitor.objects.count() == 1
