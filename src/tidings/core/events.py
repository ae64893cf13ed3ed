"""Domain events: every change writes an :class:`Event` row inside the caller's transaction;
subscribers registered here run after commit. The core never imports a subscriber: adapters
(the status page publisher, later the notifier) register themselves in their ``AppConfig``.

Documented kinds (``data`` keys in brackets):

* ``component.created`` / ``component.changed`` [fields] / ``component.status_changed`` [old, new]
* ``group.created`` / ``group.changed`` [fields] / ``group.deleted`` [name]
* ``component.deleted`` [name, slug]
* ``incident.created`` [kind, status, impact, severity] / ``incident.changed`` [fields]
* ``incident.status_changed`` [old, new, backward] / ``incident.deleted`` [incident_kind, title, status, started_at, updates, components]
* ``incident.update_posted`` [update_id, status, components, audience]
* ``incident.faq_changed`` / ``incident.resource_changed``
* ``incident.check_overridden`` [update_id, code, reason] (an honesty warning published anyway)
* ``incident.draft_submitted`` [draft_id] / ``incident.draft_approved`` [draft_id, update_id,
  author] / ``incident.draft_returned`` [draft_id, note] / ``incidents.approval_changed``
  [severities] / ``honesty.words_changed`` [words]
* ``incident.update_overdue`` [owner, due_at, late_seconds, escalated_to]: a promised update
  is late (once per promised time); ``incident.update_late`` [update_id, owner, due_at,
  late_seconds]: the update that finally came; ``cadence.policy_changed`` / ``cadence.policy_reset``
* ``notify.fanned_out`` [update_id, deliveries]
* ``subscriber.created`` / ``.confirmed`` / ``.unsubscribed`` / ``.changed`` / ``.disabled`` [channel, reason]
* ``contact.channel_disabled`` [channel, reason] / ``contact.channel_enabled`` [channel]
* ``subscriber.added`` / ``subscriber.readded`` [channel, consent] (by staff) /
  ``subscriber.enabled`` / ``subscribers.imported`` [created, updated]
* ``token.created`` [name, scopes, expires_at] / ``token.revoked`` [owner]
* audit (:mod:`tidings.core.audit`): ``api.write`` / ``api.export`` / ``console.write`` /
  ``console.export`` [action, method, path] for a request no service recorded itself;
  ``token.used`` [token, method, path] at most once a minute per token;
  ``staff.signed_in`` / ``staff.signed_out`` / ``staff.sign_in_failed`` [address];
  ``audit.exported`` [filters, rows]; ``staff.changed`` [fields]; ``admin.added`` /
  ``admin.changed`` / ``admin.deleted`` [model, object, message] (the Django admin)
* ``customer.created`` / ``customer.changed`` / ``contact.created`` / ``contact.changed`` /
  ``customers.imported`` [created, updated]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from django.db import transaction

from tidings.core import clock
from tidings.core.models import Event, PublishRequest
from tidings.core.prepared import Insert

Subscriber = Callable[[Event], None]
_subscribers: list[Subscriber] = []
_in_transaction: list[Subscriber] = []
_on_publish_request: list[Callable[[], None]] = []
#: Events recorded so far in this thread or task: the audit log's gap filler compares it before
#: and after a request to see whether the request's service recorded anything itself.
recorded: ContextVar[int] = ContextVar("tidings_events_recorded", default=0)
_DELETE_BATCH = 500  # ids per DELETE: well under SQLite's bound on query parameters
#: Every change writes these two rows: their INSERTs are built once (nothing listens to them).
_insert_event = Insert(Event)
_insert_request = Insert(PublishRequest)


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
    *,
    kind: str,
    actor: str,
    subject_type: str,
    subject_id: str,
    public: bool = True,
    **data: Any,
) -> Event:
    """Write one event. ``public`` says the change shows on the status page: it then asks for
    a new snapshot in the same transaction, so a crash before the publish task is enqueued is
    caught later by the scheduler instead of leaving the page stale. Which pages it asks to
    render follows from the subject (see :func:`_scope_of`)."""
    if public:
        request_publish(_scope_of(subject_type, subject_id, kind, data))
    event = _insert_event(
        Event(
            at=clock.now(),
            actor=actor or "system",
            kind=kind,
            subject_type=subject_type,
            subject_id=subject_id,
            data={**data, "public": public},
        )
    )
    recorded.set(recorded.get() + 1)
    for fn in list(_in_transaction):
        fn(event)
    for fn in list(_subscribers):
        transaction.on_commit(lambda fn=fn: fn(event))  # type: ignore[misc]
    return event


def record_many(entries: Iterable[dict[str, Any]]) -> list[Event]:
    """:func:`record` for several events (each a dict of its arguments) in one INSERT: the
    publish requests they ask for first, then the rows, then each one's subscribers, in order."""
    now = clock.now()
    rows = []
    for entry in entries:
        data = dict(entry)
        kind, actor = data.pop("kind"), data.pop("actor")
        subject_type, subject_id = data.pop("subject_type"), data.pop("subject_id")
        public = data.pop("public", True)
        if public:
            request_publish(_scope_of(subject_type, subject_id, kind, data))
        rows.append(
            Event(at=now, actor=actor or "system", kind=kind, subject_type=subject_type,
                  subject_id=subject_id, data={**data, "public": public})
        )  # fmt: skip
    if not rows:
        return rows
    _insert_event.many(rows)
    recorded.set(recorded.get() + len(rows))
    for event in rows:
        for fn in list(_in_transaction):
            fn(event)
        for fn in list(_subscribers):
            transaction.on_commit(lambda fn=fn, event=event: fn(event))  # type: ignore[misc]
    return rows


