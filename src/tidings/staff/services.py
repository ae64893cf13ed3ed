"""Staff roles and contact details. The caller owns the transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from tidings.core import events
from tidings.core.errors import InvalidInput, NotFound
from tidings.staff import rules
from tidings.staff.models import STAFF_CHANNELS, StaffProfile


def role_of(user: Any) -> str | None:
    """The role of an active staff user; None for anyone else. A superuser is an admin; a
    staff user nobody gave a role reads only."""
    if (
        user is None
        or not getattr(user, "is_active", False)
        or not getattr(user, "is_staff", False)
    ):
        return None
    return assigned_role(user)


def assigned_role(user: User) -> str:
    """The role a staff member holds, whether or not they are active now (an inactive one may
    do nothing: :func:`role_of`)."""
    if user.is_superuser:
        return "admin"
    # Through the relation, which the user object keeps: one read per request however many
    # checks ask (and none when the token's query joined it).
    try:
        return str(user.staff_profile.role)
    except StaffProfile.DoesNotExist:
        return "viewer"


def may(user: Any, action: str) -> bool:
    role = role_of(user)
    return role is not None and rules.can(role, action)


def get_staff(username: str) -> User:
    user = User.objects.filter(username=username, is_staff=True).first()
    if user is None:
        raise NotFound(_("no staff user %(username)s") % {"username": repr(username)})
    return user


def set_profile(*, actor: str, user: User, **fields: Any) -> StaffProfile:
    """Set a staff member's role, language, phone, channels or on-call flag."""
    unknown = set(fields) - {"role", "language", "phone", "channels", "on_call"}
    if unknown:
        raise InvalidInput(
            _("cannot change %(fields)s of a staff member") % {"fields": ", ".join(sorted(unknown))}
        )
    if "role" in fields:
        try:
            rules.check_role(fields["role"])
        except ValueError:
            raise InvalidInput(
                _("unknown role %(role)s; use one of %(roles)s")
                % {"role": repr(fields["role"]), "roles": ", ".join(rules.ROLES)}
            ) from None
    if "channels" in fields:
        fields["channels"] = _channels(fields["channels"])
    profile, _created = StaffProfile.objects.get_or_create(user=user)
    before = {k: getattr(profile, k) for k in fields}
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()
    user.staff_profile = profile  # the user object answers role checks from this relation
    events.record(
        kind="staff.changed", actor=actor, subject_type="staff", subject_id=user.username,
        public=False, fields={k: [before[k], getattr(profile, k)] for k in fields},
    )  # fmt: skip
    return profile


def staff_members() -> list[User]:
    """Every staff account (active first), with its profile."""
    return list(
        User.objects.filter(is_staff=True)
        .select_related("staff_profile")
        .order_by("-is_active", "username")
    )


def set_role(*, actor: str, user: User, role: str | None = None, **fields: Any) -> StaffProfile:
    """:func:`set_profile` for the staff screen: a superuser is an administrator whatever their
    profile says, and the last administrator cannot give the role away (nobody could manage
    staff afterwards)."""
    if role is not None and role != assigned_role(user):
        if user.is_superuser:
            raise InvalidInput(
                _("%(user)s is a superuser and always an administrator.") % {"user": user},
                field="role",
            )
        if role_of(user) == "admin" and _admins() <= 1:
            raise InvalidInput(
                _("%(user)s is the last administrator; make someone else one first.")
                % {"user": user},
                field="role",
            )
        fields["role"] = role
    return set_profile(actor=actor, user=user, **fields)


def _admins() -> int:
    active = User.objects.filter(is_active=True, is_staff=True)
    return (
        active.filter(is_superuser=True).count()
        + active.filter(is_superuser=False, staff_profile__role="admin").count()
    )


def _channels(value: object) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise InvalidInput(
            _('channels is a list such as [{"channel": "sms", "target": "+972..."}]')
        )
    out = []
    for item in value:
        if not isinstance(item, dict) or item.get("channel") not in STAFF_CHANNELS:
            raise InvalidInput(
                _("each channel is one of %(channels)s with a target")
                % {"channels": ", ".join(STAFF_CHANNELS)}
            )
        target = str(item.get("target") or "").strip()
        if not target and item["channel"] != "email":
            raise InvalidInput(
                _("the %(channel)s channel needs a target") % {"channel": item["channel"]}
            )
        out.append({"channel": str(item["channel"]), "target": target})
    return out


def on_call() -> list[User]:
    """Active staff on call, for pages from monitors and alerts."""
    return list(
        User.objects.filter(is_active=True, is_staff=True, staff_profile__on_call=True).order_by(
            "username"
        )
    )
