from django.contrib import admin
from django.urls import include, path

from tidings.api import api
from tidings.console.views import home as console_home

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("console/", include("tidings.console.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", console_home.healthz, name="healthz"),
    path("", include("tidings.subscribers.urls")),
]

# A database outage answers 503 in the visitor's language (JSON under /api/), not a bare 500.
handler500 = "tidings.core.unavailable.server_error"
