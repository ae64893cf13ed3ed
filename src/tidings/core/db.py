"""Transactions that survive concurrent writers, and reads that block none.

Lock order, kept by the services so concurrent writers queue instead of deadlocking: an
incident row first, then component rows in primary-key order, then rows the transaction
inserts. A deadlock or serialization failure that happens anyway (PostgreSQL picks a victim)
is retried here, at the outermost transaction, never shown to the user.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import NotSupportedError, OperationalError, connection, transaction
from django.db.models import Model, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidings.core.errors import NotFound
from tidings.core.pgplans import is_stale_plan

if TYPE_CHECKING:
    from datetime import datetime

log = logging.getLogger(__name__)
T = TypeVar("T")
M = TypeVar("M", bound=Model)

#: PostgreSQL's SQLSTATEs for "try the transaction again": deadlock_detected and
#: serialization_failure. The victim's work was rolled back, so running it again is safe.
_TRANSIENT = frozenset({"40P01", "40001"})
ATTEMPTS = 5


def is_transient(exc: BaseException) -> bool:
    """A deadlock victim, a serialization failure, or a prepared statement a migration made
    stale (:mod:`tidings.core.pgplans`: the rollback prepared it afresh)."""
    return getattr(exc.__cause__, "sqlstate", None) in _TRANSIENT or is_stale_plan(exc)


def retrying(fn: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """Run ``fn`` in a transaction of its own, again (up to ``attempts`` times, after a short
    random pause) when the database aborts it as a deadlock victim or for a serialization
    failure. Inside a transaction someone else owns, ``fn`` runs once, in a savepoint: only the
    owner of the outermost transaction can start it over, and a failure of ``fn`` leaves the
    owner's transaction usable (the steps inside ``fn`` need no savepoints of their own)."""
    if connection.in_atomic_block:
        with transaction.atomic():
            return fn()
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                return fn()
        except (OperationalError, NotSupportedError) as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            log.warning("transaction retried after %s (attempt %d)", exc.__cause__, attempt)
            time.sleep(random.uniform(0.001, 0.005 * 2**attempt))  # noqa: S311 - jitter only
    raise AssertionError("unreachable")


def in_transaction() -> bool:
    """Whether row locks taken now last until a commit (outside a transaction they would end
    with the statement, and Django refuses ``select_for_update`` there)."""
    return connection.in_atomic_block


def locking(qs: QuerySet[M], *, of: tuple[str, ...] = ()) -> QuerySet[M]:
    """``qs`` with ``SELECT ... FOR NO KEY UPDATE`` when in a transaction; ``of``: only these
    tables' rows (``"self"``: the model's), not those of a ``select_related`` join too.

    NO KEY: our writes change a row's columns, never its key. Two writers of one row still
    wait for each other, but a write that only points at the row (an update, FAQ entry or
    status history row inserted with a foreign key to the incident or component, which takes
    PostgreSQL's KEY SHARE lock) does not wait for a writer of that row to commit, as it did
    under FOR UPDATE. A DELETE of the row still waits for both."""
    if not in_transaction():
        return qs
    if of and _locks_of():
        return qs.select_for_update(of=of, no_key=True)
    return qs.select_for_update(no_key=True)


def _locks_of() -> bool:
    return bool(connection.features.has_select_for_update_of)


def _transaction() -> object | None:
    """The outermost transaction block now open on this connection (None outside one). A
    test case's own wrapping block does not count: each write the test makes is its own."""
    if not connection.in_atomic_block:
        return None
    for block in connection.atomic_blocks:
        if not getattr(block, "_from_testcase", False):
            return block
    return None


def mark_locked(obj: M) -> M:
    """Note that ``obj`` was read under its row lock in the transaction now open, so later
    steps of the same write do not lock and re-read it again (each one a round trip)."""
    obj._tidings_locked_in = _transaction()  # type: ignore[attr-defined]
    return obj


#: "No such thing", one whole sentence per noun a caller of :func:`by_public_id` passes as
#: ``what``, so a translator words each with its noun (and, where the language wants it, the
#: noun's gender) instead of splicing an English noun into a translated frame. Lazy: read in
#: the language of the request that asks. A noun missing here gets :func:`not_found`'s generic
#: sentence, still right in English.
NOT_FOUND: dict[str, Promise] = {
    "incident": gettext_lazy("no incident with id %(id)s"),
    "maintenance": gettext_lazy("no maintenance with id %(id)s"),
    "component": gettext_lazy("no component with id %(id)s"),
    "customer": gettext_lazy("no customer with id %(id)s"),
    "draft": gettext_lazy("no draft with id %(id)s"),
}


def not_found(what: str, public_id: str) -> str:
    """The refusal for "no ``what`` with this id", in the active language; the English text is
    ``no {what} with id {public_id!r}`` for every ``what``."""
    sentence = NOT_FOUND.get(what)
    if sentence is not None:
        return str(sentence) % {"id": repr(public_id)}
    return _("no %(what)s with id %(id)s") % {"what": what, "id": repr(public_id)}


