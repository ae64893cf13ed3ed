"""The staff console. For now a landing page; the war room comes with the crisis-desk work."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from tidings.config import get_settings
from tidings.core.models import PublishState
from tidings.incidents.models import Incident
from tidings.statuspage import snapshot


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
            "served": snapshot.current_version(get_settings().snapshot_dir),
            "public_url": get_settings().public_url,
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
