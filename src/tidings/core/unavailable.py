"""When the database is down: every Django page answers 503 with a short page in the visitor's
language (``?lang=``, the cookie, then Accept-Language), and ``/api/v1`` answers 503 with ``{"detail": ...}``,
instead of a bare 500. Nothing here touches the database; the public status page is served
from memory by the edge and stays up regardless."""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults

from tidings.config import get_settings

log = logging.getLogger(__name__)
#: Seconds a client is asked to wait before trying again.
RETRY_AFTER = 30


def is_unavailable(exc: BaseException | None) -> bool:
    """The database could not be reached or read (refused, dropped, locked, not a database),
    as opposed to a query that was wrong (integrity, data, programming errors)."""
    return isinstance(exc, OperationalError | InterfaceError) or type(exc) is DatabaseError


def _language(request: HttpRequest) -> str:
    """``?lang=`` (the status page's links carry it), else the cookie, else Accept-Language."""
    asked = request.GET.get("lang", "")
    if asked in {code for code, _name in settings.LANGUAGES}:
        return asked
    return translation.get_language_from_request(request) or "en"


def api_response(request: HttpRequest) -> HttpResponse:
    with translation.override(_language(request)):
        detail = _(
            "The service is unavailable for a moment (its database cannot be reached). Try again in a minute."
        )
    response = JsonResponse({"detail": detail}, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def page_response(request: HttpRequest) -> HttpResponse:
    lang = _language(request)
    s = get_settings()
    with translation.override(lang):
        html = render_to_string(
            "core/unavailable.html",
            {
                "lang": lang,
                "dir": "rtl" if translation.get_language_bidi() else "ltr",
                "site_name": s.site_name,
                "status_url": f"{s.public_url}{'' if lang == 'en' else '/' + lang}/",
            },
        )
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Content-Language"] = lang
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: Django calls it for any exception a view or middleware let through,
    while that exception is being handled (so ``sys.exc_info`` names it)."""
    exc = sys.exc_info()[1]
    if is_unavailable(exc):
        log.warning("database unavailable: %s %s: %r", request.method, request.path, exc)
        if request.path.startswith("/api/"):
            return api_response(request)
        return page_response(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "internal error; it has been logged"}, status=500)
    return defaults.server_error(request)
