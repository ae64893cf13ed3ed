"""The message templates screen: every template (shipped and staff's own) with the status it
sets and the slots its author fills; edited per language side by side (Hebrew right to left)
with a live preview filled from a sample incident or a chosen open one; reset to the shipped
text; staff's own added and deleted. The work is in :mod:`tidings.comms.services`."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tidings.comms import rules, services
from tidings.comms.defaults import DEFAULTS
from tidings.comms.models import MessageTemplate
from tidings.comms.rules import Template
from tidings.console import forms
from tidings.console.access import console_view, may
from tidings.console.views.found import or_404
from tidings.console.views.labels import status_labels
from tidings.core import db
from tidings.core.errors import DomainError
from tidings.core.text import pick
from tidings.incidents.models import Incident
from tidings.incidents.rules import CLOSED_STATES, INCIDENT_STATES, MAINTENANCE_STATES
from tidings.statuspage import words

_SLOT = re.compile(r"\{([a-z][a-z0-9_]*)\}")


#: What each placeholder Tidings fills becomes; :func:`known_labels` reads it in the reader's
#: language.
_KNOWN = {
    "title": gettext_lazy("the incident's title"),
    "components": gettext_lazy("the affected components, by name"),
    "start_time": gettext_lazy("when it started"),
    "end_time": gettext_lazy("when it was resolved (now, if it is being resolved)"),
    "now_time": gettext_lazy("when the update is posted"),
    "next_update_time": gettext_lazy("when the next update is promised"),
    "incident_url": gettext_lazy("the incident's page"),
    "status_url": gettext_lazy("the status page"),
    "scheduled_for": gettext_lazy("a maintenance's start"),
    "scheduled_until": gettext_lazy("a maintenance's end"),
    "eta": gettext_lazy("the estimated recovery, only when staff set one with high confidence"),
}


def known_labels() -> dict[str, str]:
    return words.in_language(_KNOWN)


def _summary(t: Template, lang: str) -> dict[str, Any]:
    slots = rules.slots(t.bodies)
    return {
        "t": t,
        "name": pick(t.names, lang) if t.names else t.key,
        "slots": sorted({s for found in slots.values() for s in found}),
        "status_label": status_labels().get(t.status, t.status),
    }


@console_view("templates.read")
def library(request: HttpRequest) -> HttpResponse:
    lang = get_language() or "en"
    rows = [_summary(t, lang) for t in services.all_templates()]
    return render(
        request,
        "console/templates.html",
        {
            "incident_rows": [r for r in rows if r["t"].kind == "incident"],
            "maintenance_rows": [r for r in rows if r["t"].kind == "maintenance"],
            "may_write": may(request, "templates.write"),
        },
    )


def _typed(post: QueryDict, base: Template | None) -> Template:
    """The template as the form holds it, saved or not (for the preview)."""
    kind = base.kind if base else post.get("kind") or "incident"  # fixed once made
    status = base.status if base and base.builtin else post.get("status", "")
    return Template(
        key=base.key if base else post.get("key", ""),
        kind=kind if kind in ("incident", "maintenance") else "incident",
        status=status,
        names=forms.localized(post, "name"),
        bodies={lang: post.get(f"body_{lang}", "") for lang in forms.LANGS},
    )


def _marked(text: str) -> SafeString:
    """The text escaped, each slot still to fill marked."""
    return mark_safe(_SLOT.sub(r'<mark class="slot">{\1}</mark>', escape(text)))  # noqa: S308 - escaped above


def _preview(template: Template, chosen: str) -> dict[str, Any]:
    incident = None
    if chosen:
        incident = Incident.objects.filter(public_id=chosen).first()
    try:
        bodies = services.try_on(template=template, incident=incident)
    except DomainError as exc:
        return {"error": exc.message}
    problems = {
        lang: found for lang, text in template.bodies.items() if (found := rules.check_body(text))
    }
    slots = rules.slots(template.bodies)
    differ = len({tuple(sorted(s)) for lang, s in slots.items() if template.bodies.get(lang)}) > 1
    return {
        "bodies": [(lang, _marked(bodies.get(lang, ""))) for lang in forms.LANGS],
        "problems": problems,
        "missing": services.missing({k: v for k, v in bodies.items() if v.strip()}),
        "differ": differ,
        "on": incident,
    }


def _open_incidents(kind: str) -> list[Incident]:
    return list(
        Incident.objects.filter(kind=kind).exclude(status__in=CLOSED_STATES).order_by("-started_at")
    )


def _form(
    request: HttpRequest,
    template: Template | None,
    *,
    typed: Template | None = None,
    errors: forms.Errors | None = None,
) -> HttpResponse:
    lang = get_language() or "en"
    shown = typed or template or Template(key="", kind="incident", status="", names={}, bodies={})
    chosen = request.POST.get("sample", "") if request.method == "POST" else ""
    return render(
        request,
        "console/template_edit.html",
        {
            "template": template,
            "shown": shown,
            "title": pick(template.names, lang) if template and template.names else "",
            "summary": _summary(template, lang) if template else None,
            "shipped": DEFAULTS.get(template.key) if template else None,
            "errors": errors or forms.Errors(),
            "may_write": may(request, "templates.write"),
            "known": known_labels(),
            "statuses": status_labels(),
            "incident_states": INCIDENT_STATES,
            "maintenance_states": MAINTENANCE_STATES,
            "incidents": _open_incidents(shown.kind),
            "sample": chosen,
            "preview": _preview(shown, chosen),
            "v": forms.keep(request.POST) if request.method == "POST" else {},
        },
        status=422 if errors else 200,
    )


def _template(key: str) -> Template:
    return or_404(services.get_template, key)


def _refusal(errors: forms.Errors, exc: DomainError) -> None:
    message = exc.message
    # "bodies.he: the text is empty" is for the API; next to the Hebrew field the text suffices
    if exc.field and re.match(r"^(bodies|names)\.[a-z]{2}: ", message):
        message = message.split(": ", 1)[1]
    errors.add(message, exc.field or "form")


def _save(request: HttpRequest, key: str, base: Template | None) -> HttpResponse:
    post, actor = request.POST, request.user.get_username()
    typed = _typed(post, base)
    try:
        saved = db.retrying(
            lambda: services.save_template(
                actor=actor, key=key, names=typed.names, bodies=typed.bodies,
                kind=typed.kind,
                status=None if base and base.builtin else typed.status,
            )
        )  # fmt: skip
    except DomainError as exc:
        errors = forms.Errors()
        _refusal(errors, exc)
        return _form(request, base, typed=typed, errors=errors)
    messages.success(request, _("Template saved. It is used from the next update on."))
    return redirect("console-template", saved.key)


@console_view("templates.read")
def edit(request: HttpRequest, key: str) -> HttpResponse:
    """GET: the template's page. POST (``templates.write``): ``save``, ``reset`` (a shipped
    template back to its shipped text) or ``delete`` (one of staff's own)."""
    template = _template(key)
    if request.method != "POST":
        return _form(request, template)
    if not may(request, "templates.write"):
        from tidings.console.access import forbidden

        return forbidden(request, "templates.write")
    action = request.POST.get("action", "save")
    if action in ("reset", "delete"):
        if request.POST.get("confirm") != "yes":
            errors = forms.Errors()
            errors.add(_("Tick the box to confirm."), "reset")
            return _form(request, template, typed=_typed(request.POST, template), errors=errors)
        actor = request.user.get_username()
        back = db.retrying(lambda: services.reset_template(actor=actor, key=template.key))
        if back is None:
            messages.success(request, _("Template deleted."))
            return redirect("console-templates")
        messages.success(request, _("Back to the shipped text."))
        return redirect("console-template", template.key)
    return _save(request, template.key, template)


@console_view("templates.write")
def add(request: HttpRequest) -> HttpResponse:
    """A template of staff's own: a key, what it is for, the status it sets, its text."""
    if request.method != "POST":
        return _form(request, None)
    key = request.POST.get("key", "").strip().lower()
    if key in DEFAULTS or MessageTemplate.objects.filter(key=key).exists():
        errors = forms.Errors()
        errors.add(_("A template with this key exists already: choose another."), "key")
        return _form(request, None, typed=_typed(request.POST, None), errors=errors)
    return _save(request, key, None)


@console_view("templates.read")
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The preview pane again, as the form now reads (htmx, while the author types)."""
    key = request.POST.get("key", "")
    base = None
    if request.POST.get("existing") == "1":
        base = _template(key)
    typed = _typed(request.POST, base)
    return render(
        request,
        "console/_template_preview.html",
        {"preview": _preview(typed, request.POST.get("sample", "")), "shown": typed},
    )
