"""Fan-out: when an update is posted, create its messages and one delivery row per recipient and
channel, inside the same transaction, so the update and its deliveries commit or vanish together."""

from __future__ import annotations

from collections import defaultdict

from tidings.core import clock, events
from tidings.core.models import Event
from tidings.incidents.models import IncidentUpdate
from tidings.incidents.rules import Audience
from tidings.notify import audience as audiences
from tidings.notify.models import Delivery, Message
from tidings.notify.registry import channel_class
from tidings.notify.views import build_views

_BULK = 5000


def fan_out(update: IncidentUpdate, audience: Audience) -> int:
    """Create the messages and deliveries of ``update``; returns how many deliveries. Safe to run
    twice: messages and deliveries are unique per (update, channel, language) and target."""
    found = audiences.recipients(update.incident, audience)
    if not found:
        return 0
    now = clock.now()
    by_key: dict[tuple[str, str], list[audiences.Recipient]] = defaultdict(list)
    for r in found:
        by_key[(r.channel, r.language)].append(r)
    views = build_views(update, {lang for _, lang in by_key})
    rows: list[Delivery] = []
    for (channel, lang), group in by_key.items():
        rendered = channel_class(channel).render(views[lang])
        message, _ = Message.objects.get_or_create(
            kind="update", update=update, channel=channel, language=lang,
            defaults={"subject": rendered.subject, "text": rendered.text, "html": rendered.html,
                      "payload": rendered.payload, "created_at": now},
        )  # fmt: skip
        rows.extend(
            Delivery(message=message, channel=channel, target=r.target, subscriber_id=r.subscriber_id,
                     contact_id=r.contact_id, next_attempt_at=now, created_at=now)
            for r in group
        )  # fmt: skip
    Delivery.objects.bulk_create(rows, batch_size=_BULK, ignore_conflicts=True)
    return len(rows)


def on_event(event: Event) -> None:
    if event.kind != "incident.update_posted" or not event.data.get("public", True):
        return
    audience = event.data.get("audience", "affected")
    if audience == "none":
        return
    update = IncidentUpdate.objects.select_related("incident").get(
        public_id=event.data["update_id"]
    )
    count = fan_out(update, audience)
    if count:
        events.record(kind="notify.fanned_out", actor="system", subject_type="incident",
                      subject_id=update.incident.public_id, public=False, update_id=update.public_id,
                      deliveries=count)  # fmt: skip


def connect() -> None:
    events.subscribe(on_event, in_transaction=True)
