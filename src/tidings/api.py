"""Tidings' own staff API at ``/api/v1`` (OpenAPI at ``/api/v1/docs``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import django_auth

from tidings.comms.api import router as templates_router
from tidings.components.api import router as components_router
from tidings.core.auth import TokenAuth
from tidings.core.errors import DomainError
from tidings.customers.api import router as customers_router
from tidings.incidents.api import router as incidents_router
from tidings.monitors.api import router as monitors_router
from tidings.notify.api import router as notify_router
from tidings.subscribers.api import router as subscribers_router

api = NinjaAPI(
    title="Tidings API",
    version="1",
    urls_namespace="api-v1",
    auth=[TokenAuth(), django_auth],
    docs_url="/docs",
)
api.add_router("/", components_router)
api.add_router("/", incidents_router)
api.add_router("/", templates_router)
api.add_router("/", customers_router)
api.add_router("/", notify_router)
api.add_router("/", monitors_router)
# Public: subscribing needs no account; tokens in the links authorise the rest.
api.add_router("/", subscribers_router, auth=None)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


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
    return api.create_response(
        request,
        {"detail": "authentication required: send 'Authorization: Bearer <token>'"},
        status=401,
    )
