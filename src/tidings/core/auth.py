"""Who may use the staff API: an active staff user, by bearer token or by the session of the
console and admin. Only a SHA-256 digest of a token is stored; the token is shown once."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from tidings.config import get_settings
from tidings.core import access, clock, events
from tidings.core.errors import Forbidden
from tidings.core.models import ApiToken

PREFIX = "tdg_"
#: How stale ``last_used_at`` may be. Writing it on every request made each read a commit and
#: had every client of one token queue on that token's row.
TOUCH_EVERY = timedelta(minutes=1)


class Refused(AuthenticationError):
    """Credentials that were recognised but cannot be used; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(401, message)
        self.message = message


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    *, user: User, name: str, scopes: Sequence[str] = ("admin",), days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user`` with ``scopes`` (:mod:`tidings.core.access`), valid ``days``
    (default ``TIDINGS_API_TOKEN_DAYS``; 0: until revoked): the row, and the token itself, to
    show once."""
    token = PREFIX + secrets.token_urlsafe(32)
    lifetime = get_settings().api_token_days if days is None else days
    expires = clock.now() + timedelta(days=lifetime) if lifetime > 0 else None
    row = ApiToken.objects.create(
        user=user, name=name, digest=digest(token), hint=token[-4:],
        scopes=access.check_scopes(scopes), expires_at=expires,
    )  # fmt: skip
    return row, token


def issue_token(
    *, user: User, name: str, days: int | None = None, scopes: Sequence[str] = ("admin",)
) -> str:
    """:func:`issue`, the token only."""
    return issue(user=user, name=name, scopes=scopes, days=days)[1]


def is_staff(user: Any) -> bool:
    """Active staff: what every staff API path, the console and the admin require."""
    return bool(getattr(user, "is_active", False) and getattr(user, "is_staff", False))


def expired_message(expires_at: datetime) -> str:
    return (
        f"this API token expired on {expires_at:%Y-%m-%d %H:%M} UTC; "
        "issue a new one in the console or with 'tidings token --user <name>'"
    )


def revoked_message(row: ApiToken) -> str:
    assert row.revoked_at is not None
    by = f" by {row.revoked_by}" if row.revoked_by else ""
    return f"this API token was revoked on {row.revoked_at:%Y-%m-%d %H:%M} UTC{by}"


class TokenAuth(HttpBearer):
    """A staff user's bearer token, within its scopes: a request its scopes do not allow is
    refused (403) before anything else is read."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = (
            ApiToken.objects.select_related("user", "user__staff_profile")
            .filter(digest=digest(token))
            .first()
        )
        if row is None or not is_staff(row.user):
            return None
        now = clock.now()
        if row.revoked_at is not None:
            raise Refused(revoked_message(row))
        if row.expires_at is not None and row.expires_at <= now:
            raise Refused(expired_message(row.expires_at))
        method = request.method or "GET"
        match = request.resolver_match
        path = access.template_of(match.route) if match else request.path
        action = access.action_for(method, path)
        if not access.scope_allows(row.scopes, method, action):
            raise Forbidden(access.refusal(row.scopes, method, path, action))
        if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
            # The same minute bounds the audit log's record of token use.
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
            events.record(
                kind="token.used", actor=row.user.get_username(), subject_type="token",
                subject_id=row.public_id, public=False, name=row.name, method=method, path=path,
            )  # fmt: skip
        request.user = row.user
        return row.user


class StaffSession(APIKeyCookie):
    """The console's session cookie, for an active staff user only (ninja's ``django_auth``
    takes any signed-in user, so someone whose staff status was removed kept the API). Like
    ``django_auth`` it checks CSRF on unsafe methods."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        return user if is_staff(user) else None


def actor_of(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    return str(getattr(user, "username", "")) or "api"
