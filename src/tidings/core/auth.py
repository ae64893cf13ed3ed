"""Who may use the staff API: an active staff user, by bearer token or by the session of the
console and admin. Only a SHA-256 digest of a token is stored; the token is shown once."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpRequest
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
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
    return _(
        "this API token expired on %(when)s UTC; "
        "issue a new one in the console or with 'tidings token --user <name>'"
    ) % {"when": f"{expires_at:%Y-%m-%d %H:%M}"}


def revoked_message(row: ApiToken) -> str:
    assert row.revoked_at is not None
    when = f"{row.revoked_at:%Y-%m-%d %H:%M}"
    if row.revoked_by:
        return _("this API token was revoked on %(when)s UTC by %(who)s") % {
            "when": when,
            "who": row.revoked_by,
        }
    return _("this API token was revoked on %(when)s UTC") % {"when": when}


#: What the token check reads, per table: the token's columns its checks and audit use; the
#: user's that say who they are and whether they are active staff; their profile's role.
_TOKEN_COLUMNS = ("id", "public_id", "name", "scopes", "last_used_at", "expires_at",
                  "revoked_at", "revoked_by")  # fmt: skip
_USER_COLUMNS = ("id", "username", "is_active", "is_staff", "is_superuser")
_PROFILE_COLUMNS = ("id", "role")
_TOKEN_SQL: list[str] = []


def _token_sql() -> str:
    """One SELECT joining the token, its user and their profile, written once per process
    from the models' own table and column names."""
    if not _TOKEN_SQL:
        q = connection.ops.quote_name
        profile_model = apps.get_model("staff", "StaffProfile")
        t, u, p = ApiToken._meta.db_table, User._meta.db_table, profile_model._meta.db_table
        cols = [f"t.{q(c)}" for c in _TOKEN_COLUMNS] + [f"u.{q(c)}" for c in _USER_COLUMNS]
        cols += [f"p.{q(c)}" for c in _PROFILE_COLUMNS]
        # Only the models' own names, quoted; the digest is a parameter.
        _TOKEN_SQL.append(
            f"SELECT {', '.join(cols)} FROM {q(t)} t JOIN {q(u)} u ON u.{q('id')} = t.{q('user_id')}"  # noqa: S608
            f" LEFT JOIN {q(p)} p ON p.{q('user_id')} = u.{q('id')} WHERE t.{q('digest')} = %s"
        )
    return _TOKEN_SQL[0]


def _aware(value: Any) -> Any:
    """A datetime column as the ORM gives it: aware, in UTC (SQLite's driver gives it naive)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _instance(model: Any, values: dict[str, Any]) -> Any:
    """A model instance as the ORM would load it with only these columns (the others
    deferred: read from the database when first used)."""
    fields = model._meta.concrete_fields
    return model.from_db(
        connection.alias,
        [f.attname for f in fields if f.attname in values],
        [values[f.attname] for f in fields if f.attname in values],
    )


def token_row(token_digest: str) -> ApiToken | None:
    """The token with this digest, its user and their profile (or None): read afresh on every
    request, so a revocation, an expiry or a user made inactive counts at once. Not through the
    ORM: building and compiling that query with its joins was about a third of a read's CPU.
    The instances hold only the columns read; any other is loaded when first used."""
    with connection.cursor() as cursor:
        cursor.execute(_token_sql(), [token_digest])
        found = cursor.fetchone()
    if found is None:
        return None
    n, m = len(_TOKEN_COLUMNS), len(_TOKEN_COLUMNS) + len(_USER_COLUMNS)
    tid, public_id, name, scopes, last_used, expires, revoked, revoked_by = found[:n]
    if isinstance(scopes, str | bytes):
        scopes = json.loads(scopes)
    row: ApiToken = _instance(ApiToken, {
        "id": tid, "public_id": public_id, "user_id": found[n], "name": name, "scopes": scopes,
        "last_used_at": _aware(last_used), "expires_at": _aware(expires),
        "revoked_at": _aware(revoked), "revoked_by": revoked_by,
    })  # fmt: skip
    uid, username, active, staff, superuser = found[n:m]
    user = _instance(User, {
        "id": uid, "username": username, "is_active": bool(active), "is_staff": bool(staff),
        "is_superuser": bool(superuser),
    })  # fmt: skip
    profile_model = apps.get_model("staff", "StaffProfile")
    pid, role = found[m:]
    # Cached on the user as select_related would: None means "has no profile" (DoesNotExist).
    profile = (
        None if pid is None else _instance(profile_model, {"id": pid, "user_id": uid, "role": role})
    )
    if profile is not None:
        profile._state.fields_cache["user"] = user
    user._state.fields_cache["staff_profile"] = profile
    row._state.fields_cache["user"] = user
    return row


class TokenAuth(HttpBearer):
    """A staff user's bearer token, within its scopes: a request its scopes do not allow is
    refused (403) before anything else is read."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = token_row(digest(token))
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
