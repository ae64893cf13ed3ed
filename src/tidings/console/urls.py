"""Console URLs, included under ``/console/`` by :mod:`tidings.urls`. Each area keeps its
block; a new screen adds its lines to its own block."""

from __future__ import annotations

from django.urls import path

from tidings.console.views import auth, deliveries, home

urlpatterns = [
    # shell
    path("", home.home, name="console-home"),
    path("login", auth.login, name="console-login"),
    path("logout", auth.logout, name="console-logout"),
    path("outbox", home.outbox, name="console-outbox"),
    # deliveries
    path(
        "incidents/<str:incident_id>/deliveries",
        deliveries.deliveries,
        name="console-deliveries",
    ),
    path(
        "incidents/<str:incident_id>/deliveries/enable",
        deliveries.enable_target,
        name="console-enable-target",
    ),
]
