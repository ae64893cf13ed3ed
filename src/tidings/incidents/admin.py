from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tidings.core import clock, events
from tidings.core.admin_localized import localized_form, per_language
from tidings.incidents import services
from tidings.incidents.models import FaqEntry, Incident, IncidentUpdate, Resource


def console_url(name: str, *args: str, fallback: str = "console-home") -> str:
    """A console page, or the console's front page in a build without that screen."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return reverse(fallback)


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
    fields = (*per_language("question"), *per_language("answer"), "position")
    form = localized_form(
        localized={"question": "question", "answer": "answer"},
        required=("question", "answer"), multi_line=("answer",),
    )  # fmt: skip


class ResourceInline(admin.StackedInline[Resource, Incident]):
    model = Resource
    extra = 0
    fields = ("kind", *per_language("title"), *per_language("body"), "url", "position")
    form = localized_form(
        localized={"title": "title", "body": "body"}, required=("title",), multi_line=("body",)
    )


#: Shown on an incident, never edited there: the updates posted from the console move them.
_SET_BY_UPDATES = (
    "status", "started_at", "acknowledged_at", "resolved_at", "next_update_due_at", "public_id",
)  # fmt: skip


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin[Incident]):
    list_display = ("title", "kind", "status", "severity", "impact", "visibility", "started_at")
    list_filter = ("kind", "status", "severity", "visibility")
    search_fields = ("title", "public_id")
    form = localized_form(
        localized={"title": "titles"}, plain={"title": "title"}, required=("title",)
    )
    fields = (
        "console",
        *per_language("title"),
        "severity",
        "impact",
        "visibility",
        "eta_at",
        "eta_confidence",
        *_SET_BY_UPDATES,
    )
    readonly_fields = ("console", *_SET_BY_UPDATES)
    inlines = (UpdateInline, FaqInline, ResourceInline)

    @admin.display(description=_("In the console"))
    def console(self, obj: Incident) -> str:
        url = console_url("console-incident", obj.public_id, fallback="console-home")
        return format_html('<a href="{}">{}</a>', url, _("Post updates, resolve, see deliveries"))

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """Declaring takes a first public message, templates, a preview and the audience:
        the console's declare screen does all of it; the admin sends staff there."""
        return HttpResponseRedirect(console_url("console-declare"))

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        current = Incident.objects.get(pk=obj.pk)
        changed = {f: form.cleaned_data[f] for f in form.changed_data if f in services._CHANGEABLE}
        if any(f.startswith("title__") for f in form.changed_data):
            changed["title"] = form.packed["title"]
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
