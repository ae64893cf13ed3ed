"""The console's monitors screen, phone first: the first updates waiting for a person
(confirm, edit or dismiss) at the top and live; then monitors with their last result, alert
sources with their receiver URL to copy, staff event hooks, and the forms that add them
(a refusal next to its field, with what was typed)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tidings.components.models import Component
from tidings.config import get_settings
from tidings.console import forms
from tidings.console.access import console_view, may
from tidings.console.views.labels import component_labels
from tidings.core.errors import DomainError, InvalidInput
from tidings.monitors import checks, hooks, services
from tidings.monitors.kinds.registry import validate
from tidings.monitors.models import AlertGroup, AlertReceipt, AlertSource, EventHook, Monitor

#: The first words of the monitors area's refusals, and the field each is about.
_FIELDS = (
    ("a name", "name"), ("an alert source named", "name"), ("a monitor named", "name"),
    ("unknown alert source kind", "kind"), ("unknown monitor kind", "kind"),
    ("interval", "interval"), ("failures", "failures"), ("publish_after", "publish_after"),
    ("no component", "component"), ("keyword", "keyword"), ("max_latency_ms", "max_latency_ms"),
    ("an event hook", "kind"), ("language", "language"),
)  # fmt: skip


def _field(exc: DomainError, default: str) -> str:
    if exc.field:
        return exc.field
    lowered = exc.message.lower()
    return next((f for start, f in _FIELDS if lowered.startswith(start)), default)


def _pending_view(
    where: str = "", typed: dict[str, Any] | None = None, errors: forms.Errors | None = None
) -> list[dict[str, Any]]:
    """The waiting posts; the one whose edit was just refused keeps what was typed."""
    names = dict(Component.objects.values_list("public_id", "name"))
    labels = component_labels()
    rows = []
    for g in services.pending():
        mine = where == f"group-{g.public_id}"
        rows.append({
            "g": g, "components": [(names.get(cid, cid), labels.get(s, s), s) for cid, s in g.components.items()],
            "open": mine, "errs": errors if mine else {},
            "f": (typed or {}) if mine else {"title_en": g.title},
        })  # fmt: skip
    return rows


def _signature(rows: list[dict[str, Any]]) -> str:
    """What the waiting list shows, in short: unchanged, the poll swaps nothing."""
    return ",".join(f"{r['g'].public_id}@{r['g'].publish_at.timestamp():.0f}" for r in rows)


def _monitors() -> list[dict[str, Any]]:
    return [
        {"m": m, "ping_url": services.heartbeat_url(m) if m.kind == "heartbeat" else ""}
        for m in Monitor.objects.select_related("component").order_by("name")
    ]


def _page(
    request: HttpRequest,
    *,
    errors: forms.Errors | None = None,
    where: str = "",
) -> HttpResponse:
    last = dict(
        AlertReceipt.objects.values("source_id")
        .annotate(at=Max("received_at"))
        .values_list("source_id", "at")
    )
    sources = [
        {"s": s, "url": services.receiver_url(s), "last": last.get(s.pk),
         "rejected": AlertReceipt.objects.filter(source=s, state__in=("rejected", "failed")).order_by("-id").first()}
        for s in AlertSource.objects.all()
    ]  # fmt: skip
    typed = forms.keep(request.POST) if request.method == "POST" else {}
    pending = _pending_view(where, typed, errors)
    return render(
        request,
        "console/monitors.html",
        {
            "sources": sources, "monitors": _monitors(), "pending": pending,
            "signature": _signature(pending),
            "recent": AlertGroup.objects.select_related("source", "monitor", "incident").filter(
                publish_at__isnull=True
            )[:20],
            "hooks": EventHook.objects.order_by("created_at"),
            "components": Component.objects.order_by("name"),
            "default_wait": get_settings().alert_publish_after,
            "source_kinds": [("alertmanager", "Prometheus Alertmanager"), ("grafana", "Grafana"),
                             ("pagerduty", "PagerDuty"), ("generic", _("Generic JSON"))],
            "may_write": may(request, "monitors.write"),
            "may_post": may(request, "incidents.write"),
            "errors": errors or forms.Errors(), "where": where,
            "v": typed,
        },
        status=422 if errors else 200,
    )  # fmt: skip


@console_view("monitors.read")
def overview(request: HttpRequest) -> HttpResponse:
    return _page(request)


@console_view("monitors.read")
def pending(request: HttpRequest) -> HttpResponse:
    """The waiting list for the poll: 204 (nothing moves on screen) while it is unchanged."""
    rows = _pending_view()
    signature = _signature(rows)
    if request.GET.get("since") == signature:
        return HttpResponse(status=204)
    return render(
        request,
        "console/_alerts_pending.html",
        {"pending": rows, "signature": signature, "may_post": may(request, "incidents.write")},
    )


@console_view("monitors.read")
def monitor_list(request: HttpRequest) -> HttpResponse:
    return render(request, "console/_monitor_list.html", {"monitors": _monitors()})


def _number(post: Any, name: str, errors: forms.Errors) -> int | None:
    raw = post.get(name, "").strip()
    if not raw:
        return None
    if raw.lstrip("-").isdigit():
        return int(raw)
    errors.add(_("Give a whole number of seconds."), name)
    return None


def _add_source(request: HttpRequest, actor: str, errors: forms.Errors) -> None:
    post = request.POST
    wait = _number(post, "publish_after", errors)
    if errors:
        return
    source = services.create_source(
        actor=actor, kind=post.get("kind", ""), name=post.get("name", ""),
        components=[c for c in [post.get("component", "")] if c], publish_after=wait,
    )  # fmt: skip
    messages.success(
        request,
        _("Alert source added. Its receiver URL: %(url)s") % {"url": services.receiver_url(source)},
    )


def _add_monitor(request: HttpRequest, actor: str, errors: forms.Errors) -> None:
    post = request.POST
    interval = _number(post, "interval", errors)
    failures = _number(post, "failures", errors)
    wait = _number(post, "publish_after", errors)
    config: dict[str, Any] = {k: v for k in ("keyword",) if (v := post.get(k, "").strip())}
    latency = post.get("max_latency_ms", "").strip()
    if latency:
        if latency.isdigit():
            config["max_latency_ms"] = latency
        else:
            errors.add(_("Give a whole number of milliseconds."), "max_latency_ms")
    if errors:
        return
    monitor = checks.create_monitor(
        actor=actor, kind=post.get("kind", ""), name=post.get("name", ""),
        target=post.get("target", ""), component=post.get("component", ""),
        interval=interval or 60, failures=failures, publish_after=wait, config=config,
        validate=validate,
    )  # fmt: skip
    messages.success(request, _("Monitor added."))
    if monitor.kind == "heartbeat":
        messages.success(
            request, _("Its ping URL: %(url)s") % {"url": services.heartbeat_url(monitor)}
        )


def _add_hook(request: HttpRequest, actor: str, errors: forms.Errors) -> None:
    post = request.POST
    hook = hooks.create_hook(
        actor=actor, kind=post.get("kind", ""), url=post.get("url", "").strip(),
        language=post.get("language", "en"),
    )  # fmt: skip
    messages.success(request, _("Event hook added."))
    if hook.kind == "webhook":
        messages.success(
            request,
            _("Its signing secret (header X-Tidings-Signature): %(secret)s")
            % {"secret": hook.secret},
        )


_ADDERS = {"source": _add_source, "monitor": _add_monitor, "hook": _add_hook}
_DEFAULT_FIELD = {"source": "name", "monitor": "target", "hook": "url"}


@console_view("monitors.write")
@require_POST
def add(request: HttpRequest, what: str) -> HttpResponse:
    """Add an alert source, a monitor or a staff event hook from the screen's forms."""
    if what not in _ADDERS:
        return redirect("console-monitors")
    errors = forms.Errors()
    try:
        with transaction.atomic():
            _ADDERS[what](request, request.user.get_username(), errors)
    except DomainError as exc:
        errors.add(exc.message, _field(exc, _DEFAULT_FIELD[what]))
    if errors:
        return _page(request, errors=errors, where=what)
    return redirect(reverse("console-monitors") + f"#{what}s")


