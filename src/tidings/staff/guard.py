"""The staff API asks the role table too: a token's scopes narrow what it may do, and the role
of its user (or of the signed-in console user) decides first. Each request is the action
:func:`tidings.core.access.action_for` names; a path no action covers is refused to everyone,
so a new endpoint without an entry in the access table cannot be used until it has one."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from tidings.core import access
from tidings.core.auth import StaffSession, TokenAuth
from tidings.core.errors import Forbidden
from tidings.staff import rules
from tidings.staff.services import role_of


def request_action(request: HttpRequest) -> tuple[str, str, str | None]:
    """The method, the API path template and the action of ``request``."""
    method = request.method or "GET"
    match = request.resolver_match
    path = access.template_of(match.route) if match else request.path
    return method, path, access.action_for(method, path)


def refusal(role: str, method: str, path: str, action: str | None) -> str | None:
    """Why ``role`` may not make this request, or None when it may (in the request's language;
    role names, method, path and action stay as the API spells them)."""
    if action is None:
        return _("%(method)s %(path)s is not in the access table, so nobody may use it") % {
            "method": method,
            "path": path,
        }
    if rules.can(role, action):
        return None
    allowed = [r for r in rules.ROLES if rules.can(r, action)]
    return _(
        "your role (%(role)s) may not %(action)s (%(method)s %(path)s); allowed: %(allowed)s"
    ) % {
        "role": role,
        "action": action,
        "method": method,
        "path": path,
        "allowed": ", ".join(allowed) or _("nobody"),
    }


def check(request: HttpRequest, user: Any) -> Any:
    """``user`` when their role allows the request; Forbidden (403) otherwise."""
    if user is None:
        return None
    method, path, action = request_action(request)
    why = refusal(role_of(user) or "viewer", method, path, action)
    if why:
        raise Forbidden(why)
    return user


class RoleToken(TokenAuth):
    """A bearer token within its scopes and its user's role."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return check(request, super().authenticate(request, token))


class RoleSession(StaffSession):
    """The console's session, within the user's role."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return check(request, super().authenticate(request, key))
