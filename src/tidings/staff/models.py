"""A staff member's role and how to reach them (update reminders, on-call pages)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tidings.staff.rules import ROLES

#: Channels a staff member can be reached on; each names a notify channel kind.
STAFF_CHANNELS = ("email", "sms", "slack", "teams")


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    role = models.CharField(max_length=16, choices=[(r, r) for r in ROLES], default="viewer")
    language = models.CharField(max_length=8, default="en")
    phone = models.CharField(max_length=32, blank=True)
    #: Where reminders and pages go: ``[{"channel": "slack", "target": "https://hooks..."}]``;
    #: none listed means the user's email address.
    channels = models.JSONField(default=list, blank=True)
    on_call = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=ROLES), name="staff_role_valid")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"
