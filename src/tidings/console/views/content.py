"""An incident's questions and answers, workarounds and links, edited from its screen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class _Part:
    """A list on an incident's page: where it is on the screen, what its form posts, and the
    content services that add, find, change and delete one of its rows (``row`` names the
    row's argument to them)."""

    anchor: str
    fields: Callable[[HttpRequest], dict[str, Any]]
    row: str
    add: Callable[..., object]
    get: Callable[[Incident, int], object]
    change: Callable[..., object]
    delete: Callable[..., object]


PARTS = {
    "faq": _Part("#faq", _faq_fields, "entry", content.add_faq, content.get_faq,
                 content.change_faq, content.delete_faq),
    "resource": _Part("#resources", _resource_fields, "resource", content.add_resource,
                      content.get_resource, content.change_resource, content.delete_resource),
}  # fmt: skip


def _written(
    request: HttpRequest, incident_id: str, part: str, write: Callable[[str, Incident], object]
) -> HttpResponse:
    """One change to a part of the incident's page (retried when the database was busy): back
    to that part of its screen, or the screen again with the refusal next to the part."""
    incident = _incident(incident_id)
    actor = request.user.get_username()
    try:
        db.retrying(lambda: write(actor, incident))
    except DomainError as exc:
        return _failed(request, incident, part, exc)
    return _back(incident, PARTS[part].anchor)


@console_view("incidents.write")
@require_POST
def add(request: HttpRequest, incident_id: str, part: str) -> HttpResponse:
    """A new question and answer (``part`` faq), or a workaround or link (resource)."""
    p = PARTS[part]

    def write(actor: str, incident: Incident) -> None:
        p.add(actor=actor, incident=incident, **p.fields(request))

    return _written(request, incident_id, part, write)


@console_view("incidents.write")
@require_POST
def edit(request: HttpRequest, incident_id: str, part: str, row_id: int) -> HttpResponse:
    """Change one row of the part, or delete it (``action=delete``)."""
    p = PARTS[part]

    def write(actor: str, incident: Incident) -> None:
        row = {p.row: p.get(incident, row_id)}
        if request.POST.get("action") == "delete":
            p.delete(actor=actor, **row)
        else:
            p.change(actor=actor, **row, **p.fields(request))

    return _written(request, incident_id, part, write)
