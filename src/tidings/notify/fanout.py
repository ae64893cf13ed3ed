"""Fan-out: when an update is posted, create its messages and one delivery row per recipient and
channel, inside the same transaction, so the update and its deliveries commit or vanish together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q

from tidings.components.models import Component
from tidings.core import clock, events
from tidings.core.models import Event
from tidings.core.prepared import Rows
from tidings.incidents.models import IncidentUpdate
from tidings.incidents.rules import Audience
from tidings.notify import audience as audiences
from tidings.notify.models import Delivery, Message
from tidings.notify.registry import channel_class
from tidings.notify.views import build_component_views, build_views
from tidings.subscribers.models import Subscriber

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
    for (channel, lang), message in messages.items():
        # Skip a target that a delivery of this update on this channel already covers (a
        # contact's, or one in another language). Probing the unique (message, target) index
        # keeps this one lookup per subscriber whatever the planner knows; a condition on the
        # message's update instead scanned every delivery of the message per subscriber.
        same_channel = [m.id for (ch, _), m in messages.items() if ch == channel]
        covered = Delivery.objects.filter(message_id__in=same_channel, target=OuterRef("target"))
        rows = subscribers.filter(channel=channel, language=lang).filter(~Exists(covered))
        _insert_subscribers(message, rows, now)
    return Delivery.objects.filter(message__update=update).count() - before


def _insert_subscribers(message: Message, subscribers: Any, now: datetime) -> None:
    """One ``INSERT ... SELECT``: the database copies the rows without a round trip each."""
    select_sql, params = subscribers.values_list("id", "channel", "target").query.sql_with_params()
    sql = (
        f"INSERT INTO {Delivery._meta.db_table} ({_COLUMNS}) "  # noqa: S608 - names are ours; values are parameters
        f"SELECT %s, sub.channel, sub.target, sub.id, 'queued', 0, %s, '', '', '', %s "
        # "WHERE true" lets SQLite tell the upsert's ON from a join's.
        f"FROM ({select_sql}) AS sub WHERE true "
        f"ON CONFLICT (message_id, target) DO NOTHING"
    )
    stamp = connection.ops.adapt_datetimefield_value(now)  # SQLite stores naive UTC text
    with connection.cursor() as cursor:
        cursor.execute(sql, [message.pk, stamp, stamp, *params])


def _component_subscribers(ref: str) -> Any:
    """The active subscribers of the component with public id ``ref`` (or of every one)."""
    return Subscriber.objects.filter(status="active").filter(
        id__in=Subscriber.objects.filter(
            Q(all_components=True) | Q(components__public_id=ref)
        ).values("id")
    )


#: Asked at every component status change, mostly to learn that nobody is to be told: its
#: SQL compiled once per thread (core.prepared).
_component_keys = Rows(
    lambda ref: _component_subscribers(ref).values_list("channel", "language").distinct(),
    "\x00sample",
)


def fan_out_component(component: Component | str, old: str, new: str, change_id: str) -> int:
    """Tell the subscribers of a component about a status change made outside any incident.
    ``component``: the row, or its public id (then read only when someone is to be told)."""
    ref = component.public_id if isinstance(component, Component) else component
    keys = set(_component_keys(ref))
    if not keys:
        return 0
    subscribers = _component_subscribers(ref)
    if not isinstance(component, Component):
        component = Component.objects.select_related("group").get(public_id=ref)
    now = clock.now()
    views = build_component_views(
        component,
        old=old,
        new=new,
        at=now,
        change_id=change_id,
        languages={lang for _, lang in keys},
    )
    total = 0
    for channel, lang in sorted(keys):
        rendered = channel_class(channel).render(views[lang])
        message = Message.objects.create(
            kind="component", channel=channel, language=lang, subject=rendered.subject,
            text=rendered.text, html=rendered.html, payload=rendered.payload, created_at=now,
        )  # fmt: skip
        _insert_subscribers(message, subscribers.filter(channel=channel, language=lang), now)
        total += message.deliveries.count()
    return total


def on_event(event: Event) -> None:
    if not event.data.get("public", True):
        return
    if event.kind == "component.status_changed" and event.data.get("incident_id") is None:
        fan_out_component(event.subject_id, event.data["old"], event.data["new"], f"cu{event.pk}")
        return
    if event.kind != "incident.update_posted":
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