def subscribe_publish(fn: Callable[[], None]) -> Callable[[], None]:
    """Register ``fn`` to run once after each transaction that asked for a publish (the status
    page enqueues its publish task there)."""
    if fn not in _on_publish_request:
        _on_publish_request.append(fn)
    return fn


def _scope_of(subject_type: str, subject_id: str, kind: str, data: dict[str, Any]) -> str:
    """The pages a public change shows on: an incident's own pages (its month, the front page,
    the feeds and JSON come with it), the pages listing component statuses, or everything."""
    if subject_type == "incident" and subject_id:
        fields = data.get("fields")
        if isinstance(fields, dict | list) and "started_at" in fields:
            return "*"  # it may move to another month of history
        return f"incident:{subject_id}"
    if kind == "component.status_changed":
        return "components"
    return "*"


class _Requested:
    """The after-commit hook of a transaction's publish request; one per scope, so it also
    marks which scopes the transaction has asked for. Only the first one wakes a publisher."""

    def __init__(self, scope: str, wake: bool) -> None:
        self.scope, self.wake = scope, wake

    def __call__(self) -> None:
        if self.wake:
            _publish_requested()


def request_publish(scope: str = "*") -> None:
    """Ask for a new snapshot: one :class:`PublishRequest` row per transaction and scope,
    however many public events it records. The row is the durable request; the after-commit
    hook only wakes a publisher up."""
    conn = transaction.get_connection()
    # The hooks pending in this transaction mark what it has asked already. They share the rows'
    # fate: rolling back a savepoint drops both the row and the callbacks registered after it.
    asked = (
        [fn.scope for _, fn, _ in conn.run_on_commit if isinstance(fn, _Requested)]
        if conn.in_atomic_block
        else []
    )
    if scope in asked:
        return
    _insert_request(PublishRequest(requested_at=clock.now(), scope=scope))
    transaction.on_commit(_Requested(scope, wake=not asked))


def pending_publish_requests() -> list[int]:
    """The ids of the publish requests committed so far, oldest first."""
    return list(PublishRequest.objects.order_by("id").values_list("id", flat=True))


def publish_scopes(ids: list[int]) -> set[str]:
    """What the given requests ask to render (their ``scope`` values)."""
    found: set[str] = set()
    for i in range(0, len(ids), _DELETE_BATCH):
        batch = PublishRequest.objects.filter(id__in=ids[i : i + _DELETE_BATCH])
        found.update(batch.values_list("scope", flat=True))
    return found


def forget_publish_requests(ids: list[int]) -> None:
    """Delete requests a written snapshot covers (only those: see ``pending_publish_requests``).
    A publish run inside a writer's own transaction also clears that transaction's mark, so a
    change it makes afterwards asks again."""
    for i in range(0, len(ids), _DELETE_BATCH):
        PublishRequest.objects.filter(id__in=ids[i : i + _DELETE_BATCH]).delete()
    conn = transaction.get_connection()
    if conn.in_atomic_block:
        conn.run_on_commit = [c for c in conn.run_on_commit if not isinstance(c[1], _Requested)]


def _publish_requested() -> None:
    for fn in list(_on_publish_request):
        fn()
