from django.contrib import admin
from django.urls import include, path

from tidings.api import api
from tidings.console import views as console

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("console/", console.home, name="console-home"),
    path(
        "console/incidents/<str:incident_id>/deliveries",
        console.deliveries,
        name="console-deliveries",
    ),
    path(
        "console/incidents/<str:incident_id>/deliveries/enable",
        console.enable_target,
        name="console-enable-target",
    ),
    path("console/outbox", console.outbox, name="console-outbox"),
    path("healthz", console.healthz, name="healthz"),
    path("", include("tidings.subscribers.urls")),
]

# A database outage answers 503 in the visitor's language (JSON under /api/), not a bare 500.
handler500 = "tidings.core.unavailable.server_error"
