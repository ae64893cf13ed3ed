"""``tidings edge``: the status page served straight from memory by a small HTTP/1.1 server on
uvloop, one process per core sharing the port through SO_REUSEPORT. In ``tidings up`` it is
also the public port: what the snapshot does not hold goes to the staff app behind it
(:mod:`tidings.statuspage.edgeproxy`).

Why not an ASGI server: measured here, granian or uvicorn serving bytes from memory reach about
0.4x of nginx; the ASGI call and header translation per request is the cost. This server
reads a request head strictly (:mod:`edgehttp`), answers from bytes made once per (entry,
encoding, conditional match, method) and holds every connection to a deadline and a share
(:mod:`edgegate`). Figures: bench/README.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import resource
import signal
import socket
import sys
from typing import TYPE_CHECKING

from tidings.statuspage import edgehttp as h
from tidings.statuspage import edgewatch
from tidings.statuspage import snapshot as snap
from tidings.statuspage.edgecore import Response, matches
from tidings.statuspage.edgesite import EdgeOptions, Site

if TYPE_CHECKING:
    from tidings.statuspage.edgeproxy import ProxyCall

_RESERVED_FILES = 64  # listening socket, event loop, stdio, snapshot files being read
_LINGER_SECONDS = 2.0
#: How often the Date header is renewed and connection deadlines enforced (it walks every
#: connection, so it does not follow the snapshot polling period down).
_TICK_SECONDS = 0.25


class PortInUse(Exception):
    pass


__all__ = ["EdgeOptions", "EdgeProtocol", "PortInUse", "check_port", "serve"]


class EdgeProtocol(asyncio.Protocol):
    def __init__(self, site: Site) -> None:
        self.site = site
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.address = ""
        self.deadline = float("inf")
        self.since = 0.0
        self.busy = False
        self.paused = False  # the client is not reading: stop answering until it does
        self.holds: set[str] = set()  # why reading from the client is paused
        self.call: ProxyCall | None = None
        self.last_head = b""  # the last request head answered from the cache, and its key
        self.last_key: tuple[object, ...] = ()
        self.last_generation = -1
        self.lingering = False  # answered and half-closed: what still comes is dropped

    # --- connection life ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's TCPTransport is not a subclass
        peer = transport.get_extra_info("peername")
        self.address = str(peer[0]) if isinstance(peer, tuple) else ""
        gate = self.site.gate
        if not gate.admit(self):
            transport.write(h.plain(503, self.site.date, b"Too many connections"))  # type: ignore[attr-defined]
            transport.close()
            self.transport = None
            return
        self.deadline = gate.now + self.site.options.header_timeout

    def connection_lost(self, exc: Exception | None) -> None:
        self.site.gate.leave(self)
        self.transport = None
        if self.call is not None:
            self.call.cancel()
            self.call = None

    def evict(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None

    def expire(self) -> None:
        if self.call is not None:
            self.call.expire()
        elif self.buffer and not self.paused and not self.lingering:
            self.refuse(408)  # a head begun and never finished
        elif self.transport is not None:
            if self.paused or self.lingering:
                self.transport.abort()  # not reading: nothing more can reach it anyway
            else:
                self.transport.close()  # idle keep-alive, or a client that never spoke
            self.transport = None

    def pause_writing(self) -> None:
        self.paused = True
        self.hold("client")
        if self.call is not None:
            self.call.client_paused(True)
        else:
            self.deadline = self.site.gate.now + self.site.options.send_timeout

    def resume_writing(self) -> None:
        self.paused = False
        if self.call is not None:
            self.call.client_paused(False)
        self.release("client")
        if self.call is None and self.transport is not None:
            self.serve_buffer(0, True)

    def release_all(self) -> None:
        self.holds.clear()
        if self.transport is not None:
            self.transport.resume_reading()

    def hold(self, reason: str) -> None:
        if not self.holds and self.transport is not None:
            self.transport.pause_reading()
        self.holds.add(reason)

    def release(self, reason: str) -> None:
        if reason in self.holds:
            self.holds.discard(reason)
            if not self.holds and self.transport is not None:
                self.transport.resume_reading()

    # --- requests -------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.lingering:
            return
        if self.call is not None:
            self.call.client_data(data)
            return
        start = len(self.buffer)
        was_idle = not start
        self.buffer = self.buffer + data if start else data
        self.serve_buffer(start, was_idle)

    def serve_buffer(self, start: int, was_idle: bool) -> None:
        """Answer every complete request in the buffer, then set the deadline for the rest."""
        site = self.site
        limit = site.options.max_head
        while self.transport is not None and not self.paused and self.buffer:
            buf = self.buffer
            if buf[:2] == b"\r\n":  # RFC 9112 2.2: ignore blank lines before a request
                self.buffer, start = buf[2:], 0
                continue
            end = buf.find(b"\r\n\r\n", 0, limit + 4)
            if end < 0:
                if len(buf) > limit or h.bare_line_ending(buf, start):
                    self.refuse(400 if len(buf) <= limit else h.too_large(buf, limit))
                    return
                break
            head = buf[:end]
            self.buffer = buf[end + 4 :]
            start, was_idle = 0, True
            if head == self.last_head and self.last_generation == site.generation:
                # The same head as this connection's last request (a poller, a CDN, a
                # benchmark): the same answer, without reading the head again.
                raw = site.cache.get(self.last_key)
                if raw is not None:
                    self.transport.write(raw)
                    if self.since != site.gate.now:
                        site.gate.waiting(self)
                    continue
            try:
                request = h.parse(head)
            except h.Refused as r:
                self.refuse(r.status)
                return
            if not self.handle(request, head):
                return
        self._await_next(was_idle)

    def _await_next(self, was_idle: bool) -> None:
        """The deadline while waiting: for the next request, or for the rest of its head."""
        if self.transport is None or self.call is not None or self.paused or self.lingering:
            return
        if not self.buffer:
            self.deadline = self.site.gate.now + self.site.options.keepalive_timeout
        elif was_idle:
            self.deadline = self.site.gate.now + self.site.options.header_timeout

    def handle(self, request: h.Request, head: bytes) -> bool:
        """Answer one request; True when the connection may take the next one now."""
        site = self.site
        method = request.method
        fields = request.fields
        if method not in (b"GET", b"HEAD") or request.content_length:
            if site.upstream is not None:
                return self.forward(request)
            if method in (b"GET", b"HEAD"):
                self.refuse(400)  # a body the edge would have to read past
                return False
            keep_alive = request.keep_alive and not request.content_length
            refusal = site.response(_NOT_ALLOWED, keep_alive, request.http11)
            return self.send(refusal, keep_alive, unread=request.content_length > 0)
        lang = site.lang(fields.get(b"cookie", b""), fields.get(b"accept-language", b""))
        entry, negotiated = site.route(request.path, lang)
        keep_alive = request.keep_alive
        conn = 0 if not keep_alive else (1 if request.http11 else 2)
        if entry is None:
            if site.upstream is not None:
                return self.forward(request)
            key: tuple[object, ...] = (method, None, site.edge.snapshot is None, conn)
            raw = site.cache.get(key)
            if raw is None:
                raw = site.response(site.edge.missing(method.decode()), keep_alive, request.http11)
                site.cache.put(key, raw)
        else:
            encoding = _encoding(fields.get(b"accept-encoding", b""), entry)
            inm = fields.get(b"if-none-match")
            matched = inm is not None and matches(inm.decode("latin-1"), entry.etag)
            key = (method, entry.path, negotiated, encoding, matched, conn)
            raw = site.cache.get(key)
            if raw is None:
                r = site.edge.answer(method.decode(), entry, negotiated, encoding, matched)
                raw = site.response(r, keep_alive, request.http11)
                site.cache.put(key, raw)
        self.last_head, self.last_key, self.last_generation = head, key, site.generation
        return self.send(raw, keep_alive)

    def send(self, raw: bytes, keep_alive: bool, unread: bool = False) -> bool:
        assert self.transport is not None
        self.transport.write(raw)
        if not keep_alive:
            self.end(unread)
            return False
        self.site.gate.waiting(self)
        return True

    def forward(self, request: h.Request) -> bool:
        assert self.site.upstream is not None
        self.site.upstream.forward(self, request)
        return False

    def refuse(self, status: int) -> None:
        """Answer ``status`` and end the connection."""
        if self.transport is not None:
            self.transport.write(h.plain(status, self.site.date))
            self.end()

    def end(self, unread: bool = True) -> None:
        """End the connection after what was written. The client may still be sending (a
        long head, a body nobody read): closing at once would reset the connection and could
        destroy the answer before it is read, so the edge half-closes and reads on a moment."""
        transport = self.transport
        if transport is None:
            return
        self.buffer = b""
        if unread and self.call is None and transport.can_write_eof():
            transport.write_eof()
            self.lingering = True
            self.release_all()
            self.deadline = self.site.gate.now + _LINGER_SECONDS
        else:
            transport.close()
            self.transport = None

    def call_done(self, keep_alive: bool, unread: bool = False) -> None:
        """The proxied answer is complete: take the next request, or close (lingering when
        the request's body was not all read)."""
        self.call = None
        self.busy = False
        if self.transport is None:
            return
        if not keep_alive:
            self.end(unread)
            return
        self.site.gate.waiting(self)
        self.release("call")
        self.deadline = self.site.gate.now + self.site.options.keepalive_timeout
        if self.buffer:
            self.serve_buffer(0, True)


_NOT_ALLOWED = Response(405, (("Allow", "GET, HEAD"), ("Content-Length", "0")), b"")


def _encoding(accept_encoding: bytes, entry: snap.Entry) -> str:
    ae = accept_encoding.lower()
    if entry.br is not None and b"br" in ae:
        return "br"
    if entry.gzip is not None and b"gzip" in ae:
        return "gzip"
    return "identity"


# --- processes and sockets ------------------------------------------------------------------


def check_port(host: str, port: int) -> None:
    """Raise :class:`PortInUse` when something listens on (host, port) already. Binding
    without SO_REUSEPORT fails while any socket listens there, even one that set it: without
    this check a second edge would quietly share the port with the first."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise PortInUse(
                    "another program listens there; stop it, or choose another port with --port"
                ) from e
            if e.errno == errno.EACCES:
                raise PortInUse("ports below 1024 need root; choose another with --port") from e
            raise


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(4096)
    sock.setblocking(False)
    return sock


def connection_budget(wanted: int) -> int:
    """Connections this process can hold: raise the soft open-file limit to the hard one, and
    keep a few files for everything else."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(16, min(wanted, soft - _RESERVED_FILES))


def _on_change(watch: edgewatch.SnapshotWatch, site: Site) -> None:
    watch.drain()
    site.look(force=True)


def serve_one(options: EdgeOptions, host: str, port: int) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a dependency on POSIX
        pass
    site = Site(options, connection_budget(options.max_connections))
    if options.upstream:
        from tidings.statuspage.edgeproxy import Upstream

        site.upstream = Upstream(site, options.upstream)

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def tick() -> None:
            try:
                site.tick()
            finally:  # deadlines must keep being enforced whatever one tick ran into
                loop.call_later(_TICK_SECONDS, tick)

        def look() -> None:
            try:
                site.look()
            finally:
                loop.call_later(options.reload_seconds, look)

        tick()
        if options.reload_seconds < _TICK_SECONDS:  # else the tick looks often enough
            loop.call_later(options.reload_seconds, look)
        # A new snapshot served as soon as it is current, not up to a polling period later.
        watch = edgewatch.watch(options.root)
        if watch is not None:
            loop.add_reader(watch.fileno(), _on_change, watch, site)
        sock = _bind(host, port)
        server = await loop.create_server(lambda: EdgeProtocol(site), sock=sock, backlog=4096)
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        server.close()
        if watch is not None:
            loop.remove_reader(watch.fileno())
            watch.close()

    asyncio.run(main())


def serve(options: EdgeOptions, host: str, port: int, *, processes: int) -> None:
    """Run ``processes`` edge processes; return when all have stopped (SIGTERM/SIGINT stop
    them). Raises :class:`PortInUse` before starting any when the port is taken."""
    check_port(host, port)
    if processes <= 1:
        serve_one(options, host, port)
        return
    children = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:  # child
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                serve_one(options, host, port)
            finally:
                os._exit(0)
        children.append(pid)

    def forward(signum: int, _frame: object) -> None:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    sys.stdout.flush()
