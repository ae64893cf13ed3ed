"""Component use cases. The caller owns the transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Case, F, Max, Value, When
from django.utils.translation import gettext as _

from tidings.components.models import Component, ComponentGroup, StatusChange
from tidings.components.rules import COMPONENT_STATUSES, check_slug, moved, slug_for
from tidings.core import clock, db, events, text
from tidings.core.errors import InvalidInput, NotFound
from tidings.core.prepared import Insert, Read, Save
from tidings.core.text import check_localized_line, default_text

if TYPE_CHECKING:
    from datetime import datetime

    from django.db.models import QuerySet

Row = TypeVar("Row", Component, ComponentGroup)
_EDITABLE = (
    "name", "slug", "description", "position", "showcase", "only_show_if_degraded", "start_date",
)  # fmt: skip
#: A status change's history row, written by every status change: its INSERT built once.
_insert_change = Insert(StatusChange)
#: A status change writes these two columns (and only these: a name changed meanwhile stays).
_save_status = Save(Component, ("status", "updated_at"))
#: Up to this many components change row by row (see set_statuses).
_ROW_BY_ROW = 3
#: A status change (the staff API's most frequent write) reads its component under lock.
_locked_component = Read(
    lambda public_id: db.locking(
        Component.objects.select_related("group").filter(public_id=public_id), of=("self",)
    ),
    "\x00sample",
)


def _names(value: object, what: str) -> dict[str, str]:
    """A name as text (the default language's) or per language: ``{"en": ..., "he": ...}``."""
    try:
        return check_localized_line(value, field="name", max_chars=120, required=True)
    except InvalidInput as exc:
        if not (value.strip() if isinstance(value, str) else value):
            needs = (
                _("A group needs a name.") if what == "a group" else _("A component needs a name.")
            )
            raise InvalidInput(needs, field="name_en") from None
        # "name.he contains ...": the message is about the Hebrew name
        lang = exc.message[5:7] if exc.message.startswith("name.") else "en"
        raise InvalidInput(exc.message, field=f"name_{lang}") from None


def _slug(value: str) -> str:
    try:
        return check_slug(value)
    except ValueError:
        raise InvalidInput(
            _("“%(slug)s” is not a usable slug: use lowercase letters, digits and hyphens.")
            % {"slug": value},
            field="slug",
        ) from None


def _group_clash(name: str) -> InvalidInput:
    return InvalidInput(
        _("A group named “%(name)s” exists already.") % {"name": name}, field="name_en"
    )


def _component_clash(name: str) -> InvalidInput:
    return InvalidInput(
        _("A component named “%(name)s” exists already in that group.") % {"name": name},
        field="name_en",
    )


def _slug_taken(slug: str) -> InvalidInput:
    return InvalidInput(
        _("The slug “%(slug)s” is taken by another component.") % {"slug": slug}, field="slug"
    )


def check_status(status: str) -> str:
    if status not in COMPONENT_STATUSES:
        raise InvalidInput(
            _("unknown component status %(status)s; use one of %(statuses)s")
            % {"status": repr(status), "statuses": ", ".join(COMPONENT_STATUSES)},
            field="status",
        )
    return status


def _description(value: str) -> str:
    return text.clean(value, field="description", single_line=False)


def _recorded(kind: str, actor: str, row: Component | ComponentGroup, **data: Any) -> None:
    """An event about a component or a group (the kind's first word says which)."""
    events.record(kind=kind, actor=actor, subject_type=kind.split(".", 1)[0],
                  subject_id=row.public_id, **data)  # fmt: skip


def _changed(
    kind: str, actor: str, row: Component | ComponentGroup, fields: dict[str, Any]
) -> None:
    """Write the checked ``fields`` and record which changed. Only the named columns: a status
    set meanwhile by another writer stays as it is."""
    for name, value in fields.items():
        setattr(row, name, value)
    row.updated_at = clock.now()
    row.save(update_fields=[*fields, "updated_at"])
    _recorded(kind, actor, row, fields=sorted(fields))


def get_component(public_id: str, *, lock: bool = False) -> Component:
    """``lock``: read it under its row lock (when in a transaction; not its group's), so
    :func:`set_status` need not lock and read it again."""
    if lock and db.in_transaction():
        return db.lock_by_public_id(_locked_component, public_id, "component")
    return db.by_public_id(Component.objects.select_related("group"), public_id, "component")


def find_component(ref: str) -> Component:
    """A component by its id or its slug (commands and alert labels use slugs)."""
    found = (
        Component.objects.select_related("group").filter(public_id=ref).first()
        or Component.objects.select_related("group").filter(slug=ref.strip().lower()).first()
    )
    if found is None:
        raise NotFound(_("no component with id or slug %(ref)s") % {"ref": repr(ref)})
    return found


def get_group(public_id: str) -> ComponentGroup:
    try:
        return ComponentGroup.objects.get(public_id=public_id)
    except ComponentGroup.DoesNotExist:
        raise NotFound(
            _("There is no component group with id “%(id)s”.") % {"id": public_id}, field="group"
        ) from None


def _create(
    siblings: QuerySet[Row],
    names: dict[str, str],
    description: str,
    position: int | None,
    now: datetime,
    **more: Any,
) -> Row:
    """A new group or component (``more``: a component's own columns), last among
    ``siblings`` unless given a ``position``."""
    if position is None:
        position = (siblings.aggregate(m=Max("position"))["m"] or 0) + 1
    return siblings.model._default_manager.create(
        name=default_text(names), names=names, description=description, position=position,
        created_at=now, updated_at=now, **more,
    )  # fmt: skip


def create_group(
    *, actor: str, name: object, description: str = "", position: int | None = None
) -> ComponentGroup:
    names, description = _names(name, "a group"), _description(description)
    default = default_text(names)
    if ComponentGroup.objects.filter(name=default).exists():
        raise _group_clash(default)
    group = _create(ComponentGroup.objects.all(), names, description, position, clock.now())
    _recorded("group.created", actor, group, name=group.name)
    return group


def change_group(*, actor: str, group: ComponentGroup, **fields: Any) -> ComponentGroup:
    unknown = set(fields) - {"name", "description", "position"}
    if unknown:
        raise InvalidInput(
            _("cannot change %(fields)s of a group") % {"fields": ", ".join(sorted(unknown))}
        )
    if "name" in fields:
        fields["names"] = _names(fields["name"], "a group")
        fields["name"] = default_text(fields["names"])
        if ComponentGroup.objects.filter(name=fields["name"]).exclude(pk=group.pk).exists():
            raise _group_clash(fields["name"])
    if "description" in fields:
        fields["description"] = _description(fields["description"] or "")
    _changed("group.changed", actor, group, fields)
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
        raise _component_clash(default)
    if slug:
        slug = _slug(slug)
        if Component.objects.filter(slug=slug).exists():
            raise _slug_taken(slug)
    else:
        # Components number in the hundreds at most: reading every slug is cheap.
        slug = slug_for(
            default, Component.objects.values_list("slug", flat=True), fallback="component"
        )
    now = clock.now()
    component = _create(Component.objects.filter(group=group), names, description, position, now,
                        slug=slug, group=group, status=status, showcase=showcase,
                        only_show_if_degraded=only_show_if_degraded, start_date=now.date())  # fmt: skip
    _recorded("component.created", actor, component, name=component.name, status=status)
    return component


def change_component(*, actor: str, component: Component, **fields: Any) -> Component:
    unknown = set(fields) - set(_EDITABLE) - {"group_id"}
    if unknown:
        raise InvalidInput(
            _("cannot change %(fields)s of a component") % {"fields": ", ".join(sorted(unknown))}
        )
    if "group_id" in fields:
        gid = fields.pop("group_id")
        component.group = get_group(gid) if gid else None
        fields["group"] = component.group
    if "name" in fields:
        fields["names"] = _names(fields["name"], "a component")
        fields["name"] = default_text(fields["names"])
    if "name" in fields or "group" in fields:
        name = fields.get("name", component.name)
        clash = Component.objects.filter(group=component.group, name=name)
        if clash.exclude(pk=component.pk).exists():
            raise _component_clash(name)
    if "description" in fields:
        fields["description"] = _description(fields["description"] or "")
    if "slug" in fields:
        fields["slug"] = _slug(str(fields["slug"] or ""))
        if Component.objects.filter(slug=fields["slug"]).exclude(pk=component.pk).exists():
            raise _slug_taken(fields["slug"])
    _changed("component.changed", actor, component, fields)
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
    if not locked and not db.is_locked(component):
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
    _save_status(component)
    _insert_change(
        StatusChange(component=component, at=now, old_status=old, new_status=status,
                     incident_id=incident_id)
    )  # fmt: skip
    _recorded(
        "component.status_changed", actor, component, old=old, new=status, incident_id=incident_id
    )
    return old, status


def set_statuses(
    *, actor: str, targets: list[tuple[Component, str]], incident_id: int | None
) -> list[tuple[str, str]]:
    """:func:`set_status` for several components the caller holds locked (read under their
    locks in this transaction), in at most five statements however many change: one INSERT
    of their history rows, one of their events, and one UPDATE, or for the few an update
    usually names (up to three) one compiled UPDATE each, cheaper than building one with a
    CASE. Returns (old, new) each."""
    for target in targets:
        check_status(target[1])
    out = [(component.status, status) for component, status in targets]
    changed = [(t[0], old, new) for t, (old, new) in zip(targets, out, strict=True) if old != new]
    if not changed:
        return out
    now = clock.now()
    statuses = {new for _c, _old, new in changed}
    if len(statuses) == 1:
        status: Any = statuses.pop()
    else:
        status = Case(
            *(When(pk=c.pk, then=Value(new)) for c, _old, new in changed), default=F("status")
        )
    for c, _old, new in changed:
        c.status, c.updated_at = new, now
    if len(changed) <= _ROW_BY_ROW:
        for c, _old, _new in changed:
            _save_status(c)
    else:
        Component.objects.filter(pk__in=[c[0].pk for c in changed]).update(
            status=status, updated_at=now
        )
    _insert_change.many([
        StatusChange(component=c, at=now, old_status=old, new_status=new, incident_id=incident_id)
        for c, old, new in changed
    ])  # fmt: skip
    events.record_many(
        dict(kind="component.status_changed", actor=actor, subject_type="component",
             subject_id=c.public_id, old=old, new=new, incident_id=incident_id)
        for c, old, new in changed
    )  # fmt: skip
    return out


def _moved(kind: str, actor: str, row: Any, rows: list[Any], direction: str) -> None:
    """``row`` one place up or down among ``rows`` (the page's order). The rows' positions are
    numbered afresh, so equal positions left by older writes sort out too."""
    order = moved([r.public_id for r in rows], row.public_id, _direction(direction))
    _renumber(rows, order, type(row))
    _recorded(kind, actor, row, fields=["position"])
    row.refresh_from_db(fields=["position"])


def move_component(*, actor: str, component: Component, direction: str) -> Component:
    """One place up or down among the components of its group."""
    siblings = list(Component.objects.filter(group=component.group).order_by("position", "name"))
    _moved("component.changed", actor, component, siblings, direction)
    return component


def move_group(*, actor: str, group: ComponentGroup, direction: str) -> ComponentGroup:
    groups = list(ComponentGroup.objects.order_by("position", "name"))
    _moved("group.changed", actor, group, groups, direction)
    return group


def _direction(value: str) -> str:
    if value not in ("up", "down"):
        raise InvalidInput(_("Move up or down."), field="direction")
    return value


def _renumber(rows: list[Any], order: list[str], model: Any) -> None:
    by_id = {r.public_id: r for r in rows}
    now = clock.now()
    changed = []
    for position, public_id in enumerate(order, start=1):
        row = by_id[public_id]
        if row.position != position:
            row.position, row.updated_at = position, now
            changed.append(row)
    model.objects.bulk_update(changed, ["position", "updated_at"])


def _open_incidents(components: Any) -> list[str]:
    """Titles of the open incidents and maintenances that hold any of ``components``."""
    from tidings.incidents.rules import CLOSED_STATES

    return sorted(
        {
            title
            for c in components
            for title in c.incidents.exclude(status__in=CLOSED_STATES).values_list(
                "title", flat=True
            )
        }
    )


def _undeletable(message: str, values: dict[str, str]) -> InvalidInput:
    return InvalidInput(message % values, field="delete")


def _check_deletable(component: Component) -> None:
    held = _open_incidents([component])
    if held:
        raise _undeletable(
            _(
                "“%(name)s” cannot be deleted while an open incident or maintenance holds it "
                "(%(incidents)s). Resolve it or take the component out of it first."
            ),
            {"name": component.name, "incidents": "; ".join(held)},
        )
    watching = list(component.monitors.values_list("name", flat=True))  # type: ignore[attr-defined]
    if watching:
        raise _undeletable(
            _(
                "“%(name)s” cannot be deleted while monitors watch it (%(monitors)s): "
                "delete them or point them at another component first."
            ),
            {"name": component.name, "monitors": ", ".join(watching)},
        )


def delete_component(*, actor: str, component: Component) -> None:
    """Remove a component from the page. Refused while an open incident holds it or a monitor
    watches it (the monitor would go with it, silently); past incidents keep their text but
    no longer name it, and its status history goes with it."""
    _check_deletable(component)
    _recorded("component.deleted", actor, component, name=component.name, slug=component.slug)
    component.delete()


def delete_group(*, actor: str, group: ComponentGroup) -> None:
    """Remove a group; its components stay, outside any group. Refused while an open incident
    holds one of them, or when one would clash with the name of a component already outside
    a group."""
    members = list(group.components.all())
    held = _open_incidents(members)
    if held:
        raise _undeletable(
            _(
                "“%(name)s” cannot be deleted while an open incident or maintenance holds one "
                "of its components (%(incidents)s)."
            ),
            {"name": group.name, "incidents": "; ".join(held)},
        )
    clash = Component.objects.filter(group=None, name__in=[c.name for c in members])
    for name in clash.values_list("name", flat=True)[:1]:
        raise _undeletable(
            _(
                "“%(name)s” cannot be deleted: its component “%(component)s” would have the "
                "same name as one outside any group. Rename one of them first."
            ),
            {"name": group.name, "component": name},
        )
    _recorded("group.deleted", actor, group, name=group.name)
    now = clock.now()
    group.components.update(group=None, updated_at=now)
    group.delete()
