"""Who may hold a connection to an edge process, and for how long.

Every connection has a deadline (its head must arrive, its keep-alive idles out, its client
must read) and counts against a cap per process and a share per client address. When a cap
is reached, the connection that has waited longest without a request in progress is closed
to make room: an attacker holding many slow or idle connections loses its oldest ones to each
new visitor, instead of the visitor being refused. No I/O here beyond asking a connection to
close itself; the server drives the clock.
"""

from __future__ import annotations

import time
from typing import Protocol


class Conn(Protocol):
    address: str  # the peer's address, the key of its share
    deadline: float  # monotonic time at which :meth:`expire` is called
    busy: bool  # a request is being answered (proxied): not to be evicted
    since: float  # when its current wait began, at the gate's clock resolution

    def expire(self) -> None:
        """The deadline passed: answer what is owed (408, 504) and close."""

    def evict(self) -> None:
        """Close at once to make room for a newer connection."""


class Gate:
    def __init__(self, max_connections: int, per_address: int | None) -> None:
        self.max_connections = max_connections
        self.per_address = per_address  # None: every connection comes from one proxy
        self.now = time.monotonic()
        # Insertion order is wait order: a connection moves to the end when a wait begins,
        # so the first one not busy is the one that waited longest.
        self.conns: dict[Conn, None] = {}
        self.groups: dict[str, dict[Conn, None]] = {}
        self.upstreams = 0  # connections this process holds to the app behind it
        self.evicted = 0

    def admit(self, conn: Conn) -> bool:
        """Count ``conn`` in, closing older waiting connections to make room; False when
        there is no room because every connection is busy."""
        conn.since = self.now
        if self.per_address is not None:
            group = self.groups.get(conn.address)
            if group is not None and len(group) >= self.per_address and not self._evict(group):
                return False
        if len(self.conns) + self.upstreams >= self.max_connections and not self._evict(self.conns):
            return False
        self.conns[conn] = None
        if self.per_address is not None:
            self.groups.setdefault(conn.address, {})[conn] = None
        return True

    def room_for_upstream(self) -> bool:
        """Make room for one connection to the app behind; False when there is none."""
        if len(self.conns) + self.upstreams >= self.max_connections and not self._evict(self.conns):
            return False
        self.upstreams += 1
        return True

    def waiting(self, conn: Conn) -> None:
        """``conn`` finished a request and waits for the next one: it becomes the youngest.
        Called per request; does nothing within one tick of the clock."""
        if conn.since == self.now:
            return
        conn.since = self.now
        conns = self.conns
        if conns.pop(conn, 0) is None:  # still counted in (not evicted meanwhile)
            conns[conn] = None
            group = self.groups.get(conn.address)
            if group is not None:
                del group[conn]
                group[conn] = None

    def leave(self, conn: Conn) -> None:
        if self.conns.pop(conn, 0) is None:
            group = self.groups.get(conn.address)
            if group is not None:
                del group[conn]
                if not group:
                    del self.groups[conn.address]

    def _evict(self, conns: dict[Conn, None]) -> bool:
        for old in conns:
            if not old.busy:
                self.leave(old)
                self.evicted += 1
                old.evict()
                return True
        return False

    def tick(self) -> None:
        """Advance the clock and expire every connection whose deadline passed."""
        self.now = now = time.monotonic()
        for conn in [c for c in self.conns if c.deadline <= now]:
            conn.expire()
