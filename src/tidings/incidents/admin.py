from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tidings.core import clock, events
from tidings.core.admin import checked_form
from tidings.incidents import services
from tidings.incidents.models import FaqEntry, Incident, IncidentUpdate, Resource


class UpdateInline(admin.TabularInline[IncidentUpdate, Incident]):
    model = IncidentUpdate
    fields = ("display_at", "status", "bodies", "author")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # updates are posted through the API or console, which validate and notify


class FaqInline(admin.StackedInline[FaqEntry, Incident]):
    model = FaqEntry
    extra = 0
    fields = ("question", "answer", "position")
    form = checked_form(single_line=("question",), multi_line=("answer",))


class ResourceInline(admin.StackedInline[Resource, Incident]):
    model = Resource
    extra = 0
    fields = ("kind", "title", "body", "url", "position")
    form = checked_form(single_line=("title",), multi_line=("body",))


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin[Incident]):
    list_display = ("title", "kind", "status", "severity", "impact", "visibility", "started_at")
    list_filter = ("kind", "status", "severity", "visibility")
    search_fields = ("title", "public_id")
    form = checked_form(single_line=("title",))
    fields = (
        "title",
        "severity",
        "impact",
        "visibility",
        "eta_at",
        "eta_confidence",
        "status",
        "started_at",
        "acknowledged_at",
        "resolved_at",
        "next_update_due_at",
        "public_id",
    )
    readonly_fields = (
        "status",
        "started_at",
        "acknowledged_at",
        "resolved_at",
        "next_update_due_at",
        "public_id",
    )
    inlines = (UpdateInline, FaqInline, ResourceInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # declared through the API or console: a first public update is required

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        current = Incident.objects.get(pk=obj.pk)
        changed = {f: form.cleaned_data[f] for f in form.changed_data if f in services._CHANGEABLE}
        if changed:
            services.change_incident(actor=request.user.get_username(), incident=current, **changed)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for instance in formset.save(commit=False):
            instance.updated_at = clock.now()
            instance.save()
        for gone in formset.deleted_objects:
            gone.delete()
        if formset.has_changed():
            events.record(
                kind="incident.faq_changed",
                actor=request.user.get_username(),
                subject_type="incident",
                subject_id=form.instance.public_id,
                public=form.instance.is_public,
            )
