"""What outsiders can make Tidings send to: odd spellings of local addresses are read the way
the resolver reads them and refused when subscribing; the public may use only notification
services from Apprise; no outbound request follows a redirect; a refusal at send time is
permanent and disables the target."""

from __future__ import annotations

import asyncio
import hashlib
import smtplib
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.db import transaction
from django.test import Client

from tests.notify.channel_kit import outgoing, send
from tests.notify.sinks import HttpSink, SmtpSink
from tidings.config import overridden
from tidings.core import clock
from tidings.notify import hosts
from tidings.notify.channels.apprise import guard
from tidings.notify.http import AddressRefused
from tidings.notify.models import Delivery
from tidings.notify.registry import CHANNELS
from tidings.notify.worker import DeliveryWorker
from tidings.subscribers.models import Subscriber

#: (as written in a URL, what the resolver dials)
LOCAL_SPELLINGS = [
    ("2130706433", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"),
    ("127.000.000.001", "127.0.0.1"),
    ("0", "0.0.0.0"),
    ("0xa9fea9fe", "169.254.169.254"),
    ("localhost.", "localhost"),
    ("LOCALHOST", "localhost"),
    ("metadata.google.internal.", "metadata.google.internal"),
    ("metadata", "metadata"),
    ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
    ("[::ffff:7f00:1]", "::ffff:7f00:1"),
    ("[::127.0.0.1]", "::7f00:1"),
    ("[64:ff9b::a9fe:a9fe]", "64:ff9b::a9fe:a9fe"),
    ("[2002:7f00:1::1]", "2002:7f00:1::1"),
    ("[fe80::1%25eth0]", "fe80::1"),
    ("[::]", "::"),
    ("１２７.０.０.１", "127.0.0.1"),  # noqa: RUF001 - fullwidth digits, as IDNA maps them
    ("ⓛocalhost", "localhost"),
]


@pytest.mark.parametrize(("host", "dialled"), LOCAL_SPELLINGS)
def test_odd_spellings_of_local_addresses_are_read_as_the_resolver_reads_them(host, dialled):
    assert hosts.canonical(host) == dialled
    assert hosts.is_private_host(host)


@pytest.mark.parametrize(
    "host", ["hooks.slack.com", "8.8.8.8", "0x8.0x8.0x8.0x8", "[2001:4860:4860::8888]", "ntfy.sh"]
)
def test_public_hosts_are_allowed_in_any_spelling(host):
    assert not hosts.is_private_host(host)


@pytest.fixture
def public_only(notify_settings: Any) -> Iterator[Any]:
    with overridden(allow_private_targets=False) as settings:
        yield settings


def subscribe(body: dict[str, Any]) -> Any:
    return Client().post("/api/v1/subscriptions", body, content_type="application/json")


@pytest.mark.parametrize(("host", "dialled"), LOCAL_SPELLINGS)
def test_a_webhook_on_an_odd_local_address_is_refused_when_subscribing(
    db, public_only, host, dialled
):
    r = subscribe({"channel": "webhook", "target": f"http://{host}:8080/hook"})
    assert r.status_code == 422
    assert "URLs on local or private networks are not allowed" in r.json()["detail"]
    assert not Subscriber.objects.exists()


def test_the_refusal_says_which_address_an_odd_form_stands_for(db, public_only):
    r = subscribe({"channel": "webhook", "target": "http://2130706433/hook"})
    assert "(2130706433 is 127.0.0.1)" in r.json()["detail"]
    r = subscribe({"channel": "apprise", "target": "ntfy://0x7f000001/alerts"})
    assert r.status_code == 422 and "(0x7f000001 is 127.0.0.1)" in r.json()["detail"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("syslog://", "syslog:// cannot be used here"),
        ("json://hooks.example.com/x", "json:// cannot be used here"),
        ("dbus://", "dbus:// cannot be used here"),
        ("twilio://AC123:token@15551234567/15557654321", "twilio:// cannot be used here"),
        ("mailtos://user:pw@example.com", "choose the email channel"),
    ],
)
def test_the_public_may_use_only_notification_services_from_apprise(db, public_only, url, reason):
    r = subscribe({"channel": "apprise", "target": url})
    assert r.status_code == 422 and reason in r.json()["detail"], r.json()
    assert "ntfy://" in r.json()["detail"] or "email" in reason


