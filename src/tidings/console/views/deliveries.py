"""The delivery report of an incident: per update, what went out on which channel and why the
rest did not, and re-enabling a target that deliveries disabled."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tidings.config import get_settings
from tidings.console.access import console_view, may
from tidings.core.errors import DomainError
from tidings.incidents.models import Incident
from tidings.notify import services as notify_services
from tidings.notify.models import DELIVERY_STATUSES
from tidings.notify.report import UpdateDeliveries, delivery_report
from tidings.statuspage.words import status_labels


def duration(seconds: float | None) -> str:
    """42 s, 3 min 05 s, 1 h 02 min: how long the telling took, at a glance."""
    if seconds is None:
        return "—"
    s = max(0, round(seconds))
    if s < 60:
        return _("%(s)d s") % {"s": s}
    if s < 3600:
        return _("%(m)d min %(s)02d s") % {"m": s // 60, "s": s % 60}
    return _("%(h)d h %(m)02d min") % {"h": s // 3600, "m": s % 3600 // 60}


def _update_view(u: UpdateDeliveries, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "u": u,
        "status_label": labels.get(u.status, u.status),
        "rows": [
            {
                "channel": channel,
                "counts": [counts[s] for s in DELIVERY_STATUSES],
                "total": sum(counts.values()),
            }
            for channel, counts in u.by_channel.items()
        ],
        "totals": [u.totals[s] for s in DELIVERY_STATUSES],
        "took": duration(u.seconds_to_last_delivery),
        "why": [(r.status, state_labels()[r.status], r.reason, r.count) for r in u.reasons],
    }


@console_view("deliveries.read")
def deliveries(request: HttpRequest, incident_id: str) -> HttpResponse:
    """Per update: deliveries by channel and status, publish to last delivery, and the
    targets disabled after a permanent failure (masked)."""
    return _report(request, incident_id, "console/deliveries.html")


@console_view("deliveries.read")
def live(request: HttpRequest, incident_id: str) -> HttpResponse:
    """The report's counts and reasons again, for the page's poll while deliveries go out
    (once all are done the answer no longer asks to be polled)."""
    return _report(request, incident_id, "console/_deliveries_live.html")


def _report(request: HttpRequest, incident_id: str, template: str) -> HttpResponse:
    incident = get_object_or_404(Incident, public_id=incident_id)
    labels = status_labels()
    report = delivery_report(incident, labels)
    return render(
        request,
        template,
        {
            "incident": incident,
            "report": report,
            "updates": [_update_view(u, labels) for u in report.updates],
            "pending": any(not u.complete for u in report.updates),
            "statuses": [(s, state_labels()[s]) for s in DELIVERY_STATUSES],
            "problems": [
                {**p.model_dump(), "label": state_labels()[p.status]} for p in report.problems
            ],
            "demo": get_settings().demo,
            "enabled": request.GET.get("enabled", ""),
            "error": request.GET.get("error", ""),
            "may_enable": may(request, "deliveries.write"),
        },
    )


def state_labels() -> dict[str, str]:
    return {
        "queued": _("Queued"), "sending": _("Sending"), "sent": _("Sent"), "failed": _("Failed"),
        "rejected": _("Refused"), "dead": _("Dead"), "superseded": _("Superseded"),
        "cancelled": _("Cancelled"), "": _("Other"),
    }  # fmt: skip


@console_view("deliveries.write")
@require_POST
def enable_target(request: HttpRequest, incident_id: str) -> HttpResponse:
    """The button on the deliveries page: send to a disabled subscriber or contact channel
    again. The full subscriber management comes with its own page."""
    incident = get_object_or_404(Incident, public_id=incident_id)
    actor = request.user.get_username()
    back = reverse("console-deliveries", args=[incident.public_id])
    try:
        with transaction.atomic():
            if request.POST.get("kind") == "subscriber":
                notify_services.enable_subscriber(
                    actor=actor, subscriber_id=request.POST.get("target_id", "")
                )
            else:
                notify_services.enable_contact_channel(
                    actor=actor, contact_id=_int(request.POST.get("target_id")),
                    channel=request.POST.get("channel", ""),
                )  # fmt: skip
    except DomainError as exc:
        return redirect(f"{back}?{urlencode({'error': exc.message})}")
    return redirect(f"{back}?{urlencode({'enabled': request.POST.get('masked', '')})}")


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0
