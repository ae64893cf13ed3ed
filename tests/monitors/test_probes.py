"""Each probe against a real local server it checks: an HTTP(S) server that fails on demand,
a TCP listener, a UDP DNS server. And the network rule: private addresses only where allowed,
after DNS resolution and on every redirect."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.monitors.servers import DnsServer, FlakyHttp, TcpListener, self_signed
from tidings.monitors.kinds.base import Context
from tidings.monitors.kinds.net import Net
from tidings.monitors.protocol import Outcome, Target
from tidings.monitors.runner import run_check

LOOPBACK = ["127.0.0.0/8"]


def check(kind: str, target: str, config: dict[str, Any] | None = None, *, networks: list[str] = LOOPBACK,
          resolver: str = "", ca_file: str = "", since: Any = None, interval: int = 30) -> Outcome:  # fmt: skip
    async def run() -> Outcome:
        net = Net(networks=networks, resolver=resolver, ca_file=ca_file)
        session = net.session(limit=10)
        try:
            t = Target(
                id=1, kind=kind, target=target, config=config or {}, interval=interval, since=since
            )
            return await run_check(Context(net=net, http=session), t)
        finally:
            await session.close()

    return asyncio.run(run())


@pytest.fixture
def web() -> Iterator[FlakyHttp]:
    server = FlakyHttp().start()
    yield server
    server.stop()


def test_http_passes_on_2xx_and_fails_on_demand(web: FlakyHttp) -> None:
    ok = check("http", web.url + "/health")
    assert ok.ok and ok.latency_ms >= 0
    web.status = 503
    failed = check("http", web.url + "/health")
    assert not failed.ok and failed.error == "HTTP 503, expected 200-299"


def test_http_keyword_present_or_absent(web: FlakyHttp) -> None:
    web.body = "status: degraded"
    assert not check("http", web.url, {"keyword": "all good"}).ok
    assert check("http", web.url, {"keyword": "degraded"}).ok
    absent = check("http", web.url, {"keyword": "degraded", "keyword_absent": True})
    assert not absent.ok and "contains 'degraded'" in absent.error


def test_http_latency_threshold_and_timeout(web: FlakyHttp) -> None:
    web.delay = 0.3
    slow = check("http", web.url, {"max_latency_ms": 100})
    assert not slow.ok and "over 100 ms" in slow.error
    timed_out = check("http", web.url, {"timeout": 0.1})
    assert not timed_out.ok and timed_out.error == "timed out"


def test_a_stopped_server_is_a_failure_not_a_crash() -> None:
    server = FlakyHttp().start()
    server.stop()
    down = check("http", server.url)
    assert not down.ok and "cannot connect" in down.error


@pytest.mark.skipif(
    not shutil.which("openssl"), reason="openssl is needed to make a test certificate"
)
def test_https_fails_when_the_certificate_expires_soon(tmp_path: Path) -> None:
    context, cert = self_signed(tmp_path, days=5)
    server = FlakyHttp(tls=context).start()
    try:
        soon = check("http", server.url, {"tls_expiry_days": 14}, ca_file=str(cert))
        assert not soon.ok and "expires in 4 days" in soon.error
        assert check("http", server.url, {"tls_expiry_days": 3}, ca_file=str(cert)).ok
        untrusted = check("http", server.url)
        assert not untrusted.ok and "certificate" in untrusted.error
    finally:
        server.stop()


def test_private_addresses_only_in_allowed_networks(web: FlakyHttp) -> None:
    refused = check("http", web.url, networks=[])
    assert not refused.ok and "127.0.0.1 is a private address outside the networks" in refused.error
    assert web.hits == 0  # nothing was sent
    assert not check("tcp", f"127.0.0.1:{web.port}", networks=[]).ok
    assert check("http", web.url, networks=["127.0.0.1/32"]).ok


def test_redirects_are_checked_against_the_same_rule(web: FlakyHttp) -> None:
    target = FlakyHttp().start()
    try:
        web.redirect_to = target.url + "/landing"
        assert check("http", web.url).ok and target.hits == 1
        web.redirect_to = f"http://127.0.0.2:{target.port}/"  # allowed only 127.0.0.1
        refused = check("http", web.url, networks=["127.0.0.1/32"])
        assert not refused.ok and "127.0.0.2 is a private address" in refused.error
    finally:
        target.stop()


def test_dns_answers_are_checked_against_the_same_rule(web: FlakyHttp) -> None:
    dns = DnsServer({"app.acme.test": "127.0.0.1"})
    try:
        url = f"http://app.acme.test:{web.port}/"
        refused = check("http", url, networks=[], resolver=dns.address)
        assert not refused.ok and "app.acme.test (127.0.0.1) is a private address" in refused.error
        assert check("http", url, resolver=dns.address).ok
        missing = check("http", f"http://nowhere.acme.test:{web.port}/", resolver=dns.address)
        assert not missing.ok and "does not exist" in missing.error
    finally:
        dns.stop()


def test_tcp_connects_or_fails() -> None:
    listener = TcpListener()
    assert check("tcp", f"127.0.0.1:{listener.port}").ok
    listener.stop()
    closed = check("tcp", f"127.0.0.1:{listener.port}")
    assert not closed.ok and "cannot connect" in closed.error


def test_dns_resolves_expects_and_times_out() -> None:
    dns = DnsServer({"api.acme.test": "203.0.113.7"})
    try:
        assert check("dns", "api.acme.test", resolver=dns.address).ok
        assert check("dns", "api.acme.test", {"expect": "203.0.113.7"}, resolver=dns.address).ok
        wrong = check("dns", "api.acme.test", {"expect": "203.0.113.8"}, resolver=dns.address)
        assert not wrong.ok and "lacks '203.0.113.8'" in wrong.error
        assert "NXDOMAIN" in check("dns", "gone.acme.test", resolver=dns.address).error
        own = check("dns", "api.acme.test", {"server": dns.address}, networks=[])
        assert (
            not own.ok and "private address" in own.error
        )  # a monitor's own server obeys the rule
        dns.silent = True
        silent = check("dns", "api.acme.test", {"timeout": 0.5}, resolver=dns.address)
        assert not silent.ok and "no answer" in silent.error
    finally:
        dns.stop()


def test_heartbeat_silence_past_the_grace_is_a_failure(now: Any) -> None:
    assert check("heartbeat", "", {"grace": 30}, since=now - timedelta(seconds=80), interval=60).ok
    late = check("heartbeat", "", {"grace": 30}, since=now - timedelta(seconds=95), interval=60)
    assert not late.ok and "no ping for 95 s" in late.error
