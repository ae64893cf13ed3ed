from django.contrib import admin
from django.urls import include, path

from tidings.api import api
from tidings.console import monitors as monitors_console
from tidings.console import views as console
from tidings.monitors import receiver

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("console/", console.home, name="console-home"),
    path(
        "console/incidents/<str:incident_id>/deliveries",
        console.deliveries,
        name="console-deliveries",
    ),
    path("console/monitors", monitors_console.overview, name="console-monitors"),
    path(
        "console/monitors/groups/<str:group_id>", monitors_console.act, name="console-alert-group"
    ),
    path("hooks/alerts/<str:secret>", receiver.alert_webhook, name="alert-webhook"),
    path("hooks/alerts/<str:secret>/<path:tail>", receiver.alert_webhook),
    path("hooks/heartbeat/<str:secret>", receiver.heartbeat, name="heartbeat"),
    path("console/monitors/add/<str:what>", monitors_console.add, name="console-monitors-add"),
    path("healthz", console.healthz, name="healthz"),
    path("", include("tidings.subscribers.urls")),
]
