"""Scheduling a maintenance, and moving one: reschedule, start early, extend, complete, cancel.
Subscribers are told through the matching template each time."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tidings.components.models import Component
from tidings.console import forms
from tidings.console.access import console_view
from tidings.console.views.desk import _incident, _render_form
from tidings.core import db
from tidings.core.errors import DomainError, InvalidInput
from tidings.incidents import maintenances, publishing


@console_view("incidents.write")
def schedule(request: HttpRequest) -> HttpResponse:
    errors = forms.Errors()
    if request.method == "POST":
        post = request.POST
        actor = request.user.get_username()
        try:
            fields: dict[str, Any] = {
                "title": forms.localized(post, "title"),
                "scheduled_for": forms.local_time(post.get("start", ""), "scheduled_for"),
                "scheduled_until": forms.local_time(post.get("until", ""), "scheduled_until"),
                "components": {cid: "under_maintenance" for cid in post.getlist("components")},
                "audience": forms.audience(post),
            }
            m = db.retrying(lambda: maintenances.create_maintenance(actor=actor, **fields))
        except DomainError as exc:
            errors.refusal(exc)
        else:
            return redirect("console-incident", m.public_id)
    return render(
        request,
        "console/schedule.html",
        {"errors": errors, "v": forms.keep(request.POST), "components": Component.objects.all(),
         "chosen": request.POST.getlist("components")},
        status=422 if errors else 200,
    )  # fmt: skip


@console_view("incidents.write")
@require_POST
def action(request: HttpRequest, incident_id: str) -> HttpResponse:
    incident = _incident(incident_id)
    post, actor = request.POST, request.user.get_username()

    def run() -> None:
        what = post.get("action")
        if what == "reschedule":
            maintenances.reschedule(
                actor=actor, incident=incident,
                scheduled_for=forms.local_time(post.get("start", ""), "scheduled_for"),
                scheduled_until=forms.local_time(post.get("until", ""), "scheduled_until"),
            )  # fmt: skip
        elif what == "extend":
            until = forms.local_time(post.get("until", ""), "scheduled_until")
            maintenances.extend(actor=actor, incident=incident, scheduled_until=until)
        elif what in ("start", "complete", "cancel"):
            do = {"start": maintenances.start_early, "complete": maintenances.finish,
                  "cancel": maintenances.cancel}[what]  # fmt: skip
            do(actor=actor, incident=incident)
        else:
            raise InvalidInput("unknown action")

    try:
        db.retrying(run)
    except DomainError as exc:
        latest = publishing.latest_update(incident)
        return _render_form(
            request, "console/incident.html", incident, forms.Errors(), None,
            based_on=latest.public_id if latest else "", maint_errors=[exc.message],
        )  # fmt: skip
    return redirect("console-incident", incident.public_id)
