"""The append-only event log: who did what, when. Postmortems and metrics read it later."""

from __future__ import annotations

from django.db import models

from tidings.core.ids import new_id


class Event(models.Model):
    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=150)
    kind = models.CharField(max_length=64, db_index=True)
    subject_type = models.CharField(max_length=32)
    subject_id = models.CharField(max_length=32)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.kind} {self.subject_type}:{self.subject_id}"


class PublishState(models.Model):
    """One row, written only by the publisher (under its lock): the last snapshot version it
    wrote. Writers never touch it; what waits to be published is :class:`PublishRequest`."""

    published = models.BigIntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="publish_state_single_row")
        ]

    def __str__(self) -> str:
        return f"published {self.published}"


class PublishRequest(models.Model):
    """A public change not yet in a written snapshot: inserted in the transaction of the change,
    deleted by the publisher after it wrote a snapshot rendered from a read made after the row
    was committed. Each writer inserts its own row, so concurrent writers never wait on a shared
    counter; a transaction that commits while a publish renders keeps its row and gets the
    next publish, whatever order transactions commit in."""

    requested_at = models.DateTimeField()
    #: What changed, so the publisher renders only the pages it shows on
    #: (:mod:`tidings.statuspage.scope`): ``*`` (everything), ``components``,
    #: ``incident:<public id>`` or ``month:<YYYY-MM>``.
    scope = models.CharField(max_length=64, default="*")

    def __str__(self) -> str:
        return f"publish request {self.pk} ({self.scope}) at {self.requested_at:%Y-%m-%d %H:%M:%S}"


class JobClaim(models.Model):
    """A periodic job run for one time slot; the unique pair makes two schedulers safe."""

    name = models.CharField(max_length=64)
    slot = models.CharField(max_length=32)
    claimed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="job_claim_once")]

    def __str__(self) -> str:
        return f"{self.name}@{self.slot}"


class ApiToken(models.Model):
    """A bearer token for the staff API; only its SHA-256 is stored. Its scopes
    (:mod:`tidings.core.access`) narrow what it may do below its user's role."""

    public_id = models.CharField(max_length=12, unique=True, default=new_id, editable=False)
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    #: The token's last four characters, so its owner can tell which one they hold.
    hint = models.CharField(max_length=8, blank=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    #: Dated at most once a minute (:data:`tidings.core.auth.TOUCH_EVERY`).
    last_used_at = models.DateTimeField(null=True, blank=True)
    #: Refused from then on (401 saying so); empty: valid until revoked.
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class RateCount(models.Model):
    """Requests counted per key and fixed time window: the abuse limit of the public forms.
    The key is a hash, so no client address is stored."""

    key = models.CharField(max_length=64)
    window = models.BigIntegerField()  # the window's start, Unix seconds
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="one_count_per_window")
        ]

    def __str__(self) -> str:
        return f"{self.key[:8]}@{self.window}: {self.count}"
