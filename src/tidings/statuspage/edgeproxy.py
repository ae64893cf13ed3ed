"""``tidings up``: what the snapshot does not hold (console, admin, ``/api/v1``, subscription
pages, ``/healthz``...) goes from the edge to the staff app behind it, over a private unix
socket (or a loopback port).

One upstream connection per request, asked in HTTP/1.0 so the answer is never chunked: its
end is its ``Content-Length`` or the connection's close, and the edge re-frames it for the
visitor (chunked when its length is unknown, as for server-sent events). Bodies stream both
ways with back-pressure and a size limit; the staff app learns the visitor's address from
``X-Forwarded-For`` and the scheme from ``X-Forwarded-Proto`` (the edge trusts those headers
only from TIDINGS_TRUSTED_PROXIES proxies in front of it). When the staff app is down the
visitor gets a short page in their language (JSON under ``/api/``), never a hang.
"""

from __future__ import annotations

import asyncio
import gettext
import json
from pathlib import Path
from typing import TYPE_CHECKING

from tidings.statuspage import edgehttp as h

if TYPE_CHECKING:
    from tidings.statuspage.edgesite import Site
    from tidings.statuspage.fastedge import EdgeProtocol

# Set by the edge itself from what it saw, never taken from the visitor unchecked.
_SET_HERE = frozenset((b"expect", b"x-forwarded-for", b"x-forwarded-proto"))
_MAX_RESPONSE_HEAD = 64 * 1024
_PENDING_LIMIT = 256 * 1024  # body bytes held while the upstream connection opens
_LOCALE = Path(__file__).resolve().parent.parent / "locale"

CONNECT, WAIT, STREAM, DONE = range(4)


def gettext_noop(message: str) -> str:
    """Marks a message for makemessages; translated when the page is made."""
    return message


_TEXTS = {
    503: gettext_noop(
        "This part of the site is not answering right now. Please try again in a minute; "
        "the status page itself is up."
    ),
    502: gettext_noop("This part of the site answered with an error. Please try again."),
    504: gettext_noop("This part of the site took too long to answer. Please try again."),
}
_BACK = gettext_noop("Current status")


def _translate(message: str, lang: str) -> str:
    if lang == "en":
        return message
    # gettext keeps each catalogue once per process: the edge reads the app's compiled
    # messages without Django.
    return gettext.translation("django", _LOCALE, languages=[lang], fallback=True).gettext(message)


class Upstream:
    """The staff app behind this edge process: ``unix:/path`` or ``host:port``."""

    def __init__(self, site: Site, address: str) -> None:
        self.site = site
        self.unix = address[5:] if address.startswith("unix:") else ""
        host, _, port = address.rpartition(":")
        self.host, self.port = (host.strip("[]"), int(port)) if not self.unix else ("", 0)
        self.pages: dict[tuple[int, str, bool], bytes] = {}

    async def connect(self, call: ProxyCall) -> None:
        loop = asyncio.get_running_loop()
        if self.unix:
            await loop.create_unix_connection(lambda: call, self.unix)
        else:
            await loop.create_connection(lambda: call, self.host, self.port)

    def forward(self, client: EdgeProtocol, request: h.Request) -> None:
        if request.content_length > self.site.options.max_body:
            client.refuse(413)
            return
        if not self.site.gate.room_for_upstream():
            self.unavailable(client, request, 503)
            return
        call = ProxyCall(self, client, request)
        client.call = call
        client.busy = True
        call.start()

    def unavailable(self, client: EdgeProtocol, request: h.Request, status: int) -> None:
        """Tell the visitor the staff app failed, in their language, and close."""
        fields = request.fields
        lang = self.site.lang(fields.get(b"cookie", b""), fields.get(b"accept-language", b""))
        api = request.path.startswith(b"/api/")
        body = self.pages.get((status, lang, api))
        if body is None:
            body = self.pages[(status, lang, api)] = _page(status, lang, api)
        kind = b"application/json" if api else b"text/html; charset=utf-8"
        headers = [
            b"Content-Type: " + kind,
            b"Content-Length: %d" % len(body),
            b"Cache-Control: no-store",
            b"Retry-After: 30",
            b"X-Content-Type-Options: nosniff",
        ]
        if client.transport is not None:
            client.transport.write(h.response_head(status, headers, self.site.date, False) + body)
            client.end()


