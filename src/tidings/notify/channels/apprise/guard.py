"""Apprise's own connections, held to the rules the aiohttp session keeps
(:mod:`tidings.notify.http`): no redirect is followed and, unless private targets are allowed,
no socket is opened to a private or local address.

Apprise's plugins call ``requests`` (and ``smtplib`` for mail) themselves, so the checks sit
where those libraries connect: urllib3's ``create_connection`` and ``socket.create_connection``
look the name up, drop private addresses and dial only what is left, so a name that changes its
answer between a check and the connection (DNS rebinding) is caught as well; and
``requests.Session.send`` is told not to follow redirects. The hooks act only inside
:func:`guarded`, which marks the current context (a ``ContextVar``: Apprise hands a call with
a deadline to its own thread pool with a copy of the caller's context); anything else in the
process connects as before."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import requests
import urllib3.util.connection

from tidings.notify.http import AddressRefused, is_public_address


@dataclass
class Seen:
    """What the guard stopped during one ``notify`` call."""

    allow_private: bool
    refused: str = ""  # why a connection was refused for its address
    redirect: str = ""  # where a redirect that was not followed pointed


_current: ContextVar[Seen | None] = ContextVar("tidings_apprise_guard", default=None)
_install_lock = threading.Lock()
_installed = False


def _guard_connect(original: Callable[..., socket.socket]) -> Callable[..., socket.socket]:
    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        seen = _current.get()
        if seen is None or seen.allow_private:
            return original(address, *args, **kwargs)
        host, port = address[0], address[1]
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        public = [str(info[4][0]) for info in infos if is_public_address(str(info[4][0]))]
        if not public:
            seen.refused = f"{host} is or resolves only to private or local addresses; refused"
            raise AddressRefused(seen.refused)
        error: OSError | None = None
        for ip in dict.fromkeys(public):
            try:
                return original((ip, port), *args, **kwargs)
            except OSError as exc:
                error = exc
        assert error is not None
        raise error

    return create_connection


def _no_redirects(original: Callable[..., requests.Response]) -> Callable[..., requests.Response]:
    def send(self: requests.Session, request: Any, **kwargs: Any) -> requests.Response:
        seen = _current.get()
        if seen is None:
            return original(self, request, **kwargs)
        kwargs["allow_redirects"] = False
        response = original(self, request, **kwargs)
        if response.is_redirect:
            seen.redirect = str(response.headers.get("Location", ""))[:200]
        return response

    return send


def install() -> None:
    """Put the hooks in place, once per process."""
    global _installed  # noqa: PLW0603 - the hooks are process-wide by nature
    with _install_lock:
        if _installed:
            return
        urllib3.util.connection.create_connection = _guard_connect(  # type: ignore[assignment]
            urllib3.util.connection.create_connection
        )
        socket.create_connection = _guard_connect(socket.create_connection)  # type: ignore[assignment]
        requests.Session.send = _no_redirects(requests.Session.send)  # type: ignore[method-assign]
        _installed = True


@contextmanager
def guarded(*, allow_private: bool) -> Iterator[Seen]:
    """Run Apprise calls in this context under the guard; what it stopped is in the result."""
    install()
    seen = Seen(allow_private=allow_private)
    token = _current.set(seen)
    try:
        yield seen
    finally:
        _current.reset(token)
