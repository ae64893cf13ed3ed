"""The edge under attack: a real ``tidings edge`` process and real sockets. Slow clients, idle
clients, a low open-file limit, malformed requests and a cache that must not grow; while all
of that goes on, Erez (a customer) still gets the status page at once."""

from __future__ import annotations

import contextlib
import select
import socket
import time

import pytest

from tests.conftest import published
from tests.statuspage.conftest import edge_process
from tests.statuspage.rawhttp import Reader, ask, closed_by_server, connect, get, rss_mb
from tidings.config import overridden
from tidings.statuspage.edgesite import EdgeOptions, ResponseCache

PAGE = get("/")


@pytest.fixture
def data_dir(now, site_settings, outage):
    published(site_settings)
    return site_settings.data_dir


def erez_gets_the_page(port: int, within: float = 2.0) -> None:
    """Erez asks for the page from his own connection and has it within ``within`` seconds."""
    t0 = time.monotonic()
    reply = ask(port, PAGE, timeout=within)
    assert reply.status == 200 and b"Elevated API errors" in reply.body
    assert time.monotonic() - t0 < within


def open_slow_clients(port: int, n: int, source: str = "127.0.0.1") -> list[socket.socket]:
    """``n`` connections that each start a request head and then dribble it a byte at a time."""
    socks = []
    for _ in range(n):
        s = connect(port, source)
        s.setblocking(False)
        socks.append(s)
        with contextlib.suppress(OSError):
            s.send(b"G")
    return socks


def dribble(socks: list[socket.socket], text: bytes) -> None:
    for byte in text:
        for s in socks:
            with contextlib.suppress(OSError):
                s.send(bytes([byte]))


def close_all(socks: list[socket.socket]) -> None:
    for s in socks:
        s.close()


def still_open(socks: list[socket.socket], wait: float = 0.5) -> int:
    """How many of ``socks`` the server has not closed (none readable, i.e. no EOF or reset)."""
    time.sleep(wait)
    readable, _, _ = select.select(socks, [], [], 0)
    gone = set()
    for s in readable:
        try:
            if not s.recv(65536):
                gone.add(s)
        except OSError:
            gone.add(s)
    return len(socks) - len(gone)


def test_a_visitor_is_served_while_600_slow_clients_hold_an_edge_with_512_files(data_dir):
    """One laptop opens 600 connections and sends their heads a byte at a time, against an
    edge whose open-file limit (512) is below that: Erez, from the same address, still gets
    the page at once, because the longest-waiting slow connections make room for him."""
    env = {"TIDINGS_EDGE_MAX_CONNECTIONS_PER_ADDRESS": "100000"}  # the process cap alone
    with edge_process(data_dir, env, nofile=512) as (port, proc):
        attackers = open_slow_clients(port, 600)
        try:
            dribble(attackers, b"ET / HTTP/1.1\r\nHo")
            for _ in range(5):
                erez_gets_the_page(port)  # each within 2 s (the same attack used to take 35 s)
            held = still_open(attackers)
            assert 300 < held <= 512 - 64, held  # the cap below the file limit held
            dribble(attackers, b"st: a")
            erez_gets_the_page(port)
            assert proc.poll() is None
        finally:
            close_all(attackers)


def test_one_address_holds_only_its_share_and_loses_its_oldest_first(data_dir):
    env = {"TIDINGS_EDGE_MAX_CONNECTIONS_PER_ADDRESS": "20"}
    with edge_process(data_dir, env) as (port, _):
        attackers = open_slow_clients(port, 50, source="127.0.0.2")
        try:
            time.sleep(0.2)
            assert still_open(attackers) == 20
            oldest_kept = [s for s in attackers if not closed_by_server(s, 0.01)]
            assert oldest_kept == attackers[-20:]  # the first thirty were closed, in order
            erez_gets_the_page(port)  # another address is not touched by that share
            newcomer = connect(port, source="127.0.0.2")
            newcomer.sendall(PAGE)  # the same address still gets in, at its oldest's expense
            assert Reader(newcomer).reply().status == 200
            assert closed_by_server(attackers[-20], 1.0)
            newcomer.close()
        finally:
            close_all(attackers)


def test_slow_and_idle_connections_are_closed_at_their_deadlines(data_dir):
    env = {"TIDINGS_EDGE_HEADER_TIMEOUT": "1", "TIDINGS_EDGE_KEEPALIVE_TIMEOUT": "1"}
    with edge_process(data_dir, env) as (port, _):
        silent = connect(port)
        slow = connect(port)
        slow.sendall(b"GET / HTTP/1.1\r\n")
        idle = connect(port)
        idle.sendall(PAGE)
        idle_reader = Reader(idle)
        first = idle_reader.reply()
        busy = connect(port)
        busy_reader = Reader(busy)
        t0 = time.monotonic()
        for i in range(5):  # a client that keeps asking keeps its connection
            busy.sendall(PAGE)
            assert busy_reader.reply().status == 200
            if i < 3:
                slow.sendall(b"X")  # a byte now and then does not extend the head's deadline
            time.sleep(0.3)
        assert time.monotonic() - t0 >= 1.5
        slow.settimeout(1.0)
        assert slow.recv(200).startswith(b"HTTP/1.1 408 ")
        assert closed_by_server(silent, 1.0)
        assert closed_by_server(idle, 1.0)
        busy.sendall(PAGE)
        again = busy_reader.reply()
        assert again.status == 200
        assert again.headers["date"] != first.headers["date"]  # cached bytes, fresh Date
        for s in (silent, slow, idle, busy):
            s.close()


