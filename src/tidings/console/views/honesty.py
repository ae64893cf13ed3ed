"""Honesty and approval in the console: the warnings of a draft shown beside its fields with an
override and a reason box each; the drafts waiting for the commander on the incident desk
(polled live), approved or sent back; and the screen where staff edit the minimising words and
which severities need approval. The work is in :mod:`tidings.incidents.checking` and
:mod:`tidings.incidents.drafts`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tidings.console import forms
from tidings.console.access import console_view, may
from tidings.console.views.found import or_404
from tidings.core import db
from tidings.core.errors import DomainError
from tidings.incidents import checking, drafts, honesty
from tidings.incidents.models import Incident, UpdateDraft
from tidings.incidents.rules import SEVERITIES


def overrides_from(post: QueryDict) -> dict[str, str]:
    """``override_<code>`` ticked with ``reason_<code>``: the warnings the author overrides."""
    return {
        code: post.get(f"reason_{code}", "").strip()
        for code in honesty.CODES
        if post.get(f"override_{code}")
    }


def warnings_by_field(
    warnings: list[honesty.Warning], post: QueryDict
) -> dict[str, list[dict[str, Any]]]:
    """Each warning with what the author typed for it, grouped by the field it is about."""
    out: dict[str, list[dict[str, Any]]] = {}
    for w in warnings:
        ticked = bool(post.get(f"override_{w.code}"))
        reason = post.get(f"reason_{w.code}", "")
        out.setdefault(w.field, []).append(
            {"w": w, "ticked": ticked, "reason": reason, "no_reason": ticked and not reason.strip()}
        )
    return out


def drafts_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    rows = incident.drafts.exclude(state="approved").order_by("-created_at", "-id")[:10]
    return {
        "incident": incident,
        "pending": [d for d in rows if d.state == "pending"],
        "returned": [d for d in rows if d.state == "returned"][:3],
        "may_approve": may(request, "incidents.approve"),
    }


@console_view("incidents.read")
def drafts_panel(request: HttpRequest, incident_id: str) -> HttpResponse:
    from tidings.console.views.desk import _incident

    return render(request, "console/_drafts.html", drafts_context(request, _incident(incident_id)))


def _draft(draft_id: str) -> UpdateDraft:
    return or_404(drafts.get_draft, draft_id)


def _back(draft: UpdateDraft) -> HttpResponse:
    return redirect(reverse("console-incident", args=[draft.incident.public_id]) + "#drafts")


@console_view("incidents.approve")
@require_POST
def approve(request: HttpRequest, draft_id: str) -> HttpResponse:
    draft = _draft(draft_id)
    actor = request.user.get_username()
    try:
        db.retrying(lambda: drafts.approve(actor=actor, draft=draft))
    except DomainError as exc:
        messages.error(request, _("Not published: %(why)s") % {"why": exc.message})
        return _back(draft)
    messages.success(request, _("Approved and published."))
    return _back(draft)


@console_view("incidents.approve")
@require_POST
def send_back(request: HttpRequest, draft_id: str) -> HttpResponse:
    draft = _draft(draft_id)
    actor = request.user.get_username()
    note = request.POST.get("note", "")
    if not note.strip():
        messages.error(request, _("Say what to change before sending the draft back."))
        return _back(draft)
    try:
        db.retrying(lambda: drafts.send_back(actor=actor, draft=draft, note=note))
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(draft)


def _words_from(post: QueryDict, lang: str) -> list[str]:
    return post.get(f"words_{lang}", "").splitlines()


@console_view("templates.read")
def honesty_screen(request: HttpRequest) -> HttpResponse:
    """The minimising words per language (one phrase a line) and the approval per severity."""
    errors = forms.Errors()
    actor = request.user.get_username()
    if request.method == "POST":
        what = request.POST.get("form")
        action = "templates.write" if what == "words" else "incidents.approve"
        if not may(request, action):
            from tidings.console.access import forbidden

            return forbidden(request, action)
        try:
            if what == "words":
                for lang in checking.LANGUAGES:
                    words = _words_from(request.POST, lang)
                    db.retrying(
                        lambda lang=lang, words=words: checking.set_words(  # type: ignore[misc]
                            actor=actor, language=lang, words=words
                        )
                    )
            else:
                chosen = request.POST.getlist("severity")
                db.retrying(lambda: drafts.set_required(actor=actor, severities=chosen))
        except DomainError as exc:
            errors.add(exc.message, "words" if what == "words" else "severities")
        else:
            messages.success(request, _("Saved."))
            return redirect("console-honesty")
    required = drafts.required_severities()
    if request.method == "POST" and request.POST.get("form") == "words":
        typed = {lang: request.POST.get(f"words_{lang}", "") for lang in checking.LANGUAGES}
    else:
        typed = {lang: "\n".join(w) for lang, w in checking.word_lists().items()}
    return render(
        request,
        "console/honesty.html",
        {
            "errors": errors,
            "words": typed,
            "severities": [(s, s in required) for s in SEVERITIES],
            "may_words": may(request, "templates.write"),
            "may_approval": may(request, "incidents.approve"),
        },
        status=422 if errors else 200,
    )
