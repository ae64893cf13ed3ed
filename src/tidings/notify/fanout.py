"""Fan-out: when an update is posted, create its messages and one delivery row per recipient and
channel, inside the same transaction, so the update and its deliveries commit or vanish together."""

from __future__ import annotations

from django.db import connection

from tidings.core import clock, events
from tidings.core.models import Event
from tidings.incidents.models import IncidentUpdate
from tidings.incidents.rules import Audience
from tidings.notify import audience as audiences
from tidings.notify.models import Delivery, Message
from tidings.notify.registry import channel_class
from tidings.notify.views import build_views

_BULK = 5000
_COLUMNS = "message_id, channel, target, subscriber_id, status, attempts, next_attempt_at, worker, last_error, provider_ref, created_at"


def fan_out(update: IncidentUpdate, audience: Audience) -> int:
    """Create the messages and deliveries of ``update``; returns how many deliveries. Safe to run
    twice: messages and deliveries are unique per (update, channel, language) and target.

    Contacts (thousands at most) are inserted from Python; subscribers (possibly millions) by one
    ``INSERT ... SELECT`` per message, so the database copies rows without a round trip each.
    A subscriber whose (channel, target) a contact already covers is skipped."""
    incident = update.incident
    contacts = audiences.contact_recipients(incident, audience)
    subscribers = audiences.subscriber_queryset(incident, audience)
    keys = {(r.channel, r.language) for r in contacts}
    keys |= set(subscribers.values_list("channel", "language").distinct())
    if not keys:
        return 0
    now = clock.now()
    before = Delivery.objects.filter(message__update=update).count()
    views = build_views(update, {lang for _, lang in keys})
    messages: dict[tuple[str, str], Message] = {}
    for channel, lang in sorted(keys):
        rendered = channel_class(channel).render(views[lang])
        messages[(channel, lang)], _ = Message.objects.get_or_create(
            kind="update", update=update, channel=channel, language=lang,
            defaults={"subject": rendered.subject, "text": rendered.text, "html": rendered.html,
                      "payload": rendered.payload, "created_at": now},
        )  # fmt: skip
    Delivery.objects.bulk_create(
        [Delivery(message=messages[(r.channel, r.language)], channel=r.channel, target=r.target,
                  contact_id=r.contact_id, next_attempt_at=now, created_at=now) for r in contacts],
        batch_size=_BULK, ignore_conflicts=True,
    )  # fmt: skip
    table = Delivery._meta.db_table
    for (channel, lang), message in messages.items():
        rows = (
            subscribers.filter(channel=channel, language=lang)
            .exclude(
                target__in=Delivery.objects.filter(message__update=update, channel=channel).values(
                    "target"
                )
            )
            .values_list("id", "channel", "target")
        )
        select_sql, params = rows.query.sql_with_params()
        sql = (
            f"INSERT INTO {table} ({_COLUMNS}) "  # noqa: S608 - names are ours; values are parameters
            f"SELECT %s, sub.channel, sub.target, sub.id, 'queued', 0, %s, '', '', '', %s "
            # "WHERE true" lets SQLite tell the upsert's ON from a join's.
            f"FROM ({select_sql}) AS sub WHERE true "
            f"ON CONFLICT (message_id, target) DO NOTHING"
        )
        with connection.cursor() as cursor:
            stamp = connection.ops.adapt_datetimefield_value(now)  # SQLite stores naive UTC text
            cursor.execute(sql, [message.pk, stamp, stamp, *params])
    return Delivery.objects.filter(message__update=update).count() - before


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
