"""An incident's questions and answers, workarounds and links, edited from its screen."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from tidings.console import forms
from tidings.console.access import console_view
from tidings.console.views.desk import _incident, _render_form
from tidings.core import db
from tidings.core.errors import DomainError
from tidings.incidents import content, publishing
from tidings.incidents.models import Incident


def _back(incident: Incident, anchor: str) -> HttpResponse:
    return redirect(reverse("console-incident", args=[incident.public_id]) + anchor)


def _failed(request: HttpRequest, incident: Incident, where: str, exc: DomainError) -> HttpResponse:
    latest = publishing.latest_update(incident)
    return _render_form(
        request, "console/incident.html", incident, forms.Errors(), None,
        based_on=latest.public_id if latest else "", content_errors={where: [exc.message]},
        cv=forms.keep(request.POST),
    )  # fmt: skip


def _faq_fields(request: HttpRequest) -> dict[str, Any]:
    return {
        "question": forms.localized(request.POST, "question"),
        "answer": forms.localized(request.POST, "answer"),
    }


def _resource_fields(request: HttpRequest) -> dict[str, Any]:
    return {
        "kind": request.POST.get("kind", "workaround"),
        "title": forms.localized(request.POST, "title"),
        "body": forms.localized(request.POST, "body"),
        "url": request.POST.get("url", ""),
    }


@console_view("incidents.write")
@require_POST
def add_faq(request: HttpRequest, incident_id: str) -> HttpResponse:
    incident = _incident(incident_id)
    actor = request.user.get_username()
    try:
        db.retrying(lambda: content.add_faq(actor=actor, incident=incident, **_faq_fields(request)))
    except DomainError as exc:
        return _failed(request, incident, "faq", exc)
    return _back(incident, "#faq")


@console_view("incidents.write")
@require_POST
def faq(request: HttpRequest, incident_id: str, faq_id: int) -> HttpResponse:
    incident = _incident(incident_id)
    actor = request.user.get_username()

    def change() -> None:
        entry = content.get_faq(incident, faq_id)
        if request.POST.get("action") == "delete":
            content.delete_faq(actor=actor, entry=entry)
        else:
            content.change_faq(actor=actor, entry=entry, **_faq_fields(request))

    try:
        db.retrying(change)
    except DomainError as exc:
        return _failed(request, incident, "faq", exc)
    return _back(incident, "#faq")


@console_view("incidents.write")
@require_POST
def add_resource(request: HttpRequest, incident_id: str) -> HttpResponse:
    incident = _incident(incident_id)
    actor = request.user.get_username()
    try:
        db.retrying(
            lambda: content.add_resource(
                actor=actor, incident=incident, **_resource_fields(request)
            )
        )
    except DomainError as exc:
        return _failed(request, incident, "resource", exc)
    return _back(incident, "#resources")


@console_view("incidents.write")
@require_POST
def resource(request: HttpRequest, incident_id: str, resource_id: int) -> HttpResponse:
    incident = _incident(incident_id)
    actor = request.user.get_username()

    def change() -> None:
        r = content.get_resource(incident, resource_id)
        if request.POST.get("action") == "delete":
            content.delete_resource(actor=actor, resource=r)
        else:
            content.change_resource(actor=actor, resource=r, **_resource_fields(request))

    try:
        db.retrying(change)
    except DomainError as exc:
        return _failed(request, incident, "resource", exc)
    return _back(incident, "#resources")
