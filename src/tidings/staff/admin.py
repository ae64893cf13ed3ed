"""The Django admin is for administrators only (the admin role or a superuser): it reaches
every table past the rules the console and the API keep, so no other role gets in."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tidings.staff.services import role_of


def _admins_only(request: HttpRequest) -> bool:
    user = request.user
    return role_of(user) == "admin"


admin.site.has_permission = _admins_only  # type: ignore[method-assign]
