"""One edge process's state: its options, the snapshot, the caches of ready-made responses
and the connection gate, advanced by a clock that ticks a few times a second.

Caches are keyed only by what changes an answer (the entry a path and language resolve to,
the encoding, whether the visitor's copy matches, the method), never by raw header values, so
a different Cookie or query string per request costs no memory; each is bounded besides.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING

from tidings.statuspage import edgehttp as h
from tidings.statuspage import snapshot as snap
from tidings.statuspage.edgecore import DEFAULT_LANG, Edge, Response, preferred_lang
from tidings.statuspage.edgegate import Gate

if TYPE_CHECKING:
    from tidings.config import TidingsSettings
    from tidings.statuspage.edgeproxy import Upstream

_MEMO_KEY_BYTES = 256  # longer paths and Accept-Language values are worked out each time
_MEMO_ENTRIES = 4096
_COOKIE_MARK = b"tidings_lang="


@dataclass(frozen=True)
class EdgeOptions:
    root: Path
    max_age: int = 10
    reload_seconds: float = 0.05
    hsts: bool = False
    header_timeout: float = 10.0
    keepalive_timeout: float = 20.0
    send_timeout: float = 30.0
    max_connections: int = 10_000
    per_address: int | None = 256  # None: behind a trusted proxy, every peer is the proxy
    max_head: int = 16 * 1024
    cache_bytes: int = 64 * 1024 * 1024
    max_body: int = 16 * 1024 * 1024
    upstream: str = ""  # "unix:/path" or "host:port" of the staff app; "" for none
    upstream_timeout: float = 60.0
    trusted_proxies: int = 0

    @classmethod
    def from_settings(cls, s: TidingsSettings, upstream: str = "") -> EdgeOptions:
        return cls(
            root=s.snapshot_dir,
            max_age=s.edge_max_age,
            reload_seconds=s.edge_reload_seconds,
            hsts=s.public_url.startswith("https://"),
            header_timeout=s.edge_header_timeout,
            keepalive_timeout=s.edge_keepalive_timeout,
            send_timeout=s.edge_send_timeout,
            max_connections=s.edge_max_connections,
            per_address=None if s.trusted_proxies else s.edge_max_connections_per_address,
            max_head=s.edge_max_head_bytes,
            cache_bytes=s.edge_cache_bytes,
            max_body=s.edge_max_body_bytes,
            upstream=upstream,
            upstream_timeout=s.edge_upstream_timeout,
            trusted_proxies=s.trusted_proxies,
        )


class ResponseCache:
    """Ready-made responses keyed by what changes them, bounded in bytes (oldest out first).
    Emptied each second, because the bytes carry the Date header."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.data: dict[tuple[object, ...], bytes] = {}

    def get(self, key: tuple[object, ...]) -> bytes | None:
        return self.data.get(key)

    def put(self, key: tuple[object, ...], raw: bytes) -> None:
        cost = len(raw) + 200  # the key and the dict slot, roughly
        if cost > self.limit:
            return
        self.data[key] = raw
        self.size += cost
        while self.size > self.limit:
            old = next(iter(self.data))
            self.size -= len(self.data.pop(old)) + 200

    def clear(self) -> None:
        self.data.clear()
        self.size = 0


class Site:
    """One process's edge: the snapshot, the caches, the connection gate and the clock."""

    def __init__(self, options: EdgeOptions, max_connections: int) -> None:
        self.options = options
        self.edge = Edge(
            options.root,
            max_age=options.max_age,
            reload_seconds=options.reload_seconds,
            hsts=options.hsts,
        )
        self.gate = Gate(max_connections, options.per_address)
        self.cache = ResponseCache(options.cache_bytes)
        self.routes: dict[tuple[bytes, str], tuple[snap.Entry, bool]] = {}
        self.langs: dict[bytes, str] = {}
        self.date = formatdate(usegmt=True).encode()
        self.generation = self.edge.generation
        self.upstream: Upstream | None = None

    def tick(self) -> None:
        """Every few tenths of a second: the Date header, a newer snapshot, expired
        connections. Work no request should pay for."""
        self.gate.tick()
        date = formatdate(usegmt=True).encode()
        if date != self.date:
            self.date = date
            self.cache.clear()
        self.look()

    def look(self, force: bool = False) -> None:
        """Serve a newer snapshot if there is one: one readlink(2) when there is not, so it
        can run far more often than :meth:`tick` (and at once when the directory changes)."""
        self.edge.refresh(force)
        if self.edge.generation != self.generation:
            self.generation = self.edge.generation
            self.cache.clear()
            self.routes.clear()

    def lang(self, cookie: bytes, accept_language: bytes) -> str:
        if _COOKIE_MARK in cookie:
            return preferred_lang(cookie.decode("latin-1"), accept_language.decode("latin-1"))
        if not accept_language:
            return DEFAULT_LANG
        lang = self.langs.get(accept_language)
        if lang is None:
            lang = preferred_lang("", accept_language.decode("latin-1"))
            if len(accept_language) <= _MEMO_KEY_BYTES:
                if len(self.langs) >= _MEMO_ENTRIES:
                    self.langs.clear()
                self.langs[accept_language] = lang
        return lang

    def route(self, path: bytes, lang: str) -> tuple[snap.Entry | None, bool]:
        found = self.routes.get((path, lang))
        if found is not None:
            return found
        entry, negotiated = self.edge.entry(path.decode("latin-1"), lang)
        if entry is not None and len(path) <= _MEMO_KEY_BYTES:
            if len(self.routes) >= _MEMO_ENTRIES:
                self.routes.clear()
            self.routes[(path, lang)] = (entry, negotiated)
        return entry, negotiated

    def response(self, r: Response, keep_alive: bool, http11: bool) -> bytes:
        headers = [f"{k}: {v}".encode("latin-1") for k, v in r.headers]
        if keep_alive and not http11:
            headers.append(b"Connection: keep-alive")
        return h.response_head(r.status, headers, self.date, keep_alive) + r.body
