"""Double opt-in: Erez subscribes by email on the status page, the worker mails him a link
through a real SMTP server on loopback, and following it turns the subscription on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from tests.notify.kit import drain
from tests.subscribers.conftest import confirm_path, parse
from tidings.core import clock
from tidings.core.models import Event
from tidings.notify.models import Delivery
from tidings.subscribers import services
from tidings.subscribers.models import Subscriber

# The worker uses its own database connection, so the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def test_subscribing_by_email_mails_a_link_that_confirms_the_subscription(
    now, notify_settings, smtp_sink, client
):
    r = client.post(
        "/subscribe", {"channel": "email", "target": " Erez@Example.COM ", "language": "en",
                       "scope": "all"},
    )  # fmt: skip
    assert r.status_code == 200
    assert "Check your inbox" in r.content.decode()
    sub = Subscriber.objects.get()
    assert (sub.channel, sub.target, sub.status) == ("email", "erez@example.com", "pending")
    [delivery] = Delivery.objects.all()
    assert delivery.status == "queued" and delivery.subscriber == sub
    assert delivery.message.kind == "confirm" and delivery.target == "erez@example.com"

    assert drain(notify_settings)["sent"] == 1
    [mail] = smtp_sink.mails
    assert mail.recipients == ["erez@example.com"]
    message = parse(mail.data)
    assert message["Subject"] == "[Acme] Confirm your subscription to status updates"
    path = confirm_path(message)
    assert f'href="https://status.acme.test{path}"' in message.get_body(("html",)).get_content()
    sub.refresh_from_db()
    assert sub.status == "pending"  # sending the link confirms nothing

    r = client.get(path)
    assert r.status_code == 200
    assert "Subscription confirmed" in r.content.decode()
    sub.refresh_from_db()
    assert sub.status == "active" and sub.confirmed_at == now
    assert client.get(path).status_code == 200  # following the link twice is harmless
    kinds = list(Event.objects.filter(subject_id=sub.public_id).values_list("kind", flat=True))
    assert kinds == ["subscriber.created", "subscriber.confirmation_sent", "subscriber.confirmed"]
    assert not Event.objects.filter(kind__startswith="subscriber.", data__public=True).exists()


def test_a_hebrew_subscriber_gets_the_confirmation_in_hebrew_right_to_left(
    now, notify_settings, smtp_sink
):
    with transaction.atomic():
        services.subscribe(channel="email", target="noa@example.com", language="he")
    drain(notify_settings)
    message = parse(smtp_sink.mails[0].data)
    assert message["Subject"].startswith("[Acme] אישור ההרשמה לעדכוני")
    html = message.get_body(("html",)).get_content()
    assert 'dir="rtl"' in html and "אישור ההרשמה" in html
    assert "הקישור תקף" in message.get_body(("plain",)).get_content()


def test_an_expired_confirmation_link_is_refused(now, notify_settings, smtp_sink, client):
    with transaction.atomic():
        sub = services.subscribe(channel="email", target="erez@example.com").subscriber
    drain(notify_settings)
    path = confirm_path(parse(smtp_sink.mails[0].data))

    with clock.frozen(now + services.CONFIRM_MAX_AGE + timedelta(minutes=1)):
        r = client.get(path)
    assert r.status_code == 400
    page = r.content.decode()
    assert "This link has expired" in page and 'href="/subscribe?lang=en"' in page
    sub.refresh_from_db()
    assert sub.status == "pending"

    with clock.frozen(now + services.CONFIRM_MAX_AGE - timedelta(minutes=1)):
        assert client.get(path).status_code == 200  # just in time
    sub.refresh_from_db()
    assert sub.status == "active"


def test_an_address_nobody_confirmed_is_forgotten_once_its_link_expired(
    now, notify_settings, smtp_sink
):
    from tidings.core.jobs import JOBS

    with transaction.atomic():
        stranger = services.subscribe(channel="email", target="typo@example.com").subscriber
        erez = services.subscribe(channel="email", target="erez@example.com").subscriber
        services.confirm(token=services.confirm_token(erez))
        services.subscribe(channel="email", target="again@example.com")
    drain(notify_settings)
    later = now + services.CONFIRM_MAX_AGE - timedelta(hours=1)
    with clock.frozen(later), transaction.atomic():  # asks again: a fresh link, kept longer
        again = services.subscribe(channel="email", target="again@example.com").subscriber
    with clock.frozen(now + timedelta(days=6)):
        assert services.forget_unconfirmed() == 0  # the link still works

    with clock.frozen(now + services.CONFIRM_MAX_AGE + timedelta(minutes=1)):
        assert JOBS["forget_unconfirmed"].run() == 1

    assert set(Subscriber.objects.values_list("target", flat=True)) == {
        "erez@example.com",
        "again@example.com",
    }
    assert not Delivery.objects.filter(target="typo@example.com").exists()
    [mail] = Delivery.objects.filter(message__kind="confirm", subscriber=None)
    assert mail.status == "sent" and mail.target == ""  # the record of the mail stays
    event = Event.objects.get(kind="subscribers.unconfirmed_forgotten")
    assert event.data["count"] == 1 and stranger.public_id not in str(event.data)
    assert again.status == "pending"
