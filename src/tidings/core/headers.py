"""Security headers on every response Django makes (console, admin, API, subscription pages).
Django's own middleware adds ``X-Content-Type-Options: nosniff``, ``Referrer-Policy`` and
``X-Frame-Options``; this adds the Content Security Policy, which Django 5.2 does not have.
The public status page gets its headers from the edge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

#: Scripts only from this origin, no plugins, no framing, forms post only here. Inline styles
#: stay allowed: the console pages carry theirs, and a style cannot run code. The interactive
#: API documentation (/api/v1/docs) lives under the same policy: with ``ninja`` an installed
#: app, its Swagger UI files come from this server and it starts without an inline script.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def _add(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    if "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = POLICY
    return response


class SecurityHeaders:
    """Sync or async, like Django's own middleware, so no request changes thread for it."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        return _add(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        response = await self.get_response(request)
        return _add(request, response)
