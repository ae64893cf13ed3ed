"""Real servers on 127.0.0.1 for probes to check: an HTTP(S) server that fails on demand, a TCP
listener and a small UDP DNS server (dnspython messages). Each runs in its own thread."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import dns.message
import dns.rcode
import dns.rrset
from aiohttp import web

from tests.ports import LoopbackServer, free_port


@dataclass
class FlakyHttp(LoopbackServer):
    """Answers ``status`` with ``body`` after ``delay`` seconds; ``redirect_to`` answers 302."""

    status: int = 200
    body: str = "all good"
    delay: float = 0.0
    redirect_to: str = ""
    tls: ssl.SSLContext | None = None
    port: int = field(default_factory=free_port)
    hits: int = 0

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.hits += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.redirect_to:
            raise web.HTTPFound(self.redirect_to)
        return web.Response(status=self.status, text=self.body)

    def start(self) -> FlakyHttp:
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._handle)
            self._runner = web.AppRunner(app, access_log=None)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", self.port, ssl_context=self.tls)
            self._loop.run_until_complete(site.start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


class TcpListener:
    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])

    def stop(self) -> None:
        self.sock.close()


class DnsServer:
    """Answers A queries from ``records``; NXDOMAIN for other names; nothing when ``silent``."""

    def __init__(self, records: dict[str, str]) -> None:
        self.records = records
        self.silent = False
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.address = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            if self.silent:
                continue
            query = dns.message.from_wire(data)
            reply = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text().rstrip(".")
            if name in self.records:
                reply.answer.append(
                    dns.rrset.from_text(question.name, 60, "IN", "A", self.records[name])
                )
            else:
                reply.set_rcode(dns.rcode.NXDOMAIN)
            self.sock.sendto(reply.to_wire(), peer)

    def stop(self) -> None:
        self.sock.close()


def self_signed(directory: Path, days: int) -> tuple[ssl.SSLContext, Path]:
    """A certificate for 127.0.0.1 valid ``days`` days (openssl), and a server context."""
    key, cert = directory / "lo.key", directory / "lo.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", str(days), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert
