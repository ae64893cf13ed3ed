"""Tidings' own staff API at ``/api/v1`` (OpenAPI at ``/api/v1/docs``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from tidings.comms.api import router as templates_router
from tidings.components.api import router as components_router
from tidings.core import audit, db, unavailable
from tidings.core.auth import Refused, actor_of
from tidings.core.errors import DomainError
from tidings.core.outs import Renderer
from tidings.customers.api import router as customers_router
from tidings.incidents.api import router as incidents_router
from tidings.incidents.api_cadence import router as cadence_router
from tidings.incidents.api_desk import router as desk_router
from tidings.incidents.api_honesty import router as honesty_router
from tidings.incidents.checking import HonestyWarnings
from tidings.monitors.api import router as monitors_router
from tidings.notify.api import router as notify_router
from tidings.notify.api_preview import router as preview_router
from tidings.staff.api import router as tokens_router
from tidings.staff.api_audit import router as audit_router
from tidings.staff.api_staff import router as staff_router
from tidings.staff.guard import RoleSession, RoleToken, request_action
from tidings.statuspage.api import router as branding_router
from tidings.subscribers.api import router as subscribers_router
from tidings.subscribers.staff_api import router as staff_subscribers_router


def succeeded(out: Any) -> bool:
    """Whether a view's answer is a success: ``(status, body)`` or a response below 400. A
    refused write (409, 422...) changed nothing, so it leaves no audit record; its transaction
    may already be marked for rollback, so nothing more may be written in it."""
    status = out[0] if isinstance(out, tuple) and out and isinstance(out[0], int) else None
    if status is None:
        status = getattr(out, "status_code", 200)
    return int(status) < 400


def one_transaction(view: Callable[..., Any]) -> Callable[..., Any]:
    """A staff write runs in one transaction, started over when the database aborts it as a
    deadlock victim (several staff and alert sources writing at once), so the client gets its
    answer instead of a 500. Reads run as they are. A change or export that no service
    recorded is recorded here by its action (the audit log misses nothing)."""

    @functools.wraps(view)
    def run(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        method, path, action = request_action(request)

        def audited() -> Any:
            return audit.filling_gap(
                actor=actor_of(request), via="api", method=method, path=path, action=action,
                run=lambda: view(request, *args, **kwargs), done=succeeded,
            )  # fmt: skip

        if request.method in ("GET", "HEAD", "OPTIONS"):
            return audited()
        return db.retrying(audited)

    return run


#: The staff routers, in the order they are mounted: where two could match one path, the first
#: mounted wins, so preview comes before incidents ("/incidents/preview" is not an incident id).
STAFF_ROUTERS = (
    components_router, preview_router, incidents_router, desk_router, honesty_router,
    cadence_router, templates_router, customers_router, notify_router, monitors_router,
    tokens_router, audit_router, staff_router, staff_subscribers_router, branding_router,
)  # fmt: skip

api = NinjaAPI(
    title="Tidings API",
    version="1",
    urls_namespace="api-v1",
    auth=[RoleToken(), RoleSession()],  # the role table decides every staff path
    docs_url="/docs",
    renderer=Renderer(),
)
for _staff in STAFF_ROUTERS:
    _staff.add_decorator(one_transaction)
    api.add_router("/", _staff)
# Public: subscribing needs no account; tokens in the links authorise the rest.
api.add_router("/", subscribers_router, auth=None)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


@api.exception_handler(HonestyWarnings)
def honesty_warnings(request: HttpRequest, exc: HonestyWarnings) -> HttpResponse:
    """422 with each warning: resend with ``overrides: {code: reason}`` to publish anyway."""
    return api.create_response(
        request,
        {"detail": exc.message, "warnings": [asdict(w) for w in exc.warnings]},
        status=exc.status_code,
    )


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    messages = []
    for err in exc.errors:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "payload"))
        messages.append(
            f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid"))
        )
    return api.create_response(
        request,
        {"detail": "; ".join(messages) or "invalid request", "errors": exc.errors},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = exc.message if isinstance(exc, Refused) else None
    return api.create_response(
        request,
        {"detail": detail or _("authentication required: send 'Authorization: Bearer <token>'")},
        status=401,
    )


@api.exception_handler(DatabaseError)
def database_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    if unavailable.is_unavailable(exc):
        return unavailable.api_response(request)
    raise exc  # a wrong query is a bug: logged, and a 500
