"""Alert sources, monitors, the alert groups both open incidents through, raw alert receipts,
hourly check results and the staff event hooks."""

from __future__ import annotations

import secrets

from django.db import models

from tidings.components.models import Component
from tidings.core.ids import new_id
from tidings.incidents.models import Incident
from tidings.monitors.rules import MONITOR_KINDS, SOURCE_KINDS


def new_secret() -> str:
    return secrets.token_urlsafe(24)


class AlertSource(models.Model):
    """An inbound webhook: Alertmanager, Grafana, PagerDuty Events v2 or the generic JSON.
    Its URL carries ``secret``; nothing else authenticates the sender."""

    public_id = models.CharField(max_length=12, unique=True, default=new_id, editable=False)
    kind = models.CharField(max_length=16, choices=[(k, k) for k in SOURCE_KINDS])
    name = models.CharField(max_length=100, unique=True)
    secret = models.CharField(max_length=64, unique=True, default=new_secret)
    #: Components used when no label names one (public ids).
    default_components = models.JSONField(default=list, blank=True)
    #: Label names that may name a component (matched to its slug or name), in order.
    label_names = models.JSONField(default=list, blank=True)
    #: severity -> component status; ``*`` is the fallback.
    severity_map = models.JSONField(default=dict, blank=True)
    publish_after = models.PositiveIntegerField(default=300)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=SOURCE_KINDS), name="source_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Monitor(models.Model):
    public_id = models.CharField(max_length=12, unique=True, default=new_id, editable=False)
    kind = models.CharField(max_length=16, choices=[(k, k) for k in MONITOR_KINDS])
    name = models.CharField(max_length=100, unique=True)
    #: URL (http), host:port (tcp), name (dns); empty for a heartbeat.
    target = models.CharField(max_length=2000, blank=True)
    config = models.JSONField(default=dict, blank=True)
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="monitors")
    interval = models.PositiveIntegerField(default=60)
    failures = models.PositiveSmallIntegerField(default=3)
    successes = models.PositiveSmallIntegerField(default=2)
    publish_after = models.PositiveIntegerField(default=300)
    #: The heartbeat's ping URL secret.
    secret = models.CharField(max_length=64, unique=True, default=new_secret)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    # The run state: written only by the scheduler holding the claim.
    state = models.CharField(max_length=8, default="unknown")
    failures_in_row = models.PositiveIntegerField(default=0)
    successes_in_row = models.PositiveIntegerField(default=0)
    next_run_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_ping_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["enabled", "next_run_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=MONITOR_KINDS), name="monitor_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(interval__gte=1), name="monitor_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class AlertGroup(models.Model):
    """One alert group (a source's group key, or a monitor): at most one open incident. The
    unique (source, key) / monitor pair is what makes a storm of repeats open one incident."""

    public_id = models.CharField(max_length=12, unique=True, default=new_id, editable=False)
    source = models.ForeignKey(AlertSource, null=True, blank=True, on_delete=models.CASCADE)
    monitor = models.ForeignKey(Monitor, null=True, blank=True, on_delete=models.CASCADE)
    key = models.CharField(max_length=64)
    #: What the sender calls it (``{}:{alertname="ApiDown"}``), for people.
    label = models.CharField(max_length=300, blank=True)
    alerts = models.JSONField(default=dict)  # fingerprint -> {firing, severity, at}
    firing = models.BooleanField(default=False)
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    url = models.CharField(max_length=2000, blank=True)
    #: component public id -> status the alerts ask for
    components = models.JSONField(default=dict)
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL)
    #: The first public update waits until then for a person (confirm, edit or dismiss).
    publish_at = models.DateTimeField(null=True, blank=True, db_index=True)
    dismissed = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="one_group_per_source_key"),
            models.UniqueConstraint(
                fields=["monitor"],
                condition=models.Q(monitor__isnull=False),
                name="one_group_per_monitor",
            ),
            models.CheckConstraint(
                condition=models.Q(source__isnull=False, monitor__isnull=True)
                | models.Q(source__isnull=True, monitor__isnull=False),
                name="group_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.label or self.key


class AlertReceipt(models.Model):
    """A webhook body as received, stored before it is answered and processed by the
    ``alert_receipts`` job: an answered alert is never lost, even if processing fails."""

    STATES = ("pending", "done", "rejected", "failed")

    source = models.ForeignKey(AlertSource, on_delete=models.CASCADE, related_name="receipts")
    received_at = models.DateTimeField()
    digest = models.CharField(max_length=64)
    body = models.TextField()
    #: Facts decided in the request (PagerDuty's generated dedup_key).
    meta = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, default="pending")
    error = models.CharField(max_length=500, blank=True)
    #: Processing attempts that failed (the database away, a bug); retried with a growing wait.
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["source", "digest"]),
            models.Index(fields=["state", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} #{self.pk} {self.state}"


class CheckHour(models.Model):
    """Check results folded per monitor and hour: a row holds an hour of checks, so 2,000
    monitors at 30 s cost 48,000 small rows a day, not 5.7 million."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="hours")
    hour = models.DateTimeField()
    checks = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    latency_sum_ms = models.BigIntegerField(default=0)
    latency_max_ms = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["monitor", "hour"], name="one_row_per_monitor_hour")
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id}@{self.hour:%Y-%m-%d %H}: {self.failures}/{self.checks}"


class EventHook(models.Model):
    """Where Tidings' own events go for staff: a Slack or Teams channel, or a signed webhook."""

    KINDS = ("slack", "teams", "webhook")

    public_id = models.CharField(max_length=12, unique=True, default=new_id, editable=False)
    kind = models.CharField(max_length=8, choices=[(k, k) for k in KINDS])
    url = models.CharField(max_length=2000)
    secret = models.CharField(max_length=64, default=new_secret)
    language = models.CharField(max_length=8, default="en")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind} {self.url[:40]}"