def test_a_listed_apprise_service_is_accepted_and_staff_may_use_any(db, public_only):
    assert (
        subscribe({"channel": "apprise", "target": "ntfy://ntfy.sh/acme-status"}).status_code == 202
    )
    assert CHANNELS["apprise"].normalise_target("json://hooks.example.com/x")  # staff: any scheme
    with overridden(apprise_public_schemes=["json"]):
        r = subscribe({"channel": "apprise", "target": "json://hooks.example.com/x"})
    assert r.status_code == 202


def test_every_default_public_scheme_is_one_apprise_knows():
    import apprise

    known = set()
    for schema in apprise.Apprise().details()["schemas"]:
        known |= set(schema.get("protocols") or []) | set(schema.get("secure_protocols") or [])
    from tidings.config import TidingsSettings

    assert set(TidingsSettings().apprise_public_schemes) <= known


def test_a_target_with_a_line_break_is_refused(db, public_only):
    r = subscribe({"channel": "webhook", "target": "https://hooks.example.com/x\r\nX-Evil: 1"})
    assert r.status_code == 422 and "control character" in r.json()["detail"]


def test_apprise_follows_no_redirect_even_to_an_allowed_address(notify_settings, http_sink):
    # The first hop is allowed (a loopback sink, private targets allowed for the test): the
    # redirect to the local service behind it is still not followed.
    http_sink.redirects["/apprise"] = f"{http_sink.url}/internal-admin"
    target = f"json://127.0.0.1:{http_sink.port}/apprise"
    [result] = send("apprise", notify_settings, outgoing("apprise", [target]))
    assert not result.ok and not result.permanent
    assert "redirect to http://127.0.0.1" in result.error and "not followed" in result.error
    assert [r.path for r in http_sink.requests] == ["/apprise"]


@pytest.mark.parametrize("kind", ["webhook", "slack", "teams"])
def test_our_own_http_follows_no_redirect_either(kind, notify_settings, http_sink):
    http_sink.redirects[f"/{kind}"] = f"{http_sink.url}/internal-admin"
    [result] = send(kind, notify_settings, outgoing(kind, [f"{http_sink.url}/{kind}"]))
    assert not result.ok
    assert [r.path for r in http_sink.requests] == [f"/{kind}"]


def test_while_apprise_sends_no_socket_reaches_a_private_address(http_sink, smtp_sink):
    # What a plugin would do with a name that looked public when checked and resolves to
    # loopback when it connects: refused where requests and smtplib open their sockets.
    with guard.guarded(allow_private=False) as seen:
        with pytest.raises(requests.ConnectionError):
            requests.post(f"http://localhost:{http_sink.port}/hook", json={}, timeout=5)
        assert "localhost is or resolves only to private or local addresses" in seen.refused
        with pytest.raises(AddressRefused):
            smtplib.SMTP("localhost", smtp_sink.port, timeout=5)
    assert http_sink.requests == [] and smtp_sink.mails == []
    # Outside the guard, and for staff-allowed private targets, the same calls connect.
    assert requests.post(f"{http_sink.url}/free", json={}, timeout=5).status_code == 200
    with guard.guarded(allow_private=True):
        assert requests.post(f"{http_sink.url}/allowed", json={}, timeout=5).status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("kind", "target"),
    [
        ("webhook", "http://2130706433:{port}/hook"),
        ("webhook", "http://localhost:{port}/hook"),
        ("apprise", "json://0x7f000001:{port}/apprise"),
        ("apprise", "json://localhost.:{port}/apprise"),
    ],
)
def test_a_stored_target_refused_at_send_time_is_disabled_at_once(
    kind: str, target: str, now: Any, notify_settings: Any, http_sink: HttpSink,
    smtp_sink: SmtpSink, outage: Any,
) -> None:  # fmt: skip
    from tidings.incidents import services

    url = target.format(port=http_sink.port)  # stored while private targets were allowed
    sub = Subscriber.objects.create(
        channel=kind, target=url, target_key=hashlib.sha256(url.encode()).hexdigest(),
        status="active", created_at=clock.now(),
    )  # fmt: skip
    with transaction.atomic():
        services.post_update(actor="dana", incident=outage, status="identified", body="x")
    with overridden(allow_private_targets=False) as settings:
        asyncio.run(DeliveryWorker(settings).drain())
    sub.refresh_from_db()
    delivery = Delivery.objects.get(subscriber=sub)
    assert delivery.status == "dead" and delivery.attempts == 1, delivery.last_error  # no retry
    assert sub.status == "disabled" and "refused" in sub.disabled_reason
    assert http_sink.requests == []
