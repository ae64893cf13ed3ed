"""API tokens that staff make for themselves: created with scopes, shown once, listed, revoked.
Admins see and revoke everyone's. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tidings.core import access, clock, events, text
from tidings.core.auth import issue
from tidings.core.errors import Forbidden, InvalidInput, NotFound
from tidings.core.models import ApiToken
from tidings.staff.services import may, role_of

#: The longest lifetime a token made in the console or API may be given.
MAX_DAYS = 3650

#: What a scope lets a token change; a role that may change none of it gets no such token.
_SCOPE_NEEDS = {
    "incidents": ("incidents.write", "components.write", "templates.write", "monitors.write"),
    "subscribers": ("subscribers.write",),
    "customers": ("customers.write",),
}


@dataclass(frozen=True)
class NewToken:
    row: ApiToken
    secret: str  # shown once, never stored


def state(row: ApiToken) -> str:
    """``active``, ``expired`` or ``revoked``."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= clock.now():
        return "expired"
    return "active"


def is_admin(user: Any) -> bool:
    return role_of(user) == "admin"


def allowed_scopes(user: Any) -> list[str]:
    """The scopes ``user`` may give a token: ``read`` always; a writing scope if their role may
    change something in it; ``admin`` for admins."""
    out = []
    for scope in access.SCOPES:
        if scope == "admin":
            ok = is_admin(user)
        else:
            ok = scope == "read" or any(may(user, a) for a in _SCOPE_NEEDS[scope])
        if ok:
            out.append(scope)
    return out


def create(*, user: User, name: str, scopes: Sequence[str], days: int | None = None) -> NewToken:
    """A token for ``user`` (who asks for it: nobody makes tokens for someone else)."""
    name = text.line(name, field="name", max_chars=100, required=True)
    try:
        wanted = access.check_scopes(scopes)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    refused = [s for s in wanted if s not in allowed_scopes(user)]
    if refused:
        raise Forbidden(
            _("Your role (%(role)s) cannot use a token with the scope %(scopes)s.")
            % {"role": role_of(user) or "-", "scopes": ", ".join(refused)}
        )
    if days is not None and not 0 <= days <= MAX_DAYS:
        raise InvalidInput(_("days: from 0 (never expires) to %(max)d") % {"max": MAX_DAYS})
    row, secret = issue(user=user, name=name, scopes=wanted, days=days)
    events.record(kind="token.created", actor=user.get_username(), subject_type="token",
                  subject_id=row.public_id, public=False, name=name, scopes=wanted,
                  expires_at=row.expires_at.isoformat() if row.expires_at else None)  # fmt: skip
    return NewToken(row, secret)


def visible(*, user: Any, everyone: bool = False) -> QuerySet[ApiToken]:
    """``user``'s tokens, newest first; with ``everyone``, all staff's (admins only)."""
    qs = ApiToken.objects.select_related("user").order_by("-created_at", "-id")
    if everyone:
        if not is_admin(user):
            raise Forbidden(_("Only admins see everyone's tokens."))
        return qs
    return qs.filter(user=user)


def get(*, user: Any, token_id: str) -> ApiToken:
    row = ApiToken.objects.select_related("user").filter(public_id=token_id).first()
    if row is None or (row.user_id != user.pk and not is_admin(user)):
        raise NotFound(_("no token %(id)s") % {"id": token_id})
    return row


def revoke(*, user: Any, token_id: str) -> ApiToken:
    """Refuse the token from now on. Revoking twice is fine; the first date stays."""
    row = get(user=user, token_id=token_id)
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        row.revoked_by = user.get_username()
        row.save(update_fields=["revoked_at", "revoked_by"])
        events.record(kind="token.revoked", actor=user.get_username(), subject_type="token",
                      subject_id=row.public_id, public=False, owner=row.user.get_username())  # fmt: skip
    return row
