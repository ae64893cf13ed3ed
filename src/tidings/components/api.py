"""Staff API for components and groups."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import BaseModel, Field

from tidings.components import services
from tidings.components.models import Component, ComponentGroup
from tidings.core.auth import actor_of
from tidings.core.outs import copied, field_names, json_answer
from tidings.core.prepared import Rows
from tidings.core.writes import as_actor

router = Router(tags=["components"])
#: A sort position; larger numbers would not fit the column.
MAX_POSITION = 1_000_000


Localized = dict[str, str] | str
NAME_DOC = 'Text, or per language: {"en": "...", "he": "..."}'


class GroupIn(Schema):
    name: Localized = Field(description=NAME_DOC)
    description: str = Field(default="", max_length=2000)
    position: int | None = Field(default=None, ge=0, le=MAX_POSITION)


class GroupPatch(Schema):
    name: Localized | None = Field(default=None, description=NAME_DOC)
    description: str | None = Field(default=None, max_length=2000)
    position: int | None = Field(default=None, ge=0, le=MAX_POSITION)


class GroupOut(BaseModel):
    id: str
    name: str
    names: dict[str, str]
    description: str
    position: int


class ComponentIn(Schema):
    name: Localized = Field(description=NAME_DOC)
    slug: str | None = Field(default=None, max_length=64, description="default: made from the name")
    description: str = Field(default="", max_length=2000)
    group_id: str | None = None
    position: int | None = Field(default=None, ge=0, le=MAX_POSITION)
    status: str = "operational"
    showcase: bool = True
    only_show_if_degraded: bool = False


class ComponentPatch(Schema):
    name: Localized | None = Field(default=None, description=NAME_DOC)
    slug: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=2000)
    group_id: str | None = None
    position: int | None = Field(default=None, ge=0, le=MAX_POSITION)
    status: str | None = None
    showcase: bool | None = None
    only_show_if_degraded: bool | None = None


class MoveIn(Schema):
    direction: Literal["up", "down"] = Field(description="one place earlier or later on the page")


class ComponentOut(BaseModel):
    id: str
    slug: str
    name: str
    names: dict[str, str]
    description: str
    group_id: str | None
    position: int
    status: str
    showcase: bool
    only_show_if_degraded: bool
    updated_at: datetime


def _out(c: Component) -> ComponentOut:
    return copied(
        ComponentOut, c, id=c.public_id, names=c.names or {"en": c.name},
        group_id=c.group.public_id if c.group else None,
    )  # fmt: skip


def _group_out(g: ComponentGroup) -> GroupOut:
    return copied(GroupOut, g, id=g.public_id, names=g.names or {"en": g.name})


@router.get("/groups", response=list[GroupOut])
def list_groups(request: HttpRequest) -> list[GroupOut]:
    return [_group_out(g) for g in ComponentGroup.objects.all()]


@router.post("/groups", response={201: GroupOut})
def create_group(request: HttpRequest, payload: GroupIn) -> tuple[int, GroupOut]:
    return 201, _group_out(as_actor(request, services.create_group, **payload.dict()))


@router.patch("/groups/{group_id}", response=GroupOut)
def patch_group(request: HttpRequest, group_id: str, payload: GroupPatch) -> GroupOut:
    g = services.get_group(group_id)
    return _group_out(
        as_actor(request, services.change_group, group=g, **payload.dict(exclude_unset=True))
    )


@router.post("/groups/{group_id}/move", response=list[GroupOut])
def move_group(request: HttpRequest, group_id: str, payload: MoveIn) -> list[GroupOut]:
    """One place up or down; answers every group in the new order."""
    g = services.get_group(group_id)
    as_actor(request, services.move_group, group=g, direction=payload.direction)
    return list_groups(request)


@router.delete("/groups/{group_id}", response={204: None})
def delete_group(request: HttpRequest, group_id: str) -> tuple[int, None]:
    """Its components stay, outside any group; refused (422) while an open incident holds one."""
    as_actor(request, services.delete_group, group=services.get_group(group_id))
    return 204, None


#: ComponentOut's fields, in its order, as columns (``names`` and ``group_id`` adjusted below).
_COLUMNS = ("public_id", "slug", "name", "names", "description", "group__public_id", "position",
            "status", "showcase", "only_show_if_degraded", "updated_at")  # fmt: skip


#: Its SQL compiled once per thread (core.prepared): the query never changes.
_all_components = Rows(lambda: Component.objects.values_list(*_COLUMNS))


@router.get("/components", response=list[ComponentOut])
def list_components(request: HttpRequest) -> HttpResponse:
    """Rendered from the columns, as ninja renders ``list[ComponentOut]`` (a test compares
    them), without a model and a schema object per component: bench/api.py's idle read."""
    fields = field_names(ComponentOut)
    rows = []
    for row in _all_components():
        out = dict(zip(fields, row, strict=True))
        out["names"] = out["names"] or {"en": out["name"]}
        rows.append(out)
    return json_answer(rows)


@router.post("/components", response={201: ComponentOut})
def create_component(request: HttpRequest, payload: ComponentIn) -> tuple[int, ComponentOut]:
    return 201, _out(as_actor(request, services.create_component, **payload.dict()))


@router.get("/components/{component_id}", response=ComponentOut)
def get_component(request: HttpRequest, component_id: str) -> ComponentOut:
    return _out(services.get_component(component_id))


@router.patch("/components/{component_id}", response=ComponentOut)
def patch_component(
    request: HttpRequest, component_id: str, payload: ComponentPatch
) -> ComponentOut:
    fields = payload.dict(exclude_unset=True)
    status = fields.pop("status", None)
    actor = actor_of(request)
    # No savepoint inside the write's own transaction (one_transaction): two round trips.
    with transaction.atomic(savepoint=False):
        c = services.get_component(component_id, lock=status is not None)
        if status is not None:
            services.check_status(status)
        if fields:
            c = services.change_component(actor=actor, component=c, **fields)
        if status is not None:
            services.set_status(actor=actor, component=c, status=status)
    return _out(c)


@router.post("/components/{component_id}/move", response=list[ComponentOut])
def move_component(request: HttpRequest, component_id: str, payload: MoveIn) -> list[ComponentOut]:
    """One place up or down within its group; answers the group's components in the new order."""
    c = services.get_component(component_id)
    c = as_actor(request, services.move_component, component=c, direction=payload.direction)
    return [_out(x) for x in Component.objects.select_related("group").filter(group=c.group)]


@router.delete("/components/{component_id}", response={204: None})
def delete_component(request: HttpRequest, component_id: str) -> tuple[int, None]:
    """Refused (422) while an open incident or maintenance holds it or a monitor watches it."""
    as_actor(request, services.delete_component, component=services.get_component(component_id))
    return 204, None
