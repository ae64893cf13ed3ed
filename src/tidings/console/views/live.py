"""What the console refreshes without a reload (htmx polling, every 1.5-2 s): the open
incidents, an incident's timeline (204 when nothing is new, so nothing on screen moves) and
its delivery counts; and the recipients list of the preview."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tidings.console import forms
from tidings.console.access import console_view
from tidings.console.views.desk import _incident, delivery_counts, timeline_context
from tidings.console.views.labels import left_out_labels, status_labels
from tidings.core.errors import DomainError
from tidings.incidents import publishing
from tidings.incidents.models import Incident
from tidings.incidents.publishing import prepare
from tidings.incidents.rules import CLOSED_STATES
from tidings.notify import roster
from tidings.notify.api_preview import component_pks


def open_incidents() -> list[Incident]:
    """Open incidents and running or planned maintenances: overdue first, then the sooner
    due, then the newest."""
    rows = list(Incident.objects.exclude(status__in=CLOSED_STATES))
    far = max((i.started_at for i in rows), default=None)
    return sorted(
        rows,
        key=lambda i: (
            i.kind != "incident", i.next_update_due_at is None,
            i.next_update_due_at or far, -i.started_at.timestamp(),
        ),
    )  # fmt: skip


@console_view("incidents.read")
def open_list(request: HttpRequest) -> HttpResponse:
    """The home page's open incidents, polled; with them (swapped in out of band) the "Updates
    due" cards, so an update falling due appears on a screen left open, without a reload."""
    from tidings.console.views.cadence import late_cards

    active = open_incidents()
    return render(
        request,
        "console/_open.html",
        {
            "active": active,
            "statuses": status_labels(),
            "late": late_cards(active),
            "refresh_late": True,
        },
    )


@console_view("incidents.read")
def timeline(request: HttpRequest, incident_id: str) -> HttpResponse:
    incident = _incident(incident_id)
    latest = publishing.latest_update(incident)  # one row: most polls end here
    latest_id = latest.public_id if latest else ""
    if request.htmx and request.GET.get("since") == latest_id:  # type: ignore[attr-defined]
        return HttpResponse(status=204)
    return render(
        request,
        "console/_timeline.html",
        {"incident": incident, **timeline_context(incident), "statuses": status_labels(),
         "seen": request.GET.get("based_on", ""), "oob": True},
    )  # fmt: skip


@console_view("deliveries.read")
def counts(request: HttpRequest, incident_id: str) -> HttpResponse:
    incident = _incident(incident_id)
    found = delivery_counts(incident)
    return render(
        request,
        "console/_counts.html",
        {"incident": incident, "by": found["counts"], "bad": found["bad"]},
    )


@console_view("incidents.read")
def recipients(request: HttpRequest, incident_id: str) -> HttpResponse:
    """The preview's people: those told (searchable) or those left out and why; 50 a page."""
    incident = _incident(incident_id) if incident_id != "new" else None
    params = request.GET
    try:
        audience = forms.audience(params)
        p = prepare(
            incident=incident, title={"en": "…"}, components=forms.component_statuses(params),
            body={"en": "…"},
        )  # fmt: skip
    except DomainError as exc:
        return HttpResponse(exc.message, status=422)
    page = int(params.get("page") or 1) if (params.get("page") or "1").isdigit() else 1
    pks = component_pks(p)
    reason = params.get("left_out", "")
    found = roster.listed(
        p.incident, audience, pks, reason=reason, q=params.get("q", ""), page=page
    )
    return render(
        request,
        "console/_roster.html",
        {"found": found, "reason": reason, "reasons": left_out_labels(), "q": params.get("q", "")},
    )
