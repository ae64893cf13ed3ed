"""``tidings serve`` runs Django under WSGI on a pool of threads, with the edge in front: the
public site still comes from memory, everything else reaches Django."""

from __future__ import annotations

import gzip
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from tests.conftest import published
from tidings.statuspage.edge import make_wsgi_app
from tidings.statuspage.edgecore import Edge


def call(app: Any, method: str, path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path, **headers}
    setup_testing_defaults(environ)
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        got["status"], got["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return got["status"], got["headers"], body


@pytest.fixture
def keep_test_connection():
    """As Django's test client does: a request must not close the connection that holds the
    test's transaction, neither as it starts nor as its response is closed."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_public_page_comes_from_memory_and_the_rest_from_django(
    now, site_settings, outage, keep_test_connection
):
    published(site_settings)
    app = make_wsgi_app(Edge(site_settings.snapshot_dir), fallback=get_wsgi_application())

    status, headers, body = call(app, "GET", "/", HTTP_ACCEPT_ENCODING="gzip")
    assert status == "200 OK" and headers["Content-Encoding"] == "gzip"
    assert "X-Snapshot-Version" in headers
    assert b"Elevated API errors" in gzip.decompress(body)

    status, _, body = call(app, "GET", "/", HTTP_IF_NONE_MATCH=headers["ETag"])
    assert status == "304 Not Modified" and body == b""

    status, _, body = call(app, "GET", "/api/v1/components")
    assert status.startswith("401") and b"Bearer" in body  # Django's API, not the edge
    status, headers, _ = call(app, "GET", "/healthz")
    assert status == "200 OK" and "X-Snapshot-Version" not in headers


def test_a_django_answer_goes_out_whole_and_ends_its_request_while_a_stream_is_left_to_flow(
    tmp_path, db, keep_test_connection
):
    """The server gets an ordinary answer as one body (sent in one piece), and the request is
    ended (Django's request_finished: database connections put back) once it is read; a
    streamed answer is handed over as it is, for the server to iterate and close."""
    from django.http import HttpResponse, StreamingHttpResponse

    streamed = StreamingHttpResponse(iter([b"a", b"b"]))
    answers = {"/plain": HttpResponse(b"hello"), "/stream": streamed}

    def fallback(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return answers[environ["PATH_INFO"]]

    app = make_wsgi_app(Edge(tmp_path), fallback=fallback)
    finished: list[object] = []

    def on_finished(**_: object) -> None:
        finished.append(True)

    request_finished.connect(on_finished)
    try:
        environ: dict[str, Any] = {"REQUEST_METHOD": "POST", "PATH_INFO": "/plain"}
        setup_testing_defaults(environ)
        out = app(environ, lambda *_: None)
        assert out == [b"hello"] and finished == [True]
        environ["PATH_INFO"] = "/stream"
        assert app(environ, lambda *_: None) is streamed and finished == [True]
    finally:
        request_finished.disconnect(on_finished)
