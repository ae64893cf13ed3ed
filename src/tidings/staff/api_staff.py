"""Staff API for staff members: who has which role; admins change roles (logged as
``staff.changed``)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from tidings.core.auth import actor_of
from tidings.staff import rules, services

router = Router(tags=["staff"])


class StaffOut(Schema):
    username: str
    name: str
    email: str
    role: str
    active: bool
    on_call: bool


class StaffIn(Schema):
    role: str | None = Field(None, description=f"one of {', '.join(rules.ROLES)}")
    on_call: bool | None = None


def out(user: User) -> StaffOut:
    profile = getattr(user, "staff_profile", None)
    return StaffOut(
        username=user.username, name=user.get_full_name(), email=user.email,
        role=services.assigned_role(user),
        active=user.is_active, on_call=bool(profile and profile.on_call),
    )  # fmt: skip


@router.get("/staff", response=list[StaffOut], summary="Staff members and their roles")
def list_staff(request: HttpRequest) -> list[StaffOut]:
    return [out(u) for u in services.staff_members()]


@router.patch("/staff/{username}", response=StaffOut, summary="Change a staff member's role")
def change_staff(request: HttpRequest, username: str, payload: StaffIn) -> StaffOut:
    """Admins only. The change is in the audit log (`staff.changed`, with before and after)."""
    user = services.get_staff(username)
    fields = payload.dict(exclude_none=True)
    if fields:
        services.set_role(actor=actor_of(request), user=user, **fields)
    user.refresh_from_db()
    return out(user)
