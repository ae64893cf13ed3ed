"""The components screen: every component and group with its status, slug and place on the
page; add, rename (English and Hebrew), move up or down with buttons (no dragging: they work
on a phone), change group, set a status outside an incident, delete where that is safe.
The work is in :mod:`tidings.components.services`; a refusal is shown next to its field in
the form it came from, with what was typed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tidings.components import services
from tidings.components.models import Component, ComponentGroup
from tidings.console import forms
from tidings.console.access import console_view, may
from tidings.console.views.found import or_404
from tidings.console.views.labels import component_labels
from tidings.core import db
from tidings.core.errors import DomainError
from tidings.core.text import pick
from tidings.incidents.models import Incident, IncidentComponent
from tidings.incidents.rules import CLOSED_STATES
from tidings.subscribers.models import Subscriber


def _told_counts() -> dict[int, int]:
    """Per component, the active subscribers a status change outside an incident tells."""
    everyone = Subscriber.objects.filter(status="active", all_components=True).count()
    chosen = Component.objects.annotate(
        n=Count(
            "subscribers",
            filter=Q(subscribers__status="active", subscribers__all_components=False),
        )
    ).values_list("pk", "n")
    return {pk: everyone + n for pk, n in chosen}


def _held() -> dict[int, list[Incident]]:
    """Per component, the open incidents and maintenances that set its status."""
    held: dict[int, list[Incident]] = {}
    for link in IncidentComponent.objects.select_related("incident").exclude(
        incident__status__in=CLOSED_STATES
    ):
        held.setdefault(link.component_id, []).append(link.incident)
    return held


def _name(row: Component | ComponentGroup, lang: str) -> str:
    return pick(row.names or {"en": row.name}, lang)


def _page(
    request: HttpRequest,
    *,
    errors: forms.Errors | None = None,
    where: str = "",
    typed: dict[str, Any] | None = None,
) -> HttpResponse:
    lang = get_language() or "en"
    told, held = _told_counts(), _held()
    comps = list(Component.objects.select_related("group").order_by("position", "name"))
    groups = list(ComponentGroup.objects.order_by("position", "name"))

    errors = errors or forms.Errors()

    def form(key: str, row: Component | ComponentGroup) -> dict[str, Any]:
        """The values a row's form shows: what was typed if it was just refused."""
        if key == where:
            return {"f": typed or {}, "errs": errors, "open": True}
        names = row.names or {"en": row.name}
        f = {"name_en": names.get("en", ""), "name_he": names.get("he", ""),
             "description": row.description, "slug": getattr(row, "slug", ""),
             "group": row.group.public_id if isinstance(row, Component) and row.group else ""}  # fmt: skip
        return {"f": f, "errs": {}, "open": False}

    def rows(group: ComponentGroup | None) -> list[dict[str, Any]]:
        mine = [c for c in comps if c.group_id == (group.pk if group else None)]
        return [
            {"c": c, "label": _name(c, lang), "told": told.get(c.pk, 0), "held": held.get(c.pk, []), "key": f"c-{c.public_id}",
             "first": i == 0, "last": i == len(mine) - 1, **form(f"c-{c.public_id}", c)}
            for i, c in enumerate(mine)
        ]  # fmt: skip

    sections = [
        {"g": g, "label": _name(g, lang), "rows": rows(g), "key": f"g-{g.public_id}",
         "first": i == 0, "last": i == len(groups) - 1, **form(f"g-{g.public_id}", g)}
        for i, g in enumerate(groups)
    ]  # fmt: skip
    loose = rows(None)
    return render(
        request,
        "console/components.html",
        {
            "sections": sections,
            "loose": loose,
            "count": len(comps),
            "groups": [(g.public_id, _name(g, lang)) for g in groups],
            "statuses": component_labels(),
            "may_write": may(request, "components.write"),
            "errors": errors,
            "where": where,
            "v": typed or {},
        },
        status=422 if errors else 200,
    )


def _names(request: HttpRequest) -> dict[str, str]:
    return forms.localized(request.POST, "name")


def _done(anchor: str) -> HttpResponse:
    return redirect(reverse("console-components") + f"#{anchor}")


def _confirmed(request: HttpRequest) -> None:
    if request.POST.get("confirm") != "yes":
        raise forms.refused("delete", _("Tick the box to confirm the deletion."))


