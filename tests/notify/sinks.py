"""Real local servers that receive what Tidings sends: an SMTP server (aiosmtpd) and an HTTP
server (aiohttp), both on 127.0.0.1, each in its own thread."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from tests.ports import LoopbackServer, free_port


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: bytes


def _fqdn(name: str) -> bool:
    labels = name.split(".")
    return len(labels) > 1 and not labels[-1].isdigit() and labels[0] != "localhost"


class _SmtpHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self.sink.lock:
            self.sink.helos.append(hostname)
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        # As Postfix does with reject_non_fqdn_helo_hostname: the greeting is judged at RCPT.
        if self.sink.strict_helo and not _fqdn(session.host_name or ""):
            return f"504 5.5.2 <{session.host_name}>: Helo command rejected: need fully-qualified hostname"
        if address in self.sink.replies:
            return self.sink.replies[address]
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


class _PostfixLikeSMTP(SMTP):
    """Says ``421 4.4.2`` before it closes a connection idle too long, as Postfix does
    (aiosmtpd itself closes without a word)."""

    def _timeout_cb(self) -> None:
        transport: Any = self.transport
        if transport is not None and not transport.is_closing():
            transport.write(b"421 4.4.2 127.0.0.1 Error: timeout exceeded\r\n")
        super()._timeout_cb()


class _Controller(Controller):
    def __init__(self, *args: Any, say_goodbye: bool = False, **kwargs: Any) -> None:
        self.say_goodbye = say_goodbye
        super().__init__(*args, **kwargs)

    def factory(self) -> SMTP:
        return (_PostfixLikeSMTP if self.say_goodbye else SMTP)(self.handler, **self.SMTP_kwargs)


class SmtpSink(LoopbackServer):
    """An SMTP server on 127.0.0.1 that keeps what it accepts. Scripted: ``replies[address]``
    answers RCPT with any reply; ``strict_helo`` refuses every RCPT after a greeting that is not
    fully qualified (``504 5.5.2``, as Postfix's ``reject_non_fqdn_helo_hostname``);
    ``idle_timeout`` closes idle connections (with Postfix's 421 when ``say_goodbye``); TLS
    (``starttls`` or ``implicit_tls`` contexts) and AUTH (``authenticator``) as aiosmtpd has them."""

    def __init__(
        self,
        *,
        idle_timeout: float = 300,
        say_goodbye: bool = False,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        authenticator: Callable[..., Any] | None = None,
    ) -> None:
        self.port = free_port()
        self.mails: list[Mail] = []
        self.reject: set[str] = set()
        self.busy: set[str] = set()
        self.replies: dict[str, str] = {}
        self.helos: list[str] = []
        self.strict_helo = False
        self.delay = 0.0  # seconds per message, to keep a run long enough to interrupt
        self.lock = threading.Lock()
        options: dict[str, Any] = {"timeout": idle_timeout}
        if starttls is not None:
            options.update(tls_context=starttls, require_starttls=True)
        if authenticator is not None:
            options.update(authenticator=authenticator, auth_required=True,
                           auth_require_tls=starttls is not None or implicit_tls is not None)  # fmt: skip
        self.controller = _Controller(
            _SmtpHandler(self), hostname="127.0.0.1", port=self.port, ssl_context=implicit_tls,
            say_goodbye=say_goodbye, **options,
        )  # fmt: skip

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
class HttpSink(LoopbackServer):
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
