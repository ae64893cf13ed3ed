"""Public subscriptions from the status page, and customers' own endpoints (Slack, Teams,
webhooks) recorded by staff: one row per (channel, target)."""

from __future__ import annotations

import secrets

from django.db import models

from tidings.components.models import Component
from tidings.core.ids import new_id
from tidings.customers.models import Customer

CHANNELS = ("email", "sms", "webhook", "slack", "teams", "telegram", "whatsapp", "apprise")
STATUSES = ("pending", "active", "unsubscribed", "disabled")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Subscriber(models.Model):
    public_id = models.CharField(max_length=12, unique=True, default=new_id, editable=False)
    channel = models.CharField(max_length=16, choices=[(c, c) for c in CHANNELS])
    target = models.TextField(help_text="Address, phone (E.164), URL or chat id, by channel.")
    #: SHA-256 of the normalised target: the uniqueness key, and safe to index and compare.
    target_key = models.CharField(max_length=64)
    language = models.CharField(max_length=8, default="en")
    all_components = models.BooleanField(default=True)
    components = models.ManyToManyField(Component, blank=True, related_name="subscribers")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="endpoints"
    )
    status = models.CharField(max_length=16, choices=[(s, s) for s in STATUSES], default="pending")
    #: Webhook subscribers verify our HMAC-SHA256 signature with it.
    secret = models.CharField(max_length=64, default=new_secret, editable=False)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)
    #: Who added the subscriber for them (empty: they subscribed themselves), and how they
    #: agreed to it ("asked by phone, ticket 4411"): staff add confirmed subscribers directly.
    added_by = models.CharField(max_length=150, blank=True)
    consent = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "target_key"], name="one_subscription_per_target"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=CHANNELS), name="subscriber_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=STATUSES), name="subscriber_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "channel"])]

    def __str__(self) -> str:
        return f"{self.channel}:{self.public_id}"
