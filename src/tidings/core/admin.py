from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tidings.core.models import ApiToken, Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin[Event]):
    list_display = ("at", "actor", "kind", "subject_type", "subject_id")
    list_filter = ("kind", "subject_type")
    search_fields = ("subject_id", "actor")

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("name", "user", "created_at", "last_used_at")
    fields = ("name", "user", "created_at", "last_used_at")
    readonly_fields = ("created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are issued with `tidings token` so the secret is shown exactly once