def by_public_id(
    qs: QuerySet[M], public_id: str, what: str, *, lock: bool = False, of: tuple[str, ...] = ()
) -> M:
    """The row of ``qs`` with this public id, else NotFound (:func:`not_found`: "no {what}
    with id ...", in the reader's language), the one answer every "get by id" gives. ``lock``:
    read it under its row lock (``of`` as in :func:`locking`) and mark it so, so the change that
    follows need not lock and read it again."""
    if lock:
        qs = locking(qs, of=of)
    try:
        found = qs.get(public_id=public_id)
    except ObjectDoesNotExist:  # the model's DoesNotExist
        raise NotFound(not_found(what, public_id)) from None
    return mark_locked(found) if lock and in_transaction() else found


def read_by_public_id(read: Callable[[str], list[M]], public_id: str, what: str) -> M:
    """:func:`by_public_id` for a hot path, through ``read(public_id)``: a query of that row
    compiled once (:class:`tidings.core.prepared.Read`); the same NotFound when there is none."""
    found = read(public_id)
    if not found:
        raise NotFound(not_found(what, public_id))
    return found[0]


def lock_by_public_id(read: Callable[[str], list[M]], public_id: str, what: str) -> M:
    """:func:`read_by_public_id` under the row's lock: ``read`` queries it through
    :func:`locking`. Only in a transaction: outside one there is no lock to hold."""
    assert in_transaction(), "a row lock lasts only as long as its transaction"
    return mark_locked(read_by_public_id(read, public_id, what))


def is_locked(obj: Model) -> bool:
    """Whether ``obj`` was read under its row lock in the transaction now open (a mark left
    by an earlier transaction does not count)."""
    current = _transaction()
    return current is not None and getattr(obj, "_tidings_locked_in", None) is current


def _blocks() -> list[Any]:
    """The atomic blocks open now, outermost first, less a test case's own wrapping ones."""
    if not connection.in_atomic_block:
        return []
    return [b for b in connection.atomic_blocks if not getattr(b, "_from_testcase", False)]


_MISSING = object()


def recalled(key: object, default: Any = None) -> Any:
    """What :func:`memo` or :func:`remember` holds for ``key`` in the blocks open now, else
    ``default`` (nothing is read)."""
    for block in reversed(_blocks()):
        found = block.__dict__.get("_tidings_memo", {}).get(key, _MISSING)
        if found is not _MISSING:
            return found
    return default


def remember(key: object, value: T) -> T:
    """Let :func:`memo` answer ``value`` for ``key`` until the innermost block open now ends.
    Kept on that block, so a savepoint rolled back takes what it remembered with it. (Every
    block is a ``with transaction.atomic()`` of its own: an Atomic reused as a decorator would
    carry its memo into its next transaction.)"""
    blocks = _blocks()
    if blocks:
        blocks[-1].__dict__.setdefault("_tidings_memo", {})[key] = value
    return value


def memo(key: object, compute: Callable[[], T]) -> T:
    """``compute()``, once per transaction: one write asks several of its steps the same
    question (the cadence policy, the components it locked, the incident's latest update).
    Only for answers that stay true until the transaction ends: rows it holds locked, or
    settings whose setters :func:`forget` them. Outside a transaction: computed each time."""
    found = recalled(key, _MISSING)
    if found is not _MISSING:
        return found  # type: ignore[no-any-return]
    return remember(key, compute())


def forget(*keys: object) -> None:
    """Drop ``keys`` from the memo of every open block (a setter changed what they answer)."""
    for block in _blocks():
        for key in keys:
            block.__dict__.get("_tidings_memo", {}).pop(key, None)


@contextmanager
def read_snapshot() -> Iterator[None]:
    """One consistent view of the database for many queries, taking no write lock: a
    read-only REPEATABLE READ transaction on PostgreSQL, a deferred one on SQLite. (Django's
    ``atomic()`` begins SQLite transactions IMMEDIATE, which would hold the database's single
    write lock, and so every writer, for as long as the status page renders.) Inside an
    existing transaction it just reads in that one."""
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor != "sqlite":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("COMMIT")


def claim(
    due: QuerySet[M],
    now: datetime,
    *,
    order: str,
    fields: tuple[str, ...],
    limit: int,
    **lease: object,
) -> list[tuple[Any, ...]]:
    """Rows of ``due`` that nobody holds (no ``lease_until``, or one run out), first by
    ``order``, each claimed once and stamped with ``lease``; their ``fields`` (the first is the
    id). On PostgreSQL rows another process is claiming are skipped (SKIP LOCKED); SQLite
    serialises writers."""
    free = due.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    if not free.exists():  # the usual second: no write transaction (SQLite would lock for it)
        return []
    with transaction.atomic():
        rows = list(
            free.select_for_update(skip_locked=True).order_by(order).values_list(*fields)[:limit]
        )
        if rows:
            due.model._default_manager.filter(id__in=[r[0] for r in rows]).update(**lease)
    return rows
