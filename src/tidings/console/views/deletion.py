"""Deleting an incident or a maintenance from its desk screen (behind a tick box)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from tidings.console import forms
from tidings.console.access import console_view
from tidings.console.views import desk
from tidings.core import db
from tidings.incidents import deletion


@console_view("incidents.write")
def delete_incident(request: HttpRequest, incident_id: str) -> HttpResponse:
    """It leaves the status page at once; its components return to their earlier status."""
    incident = desk._incident(incident_id)
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        errors = forms.Errors()
        errors.add(_("Tick the box to confirm the deletion."), "delete")
        return desk._render_form(
            request, "console/incident.html", incident, errors, None, based_on=""
        )
    actor = request.user.get_username()
    db.retrying(lambda: deletion.delete_incident(actor=actor, incident=incident))
    return redirect(reverse("console-history"))
