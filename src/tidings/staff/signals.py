"""Sign-ins, sign-outs, failed sign-ins and the Django admin's own changes go to the audit log.
Connected in :class:`tidings.staff.apps.StaffConfig`."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save

from tidings.core import events

_ADMIN_KINDS = {ADDITION: "admin.added", CHANGE: "admin.changed", DELETION: "admin.deleted"}


def _address(request: Any) -> str:
    return str(getattr(request, "META", {}).get("REMOTE_ADDR", "")) if request else ""


def signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if getattr(user, "is_staff", False):
        events.record(
            kind="staff.signed_in", actor=user.get_username(), subject_type="staff",
            subject_id=user.get_username()[:32], public=False, address=_address(request),
        )  # fmt: skip


def signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and getattr(user, "is_staff", False):
        events.record(
            kind="staff.signed_out", actor=user.get_username(), subject_type="staff",
            subject_id=user.get_username()[:32], public=False, address=_address(request),
        )  # fmt: skip


def sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    # Django has already blanked the password in ``credentials``; only the name tried is kept.
    name = str(credentials.get("username", ""))[:150]
    events.record(
        kind="staff.sign_in_failed", actor="anonymous", subject_type="staff",
        subject_id=name[:32], public=False, username=name, address=_address(request),
    )  # fmt: skip


def admin_logged(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if created:
        events.record(
            kind=_ADMIN_KINDS.get(instance.action_flag, "admin.changed"),
            actor=str(getattr(instance.user, "username", "")), subject_type="admin",
            subject_id=str(instance.object_id or "")[:32], public=False,
            model=str(instance.content_type) if instance.content_type_id else "",
            object=instance.object_repr, message=instance.get_change_message(),
        )  # fmt: skip


def connect() -> None:
    user_logged_in.connect(signed_in, dispatch_uid="tidings-audit-in")
    user_logged_out.connect(signed_out, dispatch_uid="tidings-audit-out")
    user_login_failed.connect(sign_in_failed, dispatch_uid="tidings-audit-failed")
    post_save.connect(admin_logged, sender=LogEntry, dispatch_uid="tidings-audit-admin")
