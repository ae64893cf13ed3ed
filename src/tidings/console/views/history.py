"""Finding incidents again, resolved ones included: words of the title in either language,
kind, status, severity, component and dates, newest first, 25 a page."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tidings.components.models import Component
from tidings.console import forms
from tidings.console.access import console_view
from tidings.console.views.labels import status_labels
from tidings.core.errors import DomainError
from tidings.incidents import rules
from tidings.incidents.search import Found, search


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@console_view("incidents.read")
def history(request: HttpRequest) -> HttpResponse:
    g = request.GET
    errors = forms.Errors()
    try:
        page = int(g.get("page") or 1)
    except ValueError:
        page = 1
    try:
        found = search(
            q=g.get("q", ""), kind=g.get("kind", ""), status=g.get("status", ""),
            severity=g.get("severity", ""), component=g.get("component", ""),
            since=_date(g.get("since", "")), until=_date(g.get("until", "")), page=page,
        )  # fmt: skip
    except DomainError as exc:
        errors.refusal(exc)
        found = Found([], 0, 1, 1)
    query = g.copy()
    query.pop("page", None)
    return render(
        request,
        "console/history.html",
        {"found": found, "v": g, "errors": errors, "statuses": status_labels(),
         "status_choices": rules.INCIDENT_STATES + rules.MAINTENANCE_STATES,
         "severities": rules.SEVERITIES, "components": Component.objects.all(),
         "query": query.urlencode()},
    )  # fmt: skip