def _page(status: int, lang: str, api: bool) -> bytes:
    text = _translate(_TEXTS[status], lang)
    if api:
        return json.dumps({"detail": text}, ensure_ascii=False).encode()
    back = _translate(_BACK, lang)
    direction = "rtl" if lang == "he" else "ltr"
    return (
        f'<!doctype html><html lang="{lang}" dir="{direction}"><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{status}</title><p>{text}</p>"
        f'<p><a href="/">{back}</a></p></html>'
    ).encode()


class ProxyCall(asyncio.Protocol):
    """One request passed on to the staff app, and its answer passed back."""

    def __init__(self, upstream: Upstream, client: EdgeProtocol, request: h.Request) -> None:
        self.upstream = upstream
        self.site = upstream.site
        self.client = client
        self.request = request
        self.transport: asyncio.Transport | None = None
        self.state = CONNECT
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self.body_left = request.content_length
        self.head = b""
        self.left: int | None = None  # response body bytes still to pass on, when known
        self.chunked = False
        self.keep_alive = request.keep_alive
        self.counted = True  # holds one of the gate's upstream places
        self.task: asyncio.Task[None] | None = None
        self.waiting_since = 0.0

    # --- the visitor's side ---------------------------------------------------------------

    def start(self) -> None:
        request, client = self.request, self.client
        self.pending.append(self._request_head())
        fields = request.fields
        if (
            self.body_left
            and request.http11
            and fields.get(b"expect", b"").lower() == b"100-continue"
        ):
            assert client.transport is not None
            client.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        buffered, client.buffer = client.buffer, b""
        self.client_data(buffered)
        self.task = asyncio.get_running_loop().create_task(self._connect())

    async def _connect(self) -> None:
        try:
            await self.upstream.connect(self)
        except OSError:
            if self.state != DONE:
                self._fail(503)

    def client_data(self, data: bytes) -> None:
        if self.body_left:
            part, data = data[: self.body_left], data[self.body_left :]
            self.body_left -= len(part)
            self._to_upstream(part)
        if not self.body_left and not self.waiting_since:
            self.waiting_since = self.site.gate.now  # the request is whole: the answer is due
        if data:  # the next request, pipelined: it waits for this answer
            self.client.buffer += data
            if len(self.client.buffer) > self.site.options.max_head:
                self.client.hold("call")
        self._set_deadline()

    def client_paused(self, paused: bool) -> None:
        if self.transport is not None and self.state == STREAM:
            if paused:
                self.transport.pause_reading()
            else:
                self.transport.resume_reading()
        self._set_deadline()

    def _set_deadline(self) -> None:
        client, options, now = self.client, self.site.options, self.site.gate.now
        if self.body_left:
            client.deadline = now + options.header_timeout  # the body must keep coming
        elif self.state == STREAM:
            client.deadline = now + options.send_timeout if client.paused else float("inf")
        else:
            client.deadline = (self.waiting_since or now) + options.upstream_timeout

    def expire(self) -> None:
        if self.state == STREAM:  # the visitor stopped reading
            self.cancel()
            if self.client.transport is not None:
                self.client.transport.abort()
                self.client.transport = None
        else:
            self._fail(408 if self.body_left else 504)

    def cancel(self) -> None:
        """The visitor is gone, or the call is over: let go of the upstream connection."""
        self.state = DONE
        if self.task is not None and not self.task.done():
            self.task.cancel()
        if self.transport is not None:
            self.transport.abort()
            self.transport = None
        self._uncount()

    def _uncount(self) -> None:
        if self.counted:
            self.counted = False
            self.site.gate.upstreams -= 1

    def _fail(self, status: int) -> None:
        client = self.client
        self.cancel()
        client.call, client.busy = None, False
        if status == 408:
            client.refuse(408)
        else:
            self.upstream.unavailable(client, self.request, status)

    def _finish(self) -> None:
        keep_alive = self.keep_alive and not self.body_left
        self.cancel()
        self.client.call_done(keep_alive, unread=self.body_left > 0)

    # --- the staff app's side -------------------------------------------------------------

    def _request_head(self) -> bytes:
        request = self.request
        lines = [b"%s %s HTTP/1.0" % (request.method, request.target)]
        named = h.connection_tokens(request.fields.get(b"connection", b""))
        forwarded_for: list[bytes] = []
        proto = b"http"
        trusted = self.site.options.trusted_proxies > 0
        for line in request.lines:
            name, _, value = line.partition(b":")
            name = name.lower()
            if name in _SET_HERE:
                if trusted and name == b"x-forwarded-for":
                    forwarded_for.append(value.strip())
                elif trusted and name == b"x-forwarded-proto":
                    proto = value.strip()
                continue
            if name not in h.HOP_BY_HOP and name not in named:
                lines.append(line)
        forwarded_for.append(self.client.address.encode())
        lines += [
            b"X-Forwarded-For: " + b", ".join(forwarded_for),
            b"X-Forwarded-Proto: " + proto,
            b"Connection: close",
        ]
        return b"\r\n".join(lines) + b"\r\n\r\n"

    def _to_upstream(self, data: bytes) -> None:
        if not data:
            return
        if self.transport is not None:
            self.transport.write(data)
            return
        self.pending.append(data)
        self.pending_bytes += len(data)
        if self.pending_bytes > _PENDING_LIMIT:
            self.client.hold("upstream")

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.state == DONE:
            transport.abort()  # type: ignore[attr-defined]
            return
        self.transport = transport  # type: ignore[assignment]
        self.state = WAIT
        transport.write(b"".join(self.pending))  # type: ignore[attr-defined]
        self.pending.clear()
        self.client.release("upstream")

    def pause_writing(self) -> None:
        self.client.hold("upstream")

    def resume_writing(self) -> None:
        self.client.release("upstream")

    def data_received(self, data: bytes) -> None:
        if self.state == STREAM:
            self._to_client(data)
            return
        self.head += data
        while self.state == WAIT:
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                if len(self.head) > _MAX_RESPONSE_HEAD:
                    self._fail(502)
                return
            head, rest = self.head[:end], self.head[end + 4 :]
            self.head = rest
            status = self._pass_head(head)
            if status is None:
                self._fail(502)
                return
            if status >= 200:
                self.state = STREAM
                self._set_deadline()
                if self.client.paused and self.transport is not None:
                    self.transport.pause_reading()
                if self.left == 0:
                    self._finish()
                elif rest:
                    self._to_client(rest)
            # else an interim answer (1xx): the real one follows

    def _pass_head(self, head: bytes) -> int | None:
        """Send the visitor the response head in ``head``; its status, or None if it is not
        a response head."""
        answer = h.parse_response(head)
        if answer is None or answer.status < 200:
            return None if answer is None else answer.status
        out = [b"HTTP/1.1 %d %s" % (answer.status, answer.reason), *answer.lines]
        request = self.request
        self.left = answer.content_length
        if request.method == b"HEAD" or answer.status in (204, 304):
            self.left = 0
        elif self.left is None:
            if request.http11 and self.keep_alive:
                self.chunked = True
                out.append(b"Transfer-Encoding: chunked")
            else:
                self.keep_alive = False  # the end of the body is the end of the connection
        if self.body_left:
            self.keep_alive = False  # answered before the body was read: it cannot be skipped
        if not self.keep_alive:
            out.append(b"Connection: close")
        elif not request.http11:
            out.append(b"Connection: keep-alive")
        self._write(b"\r\n".join(out) + b"\r\n\r\n")
        return answer.status

    def _to_client(self, data: bytes) -> None:
        if self.left is not None:
            if len(data) >= self.left:
                self._write(data[: self.left])
                self.left = 0
                self._finish()
                return
            self.left -= len(data)
            self._write(data)
        elif self.chunked:
            if data:
                self._write(b"%x\r\n%s\r\n" % (len(data), data))
        else:
            self._write(data)

    def _write(self, data: bytes) -> None:
        if self.client.transport is not None:
            self.client.transport.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._uncount()
        if self.state == DONE:
            return
        if self.state != STREAM:
            self._fail(502)  # closed before a whole response head
        elif self.left:  # shorter than it said: the visitor must not take it as whole
            self.state = DONE
            if self.client.transport is not None:
                self.client.transport.abort()
                self.client.transport = None
        else:
            if self.chunked:
                self._write(b"0\r\n\r\n")
            self._finish()
