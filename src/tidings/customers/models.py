"""The companies we serve and the people we talk to there. Notification preferences, imports and
"who is affected" build on these."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tidings.components.models import Component
from tidings.core.ids import new_id

PLANS = ("free", "standard", "business", "enterprise")
#: The channels a contact can be reached on: their email address and their phone.
CONTACT_CHANNELS = ("email", "sms", "whatsapp")
#: ``Contact.channels`` once the contact has turned off every channel (no list means email).
NO_CHANNEL = "none"


def reached_on(channels: list[str] | None) -> list[str]:
    """The channels a contact is told on: none listed means email; ``["none"]``, nothing."""
    return [ch for ch in (channels or ["email"]) if ch in CONTACT_CHANNELS]


def disabled_channels(contact: Contact) -> dict[str, dict[str, str]]:
    """The contact's channels disabled now, with when, why and by whom."""
    told = set(reached_on(contact.channels))
    return {ch: info for ch, info in (contact.disabled or {}).items() if ch not in told}


class Customer(models.Model):
    public_id = models.CharField(max_length=12, unique=True, default=new_id, editable=False)
    name = models.CharField(max_length=200, unique=True)
    plan = models.CharField(
        max_length=16, choices=[(p, p.capitalize()) for p in PLANS], default="standard"
    )
    contract_ref = models.CharField(max_length=100, blank=True)
    strategic = models.BooleanField(
        default=False, help_text="Gets personal follow-up from the account manager."
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
    )
    components = models.ManyToManyField(Component, blank=True, related_name="customers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(plan__in=PLANS), name="customer_plan_valid")
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    LANGUAGES = [("en", "English"), ("he", "Hebrew")]

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True, help_text="E.164, e.g. +972501234567")
    language = models.CharField(max_length=8, choices=LANGUAGES, default="en")
    channels = models.JSONField(
        default=list, blank=True, help_text='Preferred channels, e.g. ["email", "sms"].'
    )
    #: Channels taken off because they failed or by staff, and why:
    #: ``{"sms": {"at": "<ISO time>", "reason": "...", "by": "notifier"}}``. A channel counts
    #: as disabled while it is listed here and not in ``channels`` (:func:`disabled_channels`).
    disabled = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["customer", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.customer})"


IMPORT_STATES = ("queued", "checking", "writing", "done", "failed")


class ImportJob(models.Model):
    """A CSV import too large to run inside a request, done by a background task. ``data``
    holds the upload until the job has run; ``report`` its verdict, as the API returns it."""

    public_id = models.CharField(max_length=12, unique=True, default=new_id, editable=False)
    actor = models.CharField(max_length=150)
    dry_run = models.BooleanField(default=False)
    state = models.CharField(
        max_length=8, choices=[(s, s) for s in IMPORT_STATES], default="queued"
    )
    data = models.BinaryField(default=b"")
    rows_total = models.IntegerField(default=0)  # about: the file's lines less the header
    rows_done = models.IntegerField(default=0)
    report = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=IMPORT_STATES), name="import_job_state_valid"
            )
        ]

    def __str__(self) -> str:
        return f"import {self.public_id} ({self.state})"
