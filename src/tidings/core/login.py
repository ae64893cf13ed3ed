"""Staff sign-in, throttled: failed attempts are counted per client address and per username
in the shared request-count table (:mod:`tidings.core.throttle`), and past the limit every
attempt is refused before the password is even checked, the right password included, until
the window ends.

Why not django-axes: it would add three tables, a middleware and its own lockout rules for
what the count table the public forms already use does in fifty lines, on SQLite and
PostgreSQL alike, with every web process sharing the count. The admin login (which the
console uses too) goes through :class:`ThrottledBackend` like any other ``authenticate``
call, and its form says why it refuses."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from tidings.config import get_settings
from tidings.core import throttle


class Throttled(PermissionDenied):
    """Too many failed sign-ins for this username or from this address."""


def _keys(request: HttpRequest, username: str) -> list[tuple[str, str, int]]:
    s = get_settings()
    address = throttle.client_address(request, s.trusted_proxies)
    return [
        ("login-user", username.strip().casefold(), s.login_failures_per_user),
        ("login-address", address, s.login_failures_per_address),
    ]


def _window() -> int:
    return get_settings().login_window_minutes * 60


def blocked(request: HttpRequest, username: str) -> bool:
    """Whether sign-in for ``username`` from this request's address is refused for now."""
    per = _window()
    return any(
        0 < limit <= throttle.counted(scope, who, per_seconds=per)
        for scope, who, limit in _keys(request, username)
    )


def failed(request: HttpRequest, username: str) -> None:
    for scope, who, limit in _keys(request, username):
        if limit > 0:
            throttle.hit(scope, who, per_seconds=_window())


def refusal() -> str:
    minutes = max(1, -(-throttle.seconds_left(_window()) // 60))
    return _(
        "Too many failed sign-in attempts for this account or from your network. "
        "Try again in %(minutes)d minutes."
    ) % {"minutes": minutes}


class ThrottledBackend(ModelBackend):
    """Django's username and password check, refused while :func:`blocked`."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        name = username or kwargs.get(get_user_model().USERNAME_FIELD) or ""
        if request is not None and blocked(request, name):
            raise Throttled(refusal())  # Django stops here and says the sign-in failed
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and request is not None and name:
            failed(request, name)
        return user


class ThrottledLoginForm(AdminAuthenticationForm):
    """The admin (and console) sign-in form: says it is throttled, not "wrong password"."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if self.request is not None and username and blocked(self.request, username):
            raise ValidationError(refusal(), code="throttled")
        return super().clean()
