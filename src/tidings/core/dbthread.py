"""The database side of Tidings' asyncio processes: their database work runs on one thread of
its own (a Django connection belongs to the thread that opened it), off the event loop."""

from __future__ import annotations

import asyncio
import functools
import os
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from tidings.config import TidingsSettings

T = TypeVar("T")


class DbThreadWorker:
    """A worker that claims, records and renews from an event loop through one database
    thread: shared by the delivery worker and the monitor runner, which do exactly that."""

    def __init__(self, settings: TidingsSettings, *, worker_id: str, thread_name: str) -> None:
        self.settings = settings
        # What the rows it claims name their holder by.
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        call = functools.partial(_replacing_dead, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.db_thread, call)

    async def close_db(self) -> None:
        """Close the thread's database connections, then the thread itself."""
        await self.db(close_connections)
        self.db_thread.shutdown(wait=True)


def _replacing_dead(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn`` on the database thread. Django replaces a connection the server dropped (a
    restart, an outage) only where a request starts or ends, which these processes never do:
    after a call the database failed, the thread's connections are closed, so the next call
    opens a new one instead of failing forever. A refused row (IntegrityError, DataError)
    says nothing about the connection and keeps it; nothing is checked while calls succeed."""
    from django.db import DatabaseError, DataError, IntegrityError, connections

    try:
        return fn(*args, **kwargs)
    except (IntegrityError, DataError):
        raise
    except DatabaseError:
        for conn in connections.all(initialized_only=True):
            if not conn.in_atomic_block:
                conn.close()
        raise


def close_connections() -> None:
    from django.db import connections

    connections.close_all()
