"""Acceptance against a real Postfix: strict greeting rules, a 5-second idle timeout and a
recipient map answering 550 5.1.1, 554 5.7.1 and 452 4.2.2; workers stopped while three
updates of one incident are posted, then a worker runs and each outcome is checked, and after
a quiet period longer than Postfix's idle timeout the next update goes out on the first try.
Run on PostgreSQL with ``TIDINGS_DATABASE_URL=postgres://... make test`` (and on SQLite)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import aiosmtplib
import pytest
from django.db import transaction

from tests.notify.kit import subscriber
from tests.notify.postfix import Postfix, unavailable
from tests.notify.sinks import SmtpSink
from tests.ports import free_port
from tidings.config import overridden
from tidings.core import clock
from tidings.incidents import services
from tidings.notify import ledger
from tidings.notify.models import Delivery
from tidings.notify.report import delivery_report
from tidings.notify.worker import DeliveryWorker
from tidings.subscribers.models import Subscriber

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or "Postfix is here"),
]

REPLIES = {
    # Postfix answers "<code> <enhanced> <address>: Recipient address rejected: <text>".
    "bounce@customer.test": "550 5.1.1 User unknown",
    "policy@customer.test": "554 5.7.1 Access denied",
    "full@customer.test": "452 4.2.2 Mailbox full",
}
HAPPY = ["erez@customer.test", "noa@customer.test"]


@pytest.fixture
def relay_sink():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def postfix(relay_sink):
    server = Postfix(port=free_port(), relay_port=relay_sink.port, recipients=REPLIES, idle="5s")
    server.start()
    yield server
    server.stop()


def wait_for(predicate, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_postfix_refuses_a_bare_greeting(postfix):
    async def as_localhost() -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=postfix.port, local_hostname="localhost")
        async with smtp:
            await smtp.sendmail("status@acme.test", ["erez@customer.test"], b"Subject: x\r\n\r\nx")

    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        asyncio.run(as_localhost())
    [reply] = refused.value.recipients
    assert reply.code == 504 and "5.5.2" in reply.message and "fully-qualified" in reply.message


def test_the_engine_against_postfix(notify_settings, postfix, relay_sink, catalog, outage):
    for address in [*HAPPY, *REPLIES]:
        subscriber("email", address)
    settings = notify_settings.model_copy(update={"smtp_port": postfix.port,
                                                  "public_url": "https://status.acme.test"})  # fmt: skip
    # The workers are stopped while three updates are posted.
    for status, body in (("identified", "Found it."), ("monitoring", "Fix deployed."),
                         ("resolved", "All good again.")):  # fmt: skip
        with transaction.atomic():
            newest = services.post_update(actor="dana", incident=outage, status=status, body=body)

    worker = DeliveryWorker(settings, worker_id="acceptance")

    def post_again() -> None:
        with transaction.atomic():
            services.post_update(actor="dana", incident=services.get_incident(outage.public_id),
                                 status="resolved", body="Postmortem to follow.")  # fmt: skip

    async def run_due() -> None:
        while ids := await worker.db(ledger.claim, worker.worker_id, 100):
            await worker.process(ids)

    async def scenario() -> None:
        with overridden(**settings.model_dump()):
            await run_due()  # the worker starts
            assert await asyncio.to_thread(wait_for, lambda: len(relay_sink.mails) >= 2)
            await asyncio.sleep(6.5)  # quiet for longer than Postfix's 5 s idle timeout
            await worker.db(post_again)
            await run_due()
            await worker.drain()

    asyncio.run(scenario())
    assert wait_for(lambda: len(relay_sink.mails) >= 4), postfix.log()[-3000:]

    # Each happy recipient got the newest of the three, once, then the fourth, once.
    got = sorted((m.recipients[0], b"All good again." in m.data, b"Postmortem" in m.data,
                  b"Found it." in m.data or b"Fix deployed." in m.data)
                 for m in relay_sink.mails)  # fmt: skip
    assert got == [("erez@customer.test", False, True, False), ("erez@customer.test", True, False, False),
                   ("noa@customer.test", False, True, False), ("noa@customer.test", True, False, False)]  # fmt: skip
    assert all(b"Precedence: bulk" in m.data for m in relay_sink.mails)

    final = {d.target: d for d in Delivery.objects.filter(message__update=newest)}
    assert {t: d.status for t, d in final.items()} == {
        "erez@customer.test": "sent", "noa@customer.test": "sent",
        "bounce@customer.test": "dead", "policy@customer.test": "rejected",
        "full@customer.test": "superseded",  # waited for its retry; the fourth update replaced it
    }  # fmt: skip
    fourth = Delivery.objects.exclude(message__update=newest).filter(
        message__update__incident=outage, target__in=HAPPY, superseded_by__isnull=True
    )
    # After the idle timeout Postfix had closed every pooled connection: reopened, not failed.
    assert [(d.status, d.attempts, d.last_error) for d in fourth] == [("sent", 1, "")] * 2
    full = Delivery.objects.filter(target="full@customer.test").order_by("-id").first()
    assert full.status == "queued" and full.last_error.startswith("452 4.2.2")
    assert full.next_attempt_at > clock.now() + timedelta(seconds=20)

    subscribers = dict(Subscriber.objects.values_list("target", "status"))
    assert subscribers["bounce@customer.test"] == "disabled"
    assert subscribers["policy@customer.test"] == "active"  # one refusal is not three
    assert subscribers["full@customer.test"] == "active"

    report = delivery_report(outage)
    reasons = {p.target: p.reason for p in report.problems}
    assert reasons["b***@customer.test"].startswith(
        "the address is refused, target disabled: 550 5.1.1"
    )
    assert reasons["p***@customer.test"].startswith(
        "refused for good (the address is kept): 554 5.7.1"
    )
    assert reasons["f***@customer.test"].startswith("retry at ")
    assert reasons["f***@customer.test"].endswith(
        "after 452 4.2.2 <f***@customer.test>: Recipient address rejected: Mailbox full"
    )
    log = postfix.log()
    assert "helo=<status.acme.test>" in log and "timeout after" in log, log[-3000:]
