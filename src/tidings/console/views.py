"""The staff console. For now a landing page; the war room comes with the crisis-desk work."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from tidings.config import get_settings
from tidings.core.models import PublishRequest, PublishState
from tidings.incidents.models import Incident
from tidings.notify.api import UpdateDeliveries, delivery_report
from tidings.notify.models import DELIVERY_STATUSES
from tidings.statuspage import snapshot
from tidings.statuspage.html import _status_labels as status_labels


@staff_member_required
def home(request: HttpRequest) -> HttpResponse:
    active = Incident.objects.exclude(status__in=("resolved", "completed", "cancelled")).order_by(
        "-started_at"
    )
    state = PublishState.objects.filter(id=1).first()
    return render(
        request,
        "console/home.html",
        {
            "active": active,
            "state": state,
            "pending": PublishRequest.objects.count(),
            "served": snapshot.current_version(get_settings().snapshot_dir),
            "public_url": get_settings().public_url,
        },
    )


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
    }


@staff_member_required
def deliveries(request: HttpRequest, incident_id: str) -> HttpResponse:
    """Per update: deliveries by channel and status, publish to last delivery, and the
    targets disabled after a permanent failure (masked)."""
    incident = get_object_or_404(Incident, public_id=incident_id)
    report = delivery_report(incident)
    labels = status_labels()
    return render(
        request,
        "console/deliveries.html",
        {
            "incident": incident,
            "report": report,
            "updates": [_update_view(u, labels) for u in report.updates],
            "pending": any(not u.complete for u in report.updates),
        },
    )


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the staff app and its database (the public page has its own: /live.json)."""
    try:
        PublishState.objects.exists()  # reads a real table: "SELECT 1" passes on a corrupt SQLite file
        db = "ok"
    except Exception as exc:  # reported, not raised: this endpoint exists to say what is wrong
        db = f"error: {exc.__class__.__name__}"
    return JsonResponse({"database": db}, status=200 if db == "ok" else 503)
