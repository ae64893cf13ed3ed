"""Who may open a console page: one decorator names the action each view performs, and the
role table (:mod:`tidings.staff.rules`) decides. Signed-out visitors go to the sign-in page;
staff whose role does not allow the action get a 403 page that says which roles do."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from tidings.core import audit
from tidings.core.auth import is_staff
from tidings.staff import rules
from tidings.staff.services import role_of

View = Callable[..., HttpResponse]


def role_labels() -> dict[str, str]:
    return {
        "admin": _("Administrator"), "commander": _("Incident commander"),
        "communications": _("Communications"), "support": _("Support"),
        "account_manager": _("Account manager"), "viewer": _("Viewer"),
    }  # fmt: skip


def roles_allowed(action: str) -> list[str]:
    """The roles that may take ``action``, in the table's order, as people read them."""
    allowed = rules.PERMISSIONS.get(action, frozenset())
    labels = role_labels()
    return [labels[r] for r in rules.ROLES if r in allowed]


def forbidden(request: HttpRequest, action: str) -> HttpResponse:
    role = getattr(request, "staff_role", None) or role_of(request.user) or "viewer"
    return render(
        request,
        "console/403.html",
        {"action": action, "allowed": roles_allowed(action), "role": role_labels()[role]},
        status=403,
    )


def console_view(action: str) -> Callable[[View], View]:
    """``@console_view("incidents.write")``: the view runs for an active staff user whose role
    allows ``action``; ``request.staff_role`` holds the role for the page."""
    if action not in rules.PERMISSIONS:
        raise ValueError(f"unknown action {action!r}: add it to tidings.staff.rules first")

    def wrap(view: View) -> View:
        @functools.wraps(view)
        def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not is_staff(request.user):
                login = reverse("console-login")
                return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
            role = role_of(request.user) or "viewer"
            request.staff_role = role  # type: ignore[attr-defined]
            if not rules.can(role, action):
                return forbidden(request, action)
            return audit.filling_gap(
                actor=request.user.get_username(), via="console", method=request.method or "GET",
                path=request.path, action=action, run=lambda: view(request, *args, **kwargs),
                done=lambda r: _succeeded(request, r, action),
            )  # fmt: skip

        run.console_action = action  # type: ignore[attr-defined]
        return run

    return wrap


def _succeeded(request: HttpRequest, response: HttpResponse, action: str) -> bool:
    """An export that was sent, or a form that was taken (a redirect after the POST); a form
    shown again with its errors changed nothing."""
    if action.endswith(".export"):
        return response.status_code == 200
    return request.method == "POST" and 300 <= response.status_code < 400


def may(request: HttpRequest, action: str) -> bool:
    """For templates and views: whether the signed-in user's role allows ``action``."""
    role = getattr(request, "staff_role", None)
    return role is not None and rules.can(role, action)
