"""Real local servers that receive what Tidings sends: an SMTP server (aiosmtpd) and an HTTP
server (aiohttp), both on 127.0.0.1, each in its own thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller

from tests.conftest import free_port


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: bytes


class _SmtpHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.sink.reject:
            return "550 5.1.1 No such user here"
        if address in self.sink.busy:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        with self.sink.lock:
            self.sink.mails.append(
                Mail(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    envelope.original_content or envelope.content,
                )
            )
        return "250 Message accepted"


class SmtpSink:
    def __init__(self) -> None:
        self.port = free_port()
        self.mails: list[Mail] = []
        self.reject: set[str] = set()
        self.busy: set[str] = set()
        self.delay = 0.0  # seconds per message, to keep a run long enough to interrupt
        self.lock = threading.Lock()
        self.controller = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes


Answer = tuple[int, dict[str, Any] | str]


@dataclass
class HttpSink:
    """Answers 200 by default; ``responses[path]`` may give another status or a callable, and
    ``answers[path] = (status, json or text)`` (or a callable of the request giving one) a
    body too: Telegram, Twilio and Slack explain their errors in the body; ``redirects[path]``
    answers 302 to another URL."""

    port: int = field(default_factory=free_port)
    requests: list[Request] = field(default_factory=list)
    responses: dict[str, int | Callable[[Request], int]] = field(default_factory=dict)
    answers: dict[str, Answer | Callable[[Request], Answer]] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)  # path -> Location of a 302

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.Response:
        req = Request(request.path_qs, dict(request.headers), await request.read())
        with self.lock:
            self.requests.append(req)
        if request.path in self.redirects:
            raise web.HTTPFound(self.redirects[request.path])
        given = self.answers.get(request.path)
        if given is not None:
            status, body = given(req) if callable(given) else given
            if isinstance(body, str):
                return web.Response(text=body, status=status)
            return web.json_response(body, status=status)
        answer = self.responses.get(request.path, 200)
        status = answer(req) if callable(answer) else answer
        return web.json_response(
            {"ok": status < 300, "sid": f"SM{len(self.requests)}"}, status=status
        )

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> HttpSink:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
