"""Component use cases. The caller owns the transaction."""

from __future__ import annotations

from typing import Any

from django.db.models import Max

from tidings.components.models import Component, ComponentGroup, StatusChange
from tidings.components.rules import COMPONENT_STATUSES, check_slug, slug_for
from tidings.core import clock, db, events, text
from tidings.core.errors import InvalidInput, NotFound
from tidings.core.text import check_localized_line, default_text

_EDITABLE = (
    "name", "slug", "description", "position", "showcase", "only_show_if_degraded", "start_date",
)  # fmt: skip


def _names(value: object, what: str) -> dict[str, str]:
    """A name as text (the default language's) or per language: ``{"en": ..., "he": ...}``."""
    try:
        return check_localized_line(value, field="name", max_chars=120, required=True)
    except InvalidInput:
        if not (value.strip() if isinstance(value, str) else value):
            raise InvalidInput(f"{what} needs a name") from None
        raise


def _slug(value: str) -> str:
    try:
        return check_slug(value)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def check_status(status: str) -> str:
    if status not in COMPONENT_STATUSES:
        raise InvalidInput(
            f"unknown component status {status!r}; use one of {', '.join(COMPONENT_STATUSES)}"
        )
    return status


def _description(value: str) -> str:
    return text.clean(value, field="description", single_line=False)


def get_component(public_id: str) -> Component:
    try:
        return Component.objects.select_related("group").get(public_id=public_id)
    except Component.DoesNotExist:
        raise NotFound(f"no component with id {public_id!r}") from None


def find_component(ref: str) -> Component:
    """A component by its id or its slug (commands and alert labels use slugs)."""
    found = (
        Component.objects.select_related("group").filter(public_id=ref).first()
        or Component.objects.select_related("group").filter(slug=ref.strip().lower()).first()
    )
    if found is None:
        raise NotFound(f"no component with id or slug {ref!r}")
    return found


def get_group(public_id: str) -> ComponentGroup:
    try:
        return ComponentGroup.objects.get(public_id=public_id)
    except ComponentGroup.DoesNotExist:
        raise NotFound(f"no component group with id {public_id!r}") from None


def create_group(
    *, actor: str, name: object, description: str = "", position: int | None = None
) -> ComponentGroup:
    names, description = _names(name, "a group"), _description(description)
    default = default_text(names)
    if ComponentGroup.objects.filter(name=default).exists():
        raise InvalidInput(f"a group named {default!r} exists already")
    if position is None:
        position = (ComponentGroup.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    now = clock.now()
    group = ComponentGroup.objects.create(
        name=default,
        names=names,
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


def change_group(*, actor: str, group: ComponentGroup, **fields: Any) -> ComponentGroup:
    unknown = set(fields) - {"name", "description", "position"}
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a group")
    if "name" in fields:
        fields["names"] = _names(fields["name"], "a group")
        fields["name"] = default_text(fields["names"])
        if ComponentGroup.objects.filter(name=fields["name"]).exclude(pk=group.pk).exists():
            raise InvalidInput(f"a group named {fields['name']!r} exists already")
    if "description" in fields:
        fields["description"] = _description(fields["description"] or "")
    for name, value in fields.items():
        setattr(group, name, value)
    group.updated_at = clock.now()
    group.save()
    events.record(
        kind="group.changed",
        actor=actor,
        subject_type="group",
        subject_id=group.public_id,
        fields=sorted(fields),
    )
    return group


def create_component(
    *,
    actor: str,
    name: object,
    description: str = "",
    group_id: str | None = None,
    position: int | None = None,
    status: str = "operational",
    showcase: bool = True,
    only_show_if_degraded: bool = False,
    slug: str | None = None,
) -> Component:
    names, description = _names(name, "a component"), _description(description)
    default = default_text(names)
    check_status(status)
    group = get_group(group_id) if group_id else None
    if Component.objects.filter(group=group, name=default).exists():
        raise InvalidInput(f"a component named {default!r} exists already in that group")
    if slug:
        slug = _slug(slug)
        if Component.objects.filter(slug=slug).exists():
            raise InvalidInput(f"the slug {slug!r} is taken by another component")
    else:
        # Components number in the hundreds at most: reading every slug is cheap.
        slug = slug_for(
            default, Component.objects.values_list("slug", flat=True), fallback="component"
        )
    if position is None:
        position = (
            Component.objects.filter(group=group).aggregate(m=Max("position"))["m"] or 0
        ) + 1
    now = clock.now()
    component = Component.objects.create(
        name=default,
        names=names,
        slug=slug,
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
        fields["names"] = _names(fields["name"], "a component")
        fields["name"] = default_text(fields["names"])
        clash = Component.objects.filter(group=component.group, name=fields["name"])
        if clash.exclude(pk=component.pk).exists():
            raise InvalidInput(f"a component named {fields['name']!r} exists already in that group")
    if "description" in fields:
        fields["description"] = _description(fields["description"] or "")
    if "slug" in fields:
        fields["slug"] = _slug(str(fields["slug"] or ""))
        if Component.objects.filter(slug=fields["slug"]).exclude(pk=component.pk).exists():
            raise InvalidInput(f"the slug {fields['slug']!r} is taken by another component")
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
