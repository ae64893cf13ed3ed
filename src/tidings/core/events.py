"""Domain events: every change writes an :class:`Event` row inside the caller's transaction;
subscribers registered here run after commit. The core never imports a subscriber: adapters
(the status page publisher, later the notifier) register themselves in their ``AppConfig``.

Documented kinds (``data`` keys in brackets):

* ``component.created`` / ``component.changed`` [fields] / ``component.status_changed`` [old, new]
* ``group.created`` / ``group.changed``
* ``incident.created`` [kind, status, impact, severity] / ``incident.changed`` [fields]
* ``incident.status_changed`` [old, new, backward]
* ``incident.update_posted`` [update_id, status, components, audience]
* ``incident.faq_changed`` / ``incident.resource_changed``
* ``notify.fanned_out`` [update_id, deliveries]
* ``subscriber.created`` / ``.confirmed`` / ``.unsubscribed`` / ``.changed`` / ``.disabled`` [channel, reason]
* ``contact.channel_disabled`` [channel, reason]
* ``customer.created`` / ``customer.changed`` / ``contact.created`` / ``contact.changed`` /
  ``customers.imported`` [created, updated]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from tidings.core import clock
from tidings.core.models import Event, PublishState

Subscriber = Callable[[Event], None]
_subscribers: list[Subscriber] = []
_in_transaction: list[Subscriber] = []


def subscribe(fn: Subscriber, *, in_transaction: bool = False) -> Subscriber:
    """Register ``fn`` for every event. By default it runs after commit (side effects such as
    enqueueing a task). ``in_transaction=True`` runs it at once, inside the caller's
    transaction: for writes that must commit or roll back with the change itself, such as the
    delivery rows of an update."""
    target = _in_transaction if in_transaction else _subscribers
    if fn not in target:
        target.append(fn)
    return fn


def record(
    *, kind: str, actor: str, subject_type: str, subject_id: str, public: bool = True, **data: Any
) -> Event:
    """Write one event. ``public`` says the change shows on the status page: it then asks for
    a new snapshot in the same transaction, so a crash before the publish task is enqueued is
    caught later by the scheduler instead of leaving the page stale."""
    if public:
        request_publish()
    event = Event.objects.create(
        at=clock.now(),
        actor=actor or "system",
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        data={**data, "public": public},
    )
    for fn in list(_in_transaction):
        fn(event)
    for fn in list(_subscribers):
        transaction.on_commit(lambda fn=fn: fn(event))  # type: ignore[misc]
    return event


def request_publish() -> None:
    from django.db.models import F

    if not PublishState.objects.filter(id=1).update(requested=F("requested") + 1):
        PublishState.objects.get_or_create(id=1, defaults={"requested": 1})
