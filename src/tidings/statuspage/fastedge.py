"""``tidings edge``: the status page served straight from memory by a small HTTP/1.1 server on
uvloop, one process per core sharing the port through SO_REUSEPORT.

Why not an ASGI server: measured here, granian or uvicorn serving bytes from memory reach about
0.4x of nginx; the ASGI call and header translation per request is the cost. This server
parses just what the edge needs (request line, five headers) and caches each complete
response as bytes, so a repeat request is a dict lookup and one ``write``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from email.utils import formatdate
from pathlib import Path

from tidings.statuspage.edgecore import Edge, Response

_REASONS = {
    200: b"OK",
    304: b"Not Modified",
    400: b"Bad Request",
    404: b"Not Found",
    405: b"Method Not Allowed",
    431: b"Request Header Fields Too Large",
    503: b"Service Unavailable",
}
_WANTED = (b"accept-encoding", b"if-none-match", b"cookie", b"accept-language", b"connection")
_MAX_HEAD = 16 * 1024
_CACHE_LIMIT = 4096


def serialise(r: Response, keep_alive: bool, date: bytes) -> bytes:
    lines = [
        b"HTTP/1.1 %d %s" % (r.status, _REASONS.get(r.status, b"OK")),
        b"Date: " + date,
        b"Server: tidings-edge",
    ]
    lines += [f"{k}: {v}".encode("latin-1") for k, v in r.headers]
    if not keep_alive:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + r.body


class _Clock:
    """The Date header, recomputed once a second rather than per request."""

    value = formatdate(usegmt=True).encode()

    @classmethod
    def tick(cls, loop: asyncio.AbstractEventLoop) -> None:
        cls.value = formatdate(usegmt=True).encode()
        loop.call_later(1.0, cls.tick, loop)


class EdgeProtocol(asyncio.Protocol):
    def __init__(self, edge: Edge, cache: dict[tuple[object, ...], bytes]) -> None:
        self.edge = edge
        self.cache = cache
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's TCPTransport is not a subclass

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > _MAX_HEAD:
                    self._fail(431)
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            if not self._handle(head):
                return

    def _handle(self, head: bytes) -> bool:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            self._fail(400)
            return False
        method, target, version = parts
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            lname = name.strip().lower()
            if lname in _WANTED:
                fields[lname] = value.strip()
            elif lname in (b"content-length", b"transfer-encoding") and value.strip() not in (
                b"0",
                b"",
            ):
                self._fail(
                    405 if method not in (b"GET", b"HEAD") else 400
                )  # the edge takes no bodies
                return False
        conn = fields.get(b"connection", b"").lower()
        keep_alive = conn != b"close" if version == b"HTTP/1.1" else conn == b"keep-alive"
        self.edge.refresh()
        key = (
            self.edge.generation,
            method,
            target,
            keep_alive,
            fields.get(b"accept-encoding"),
            fields.get(b"if-none-match"),
            fields.get(b"cookie"),
            fields.get(b"accept-language"),
        )
        raw = self.cache.get(key)
        if raw is None:
            path = target.split(b"?", 1)[0].decode("latin-1")
            r = self.edge.respond(
                method.decode("latin-1"),
                path,
                accept_encoding=fields.get(b"accept-encoding", b"").decode("latin-1"),
                if_none_match=fields.get(b"if-none-match", b"").decode("latin-1"),
                cookie=fields.get(b"cookie", b"").decode("latin-1"),
                accept_language=fields.get(b"accept-language", b"").decode("latin-1"),
            )
            # The Date header is part of the cached bytes; it is at most a second stale, which
            # HTTP allows, and a fresh generation or a full cache starts over.
            raw = serialise(r, keep_alive, _Clock.value)
            if len(self.cache) >= _CACHE_LIMIT or (
                self.cache and next(iter(self.cache))[0] != self.edge.generation
            ):
                self.cache.clear()
            self.cache[key] = raw
        assert self.transport is not None
        self.transport.write(raw)
        if not keep_alive:
            self.transport.close()
            self.transport = None
            return False
        return True

    def _fail(self, status: int) -> None:
        if self.transport is not None:
            body = _REASONS.get(status, b"Error")
            self.transport.write(
                serialise(
                    Response(status, (("Content-Length", str(len(body))),), body),
                    False,
                    _Clock.value,
                )
            )
            self.transport.close()
            self.transport = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(4096)
    sock.setblocking(False)
    return sock


def serve_one(root: Path, host: str, port: int, max_age: int, reload_seconds: float) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a dependency on POSIX
        pass
    edge = Edge(root, max_age=max_age, reload_seconds=reload_seconds)
    cache: dict[tuple[object, ...], bytes] = {}

    async def main() -> None:
        loop = asyncio.get_running_loop()
        _Clock.tick(loop)
        sock = _bind(host, port)
        server = await loop.create_server(
            lambda: EdgeProtocol(edge, cache), sock=sock, backlog=4096
        )
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        server.close()

    asyncio.run(main())


def serve(
    root: Path, host: str, port: int, *, processes: int, max_age: int, reload_seconds: float
) -> None:
    """Run ``processes`` edge processes; return when all have stopped (SIGTERM/SIGINT stop them)."""
    if processes <= 1:
        serve_one(root, host, port, max_age, reload_seconds)
        return
    children = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:  # child
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                serve_one(root, host, port, max_age, reload_seconds)
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
