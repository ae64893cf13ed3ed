"""HTTP(S): the status code, an optional keyword present or absent, a latency threshold and
the TLS certificate's expiry. Redirects are followed by hand (at most 5), so every hop's host
passes the network rule before anything is sent to it."""

from __future__ import annotations

import ssl
import time
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import aiohttp
from pydantic import Field, field_validator

from tidings.monitors.kinds.base import BaseConfig, Context, Kind
from tidings.monitors.kinds.net import describe
from tidings.monitors.protocol import Outcome, Target
from tidings.monitors.rules import parse_statuses, status_ok

MAX_REDIRECTS = 5
BODY_LIMIT = 1_048_576
_REDIRECTS = (301, 302, 303, 307, 308)


class HttpConfig(BaseConfig):
    method: Literal["GET", "HEAD"] = "GET"
    #: Accepted final status codes: ``200-299``, ``200,204,301``.
    statuses: str = "200-299"
    keyword: str = Field(default="", max_length=500)
    #: The keyword must be absent (an error page's text) instead of present.
    keyword_absent: bool = False
    #: A slower answer is a failure; 0: no limit.
    max_latency_ms: int = Field(default=0, ge=0, le=120_000)
    #: Fail when an HTTPS certificate expires within this many days; 0: do not check.
    tls_expiry_days: int = Field(default=14, ge=0, le=365)

    @field_validator("statuses")
    @classmethod
    def _statuses(cls, value: str) -> str:
        parse_statuses(value)
        return value


def normalise(target: str, config: BaseConfig) -> str:
    url = target.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("an HTTP monitor's target is a URL starting with http:// or https://")
    if len(url) > 2000:
        raise ValueError("the URL is longer than 2000 characters")
    return url


def _days_left(cert: dict[str, Any] | None, now: float) -> float | None:
    if not cert or "notAfter" not in cert:
        return None
    return (ssl.cert_time_to_seconds(str(cert["notAfter"])) - now) / 86_400


async def check(ctx: Context, t: Target) -> Outcome:
    config = HttpConfig.model_validate(t.config)
    started = time.monotonic()
    url = t.target
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            host = urlsplit(url).hostname or ""
            await ctx.net.resolve(host)  # literal addresses skip aiohttp's resolver: check here
            async with ctx.http.request(
                config.method, url, allow_redirects=False, timeout=_timeout(config, started)
            ) as r:
                if r.status in _REDIRECTS and "Location" in r.headers:
                    url = urljoin(url, r.headers["Location"])
                    if urlsplit(url).scheme not in ("http", "https"):
                        return Outcome(
                            False, _ms(started), f"redirect to a non-HTTP URL: {url[:100]}"
                        )
                    continue
                latency = _ms(started)
                cert = (
                    _peer_cert(r) if url.startswith("https:") and config.tls_expiry_days else None
                )
                body = await r.content.read(BODY_LIMIT) if config.keyword else b""
                return _judge(config, r.status, latency, cert, body)
        return Outcome(False, _ms(started), f"more than {MAX_REDIRECTS} redirects")
    except Exception as exc:  # every failure is a result, never a crash of the scheduler
        return Outcome(False, 0, describe(exc))


def _timeout(config: HttpConfig, started: float) -> aiohttp.ClientTimeout:
    left = max(0.1, config.timeout - (time.monotonic() - started))
    return aiohttp.ClientTimeout(total=left)


def _peer_cert(response: Any) -> dict[str, Any] | None:
    """The server's certificate. A small answer may be read whole with its headers, and the
    connection handed back to the pool before we get here: the protocol outlives that."""
    protocol = getattr(response, "_protocol", None)  # a protocol with no data is falsy
    if protocol is None and response.connection is not None:
        protocol = response.connection.protocol
    transport = getattr(protocol, "transport", None)
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    cert = ssl_object.getpeercert() if ssl_object is not None else None
    return cert or None


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _judge(
    config: HttpConfig, status: int, latency: int, cert: dict[str, Any] | None, body: bytes
) -> Outcome:
    if not status_ok(status, parse_statuses(config.statuses)):
        return Outcome(False, latency, f"HTTP {status}, expected {config.statuses}")
    if config.keyword:
        found = config.keyword.encode() in body
        if found and config.keyword_absent:
            return Outcome(False, latency, f"the page contains {config.keyword[:60]!r}")
        if not found and not config.keyword_absent:
            return Outcome(False, latency, f"the page does not contain {config.keyword[:60]!r}")
    if config.max_latency_ms and latency > config.max_latency_ms:
        return Outcome(False, latency, f"answered in {latency} ms, over {config.max_latency_ms} ms")
    days = _days_left(cert, time.time())
    if days is not None and days < config.tls_expiry_days:
        return Outcome(False, latency, f"the TLS certificate expires in {max(0, int(days))} days")
    return Outcome(True, latency)


KIND = Kind("http", HttpConfig, normalise, check)
