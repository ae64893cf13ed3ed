from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tidings.components import services
from tidings.components.models import Component, ComponentGroup
from tidings.core import clock, events
from tidings.core.admin_localized import localized_form, per_language

_TEXT = localized_form(
    localized={"name": "names"}, plain={"name": "name"}, required=("name",),
    multi_line=("description",),
)  # fmt: skip


@admin.register(ComponentGroup)
class GroupAdmin(admin.ModelAdmin[ComponentGroup]):
    list_display = ("name", "position", "public_id")
    fields = (*per_language("name"), "description", "position")
    form = _TEXT

    def save_model(
        self, request: HttpRequest, obj: ComponentGroup, form: Any, change: bool
    ) -> None:
        now = clock.now()
        obj.updated_at = now
        if not change:
            obj.created_at = now
        super().save_model(request, obj, form, change)
        events.record(
            kind="group.changed" if change else "group.created",
            actor=request.user.get_username(),
            subject_type="group",
            subject_id=obj.public_id,
        )


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin[Component]):
    list_display = ("name", "group", "status", "position", "public_id")
    list_filter = ("status", "group")
    form = _TEXT
    fields = (
        *per_language("name"),
        "description",
        "group",
        "position",
        "status",
        "showcase",
        "only_show_if_degraded",
    )

    def save_model(self, request: HttpRequest, obj: Component, form: Any, change: bool) -> None:
        """Through the services, as the console and the API would: a new component, or a
        changed one and its status (recorded as a status change)."""
        actor = request.user.get_username()
        fields = {
            f: getattr(obj, f)
            for f in ("description", "position", "showcase", "only_show_if_degraded")
        }
        fields["name"] = obj.names or obj.name
        fields["group_id"] = obj.group.public_id if obj.group else None
        if not change:
            created = services.create_component(actor=actor, status=obj.status, **fields)
            obj.pk, obj.public_id = created.pk, created.public_id
            return
        current = Component.objects.get(pk=obj.pk)
        services.change_component(actor=actor, component=current, **fields)
        services.set_status(actor=actor, component=current, status=obj.status)
