"""Message templates staff have edited or added. Shipped templates live in code
(:mod:`tidings.comms.defaults`); a row here overrides one of them, or adds a new one."""

from __future__ import annotations

from django.db import models


class MessageTemplate(models.Model):
    key = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=12, default="incident")
    #: The status an update from this template sets; blank keeps the current one.
    status = models.CharField(max_length=16, blank=True)
    names = models.JSONField(default=dict)
    bodies = models.JSONField(default=dict)
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key
