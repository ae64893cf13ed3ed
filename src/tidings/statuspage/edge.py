"""The edge as an ASGI or WSGI app: serves the snapshot from memory; anything it does not hold
goes to ``fallback`` (the Django app in ``tidings up``), or 404 when it runs alone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from http import HTTPStatus
from typing import Any

from tidings.statuspage.edgecore import Edge

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_PUBLIC_PREFIXES = (
    "/api/v2/", "/incidents/", "/history", "/he", "/en",
    "/badge", "/brand/", "/widget",  # badges, the brand's images, the embeddable widget
)  # fmt: skip
_PUBLIC_EXACT = {
    "/",
    "/live.json",
    "/status.js",
    "/banner.json",
    "/banner.js",
    "/history.atom",
    "/history.rss",
    "/maintenances.ics",
    "/index.html",
}


def from_settings() -> Edge:
    """The edge over the configured snapshot directory, for ``tidings.asgi`` and ``tidings.wsgi``."""
    from tidings.config import get_settings

    s = get_settings()
    return Edge(s.snapshot_dir, max_age=s.edge_max_age, reload_seconds=s.edge_reload_seconds)


def is_public_path(path: str) -> bool:
    return path in _PUBLIC_EXACT or path.startswith(_PUBLIC_PREFIXES)


def make_app(edge: Edge, fallback: ASGIApp | None = None) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            if fallback is not None:
                await fallback(scope, receive, send)
            return
        path: str = scope["path"]
        if fallback is not None and not (
            is_public_path(path) and scope["method"] in ("GET", "HEAD")
        ):
            await fallback(scope, receive, send)
            return
        h = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        r = edge.respond(
            scope["method"],
            path,
            accept_encoding=h.get("accept-encoding", ""),
            if_none_match=h.get("if-none-match", ""),
            cookie=h.get("cookie", ""),
            accept_language=h.get("accept-language", ""),
        )
        if r.status == 404 and fallback is not None:
            await fallback(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": r.status,
                "headers": [(k.lower().encode(), v.encode()) for k, v in r.headers],
            }
        )
        await send({"type": "http.response.body", "body": r.body})

    return app


def make_wsgi_app(edge: Edge, fallback: WSGIApp) -> WSGIApp:
    """The same in front of a WSGI app (Django on a pool of threads, see ``tidings.wsgi``)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO") or "/"
        if not (is_public_path(path) and method in ("GET", "HEAD")):
            return _whole(fallback(environ, start_response))
        r = edge.respond(
            method,
            path,
            accept_encoding=environ.get("HTTP_ACCEPT_ENCODING", ""),
            if_none_match=environ.get("HTTP_IF_NONE_MATCH", ""),
            cookie=environ.get("HTTP_COOKIE", ""),
            accept_language=environ.get("HTTP_ACCEPT_LANGUAGE", ""),
        )
        if r.status == 404:
            return _whole(fallback(environ, start_response))
        start_response(f"{r.status} {HTTPStatus(r.status).phrase}", list(r.headers))
        return [r.body]

    return app


def _whole(response: Iterable[bytes]) -> Iterable[bytes]:
    """A response that is not streamed, as a list of one body: the WSGI server then sends it
    in one piece (granian's bytes path) instead of iterating it chunk by chunk across the
    interpreter boundary. Closed here, as the server would after iterating (Django ends the
    request on close: signals, database connections)."""
    if getattr(response, "streaming", True):  # a file or a stream: the server iterates it
        return response
    try:
        body = b"".join(response)
    finally:
        close = getattr(response, "close", None)
        if close is not None:
            close()
    return [body]


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
