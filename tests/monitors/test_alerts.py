"""Alert sources end to end: captured payloads posted to the receiver URL, stored, processed
by the job, and turned into incidents the way the issue says."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest

from tests.monitors import payloads
from tests.monitors.conftest import process
from tidings.components.models import Component
from tidings.core import clock
from tidings.incidents.models import Incident
from tidings.monitors.models import AlertGroup, AlertReceipt

pytestmark = pytest.mark.django_db(transaction=True)


def status_of(slug: str) -> str:
    return Component.objects.get(slug=slug).status


def fire_and_resolve(sender: Any, source: Any) -> None:
    """The captured firing and resolve of one group, processed."""
    sender.send(source, payloads.AM_FIRING)
    sender.send(source, payloads.AM_RESOLVED)
    process()


def test_an_alertmanager_alert_declares_an_incident_in_every_language(
    now: Any, make_source: Any, sender: Any
) -> None:
    source = make_source()
    answer = sender.send(source, payloads.AM_FIRING)
    assert answer.status_code == 200
    assert AlertReceipt.objects.get().state == "pending"  # stored before it was answered
    assert process()["processed"] == 1
    incident = Incident.objects.get()
    assert incident.title == "API is returning 5xx"
    assert (incident.status, incident.visibility, incident.severity) == (
        "investigating",
        "public",
        "SEV2",
    )
    assert status_of("api") == "major_outage"
    update = incident.updates.get()
    assert "API is returning 5xx" in update.bodies["en"] and "בודקים" in update.bodies["he"]
    assert update.deliver_notifications  # the affected audience hears it
    assert incident.acknowledged_at == now


def test_repeats_and_resends_of_a_group_add_nothing(
    now: Any, make_source: Any, sender: Any
) -> None:
    source = make_source()
    assert sender.send(source, payloads.AM_FIRING).status_code == 200
    replay = sender.send(source, payloads.AM_FIRING)
    assert replay.status_code == 409 and "replayed" in replay.json()["detail"]
    resend = json.dumps(payloads.AM_FIRING, indent=2).encode()  # the same notification re-sent
    assert sender.send(source, None, raw=resend).status_code == 200
    second = copy.deepcopy(payloads.AM_FIRING)  # a second alert joins the group
    second["alerts"].append({**second["alerts"][0], "fingerprint": "0000aaaa1111bbbb"})
    assert sender.send(source, second).status_code == 200
    process()
    assert Incident.objects.count() == 1
    assert Incident.objects.get().updates.count() == 1
    assert AlertGroup.objects.get().alerts.keys() == {"c4f8abd9bbb36f28", "0000aaaa1111bbbb"}


def test_a_resolved_group_returns_its_component_and_posts_monitoring(
    now: Any, make_source: Any, sender: Any
) -> None:
    source = make_source()
    sender.send(source, payloads.AM_FIRING)
    process()
    assert sender.send(source, payloads.AM_RESOLVED).status_code == 200
    process()
    incident = Incident.objects.get()
    assert status_of("api") == "operational"
    assert incident.status == "monitoring"  # people resolve the incident, not the alert
    latest = incident.updates.order_by("-id").first()
    assert latest.status == "monitoring" and "A fix was applied" in latest.bodies["en"]


def test_only_when_every_alert_of_the_group_resolves(
    now: Any, make_source: Any, sender: Any
) -> None:
    source = make_source()
    two = copy.deepcopy(payloads.AM_FIRING)
    two["alerts"].append({**two["alerts"][0], "fingerprint": "0000aaaa1111bbbb"})
    sender.send(source, two)
    sender.send(source, payloads.AM_RESOLVED)  # only the first alert resolved
    process()
    assert status_of("api") == "major_outage"
    assert Incident.objects.get().status == "investigating"


def test_a_late_firing_does_not_undo_a_newer_resolve(
    now: Any, make_source: Any, sender: Any
) -> None:
    source = make_source()
    fire_and_resolve(sender, source)
    late = copy.deepcopy(payloads.AM_FIRING)
    late["receiver"] = "a retry"  # same alert, same startsAt, arriving after its resolve
    sender.send(source, late)
    process()
    assert status_of("api") == "operational"


def test_severity_maps_to_status_and_the_map_is_configurable(
    now: Any, make_source: Any, sender: Any
) -> None:
    warn = make_source(name="warn", components=["email"])
    custom = make_source(
        name="custom", components=["docs"], severity_map={"warning": "degraded_performance"}
    )
    sender.send(warn, payloads.AM_WARNING)  # severity=warning, no component label: the default
    sender.send(custom, payloads.AM_WARNING)
    process()
    assert status_of("email") == "partial_outage"
    assert status_of("docs") == "degraded_performance"


def test_other_labels_can_name_the_component(now: Any, make_source: Any, sender: Any) -> None:
    source = make_source(label_names=["service"])
    body = copy.deepcopy(payloads.AM_WARNING)
    body["alerts"][0]["labels"]["service"] = "Website"  # a component's name, any case
    sender.send(source, body)
    process()
    assert status_of("website") == "partial_outage"


def test_grafana_alerts_open_incidents(now: Any, make_source: Any, sender: Any) -> None:
    source = make_source(kind="grafana", name="grafana", components=["website"])
    assert sender.send(source, payloads.GRAFANA).status_code == 200
    process()
    assert Incident.objects.get().title == "This alert was triggered for zone us-1"
    assert status_of("website") == "degraded_performance"  # no severity label


def test_pagerduty_events_from_alertmanager_and_the_python_client(
    now: Any, make_source: Any, sender: Any
) -> None:
    source = make_source(kind="pagerduty", name="pd", components=["api"])
    answer = sender.send(source, payloads.PD_AM_TRIGGER, tail="/v2/enqueue")
    assert answer.status_code == 202
    assert answer.json()["dedup_key"] == payloads.PD_AM_TRIGGER["dedup_key"]
    sender.send(source, payloads.PD_CLIENT_TRIGGER)
    process()
    assert Incident.objects.count() == 2
    assert status_of("api") == "major_outage"  # the client's "critical"
    sender.send(source, payloads.PD_AM_RESOLVE)
    sender.send(source, payloads.PD_CLIENT_RESOLVE)
    process()
    assert status_of("api") == "operational"
    assert set(Incident.objects.values_list("status", flat=True)) == {"monitoring"}


def test_a_pagerduty_trigger_without_a_key_gets_one_back(
    now: Any, make_source: Any, sender: Any
) -> None:
    source = make_source(kind="pagerduty", name="pd", components=["api"])
    body = {k: v for k, v in payloads.PD_CLIENT_TRIGGER.items() if k != "dedup_key"}
    key = sender.send(source, body).json()["dedup_key"]
    process()
    resolve = {"event_action": "resolve", "dedup_key": key, "routing_key": "x" * 32}
    assert sender.send(source, resolve).status_code == 202
    process()
    assert AlertGroup.objects.get().firing is False and status_of("api") == "operational"


def test_the_generic_json_alert(now: Any, make_source: Any, sender: Any) -> None:
    source = make_source(kind="generic", name="scripts")
    alert = {"key": "checkout-errors", "status": "firing", "severity": "warning",
             "title": "Checkout errors above 5%", "component": "website"}  # fmt: skip
    assert sender.send(source, alert).status_code == 202
    process()
    assert Incident.objects.get().title == "Checkout errors above 5%"
    assert status_of("website") == "partial_outage"
    assert sender.send(source, {"alerts": [{**alert, "status": "resolved"}]}).status_code == 202
    process()
    assert status_of("website") == "operational"


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"{not json", 400, "not JSON"),
        (
            json.dumps({"version": "4", "groupKey": "g", "alerts": "x"}).encode(),
            400,
            "alerts must be a non-empty list",
        ),
        (
            json.dumps({**payloads.AM_FIRING, "version": "3"}).encode(),
            400,
            "version '3' is not supported",
        ),
        (json.dumps(payloads.AM_WARNING).encode(), 422, "no component"),  # no label, no default
    ],
)
def test_bad_payloads_get_a_4xx_and_are_kept(
    now: Any, make_source: Any, sender: Any, body: bytes, status: int, says: str, caplog: Any
) -> None:
    source = make_source()
    answer = sender.send(source, None, raw=body)
    assert answer.status_code == status and says in answer.json()["detail"]
    kept = AlertReceipt.objects.get()
    assert kept.state == "rejected" and says in kept.error
    assert says in caplog.text
    process()
    assert not Incident.objects.exists()


def test_wrong_secrets_methods_and_sizes_are_refused(
    now: Any, make_source: Any, sender: Any, alert_settings: Any
) -> None:
    source = make_source()
    assert (
        sender.post(
            "/hooks/alerts/not-the-secret", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )
    assert sender.get(f"/hooks/alerts/{source.secret}").status_code == 405
    huge = b'{"x": "' + b"a" * alert_settings.alert_max_bytes + b'"}'
    assert sender.send(source, None, raw=huge).status_code == 413
    assert not AlertReceipt.objects.exists()


def test_an_unknown_label_falls_back_to_the_default_component(
    now: Any, make_source: Any, sender: Any, caplog: Any
) -> None:
    source = make_source(components=["docs"])
    body = copy.deepcopy(payloads.AM_FIRING)
    body["alerts"][0]["labels"]["component"] = "no-such-thing"
    assert sender.send(source, body).status_code == 200
    assert "component=no-such-thing" in caplog.text
    process()
    assert status_of("docs") == "major_outage"


def test_the_first_update_waits_for_a_person_then_posts_itself(
    now: Any, make_source: Any, sender: Any
) -> None:
    source = make_source(publish_after=300)
    sender.send(source, payloads.AM_FIRING)
    process()
    group = AlertGroup.objects.get()
    assert group.publish_at == now + timedelta(seconds=300)
    assert not Incident.objects.exists() and status_of("api") == "operational"
    with clock.frozen(now + timedelta(seconds=299)):
        assert process()["posted"] == 0
    with clock.frozen(now + timedelta(seconds=301)):
        assert process()["posted"] == 1
    assert Incident.objects.get().status == "investigating" and status_of("api") == "major_outage"


def test_an_alert_resolved_during_the_wait_posts_nothing(
    now: Any, make_source: Any, sender: Any
) -> None:
    source = make_source(publish_after=300)
    sender.send(source, payloads.AM_FIRING)
    sender.send(source, payloads.AM_RESOLVED)
    process()
    with clock.frozen(now + timedelta(seconds=400)):
        process()
    assert not Incident.objects.exists() and status_of("api") == "operational"


def test_people_resolve_the_incident_and_a_new_firing_opens_a_new_one(
    now: Any, make_source: Any, sender: Any
) -> None:
    from tidings.incidents import services as incidents

    source = make_source()
    fire_and_resolve(sender, source)
    first = Incident.objects.get()
    incidents.post_update(actor="dana", incident=first, status="resolved", body="Fixed.")
    again = copy.deepcopy(payloads.AM_FIRING)
    again["alerts"][0]["startsAt"] = "2026-11-23T06:00:00Z"
    sender.send(source, again)
    process()
    assert Incident.objects.count() == 2 and status_of("api") == "major_outage"


def test_a_storm_of_ten_thousand_alerts_opens_one_incident_per_group(
    now: Any, make_source: Any, sender: Any
) -> None:
    source = make_source(components=["api"])
    groups, per_request = 25, 20
    for n in range(500):  # 500 notifications x 20 alerts = 10,000 alerts within the minute
        g = n % groups
        body = copy.deepcopy(payloads.AM_FIRING)
        body["groupKey"] = f'{{}}:{{alertname="Storm{g}"}}'
        body["alerts"] = [
            {**body["alerts"][0], "fingerprint": f"{g:04d}{n * per_request + i:012d}"}
            for i in range(per_request)
        ]
        assert sender.send(source, body).status_code == 200
    assert process()["processed"] == 500
    assert Incident.objects.count() == groups == AlertGroup.objects.count()


def test_the_asgi_front_door_answers_like_the_django_view(
    now: Any, make_source: Any, alert_settings: Any
) -> None:
    import asyncio

    from tidings.monitors.receiver import hooks_app

    async def fallback(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("webhooks must not reach Django")

    app = hooks_app(fallback)

    async def call(path: str, body: bytes, method: str = "POST") -> tuple[int, Any]:
        chunks = [body[: len(body) // 2], body[len(body) // 2 :]]
        sent: list[Any] = []

        async def receive() -> Any:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

        async def send(message: Any) -> None:
            sent.append(message)

        scope = {"type": "http", "method": method, "path": path, "client": ("127.0.0.1", 5000)}
        await app(scope, receive, send)
        return sent[0]["status"], json.loads(sent[1]["body"])

    source = make_source()
    path = f"/hooks/alerts/{source.secret}"
    assert asyncio.run(call(path, json.dumps(payloads.AM_FIRING).encode())) == (
        200,
        {"status": "success"},
    )
    assert asyncio.run(call(path, json.dumps(payloads.AM_FIRING).encode()))[0] == 409
    assert asyncio.run(call(path, b"x" * (alert_settings.alert_max_bytes + 1)))[0] == 413
    assert asyncio.run(call("/hooks/alerts/wrong", b"{}"))[0] == 404
    assert asyncio.run(call(path + "/v2/enqueue", b"{oops"))[0] == 400
    process()
    assert Incident.objects.count() == 1


def test_a_receipt_that_fails_to_process_is_retried_not_lost(
    now: Any, make_source: Any, sender: Any, monkeypatch: Any
) -> None:
    from tidings.monitors import services

    real = services.apply_plan
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(services, "apply_plan", flaky)
    sender.send(make_source(), payloads.AM_FIRING)
    process()
    kept = AlertReceipt.objects.get()
    assert (kept.state, kept.attempts) == ("pending", 1) and "went away" in kept.error
    assert not Incident.objects.exists()
    with clock.frozen(now + timedelta(seconds=31)):
        process()
    assert AlertReceipt.objects.get().state == "done" and Incident.objects.count() == 1


def test_a_group_that_fires_worse_updates_the_page(now: Any, make_source: Any, sender: Any) -> None:
    source = make_source()
    warning = copy.deepcopy(payloads.AM_FIRING)
    warning["alerts"][0]["labels"]["severity"] = "warning"
    sender.send(source, warning)
    process()
    assert status_of("api") == "partial_outage"
    worse = copy.deepcopy(payloads.AM_FIRING)  # the same group: a second alert, critical
    worse["alerts"].append({**worse["alerts"][0], "fingerprint": "0000aaaa1111bbbb"})
    sender.send(source, worse)
    process()
    assert status_of("api") == "major_outage"
    incident = Incident.objects.get()
    assert incident.updates.count() == 2
    sender.send(source, {**worse, "receiver": "the same again"})
    process()
    assert incident.updates.count() == 2  # nothing new: nothing posted
