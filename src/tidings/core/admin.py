from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from tidings.core import text
from tidings.core.errors import InvalidInput
from tidings.core.login import ThrottledLoginForm
from tidings.core.models import ApiToken, Event

# The admin's sign-in page (the console's too) refuses after too many failures, and says so.
admin.site.login_form = ThrottledLoginForm


class CheckedTextForm(forms.ModelForm):  # type: ignore[type-arg]
    """An admin form whose text fields follow the rules of the API (:mod:`tidings.core.text`):
    bidirectional controls removed, control characters refused with the field's error.
    Localised fields (``{"en": ..., "he": ...}``) are checked language by language."""

    single_line: ClassVar[tuple[str, ...]] = ()
    multi_line: ClassVar[tuple[str, ...]] = ()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in (*self.single_line, *self.multi_line):
            value, one_line = data.get(name), name in self.single_line
            try:
                if isinstance(value, str):
                    data[name] = text.clean(value, field=name, single_line=one_line)
                elif isinstance(value, dict):
                    data[name] = text.check_localized(
                        value, field=name, max_chars=10**6, required=False, single_line=one_line
                    )
            except InvalidInput as exc:
                self.add_error(name, exc.message)
        return data


def checked_form(*, single_line: tuple[str, ...] = (), multi_line: tuple[str, ...] = ()) -> Any:
    """A :class:`CheckedTextForm` for these fields, for a ``ModelAdmin.form`` or an inline."""
    return type(
        "CheckedForm", (CheckedTextForm,), {"single_line": single_line, "multi_line": multi_line}
    )


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
    """Tokens are made in the console (or with ``tidings token``) so the secret is shown
    exactly once; here admins see them all and revoke."""

    list_display = ("name", "user", "scopes", "hint", "created_at", "last_used_at", "expires_at",
                    "revoked_at")  # fmt: skip
    list_filter = ("revoked_at",)
    fields = ("name", "user", "scopes", "hint", "created_at", "last_used_at", "expires_at",
              "revoked_at", "revoked_by")  # fmt: skip
    readonly_fields = fields
    actions = ("revoke",)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        return HttpResponseRedirect(reverse("console-tokens"))

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # revoked, not deleted: the record of a token stays

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        from tidings.core import clock, events

        actor = request.user.get_username()
        for row in queryset.filter(revoked_at__isnull=True).select_related("user"):
            row.revoked_at, row.revoked_by = clock.now(), actor
            row.save(update_fields=["revoked_at", "revoked_by"])
            events.record(kind="token.revoked", actor=actor, subject_type="token",
                          subject_id=row.public_id, public=False, owner=row.user.get_username())  # fmt: skip
