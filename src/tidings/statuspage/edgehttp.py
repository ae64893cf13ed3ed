"""HTTP/1.1 request heads for the edge, read strictly (RFC 9112), and responses as bytes.

Pure functions, no I/O. Anything a lenient parser would guess at is refused with its status
instead: a request line or headers past the size limit whatever the read size (414/431), a
missing or repeated ``Host`` on HTTP/1.1, a version other than 1.0 or 1.1, a bare LF or CR, a
header folded or with a space before its colon, ``Content-Length`` with ``Transfer-Encoding``
(the classic request-smuggling pair). A proxy behind the edge then never sees a request it
might read differently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REASONS = {
    100: b"Continue",
    200: b"OK",
    304: b"Not Modified",
    400: b"Bad Request",
    404: b"Not Found",
    405: b"Method Not Allowed",
    408: b"Request Timeout",
    411: b"Length Required",
    413: b"Content Too Large",
    414: b"URI Too Long",
    431: b"Request Header Fields Too Large",
    501: b"Not Implemented",
    502: b"Bad Gateway",
    503: b"Service Unavailable",
    504: b"Gateway Timeout",
}
MAX_HEADERS = 100

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# Every header line at once: a token, a colon, then visible characters, spaces and tabs (and
# obs-text). No CR, LF or other control character anywhere; no line starting with whitespace.
_FIELDS = re.compile(rb"(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*(?:\r\n|\Z))*\Z")
_BARE = re.compile(rb"\r(?=[^\n])|(?<!\r)\n")
_BAD_TARGET = re.compile(rb"[^\x21-\x7e]")
_VERSIONS = {b"HTTP/1.1": True, b"HTTP/1.0": False}
# Headers the edge reads; the rest are only passed on by the proxy.
_WANTED = frozenset(
    (
        b"host",
        b"connection",
        b"accept-encoding",
        b"if-none-match",
        b"cookie",
        b"accept-language",
        b"content-length",
        b"transfer-encoding",
        b"expect",
    )
)


# Headers about one connection, not the message: a proxy never passes them on (RFC 9110 7.6.1).
HOP_BY_HOP = frozenset(
    (
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"upgrade",
        b"transfer-encoding",
    )
)


class Refused(Exception):
    """The request cannot be served; ``status`` says why (400, 411, 414, 431, 501)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass(slots=True)
class Request:
    method: bytes
    target: bytes
    path: bytes  # the target without its query
    http11: bool
    keep_alive: bool
    fields: dict[bytes, bytes]  # the headers the edge reads, names lower case
    lines: list[bytes]  # every header line as received, for the proxy
    content_length: int


def too_large(buffer: bytes, limit: int) -> int:
    """The refusal for a head past ``limit`` bytes, whether it came in one read or many:
    414 when the request line alone is too long, else 431."""
    return 414 if buffer.find(b"\r\n", 0, limit) < 0 else 431


def bare_line_ending(buffer: bytes, start: int) -> bool:
    """Whether ``buffer`` from ``start`` on holds an LF without its CR, or a CR followed by
    anything but LF. A client ending lines with LF alone never ends its head in CRLFCRLF:
    refuse it rather than wait. Only the new bytes are looked at, so a head sent a byte at a
    time costs no more than one sent whole."""
    return _BARE.search(buffer, max(0, start - 1)) is not None


