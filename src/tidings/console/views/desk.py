"""The crisis desk: declare an incident from one screen, and run it from its own screen
(post updates from templates, "still working", resolve, reopen), with a preview of exactly
what is sent before anything is. Publishing goes through :mod:`tidings.incidents.publishing`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from tidings.comms import services as templates
from tidings.components.models import Component
from tidings.components.rules import COMPONENT_STATUSES
from tidings.console import forms
from tidings.console.access import console_view
from tidings.console.views import cadence
from tidings.console.views.found import or_404
from tidings.console.views.honesty import drafts_context, overrides_from, warnings_by_field
from tidings.console.views.labels import component_labels, impact_labels, status_labels
from tidings.core import clock, db
from tidings.core.errors import DomainError
from tidings.customers.models import PLANS
from tidings.incidents import drafts, publishing, services
from tidings.incidents.checking import HonestyWarnings
from tidings.incidents.models import Incident, UpdateDraft
from tidings.incidents.publishing import NewerUpdate, Prepared, prepare
from tidings.incidents.rules import SEVERITIES
from tidings.notify.api_preview import audience_of
from tidings.notify.preview import render_draft


def _incident(incident_id: str) -> Incident:
    return or_404(services.get_incident, incident_id)


def _draft_fields(request: HttpRequest, incident: Incident | None) -> dict[str, Any]:
    post = request.POST
    fields: dict[str, Any] = {
        "body": forms.localized(post, "body"),
        "template": post.get("compose") or post.get("template") or None,
        "components": forms.component_statuses(post),
        "next_update_due_at": forms.next_due(post, clock.now()),
        "confidence": post.get("confidence") or "",
        "overrides": overrides_from(post),
    }
    if incident is None:
        fields["data_impact"] = bool(post.get("data_impact"))
        fields["title"] = forms.localized(post, "title")
        fields["severity"] = post.get("severity") or "SEV3"
        fields["impact"] = post.get("impact") or None
    else:
        fields["status"] = post.get("status") or None
        if post.get("data_impact"):
            fields["data_impact"] = True
    if post.get("compose"):
        fields["body"] = None  # a template button: the template writes the text afresh
    return fields


def _composed(request: HttpRequest, incident: Incident | None, errors: forms.Errors) -> Any:
    """The draft as the form describes it (bodies written or composed), or None on errors."""
    try:
        fields = _draft_fields(request, incident)
        if incident is None and not fields["title"]:
            fields["title"] = {"en": "…"}  # composing before the title is typed
        return prepare(incident=incident, **fields)
    except DomainError as exc:
        errors.refusal(exc)
        return None


def _check_filled(p: Prepared) -> None:
    if not p.bodies:
        raise forms.refused("body", _("body: write the message, or choose a template"))
    if p.missing:
        slots = sorted({s for found in p.missing.values() for s in found})
        raise forms.refused(
            "body",
            _("fill in %(slots)s in the message before publishing")
            % {"slots": ", ".join(f"{{{s}}}" for s in slots)},
        )


def _preview(p: Prepared, request: HttpRequest) -> dict[str, Any]:
    shown = render_draft(
        p.incident, status=p.status, bodies=p.bodies, next_update_due_at=p.next_update_due_at,
        components=p.targets,
    )  # fmt: skip
    try:
        audience = forms.audience(request.POST)
    except DomainError:
        audience = "affected"
    return {"shown": shown, "channels": shown.by_channel(), "audience": audience_of(p, audience)}


def _context(
    request: HttpRequest, incident: Incident | None, errors: forms.Errors, p: Prepared | None
) -> dict[str, Any]:
    from django.utils.translation import get_language

    from tidings.console.access import may
    from tidings.console.views.labels import left_out_labels
    from tidings.core.text import pick
    from tidings.incidents.rules import states_for

    kind = incident.kind if incident else "incident"
    lang = get_language() or "en"
    held = dict(incident.impacts.values_list("component__public_id", "status")) if incident else {}
    typed = forms.component_statuses(request.POST) if request.method == "POST" else {}
    return {
        "incident": incident,
        "errors": errors,
        "v": forms.keep(request.POST) if request.method == "POST" else {},
        "bodies": p.bodies if p else {},
        "missing": p.missing if p else {},
        "template": (request.POST.get("compose") or request.POST.get("template", ""))
        if request.method == "POST"
        else "",
        "templates": [
            {"key": t.key, "name": pick(t.names, lang)}
            for t in templates.all_templates()
            if t.kind == kind
        ],
        "impact_choices": [(k, impact_labels()[k]) for k in ("none", "minor", "major", "critical")],
        "status_choices": states_for(kind),
        "may_write": may(request, "incidents.write"),
        "left_out_labels": left_out_labels(),
        "roster_url": reverse(
            "console-recipients", args=[incident.public_id if incident else "new"]
        ),
        **(delivery_counts(incident) if incident else {}),
        **(cadence.desk_context(request, incident) if incident else {}),
        "components": [
            {
                # A held component starts at "leave as is" (its current status named beside
                # it): preselecting the held status would make a "resolved" keep it down.
                "c": c,
                "status": typed.get(c.public_id, ""),
                "held": c.public_id in held,
                "held_label": component_labels().get(held.get(c.public_id, ""), ""),
            }
            for c in Component.objects.select_related("group").order_by(
                "group__position", "position"
            )
        ],
        "component_statuses": component_labels(),
        "statuses": status_labels(),
        "severities": SEVERITIES,
        "plans": PLANS,
        "now": clock.now(),
        "all_statuses": COMPONENT_STATUSES,
        "confidence_choices": confidence_labels(),
        "warnings_by_field": {},
        **(drafts_context(request, incident) if incident else {}),
        **(timeline_context(incident) if incident else {}),
    }


def timeline_context(incident: Incident) -> dict[str, Any]:
    """The updates so far, newest first, and the newest's id: rendered in the page itself
    (a desk that first said "No updates yet" misled whoever opened it) and by the live poll."""
    updates = list(incident.updates.order_by("-created_at", "-id"))
    return {"updates": updates, "latest_id": updates[0].public_id if updates else ""}


def confidence_labels() -> list[tuple[str, str]]:
    return [("low", _("Low")), ("medium", _("Medium")), ("high", _("High"))]


def delivery_counts(incident: Incident) -> dict[str, Any]:
    from django.db.models import Count

    from tidings.notify.models import Delivery

    rows = (
        Delivery.objects.filter(message__update__incident=incident)
        .values("status")
        .annotate(n=Count("id"))
    )
    by = {r["status"]: r["n"] for r in rows}
    return {"counts": by, "bad": sum(by.get(s, 0) for s in ("failed", "dead", "rejected"))}


def _render_form(
    request: HttpRequest,
    template_name: str,
    incident: Incident | None,
    errors: forms.Errors,
    p: Prepared | None,
    **extra: Any,
) -> HttpResponse:
    ctx = _context(request, incident, errors, p)
    if p is not None and request.POST.get("action") == "preview" and not errors:
        ctx["preview"] = _preview(p, request)
    ctx.update(extra)
    return render(
        request, template_name, ctx, status=422 if errors or extra.get("warnings_by_field") else 200
    )


@console_view("incidents.write")
def declare(request: HttpRequest) -> HttpResponse:
    """Declare an incident and publish its first message, all from one screen."""
    errors = forms.Errors()
    if request.method != "POST":
        return _render_form(request, "console/declare.html", None, errors, None)
    p = _composed(request, None, errors)
    if p is None or request.POST.get("action") != "publish":
        return _render_form(request, "console/declare.html", None, errors, p)
    try:
        _check_filled(p)
        fields = _draft_fields(request, None)
        fields.update(body=p.bodies, audience=forms.audience(request.POST))
        actor = request.user.get_username()
        incident = db.retrying(lambda: publishing.declare(actor=actor, **fields))
    except HonestyWarnings as exc:
        return _render_form(
            request, "console/declare.html", None, errors, p,
            warnings_by_field=warnings_by_field(exc.warnings, request.POST),
        )  # fmt: skip
    except DomainError as exc:
        errors.refusal(exc)
        return _render_form(request, "console/declare.html", None, errors, p)
    return redirect("console-incident", incident.public_id)


@console_view("incidents.read")
def incident_page(request: HttpRequest, incident_id: str) -> HttpResponse:
    incident = _incident(incident_id)
    latest = publishing.latest_update(incident)
    return _render_form(
        request, "console/incident.html", incident, forms.Errors(), None,
        based_on=latest.public_id if latest else "",
    )  # fmt: skip


@console_view("incidents.write")
def post_update(request: HttpRequest, incident_id: str) -> HttpResponse:
    """Preview or publish an update. A draft based on an older update than the newest is not
    posted: the author sees what arrived meanwhile and confirms."""
    incident = _incident(incident_id)
    errors = forms.Errors()
    based_on = request.POST.get("based_on", "")
    p = _composed(request, incident, errors)
    if p is None or request.POST.get("action") not in ("publish", "still_working"):
        return _render_form(
            request, "console/incident.html", incident, errors, p, based_on=based_on
        )
    try:
        _check_filled(p)
        fields = _draft_fields(request, incident)
        fields.update(body=p.bodies, audience=forms.audience(request.POST))
        actor = request.user.get_username()
        done = db.retrying(
            lambda: drafts.submit_update(
                actor=actor, incident=incident, based_on=based_on, **fields
            )
        )
    except HonestyWarnings as exc:
        incident.refresh_from_db()  # the refused attempt was rolled back; show what is stored
        return _render_form(
            request, "console/incident.html", incident, errors, p, based_on=based_on,
            warnings_by_field=warnings_by_field(exc.warnings, request.POST),
        )  # fmt: skip
    except NewerUpdate as exc:
        return _render_form(
            request, "console/incident.html", incident, errors, p,
            based_on=exc.newer[-1].public_id, conflict=exc.newer,
        )  # fmt: skip
    except DomainError as exc:
        errors.refusal(exc)
        return _render_form(
            request, "console/incident.html", incident, errors, p, based_on=based_on
        )
    if isinstance(done, UpdateDraft):
        from django.contrib import messages

        messages.success(request, _("Kept as a draft: the incident commander approves it."))
        return redirect(reverse("console-incident", args=[incident.public_id]) + "#drafts")
    return redirect(reverse("console-incident", args=[incident.public_id]) + "#timeline")
