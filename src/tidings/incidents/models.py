from __future__ import annotations

from typing import Any

from django.db import models

from tidings.components.models import Component
from tidings.core.ids import new_id
from tidings.incidents.rules import (
    ETA_CONFIDENCE,
    IMPACTS,
    INCIDENT_STATES,
    MAINTENANCE_STATES,
    SEVERITIES,
)


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v.replace("_", " ").capitalize()) for v in values]


class Incident(models.Model):
    """An incident or a scheduled maintenance: Statuspage models both as one object."""

    KIND_CHOICES = [("incident", "Incident"), ("maintenance", "Maintenance")]
    VISIBILITY_CHOICES = [("public", "Public"), ("internal", "Internal")]

    public_id = models.CharField(max_length=12, unique=True, default=new_id, editable=False)
    kind = models.CharField(max_length=12, choices=KIND_CHOICES, default="incident")
    #: The title in the default language: what the console sorts and searches by.
    title = models.CharField(max_length=200)
    #: The title per language code (the default language's included); pages and messages in a
    #: language without one fall back to ``title``.
    titles = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=_choices(INCIDENT_STATES + MAINTENANCE_STATES))
    impact = models.CharField(max_length=12, choices=_choices(IMPACTS), default="none")
    severity = models.CharField(max_length=4, choices=_choices(SEVERITIES), blank=True)
    visibility = models.CharField(max_length=8, choices=VISIBILITY_CHOICES, default="public")
    components: models.ManyToManyField[Component, IncidentComponent] = models.ManyToManyField(
        Component, through="IncidentComponent", related_name="incidents"
    )

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    started_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    identified_at = models.DateTimeField(null=True, blank=True)
    monitoring_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    next_update_due_at = models.DateTimeField(null=True, blank=True)

    scheduled_for = models.DateTimeField(null=True, blank=True)
    scheduled_until = models.DateTimeField(null=True, blank=True)
    auto_transition = models.BooleanField(default=True)

    # Internal only: never rendered on the public page.
    eta_at = models.DateTimeField(null=True, blank=True)
    eta_confidence = models.CharField(max_length=8, choices=_choices(ETA_CONFIDENCE), blank=True)
    #: The incident touched customer data: resolving it needs a statement of what happened to
    #: the data (an honesty check).
    data_impact = models.BooleanField(default=False)
    created_by = models.CharField(max_length=150)
    #: Who owes customers the next update (a username; reminded before it is due) and who is
    #: told when it is late. Blank: the author of the last update / the on-call commanders.
    comms_owner = models.CharField(max_length=150, blank=True, default="")
    commander = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["kind", "status"]), models.Index(fields=["started_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="incident", status__in=INCIDENT_STATES)
                    | models.Q(kind="maintenance", status__in=MAINTENANCE_STATES)
                ),
                name="incident_status_matches_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="incident")
                | models.Q(
                    scheduled_for__isnull=False, scheduled_until__gt=models.F("scheduled_for")
                ),
                name="maintenance_has_window",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.visibility == "public"


class IncidentComponent(models.Model):
    """Per-component impact of one incident: the status this incident holds the component at."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="impacts")
    component = models.ForeignKey(Component, on_delete=models.CASCADE)
    status = models.CharField(max_length=24)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "component"], name="one_impact_per_component"
            )
        ]

    def __str__(self) -> str:
        return f"{self.component_id}: {self.status}"


class AppendOnly(Exception):
    pass


class IncidentUpdate(models.Model):
    """A public (or internal) update. Append-only: a correction is a new update."""

    public_id = models.CharField(max_length=12, unique=True, default=new_id, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=16)
    bodies = models.JSONField(help_text="Markdown per language code.")
    affected_components = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    display_at = models.DateTimeField()
    next_update_due_at = models.DateTimeField(null=True, blank=True)
    deliver_notifications = models.BooleanField(default=True)
    author = models.CharField(max_length=150)
    #: Internal only, never published: the author's confidence in any repair estimate given.
    confidence = models.CharField(max_length=8, choices=_choices(ETA_CONFIDENCE), blank=True)
    #: Honesty warnings the author overrode: code -> the reason given.
    overrides = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-display_at", "-id"]

    def __str__(self) -> str:
        return f"{self.incident} [{self.status}] {self.display_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnly("updates are append-only; post a new update instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly("updates are append-only and cannot be deleted")


class FaqEntry(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="faq")
    question = models.JSONField()
    answer = models.JSONField()
    position = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self) -> str:
        return str(next(iter(self.question.values()), ""))


class Resource(models.Model):
    """A workaround or a useful link published on the incident's page."""

    KIND_CHOICES = [("workaround", "Workaround"), ("link", "Resource")]

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(max_length=12, choices=KIND_CHOICES, default="workaround")
    title = models.JSONField()
    body = models.JSONField(default=dict, blank=True)
    url = models.URLField(blank=True)
    position = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "position", "id"]

    def __str__(self) -> str:
        return str(next(iter(self.title.values()), ""))


class HonestyWords(models.Model):
    """Minimising or blaming phrases staff keep for one language (honesty checks)."""

    language = models.CharField(max_length=8, unique=True)
    words = models.JSONField(default=list)
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=150)

    class Meta:
        verbose_name_plural = "honesty words"

    def __str__(self) -> str:
        return self.language


class SeverityApproval(models.Model):
    """Whether updates of incidents of one severity need the commander's approval."""

    severity = models.CharField(max_length=4, choices=_choices(SEVERITIES), unique=True)
    required = models.BooleanField(default=False)
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=150)

    def __str__(self) -> str:
        return f"{self.severity}: {self.required}"


class UpdateDraft(models.Model):
    """An update written by someone who may not publish it alone, waiting for approval."""

    STATES = [("pending", "Pending"), ("approved", "Approved"), ("returned", "Sent back")]

    public_id = models.CharField(max_length=12, unique=True, default=new_id, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="drafts")
    author = models.CharField(max_length=150)
    #: The fields of the update as :func:`tidings.incidents.publishing.publish_update` takes
    #: them (times as ISO text), the overrides and the confidence included.
    fields = models.JSONField()
    bodies = models.JSONField(default=dict)
    status = models.CharField(max_length=16)
    state = models.CharField(max_length=10, choices=STATES, default="pending")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    update = models.OneToOneField(
        IncidentUpdate, null=True, blank=True, on_delete=models.SET_NULL, related_name="draft"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "state"])]

    def __str__(self) -> str:
        return f"{self.incident} draft by {self.author} ({self.state})"


class CadencePolicy(models.Model):
    """Staff's own cadence for one severity ("" for none); a severity without a row uses
    :data:`tidings.incidents.cadence.DEFAULTS`."""

    severity = models.CharField(max_length=4, unique=True, blank=True)
    first_minutes = models.PositiveIntegerField()
    first_period_minutes = models.PositiveIntegerField()
    then_minutes = models.PositiveIntegerField()
    max_gap_minutes = models.PositiveIntegerField()
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=150)

    def __str__(self) -> str:
        return self.severity or "(none)"


class CadenceNotice(models.Model):
    """One reminder, or one breach (recorded and escalated), per incident and promised time:
    the unique row is the claim, so two schedulers never send it twice."""

    KINDS = [("remind", "Reminder"), ("overdue", "Breach")]

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="cadence_notices")
    due_at = models.DateTimeField()
    kind = models.CharField(max_length=8, choices=KINDS)
    at = models.DateTimeField()
    to = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "due_at", "kind"], name="one_cadence_notice_per_due_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.incident_id} {self.due_at:%Y-%m-%d %H:%M}"
