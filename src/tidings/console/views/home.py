"""The console's front page, its health check and the demo outbox."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from tidings.config import get_settings
from tidings.console.access import console_view
from tidings.core.models import PublishRequest, PublishState
from tidings.incidents.models import Incident
from tidings.statuspage import snapshot


@console_view("incidents.read")
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
            "demo": get_settings().demo,
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


@console_view("deliveries.read")
def outbox(request: HttpRequest) -> HttpResponse:
    """Every message "sent" in the demo, as its recipient would see it: the demo's catcher
    (``tidings up --demo``) takes them all and nothing leaves the machine."""
    from tidings.demo.catcher import Outbox

    settings = get_settings()
    return render(
        request,
        "console/outbox.html",
        {"demo": settings.demo, "entries": Outbox(settings.demo_outbox).newest(100)},
    )
