from django.contrib import admin
from django.urls import path

from tidings.api import api
from tidings.console import views as console

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("console/", console.home, name="console-home"),
    path("healthz", console.healthz, name="healthz"),
]
