"""The one way Tidings makes outbound HTTP requests: a shared aiohttp session per worker whose
resolver refuses private, loopback and link-local addresses after DNS resolution (an SSRF
guard), unless the operator allows them (``TIDINGS_ALLOW_PRIVATE_TARGETS``, used by tests
against local sinks). A request refused for its address is a permanent failure: the target
is disabled rather than retried. Which hosts count as private: :mod:`tidings.notify.hosts`."""

from __future__ import annotations

import ipaddress
import json
import socket
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from django.utils.translation import gettext as _

from tidings.notify import hosts
from tidings.notify.protocol import InvalidTarget, Outgoing, Result

#: Whether a URL's host (in any form a resolver accepts) is private: for the channels.
is_private_host = hosts.is_private_host


def is_public_address(address: str) -> bool:
    return hosts.is_public(ipaddress.ip_address(address.partition("%")[0]))


class AddressRefused(OSError):
    """The host is, or resolves only to, a private or local address."""


class GuardedResolver(AbstractResolver):
    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if self.allow_private:
            return results
        allowed = [r for r in results if is_public_address(r["host"])]
        if not allowed:
            raise AddressRefused(f"{host} resolves only to private or local addresses; refused")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def private_refused(host: str = "") -> str:
    """Why a URL is refused; names the address an odd form such as ``2130706433`` stands for."""
    seen = hosts.canonical(host) if host else ""
    if seen and seen != host.strip("[]").lower():
        return _("URLs on local or private networks are not allowed (%(host)s is %(address)s)") % {
            "host": host,
            "address": seen,
        }
    return _("URLs on local or private networks are not allowed")


def literal_private(url: str) -> bool:
    """A literal private or local IP address (in any form) as host: refused at send time
    (permanently) when private targets are not allowed, since it may have been stored while
    they were."""
    host = urlsplit(url).hostname or ""
    ip = hosts.literal(hosts.canonical(host))
    return ip is not None and not hosts.is_public(ip)


def check_url(url: str, *, allow_private: bool) -> str:
    """Validate a webhook-style URL before it is stored: scheme, host, and (for literal IPs)
    that it is not a private address. Names are checked again at connect time."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise InvalidTarget(_("the URL must start with https:// (or http://)"))
    if not parts.hostname:
        raise InvalidTarget(_("the URL has no host name"))
    if len(url) > 2000:
        raise InvalidTarget(_("the URL is longer than 2000 characters"))
    if not allow_private and hosts.is_private_host(parts.hostname):
        raise InvalidTarget(private_refused(parts.hostname))
    return url


class PrivateAddressRefused(aiohttp.ClientError):
    """A literal private address, refused before connecting."""


def refused_for_address(exc: BaseException) -> bool:
    """Whether a failed request was refused for its address (permanent), not a network fault."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, PrivateAddressRefused | AddressRefused):
            return True
        seen = getattr(seen, "os_error", None) or seen.__cause__
    return False


async def _refuse_private_literal(
    session: Any, ctx: Any, params: aiohttp.TraceRequestStartParams
) -> None:
    """aiohttp connects to a literal IP without asking the resolver; check those here."""
    host = params.url.host or ""
    ip = hosts.literal(host)
    if ip is None:
        return  # a name: the guarded resolver checks what it resolves to
    if not hosts.is_public(ip):
        raise PrivateAddressRefused(f"{host} is a private or local address; refused")


def session(
    *, allow_private: bool, limit: int = 64, timeout: float = 30.0, **kwargs: Any
) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(
        limit=limit, limit_per_host=limit, resolver=GuardedResolver(allow_private), ttl_dns_cache=60
    )
    traces = []
    if not allow_private:
        guard = aiohttp.TraceConfig()
        guard.on_request_start.append(_refuse_private_literal)
        traces.append(guard)
    return aiohttp.ClientSession(
        connector=connector,
        trace_configs=traces,
        timeout=aiohttp.ClientTimeout(total=timeout, connect=10),
        headers={"User-Agent": "Tidings-Notifier/1"},
        **kwargs,
    )


def classify_status(status: int) -> tuple[bool, bool]:
    """(ok, permanent) for the HTTP status of a vendor API (Telegram, Twilio), which says in
    its own words whether the recipient is gone: 2xx ok; gone, not found, bad request and auth
    failures are permanent for the request; the rest, including 429 and 5xx, are temporary. A
    target URL's own status goes to the failure policy instead (``Answer``, notify.rules)."""
    if 200 <= status < 300:
        return True, False
    if status in (400, 401, 403, 404, 410, 422):
        return False, True
    return False, False


class JsonBodies:
    """Each message's payload as JSON bytes, encoded once for all its recipients. Bounded:
    a worker sees a handful of messages at a time."""

    def __init__(self, keep: int = 256) -> None:
        self.keep = keep
        self._bodies: dict[int, bytes] = {}

    def __call__(self, out: Outgoing) -> bytes:
        body = self._bodies.get(out.message_id)
        if body is None:
            body = json.dumps(out.payload, ensure_ascii=False, separators=(",", ":")).encode()
            if len(self._bodies) > self.keep:
                self._bodies.clear()
            self._bodies[out.message_id] = body
        return body

    def clear(self) -> None:
        self._bodies.clear()


async def post_json(
    http: aiohttp.ClientSession,
    out: Outgoing,
    body: bytes,
    *,
    allow_private: bool,
    headers: dict[str, str] | None = None,
) -> Result | tuple[int, str]:
    """POST ``body`` to the delivery's URL, following no redirect: the status and the first
    200 characters of the answer, or the failed :class:`Result` when the URL is a private
    address (permanent) or the request did not complete (temporary)."""
    if not allow_private and literal_private(out.target):
        return Result(out.delivery_id, ok=False, permanent=True,
                      error="refused: the URL is a private or local address")  # fmt: skip
    sent = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    try:
        async with http.post(out.target, data=body, headers=sent, allow_redirects=False) as r:
            return r.status, (await r.text(errors="replace"))[:200]
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        permanent = refused_for_address(exc)
        return Result(out.delivery_id, ok=False, permanent=permanent,
                      error=f"{'refused' if permanent else 'request failed'}: {exc!r}"[:500])  # fmt: skip


async def post_for_json(
    http: aiohttp.ClientSession, url: str, *, data: Any, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    """POST to an API that answers in JSON (Telegram, Twilio), following no redirect: the
    status and the answer's object, ``{}`` when the body is not one. Raises what aiohttp
    raises when the request does not complete."""
    async with http.post(url, data=data, headers=headers, allow_redirects=False) as r:
        try:
            answer = await r.json(content_type=None)
        except ValueError:
            answer = None
        return r.status, answer if isinstance(answer, dict) else {}
