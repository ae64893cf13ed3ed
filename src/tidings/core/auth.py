"""Bearer tokens for the staff API. Only a SHA-256 digest is stored; the token is shown once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.security import HttpBearer

from tidings.core import clock
from tidings.core.models import ApiToken

PREFIX = "tdg_"
#: How stale ``last_used_at`` may be. Writing it on every request made each read a commit and
#: had every client of one token queue on that token's row.
TOUCH_EVERY = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, user: User, name: str) -> str:
    token = PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, digest=digest(token))
    return token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = ApiToken.objects.select_related("user").filter(digest=digest(token)).first()
        if row is None or not row.user.is_active or not row.user.is_staff:
            return None
        now = clock.now()
        if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        return row.user


def actor_of(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    return str(getattr(user, "username", "")) or "api"