@console_view("monitors.write")
@require_POST
def delete_hook(request: HttpRequest, hook_id: str) -> HttpResponse:
    try:
        with transaction.atomic():
            hooks.delete_hook(actor=request.user.get_username(), public_id=hook_id)
        messages.success(request, _("Event hook removed."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("console-monitors") + "#hooks")


@console_view("incidents.write")
@require_POST
def act(request: HttpRequest, group_id: str) -> HttpResponse:
    """Confirm (post as composed), edit (post with the person's title and text) or dismiss."""
    action = request.POST.get("action", "")
    actor = request.user.get_username()
    try:
        with transaction.atomic():
            group = services.get_group(group_id)
            if action == "dismiss":
                services.dismiss(actor=actor, group=group)
                messages.success(request, _("Dismissed: nothing will be posted for this alert."))
            elif action in ("confirm", "edit"):
                edit = action == "edit"
                title = forms.localized(request.POST, "title") if edit else None
                body = forms.localized(request.POST, "body") if edit else None
                incident = services.confirm(
                    actor=actor, group=group, title=title or None, body=body or None
                )
                messages.success(request, _("Posted on the status page."))
                return redirect("console-incident", incident.public_id)
            else:
                messages.error(request, _("Unknown action."))
    except DomainError as exc:
        if action == "edit" and isinstance(exc, InvalidInput):  # still waiting: fix and post
            errors = forms.Errors()
            errors.refusal(exc)
            return _page(request, errors=errors, where=f"group-{group_id}")
        messages.error(request, exc.message)
    return redirect("console-monitors")
