"""``tidings up``'s public port: the edge answers the snapshot from memory and passes the rest
to the staff app on a private unix socket. Here a real aiohttp app on a real socket stands in
for Django, so each duty of the proxy can be watched from both ends; tests/test_up.py runs the
real thing."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiohttp import web

from tests.conftest import published
from tests.statuspage.conftest import edge_process
from tests.statuspage.rawhttp import Reader, ask, connect, get


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {
            "method": request.method,
            "target": request.path_qs,
            "version": f"{request.version.major}.{request.version.minor}",
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "length": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
    )


async def _events(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(b"data: one\n\n")
    await asyncio.sleep(1.0)
    await response.write(b"data: two\n\n")
    return response


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(3)
    return web.Response(text="late")


@contextmanager
def staff_app(path: Path) -> Iterator[None]:
    """The stand-in staff app, on its own event loop in a thread, listening on ``path``."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/echo", _echo)
    app.router.add_get("/events", _events)
    app.router.add_get("/slow", _slow)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.UnixSite(runner, str(path)).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.run_until_complete(runner.cleanup())
        loop.close()


@pytest.fixture
def data_dir(now, site_settings, outage):
    published(site_settings)
    return site_settings.data_dir


@pytest.fixture
def edge(data_dir, tmp_path) -> Iterator[int]:
    """An edge with the staff app behind it; yields its port."""
    sock = tmp_path / "web.sock"
    env = {
        "TIDINGS_EDGE_MAX_BODY_BYTES": str(4 * 1024 * 1024),
        "TIDINGS_EDGE_UPSTREAM_TIMEOUT": "1",
    }
    with staff_app(sock), edge_process(data_dir, env, upstream=f"unix:{sock}") as (port, _):
        yield port


def echoed(reply):
    assert reply.status == 200, reply
    return json.loads(reply.body)


def test_the_staff_app_sees_the_visitor_and_the_request_as_sent(edge):
    raw = get(
        "/echo?x=1&y=%C3%A9",
        Cookie="sessionid=abc",
        X_Forwarded_For="6.6.6.6",  # a visitor's claim: not believed with no proxy in front
        X_Forwarded_Proto="https",
        Connection="keep-alive, X-Secret",
        X_Secret="hop-by-hop",
    )
    seen = echoed(ask(edge, raw, source="127.0.0.3"))
    assert seen["target"] == "/echo?x=1&y=%C3%A9"
    headers = seen["headers"]
    assert headers["host"] == "status.acme.test"
    assert headers["cookie"] == "sessionid=abc"
    assert headers["x-forwarded-for"] == "127.0.0.3"
    assert headers["x-forwarded-proto"] == "http"
    assert "x-secret" not in headers  # named in Connection: for this hop only


def test_request_bodies_reach_the_staff_app_whole_within_the_size_limit(edge):
    body = bytes(range(256)) * 12_000  # 3 MB
    head = b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n"
    with connect(edge) as s:
        s.sendall(head % len(body) + b"Expect: 100-continue\r\n\r\n")
        reader = Reader(s)
        assert reader.reply().status == 100  # the client may send the body now
        s.sendall(body)
        seen = echoed(reader.reply())
    assert seen["method"] == "POST" and seen["length"] == len(body)
    assert seen["sha256"] == hashlib.sha256(body).hexdigest()
    assert "expect" not in seen["headers"]
    too_big = ask(edge, head % (5 * 1024 * 1024) + b"\r\n")
    assert too_big.status == 413


def test_one_connection_carries_public_pages_and_staff_answers_in_turn(edge):
    with connect(edge) as s:
        reader = Reader(s)
        s.sendall(get("/echo") + get("/") + get("/events") + get("/api/v2/status.json"))
        assert echoed(reader.reply())["version"] == "1.0"
        assert b"Elevated API errors" in reader.reply().body  # from memory
        events = reader.reply()  # no length known: passed on chunked, the connection kept
        assert events.headers["transfer-encoding"] == "chunked"
        assert events.body == b"data: one\n\ndata: two\n\n"
        assert b'"indicator"' in reader.reply().body
        s.sendall(b"HEAD /echo HTTP/1.1\r\nHost: a\r\n\r\n")
        head = reader.reply(head_request=True)
        assert head.status == 200 and int(head.headers["content-length"]) > 0
        s.sendall(get("/api/v2/status.json"))  # nothing of a HEAD's body is left behind
        assert reader.reply().status == 200


def test_server_sent_events_reach_the_visitor_as_they_happen(edge):
    with connect(edge) as s:
        s.sendall(get("/events"))
        t0 = time.monotonic()
        first = b""
        while b"data: one" not in first:
            first += s.recv(4096)
        assert time.monotonic() - t0 < 0.8  # before the second event exists, not at the end
        rest = b""
        while b"data: two" not in rest:
            rest += s.recv(4096)


def test_a_clear_answer_when_the_staff_app_is_slow(edge):
    t0 = time.monotonic()
    reply = ask(edge, get("/slow"))
    assert reply.status == 504 and time.monotonic() - t0 < 2.5
    assert ask(edge, get("/")).status == 200


def test_a_clear_answer_in_the_visitors_language_when_the_staff_app_is_down(data_dir, tmp_path):
    nothing = tmp_path / "nobody.sock"
    with edge_process(data_dir, upstream=f"unix:{nothing}") as (port, _):
        page = ask(port, get("/subscribe", Accept_Language="he-IL,he;q=0.9"))
        assert page.status == 503 and page.headers["retry-after"]
        assert 'dir="rtl"' in page.body.decode() and "דף הסטטוס" in page.body.decode()
        api = ask(port, get("/api/v1/incidents"))
        assert api.status == 503 and api.headers["content-type"] == "application/json"
        assert "not answering" in json.loads(api.body)["detail"]
        assert ask(port, get("/", Accept_Language="he")).status == 200  # the page stays up
