"""Component use cases. The caller owns the transaction."""

from __future__ import annotations

from typing import Any

from django.db.models import Max

from tidings.components.models import Component, ComponentGroup, StatusChange
from tidings.components.rules import COMPONENT_STATUSES
from tidings.core import clock, db, events, text
from tidings.core.errors import InvalidInput, NotFound

_EDITABLE = ("name", "description", "position", "showcase", "only_show_if_degraded", "start_date")


def check_status(status: str) -> str:
    if status not in COMPONENT_STATUSES:
        raise InvalidInput(
            f"unknown component status {status!r}; use one of {', '.join(COMPONENT_STATUSES)}"
        )
    return status


def _name(value: str) -> str:
    return text.line(value, field="name", max_chars=120)


def _description(value: str) -> str:
    return text.clean(value, field="description", single_line=False)


def get_component(public_id: str) -> Component:
    try:
        return Component.objects.select_related("group").get(public_id=public_id)
    except Component.DoesNotExist:
        raise NotFound(f"no component with id {public_id!r}") from None


def get_group(public_id: str) -> ComponentGroup:
    try:
        return ComponentGroup.objects.get(public_id=public_id)
    except ComponentGroup.DoesNotExist:
        raise NotFound(f"no component group with id {public_id!r}") from None


def create_group(
    *, actor: str, name: str, description: str = "", position: int | None = None
) -> ComponentGroup:
    name, description = _name(name), _description(description)
    if not name:
        raise InvalidInput("a group needs a name")
    if ComponentGroup.objects.filter(name=name).exists():
        raise InvalidInput(f"a group named {name!r} exists already")
    if position is None:
        position = (ComponentGroup.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    now = clock.now()
    group = ComponentGroup.objects.create(
        name=name,
        description=description,
        position=position,
        created_at=now,
        updated_at=now,
    )
    events.record(
        kind="group.created",
        actor=actor,
        subject_type="group",
        subject_id=group.public_id,
        name=group.name,
    )
    return group


def create_component(
    *,
    actor: str,
    name: str,
    description: str = "",
    group_id: str | None = None,
    position: int | None = None,
    status: str = "operational",
    showcase: bool = True,
    only_show_if_degraded: bool = False,
) -> Component:
    name, description = _name(name), _description(description)
    if not name:
        raise InvalidInput("a component needs a name")
    check_status(status)
    group = get_group(group_id) if group_id else None
    if Component.objects.filter(group=group, name=name).exists():
        raise InvalidInput(f"a component named {name!r} exists already in that group")
    if position is None:
        position = (
            Component.objects.filter(group=group).aggregate(m=Max("position"))["m"] or 0
        ) + 1
    now = clock.now()
    component = Component.objects.create(
        name=name,
        description=description,
        group=group,
        position=position,
        status=status,
        showcase=showcase,
        only_show_if_degraded=only_show_if_degraded,
        start_date=now.date(),
        created_at=now,
        updated_at=now,
    )
    events.record(
        kind="component.created",
        actor=actor,
        subject_type="component",
        subject_id=component.public_id,
        name=component.name,
        status=status,
    )
    return component


def change_component(*, actor: str, component: Component, **fields: Any) -> Component:
    unknown = set(fields) - set(_EDITABLE) - {"group_id"}
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a component")
    if "group_id" in fields:
        gid = fields.pop("group_id")
        component.group = get_group(gid) if gid else None
        fields["group"] = component.group
    if "name" in fields:
        fields["name"] = _name(fields["name"] or "")
        if not fields["name"]:
            raise InvalidInput("a component needs a name")
    if "description" in fields:
        fields["description"] = _description(fields["description"] or "")
    for name, value in fields.items():
        setattr(component, name, value)
    component.updated_at = clock.now()
    # Only the named columns: a status set meanwhile by another writer stays as it is.
    component.save(update_fields=[*fields, "updated_at"])
    events.record(
        kind="component.changed",
        actor=actor,
        subject_type="component",
        subject_id=component.public_id,
        fields=sorted(fields),
    )
    return component


def set_status(
    *,
    actor: str,
    component: Component,
    status: str,
    incident_id: int | None = None,
    locked: bool = False,
) -> tuple[str, str]:
    """Set a component's status, recording the change; returns (old, new). ``locked``: the
    caller holds the row's lock and read ``component`` under it."""
    check_status(status)
    old = component.status
    if not locked:
        # The status as committed, with the row locked until this transaction ends: the
        # recorded "old" is then the true one even if another writer changed it meanwhile.
        old = component.status = (
            db.locking(Component.objects.filter(pk=component.pk))
            .values_list("status", flat=True)
            .get()
        )
    if old == status:
        return old, status
    now = clock.now()
    component.status = status
    component.updated_at = now
    component.save(update_fields=["status", "updated_at"])
    StatusChange.objects.create(
        component=component, at=now, old_status=old, new_status=status, incident_id=incident_id
    )
    events.record(
        kind="component.status_changed",
        actor=actor,
        subject_type="component",
        subject_id=component.public_id,
        old=old,
        new=status,
        incident_id=incident_id,
    )
    return old, status
