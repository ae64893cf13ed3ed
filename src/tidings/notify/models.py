"""The delivery ledger. A :class:`Message` is rendered once per (update, channel, language); a
:class:`Delivery` is one recipient of it, created in the same transaction as the update, claimed
by a worker, sent, and finalised. Nothing is sent that has no row; no row is sent twice on
purpose."""

from __future__ import annotations

from django.db import models

from tidings.customers.models import Contact
from tidings.incidents.models import IncidentUpdate
from tidings.subscribers.models import CHANNELS, Subscriber

#: queued and sending are pending; the rest are final. failed: ran out of attempts; rejected:
#: refused for good, not because of the address; dead: the address is refused and the target
#: disabled; superseded: a newer update to the same target (or the maintenance's own clock)
#: made it stale, so it was not sent; cancelled: its target was disabled or left first.
DELIVERY_STATUSES = (
    "queued", "sending", "sent", "failed", "rejected", "dead", "superseded", "cancelled",
)  # fmt: skip
PENDING_STATUSES = ("queued", "sending")


class Message(models.Model):
    KINDS = [
        ("update", "Incident update"),
        ("component", "Component status change"),
        ("confirm", "Subscription confirmation"),
        ("page", "On-call page"),
        ("staff", "Staff event"),
    ]

    kind = models.CharField(max_length=16, choices=KINDS, default="update")
    update = models.ForeignKey(
        IncidentUpdate, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    channel = models.CharField(max_length=16)
    language = models.CharField(max_length=8)
    subject = models.TextField(blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    payload = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["update", "channel", "language"],
                condition=models.Q(kind="update"),
                name="one_message_per_update_channel_language",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel}/{self.language} #{self.pk}"


class Delivery(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=[(c, c) for c in CHANNELS])
    target = models.TextField()
    subscriber = models.ForeignKey(Subscriber, null=True, blank=True, on_delete=models.SET_NULL)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(
        max_length=12, choices=[(s, s) for s in DELIVERY_STATUSES], default="queued"
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)
    provider_ref = models.CharField(max_length=200, blank=True)
    #: HMAC key of a signed webhook that has no subscriber (a staff event hook); a database
    #: default, so bulk inserts that name their columns need not know it.
    signing_secret = models.CharField(max_length=64, blank=True, default="", db_default="")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    #: For a superseded delivery, the newer update the target received (or will) instead;
    #: empty when the maintenance's own clock made it stale.
    superseded_by = models.ForeignKey(
        IncidentUpdate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False,  # read through the delivery, never searched by; fan-out inserts stay lean
    )  # fmt: skip

    class Meta:
        constraints = [
            # The same message never goes twice to one target, however often fan-out runs.
            models.UniqueConstraint(fields=["message", "target"], name="one_delivery_per_target"),
            models.CheckConstraint(
                condition=models.Q(status__in=DELIVERY_STATUSES), name="delivery_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} {self.status}"
