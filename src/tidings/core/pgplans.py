"""Prepared statements that a migration made stale (PostgreSQL, ``TIDINGS_DATABASE_PREPARED``).

Each connection prepares the statements it runs often. A migration that changes the type of a
column those statements read (a longer ``max_length``, say) makes the server refuse them from
then on: "cached plan must not change result type", every time, until they are prepared again.
Processes still running across a release would fail those reads until restarted. psycopg
forgets its prepared statements when the transaction is rolled back, so a failed transaction
clears them by itself and :func:`tidings.core.db.retrying` runs it again; a statement outside
a transaction (autocommit) is run again here, after ``DEALLOCATE ALL`` (which psycopg also
sees, and so prepares afresh)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db.backends.signals import connection_created

_STALE = "cached plan must not change result type"
_FEATURE_NOT_SUPPORTED = "0A000"


def is_stale_plan(exc: BaseException) -> bool:
    """Whether ``exc`` (psycopg's, or Django's wrapping it) is the server refusing a prepared
    statement whose result type a schema change altered."""
    cause = exc if getattr(exc, "sqlstate", None) else exc.__cause__
    return getattr(cause, "sqlstate", None) == _FEATURE_NOT_SUPPORTED and _STALE in str(cause)


@cache  # one class for every connection, made at the first one
def _cursor_class() -> type:
    from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]
    from psycopg import errors
    from psycopg.pq import TransactionStatus

    class RePreparingCursor(ServerBindingCursor):  # type: ignore[misc,valid-type]
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            try:
                return super().execute(query, params, **kwargs)
            except errors.FeatureNotSupported as exc:
                idle = self.connection.info.transaction_status == TransactionStatus.IDLE
                if not idle or not is_stale_plan(exc):
                    raise  # in a transaction: its rollback clears them, the caller retries
                self.connection.execute("DEALLOCATE ALL")
                return super().execute(query, params, **kwargs)

    return RePreparingCursor


def _on_connect(sender: Any, connection: Any, **_: Any) -> None:
    if connection.vendor == "postgresql" and connection.features.uses_server_side_binding:
        connection.connection.cursor_factory = _cursor_class()


def install() -> None:
    """Every new PostgreSQL connection that binds on the server gets the cursor above."""
    connection_created.connect(_on_connect, dispatch_uid="tidings.core.pgplans")