MALFORMED = {
    "HTTP/1.1 without Host": (b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
    "two Host headers": (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    "an unknown minor version": (b"GET / HTTP/1.9\r\nHost: a\r\n\r\n", 400),
    "HTTP/2.0 in an HTTP/1 request line": (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 400),
    "lines ended by LF alone": (b"GET / HTTP/1.1\nHost: a\n\n", 400),
    "one line ended by LF alone": (b"GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400),
    "a CR alone": (b"GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400),
    "a folded header": (b"GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n  z\r\n\r\n", 400),
    "a space before the colon": (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
    "a control character in the target": (b"GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    "an absolute target": (b"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    "a 64 KB request line in one read": (
        b"GET /" + b"a" * 65536 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
        414,
    ),
    "20 KB of headers in one read": (
        b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 20_000 + b"\r\n\r\n",
        431,
    ),
    "Content-Length with Transfer-Encoding": (
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
    ),
    "a chunked body": (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 411),
    "a body on a GET": (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab", 400),
}


def test_malformed_requests_are_refused_with_their_status(data_dir):
    with edge_process(data_dir) as (port, _):
        for what, (raw, status) in MALFORMED.items():
            reply = ask(port, raw, timeout=2.0)  # never a hang: a bare LF used to leave one
            assert reply.status == status, what
            assert reply.headers.get("connection") == "close", what
        # The limit holds whatever the read size: 17 KB of headers in 1 KB pieces.
        with connect(port) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n")
            for _ in range(17):
                with contextlib.suppress(OSError):
                    s.sendall(b"X-Pad: " + b"p" * 1000 + b"\r\n")
            assert Reader(s).reply().status == 431
        assert ask(port, b"GET / HTTP/1.0\r\n\r\n").status == 200  # 1.0 needs no Host
        with connect(port) as s:  # two requests in one read, and a blank line between
            s.sendall(PAGE + b"\r\n" + get("/api/v2/status.json"))
            reader = Reader(s)
            assert reader.reply().status == 200
            assert b'"indicator"' in reader.reply().body


def test_distinct_cookies_and_queries_do_not_grow_the_edges_memory(data_dir):
    """Every request a different Cookie and query string (grew the cache from 41 to 304 MB);
    the answer depends on neither, unless the cookie names the language."""
    with edge_process(data_dir) as (port, proc):
        s = connect(port)
        reader = Reader(s)

        def burst(start: int, n: int) -> None:
            for i in range(start, start + n, 50):
                s.sendall(
                    b"".join(
                        get(f"/?q={j}", Cookie=f"session={j:040d}", Accept_Encoding="identity")
                        for j in range(i, i + 50)
                    )
                )
                for _ in range(50):
                    reply = reader.reply()
                    assert reply.status == 200 and b'lang="en"' in reply.body

        burst(0, 300)
        before = rss_mb(proc.pid)
        burst(300, 4000)  # 4,000 distinct heads, 64 KB pages: 256 MB if each were kept
        grown = rss_mb(proc.pid) - before
        assert grown < 10, f"the edge grew by {grown:.1f} MB"
        s.sendall(get("/?q=x", Cookie="a=b; tidings_lang=he"))
        assert b'lang="he"' in reader.reply().body
        s.close()


def test_a_client_that_does_not_read_is_dropped_without_piling_up_responses(data_dir):
    with edge_process(data_dir, {"TIDINGS_EDGE_SEND_TIMEOUT": "1"}) as (port, proc):
        before = rss_mb(proc.pid)
        s = connect(port)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(1.0)
        with contextlib.suppress(OSError):
            s.sendall(get("/", Accept_Encoding="identity") * 2000)  # 128 MB of answers asked
        time.sleep(2.0)
        assert rss_mb(proc.pid) - before < 20
        assert closed_by_server(s, 3.0)  # what the kernel still held, then the end
        s.close()
        erez_gets_the_page(port)


def test_public_responses_carry_the_security_headers(data_dir):
    env = {"TIDINGS_PUBLIC_URL": "https://status.acme.test"}
    with edge_process(data_dir, env) as (port, _):
        page = ask(port, PAGE).headers
        csp = page["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert page["x-frame-options"] == "DENY"
        assert page["referrer-policy"] == "strict-origin-when-cross-origin"
        assert page["x-content-type-options"] == "nosniff"
        assert page["strict-transport-security"].startswith("max-age=")
        api = ask(port, get("/api/v2/summary.json")).headers
        assert api["content-security-policy"].startswith("default-src 'none'")
        assert api["access-control-allow-origin"] == "*"
        missing = ask(port, get("/nope"))
        assert missing.status == 404 and missing.headers["x-frame-options"] == "DENY"
    with edge_process(data_dir, {"TIDINGS_PUBLIC_URL": "http://127.0.0.1"}) as (port, _):
        assert "strict-transport-security" not in ask(port, PAGE).headers


def test_behind_a_trusted_proxy_the_share_per_address_is_left_to_the_proxy():
    """Every connection then comes from the proxy's address: a share would lock visitors out."""
    with overridden(trusted_proxies=1) as s:
        assert EdgeOptions.from_settings(s).per_address is None
    with overridden(trusted_proxies=0, edge_max_connections_per_address=7) as s:
        assert EdgeOptions.from_settings(s).per_address == 7


def test_the_response_cache_keeps_within_its_bytes_dropping_the_oldest():
    cache = ResponseCache(limit=10_000)
    for i in range(100):
        cache.put(("GET", f"/page-{i}"), b"x" * 1000)
    assert cache.size <= 10_000
    assert cache.get(("GET", "/page-99")) is not None and cache.get(("GET", "/page-0")) is None
    cache.put(("GET", "/huge"), b"x" * 20_000)  # more than the whole cache: not kept
    assert cache.get(("GET", "/huge")) is None
