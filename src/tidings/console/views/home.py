"""The console's front page, its health check and the demo outbox."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from tidings.config import get_settings
from tidings.console.access import console_view
from tidings.core.models import PublishRequest, PublishState
from tidings.statuspage import snapshot


@console_view("incidents.read")
def home(request: HttpRequest) -> HttpResponse:
    from tidings.console.access import may
    from tidings.console.views.cadence import late_cards
    from tidings.console.views.labels import status_labels
    from tidings.console.views.live import open_incidents

    state = PublishState.objects.filter(id=1).first()
    active = open_incidents()
    return render(
        request,
        "console/home.html",
        {
            "active": active,
            "late": late_cards(active),
            "statuses": status_labels(),
            "can_declare": may(request, "incidents.write"),
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
    (``tidings up --demo``) takes them all and nothing leaves the machine. The list polls
    itself (``?since=<bytes>``: 204 while the append-only outbox has not grown)."""
    from tidings.demo.catcher import Outbox

    settings = get_settings()
    path = settings.demo_outbox
    size = path.stat().st_size if path.exists() else 0
    since = request.GET.get("since")
    if since is not None and since == str(size):
        return HttpResponse(status=204)
    return render(
        request,
        "console/_outbox_entries.html" if since is not None else "console/outbox.html",
        {"demo": settings.demo, "entries": Outbox(path).newest(100), "size": size},
    )