def _refused(request: HttpRequest, where: str, exc: DomainError) -> HttpResponse:
    errors = forms.Errors()
    errors.refusal(exc)
    return _page(request, errors=errors, where=where, typed=forms.keep(request.POST))


@console_view("components.read")
def catalog(request: HttpRequest) -> HttpResponse:
    return _page(request)


@console_view("components.write")
@require_POST
def add_component(request: HttpRequest) -> HttpResponse:
    actor, post = request.user.get_username(), request.POST
    try:
        c = db.retrying(
            lambda: services.create_component(
                actor=actor, name=_names(request), slug=post.get("slug", "").strip() or None,
                group_id=post.get("group") or None, status=post.get("status") or "operational",
                description=post.get("description", ""),
            )
        )  # fmt: skip
    except DomainError as exc:
        return _refused(request, "new-component", exc)
    messages.success(request, _("Component “%(name)s” added.") % {"name": c.name})
    return _done(f"c-{c.public_id}")


def _component(component_id: str) -> Component:
    return or_404(services.get_component, component_id)


def _group(group_id: str) -> ComponentGroup:
    return or_404(services.get_group, group_id)


@console_view("components.write")
@require_POST
def component(request: HttpRequest, component_id: str) -> HttpResponse:
    """One component's buttons: ``save`` (names, slug, group, description), ``up``/``down``,
    ``status`` (outside an incident: its subscribers are told) and ``delete``."""
    c = _component(component_id)
    actor, post, action = request.user.get_username(), request.POST, request.POST.get("action")

    def act() -> str:
        fresh = services.get_component(c.public_id)  # read again inside the transaction
        if action in ("up", "down"):
            services.move_component(actor=actor, component=fresh, direction=action)
            return ""
        if action == "status":
            new = services.set_status(actor=actor, component=fresh, status=post["status"])[1]
            return _("Status set: %(status)s.") % {"status": component_labels()[new]}
        if action == "delete":
            _confirmed(request)
            services.delete_component(actor=actor, component=fresh)
            return _("Component “%(name)s” deleted.") % {"name": fresh.name}
        services.change_component(
            actor=actor, component=fresh, name=_names(request), slug=post.get("slug", ""),
            group_id=post.get("group") or None, description=post.get("description", ""),
        )  # fmt: skip
        return _("Saved.")

    try:
        said = db.retrying(act)
    except (DomainError, KeyError) as exc:
        if isinstance(exc, KeyError):
            exc = forms.refused("status", _("Choose a status."))
        return _refused(request, f"c-{c.public_id}", exc)
    if said:
        messages.success(request, said)
    return _done("catalog" if action == "delete" else f"c-{c.public_id}")


@console_view("components.write")
@require_POST
def add_group(request: HttpRequest) -> HttpResponse:
    actor = request.user.get_username()
    try:
        g = db.retrying(
            lambda: services.create_group(
                actor=actor, name=_names(request), description=request.POST.get("description", "")
            )
        )
    except DomainError as exc:
        return _refused(request, "new-group", exc)
    messages.success(request, _("Group “%(name)s” added.") % {"name": g.name})
    return _done(f"g-{g.public_id}")


@console_view("components.write")
@require_POST
def group(request: HttpRequest, group_id: str) -> HttpResponse:
    """One group's buttons: ``save`` (names, description), ``up``/``down`` and ``delete``
    (its components stay, outside any group)."""
    g = _group(group_id)
    actor, action = request.user.get_username(), request.POST.get("action")

    def act() -> str:
        fresh = services.get_group(g.public_id)
        if action in ("up", "down"):
            services.move_group(actor=actor, group=fresh, direction=action)
            return ""
        if action == "delete":
            _confirmed(request)
            services.delete_group(actor=actor, group=fresh)
            return _("Group “%(name)s” deleted; its components are now outside any group.") % {
                "name": fresh.name
            }
        services.change_group(
            actor=actor, group=fresh, name=_names(request),
            description=request.POST.get("description", ""),
        )  # fmt: skip
        return _("Saved.")

    try:
        said = db.retrying(act)
    except DomainError as exc:
        return _refused(request, f"g-{g.public_id}", exc)
    if said:
        messages.success(request, said)
    return _done("catalog" if action == "delete" else f"g-{g.public_id}")