def parse(head: bytes) -> Request:
    """The request in ``head`` (without its final blank line), or :class:`Refused`."""
    line_end = head.find(b"\r\n")
    request_line = head if line_end < 0 else head[:line_end]
    parts = request_line.split(b" ")
    if len(parts) != 3:
        raise Refused(400)
    method, target, version = parts
    http11 = _VERSIONS.get(version)
    if http11 is None or _TOKEN.match(method) is None:
        raise Refused(400)
    if target[:1] != b"/" or _BAD_TARGET.search(target) is not None:
        raise Refused(400)  # origin-form only: what browsers and CDNs send to a server
    lines: list[bytes] = []
    fields: dict[bytes, bytes] = {}
    if line_end >= 0:
        block = head[line_end + 2 :]
        if _FIELDS.match(block) is None:
            raise Refused(400)
        lines = block.split(b"\r\n")
        if len(lines) > MAX_HEADERS:
            raise Refused(431)
        for line in lines:
            name, _, value = line.partition(b":")
            name = name.lower()
            if name in _WANTED:
                _add_field(fields, name, value.strip(b" \t"))
    if http11 and b"host" not in fields:
        raise Refused(400)
    connection = fields.get(b"connection")
    tokens = connection_tokens(connection) if connection else set()
    keep_alive = b"close" not in tokens if http11 else b"keep-alive" in tokens
    query = target.find(b"?")
    return Request(
        method=method,
        target=target,
        path=target if query < 0 else target[:query],
        http11=http11,
        keep_alive=keep_alive,
        fields=fields,
        lines=lines,
        content_length=_body_length(fields),
    )


@dataclass(slots=True)
class Answer:
    """A response head from the app behind the edge, its connection headers left out."""

    status: int
    reason: bytes
    lines: list[bytes]
    content_length: int | None


def parse_response(head: bytes) -> Answer | None:
    """The response in ``head`` (without its final blank line), or None when it is not one."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        return None
    named: set[bytes] = set()
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"connection":
            named |= connection_tokens(value)
    kept, length = [], None
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        name = name.strip().lower()
        if not sep:
            return None
        if name in HOP_BY_HOP or name in named:
            continue
        if name == b"content-length":
            if not value.strip().isdigit():
                return None
            length = int(value)
        kept.append(line)
    reason = parts[2] if len(parts) > 2 else b""
    return Answer(int(parts[1]), reason, kept, length)


def connection_tokens(value: bytes) -> set[bytes]:
    """The header names a ``Connection`` header lists (hop-by-hop, like itself)."""
    return {t.strip().lower() for t in value.split(b",") if t.strip()}


def _add_field(fields: dict[bytes, bytes], name: bytes, value: bytes) -> None:
    if name not in fields:
        fields[name] = value
    elif name in (b"host", b"content-length", b"transfer-encoding"):
        # Two Host or framing headers: a front proxy and we might each pick a different one.
        if name != b"content-length" or fields[name] != value:
            raise Refused(400)
    else:
        fields[name] += (b"; " if name == b"cookie" else b", ") + value


def _body_length(fields: dict[bytes, bytes]) -> int:
    encoding = fields.get(b"transfer-encoding")
    length = fields.get(b"content-length")
    if encoding is not None:
        if length is not None:
            raise Refused(400)
        # Chunked request bodies are for streaming uploads; nothing behind the edge needs one.
        raise Refused(411 if encoding.lower() == b"chunked" else 501)
    if length is None:
        return 0
    if not length.isdigit() or len(length) > 15:
        raise Refused(400)
    return int(length)


def response_head(
    status: int, headers: list[bytes] | tuple[bytes, ...], date: bytes, keep_alive: bool
) -> bytes:
    """A response head; ``headers`` are complete ``Name: value`` lines."""
    lines = [
        b"HTTP/1.1 %d %s" % (status, REASONS.get(status, b"Unknown")),
        b"Date: " + date,
        b"Server: tidings-edge",
        *headers,
    ]
    if not keep_alive:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def plain(status: int, date: bytes, text: bytes = b"", extra: tuple[bytes, ...] = ()) -> bytes:
    """A short text response that ends the connection (refusals, timeouts)."""
    body = (text or REASONS.get(status, b"Error")) + b"\n"
    headers = (
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Length: %d" % len(body),
        b"Cache-Control: no-store",
        b"X-Content-Type-Options: nosniff",
        *extra,
    )
    return response_head(status, headers, date, keep_alive=False) + body
