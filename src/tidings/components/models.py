from __future__ import annotations

from django.db import models

from tidings.components.rules import COMPONENT_STATUSES
from tidings.core.ids import new_id

STATUS_CHOICES = [(s, s.replace("_", " ").capitalize()) for s in COMPONENT_STATUSES]


class ComponentGroup(models.Model):
    public_id = models.CharField(max_length=12, unique=True, default=new_id, editable=False)
    #: The name in the default language; ``names`` holds it per language code.
    name = models.CharField(max_length=120, unique=True)
    names = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Component(models.Model):
    public_id = models.CharField(max_length=12, unique=True, default=new_id, editable=False)
    #: The name in the default language; ``names`` holds it per language code.
    name = models.CharField(max_length=120)
    names = models.JSONField(default=dict, blank=True)
    #: A stable handle for the CLI, alert labels and URLs (``api``, ``checkout``).
    slug = models.SlugField(max_length=64, unique=True)
    description = models.TextField(blank=True)
    group = models.ForeignKey(
        ComponentGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="components"
    )
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=24, choices=STATUS_CHOICES, default="operational")
    showcase = models.BooleanField(default=True, help_text="Show uptime bars on the page.")
    only_show_if_degraded = models.BooleanField(default=False)
    start_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=COMPONENT_STATUSES), name="component_status_valid"
            ),
            models.UniqueConstraint(fields=["group", "name"], name="component_name_in_group"),
        ]

    def __str__(self) -> str:
        return self.name


class StatusChange(models.Model):
    """Every component status change with its time: the uptime bars and, later, the SLA impact
    timeline are computed from these rows rather than from the current status."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(db_index=True)
    old_status = models.CharField(max_length=24)
    new_status = models.CharField(max_length=24)
    incident_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.component_id} {self.old_status} -> {self.new_status} at {self.at:%Y-%m-%d %H:%M}"
