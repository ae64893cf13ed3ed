"""The console's monitors screen: alert sources with their receiver URLs, monitors with their
last result, and the first updates waiting for a person (confirm, edit or dismiss)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tidings.components.models import Component
from tidings.config import get_settings
from tidings.console.access import console_view
from tidings.core.errors import DomainError
from tidings.monitors import checks, services
from tidings.monitors.kinds.registry import validate
from tidings.monitors.models import AlertGroup, AlertReceipt, AlertSource, Monitor


@console_view("monitors.read")
def overview(request: HttpRequest) -> HttpResponse:
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
    monitors = [
        {"m": m, "ping_url": services.heartbeat_url(m) if m.kind == "heartbeat" else ""}
        for m in Monitor.objects.select_related("component")
    ]
    recent = AlertGroup.objects.select_related("source", "monitor", "incident").filter(
        publish_at__isnull=True
    )[:20]
    return render(
        request,
        "console/monitors.html",
        {"sources": sources, "monitors": monitors, "pending": services.pending(), "recent": recent,
         "components": Component.objects.order_by("name"), "default_wait": get_settings().alert_publish_after},
    )  # fmt: skip


def _number(value: str) -> int | None:
    return int(value) if value.strip().lstrip("-").isdigit() else None


@console_view("monitors.write")
@require_POST
def add(request: HttpRequest, what: str) -> HttpResponse:
    """Add an alert source or a monitor from the screen's two small forms."""
    actor, post = request.user.get_username(), request.POST
    try:
        with transaction.atomic():
            if what == "source":
                source = services.create_source(
                    actor=actor, kind=post.get("kind", ""), name=post.get("name", ""),
                    components=[c for c in [post.get("component", "")] if c],
                    publish_after=_number(post.get("publish_after", "")),
                )  # fmt: skip
                messages.success(
                    request,
                    _("Alert source added. Its receiver URL: %(url)s")
                    % {"url": services.receiver_url(source)},
                )
            else:
                config = {
                    k: v for k in ("keyword", "max_latency_ms") if (v := post.get(k, "").strip())
                }
                monitor = checks.create_monitor(
                    actor=actor, kind=post.get("kind", ""), name=post.get("name", ""),
                    target=post.get("target", ""), component=post.get("component", ""),
                    interval=_number(post.get("interval", "")) or 60, failures=_number(post.get("failures", "")),
                    publish_after=_number(post.get("publish_after", "")), config=config, validate=validate,
                )  # fmt: skip
                messages.success(request, _("Monitor added."))
                if monitor.kind == "heartbeat":
                    messages.success(
                        request,
                        _("Its ping URL: %(url)s") % {"url": services.heartbeat_url(monitor)},
                    )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("console-monitors")


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
                title = request.POST.get("title", "").strip() if action == "edit" else None
                body = request.POST.get("body", "").strip() if action == "edit" else None
                services.confirm(actor=actor, group=group, title=title or None, body=body or None)
                messages.success(request, _("Posted on the status page."))
            else:
                messages.error(request, _("Unknown action."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("console-monitors")
