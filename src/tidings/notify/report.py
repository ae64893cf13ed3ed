"""How the telling of an incident went, for the console and the staff API: per update, its
deliveries by channel and state, and *why* each state ("waiting for a worker", "retry at 12:04
after 451 4.2.2 Mailbox full", "superseded by the Resolved update of 12:10"); the deliveries
that failed, one by one; and the targets disabled on the way.

Targets (addresses, phone numbers, webhook URLs) never leave here in full, nor do addresses a
server quoted in its reply (:func:`tidings.notify.rules.mask_target`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from tidings.config import get_settings
from tidings.core.models import Event
from tidings.customers.models import reached_on
from tidings.incidents.models import Incident, IncidentUpdate
from tidings.notify.claims import TARGET_DISABLED
from tidings.notify.ledger import ENDPOINT_CHANNELS
from tidings.notify.models import DELIVERY_STATUSES, PENDING_STATUSES, Delivery
from tidings.notify.rules import mask_target, masked_text

#: States worth a line each in the report's list of failures (retries included).
PROBLEM_STATUSES = ("failed", "rejected", "dead", "cancelled")
#: Failures listed one by one; the count says how many more there are.
PROBLEMS_SHOWN = 200
#: Reasons listed per update, most frequent first; groups read for all updates at most.
REASONS_SHOWN = 12
GROUPS_READ = 500
_EMAIL = re.compile(r"[^\s<>@,;:\"']+@[^\s<>@,;:\"']+\.[A-Za-z0-9-]{2,}")


def masked_reply(text: str) -> str:
    """A server's reply with every address in it masked."""
    return _EMAIL.sub(lambda m: mask_target("email", m[0]), text)


def _clock(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%H:%M") if value else "—"


class StateReason(BaseModel):
    """Why some of an update's deliveries are in a state, and how many; also the API's
    ``StateReasonOut`` (see :mod:`.records`)."""

    model_config = ConfigDict(frozen=True)

    status: str
    reason: str
    count: int


@dataclass
class UpdateDeliveries:
    update_id: str
    status: str
    posted_at: datetime
    notified: bool  # the update asked for notifications at all
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DELIVERY_STATUSES, 0))
    total: int = 0
    first_created_at: datetime | None = None
    last_sent_at: datetime | None = None
    reasons: list[StateReason] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return sum(self.totals[s] for s in PENDING_STATUSES)

    @property
    def complete(self) -> bool:
        """Every delivery has its final answer: nothing queued or being sent."""
        return self.pending == 0

    @property
    def seconds_to_last_delivery(self) -> float | None:
        """From the update's publication to the last delivery sent (so far, if not complete)."""
        if self.last_sent_at is None:
            return None
        return round((self.last_sent_at - self.posted_at).total_seconds(), 3)

    def as_dict(self) -> dict[str, Any]:
        return {
            "update_id": self.update_id, "status": self.status, "posted_at": self.posted_at,
            "notified": self.notified, "by_channel": self.by_channel, "totals": self.totals,
            "total": self.total, "pending": self.pending, "complete": self.complete,
            "first_created_at": self.first_created_at, "last_sent_at": self.last_sent_at,
            "seconds_to_last_delivery": self.seconds_to_last_delivery,
            "reasons": [r.model_dump() for r in self.reasons],
        }  # fmt: skip


class Problem(BaseModel):
    """One delivery that failed or waits for another try; also the API's ``ProblemOut`` (see
    :mod:`.records`)."""

    model_config = ConfigDict(frozen=True)

    update_id: str
    channel: str
    target: str = Field(description="masked")
    status: str
    reason: str
    attempts: int


class DisabledTarget(BaseModel):
    """A target disabled on the way; also the API's ``DisabledOut`` (see :mod:`.records`)."""

    model_config = ConfigDict(frozen=True)

    kind: str  # "subscriber" or "contact"
    channel: str
    target: str = Field(description="masked: enough to recognise, never the whole address")
    reason: str
    disabled_at: datetime | None
    update_id: str
    target_id: str = Field(
        description="the subscriber's id, or the contact's: what re-enabling it takes"
    )


@dataclass
class DeliveryReport:
    incident_id: str
    title: str
    updates: list[UpdateDeliveries]
    disabled: list[DisabledTarget]
    problems: list[Problem] = field(default_factory=list)
    problems_total: int = 0


# --- why a delivery is where it is ------------------------------------------------------------


@dataclass(frozen=True)
class _Why:
    status: str
    attempts: int
    error: str
    next_attempt_at: datetime | None
    superseded_by: int | None
    update_status: str
    worker: str = ""
    incident_status: str = ""


def _error(why: _Why) -> str:
    return why.error or _("no reply")


def _queued(why: _Why, *_args: Any) -> str:
    if why.attempts == 0:
        return _("waiting for a worker")
    return _("retry at %(time)s after %(error)s") % {
        "time": _clock(why.next_attempt_at), "error": _error(why),
    }  # fmt: skip


def _failed(why: _Why, *_args: Any) -> str:
    if why.attempts >= get_settings().delivery_max_attempts:
        return _("gave up after %(n)d attempts: %(error)s") % {
            "n": why.attempts, "error": _error(why),
        }  # fmt: skip
    return _("not sent, the server refused us: %(error)s") % {"error": _error(why)}


def _cancelled(why: _Why, *_args: Any) -> str:
    if why.error.startswith(TARGET_DISABLED):
        detail = why.error.removeprefix(TARGET_DISABLED).lstrip(": ") or _("no reason given")
        return _("cancelled: target disabled (%(reason)s)") % {"reason": detail}
    return _("cancelled: the recipient unsubscribed or is no longer told on this channel")


def _superseded(why: _Why, updates: dict[int, IncidentUpdate], labels: dict[str, str]) -> str:
    newer = updates.get(why.superseded_by or 0)
    if newer is not None:
        return _("superseded by update %(id)s (%(status)s, %(time)s): not sent") % {
            "id": newer.public_id,
            "status": labels.get(newer.status, newer.status),
            "time": _clock(newer.display_at),
        }
    if why.incident_status == "cancelled":
        return _("not sent: the maintenance was cancelled")
    if why.update_status == "scheduled":
        return _("not sent: the maintenance had started")
    return _("not sent: the maintenance had ended")


def _sending(why: _Why, *_args: Any) -> str:
    return _("being sent by %(worker)s") % {"worker": why.worker or "?"}


def _sent(why: _Why, *_args: Any) -> str:
    return _("accepted by the receiving server")


def _rejected(why: _Why, *_args: Any) -> str:
    return _("refused for good (the address is kept): %(error)s") % {"error": _error(why)}


def _dead(why: _Why, *_args: Any) -> str:
    return _("the address is refused, target disabled: %(error)s") % {"error": _error(why)}


_DESCRIBE: dict[str, Callable[[_Why, dict[int, IncidentUpdate], dict[str, str]], str]] = {
    "queued": _queued, "sending": _sending, "sent": _sent, "failed": _failed,
    "rejected": _rejected, "dead": _dead, "superseded": _superseded, "cancelled": _cancelled,
}  # fmt: skip


def reason(why: _Why, updates: dict[int, IncidentUpdate], labels: dict[str, str]) -> str:
    """The state of a delivery in a sentence, in the reader's language. ``error`` is already
    masked."""
    return _DESCRIBE[why.status](why, updates, labels)


# --- the report -------------------------------------------------------------------------------


def delivery_report(incident: Incident, labels: dict[str, str] | None = None) -> DeliveryReport:
    """Per update (newest first): deliveries by channel and status with their reasons, the
    first created and the last sent; the failures one by one; and the targets this
    incident's deliveries disabled. ``labels`` translate update statuses."""
    labels = labels or {}
    updates = list(IncidentUpdate.objects.filter(incident=incident).order_by("-display_at", "-id"))
    by_pk = {
        u.pk: UpdateDeliveries(update_id=u.public_id, status=u.status, posted_at=u.created_at,
                               notified=u.deliver_notifications)
        for u in updates
    }  # fmt: skip
    mine = Delivery.objects.filter(message__update__incident=incident, message__kind="update")
    rows = (
        mine.values_list("message__update_id", "channel", "status")
        .annotate(n=Count("id"), first=Min("created_at"), last=Max("sent_at"))
        .order_by()
    )
    for update_pk, channel, status, n, first, last in rows:
        u = by_pk[update_pk]
        counts = u.by_channel.setdefault(channel, dict.fromkeys(DELIVERY_STATUSES, 0))
        counts[status] += n
        u.totals[status] += n
        u.total += n
        u.first_created_at = _min(u.first_created_at, first)
        u.last_sent_at = _max(u.last_sent_at, last)
    for u in by_pk.values():
        u.by_channel = dict(sorted(u.by_channel.items()))
    updates_by_pk = {u.pk: u for u in updates}
    _add_reasons(mine, by_pk, updates_by_pk, labels, incident.status)
    problems, problems_total = _problems(mine, updates_by_pk, labels, incident.status)
    return DeliveryReport(
        incident_id=incident.public_id,
        title=incident.title,
        updates=[by_pk[u.pk] for u in updates],
        disabled=_disabled(incident),
        problems=problems,
        problems_total=problems_total,
    )


def _add_reasons(
    mine: Any,
    by_pk: dict[int, UpdateDeliveries],
    updates: dict[int, IncidentUpdate],
    labels: dict[str, str],
    incident_status: str,
) -> None:
    """Group each update's deliveries by what they wait for or ended with. Replies quoting
    each recipient's address make a group each: only the largest groups are read, and what
    they leave out is counted as "other reasons"."""
    groups = (
        mine.values_list("message__update_id", "status", "last_error", "superseded_by_id")
        .annotate(n=Count("id"), tries=Max("attempts"), at=Min("next_attempt_at"),
                  worker=Max("worker"), first_try=Min("attempts"))
        .order_by("-n")[:GROUPS_READ]
    )  # fmt: skip
    lines: dict[int, dict[tuple[str, str], int]] = {pk: {} for pk in by_pk}
    for update_pk, status, error, by, n, tries, at, worker, first_try in groups:
        why = _Why(status=status, attempts=tries if status != "queued" else first_try,
                   error=masked_reply(error), next_attempt_at=at, superseded_by=by,
                   update_status=updates[update_pk].status, worker=worker,
                   incident_status=incident_status)  # fmt: skip
        key = (status, reason(why, updates, labels))
        lines[update_pk][key] = lines[update_pk].get(key, 0) + n
    order = {s: i for i, s in enumerate(DELIVERY_STATUSES)}
    for pk, found in lines.items():
        ranked = sorted(found.items(), key=lambda kv: (order[kv[0][0]], -kv[1]))
        shown = [
            StateReason(status=status, reason=text, count=n)
            for (status, text), n in ranked[:REASONS_SHOWN]
        ]
        rest = by_pk[pk].total - sum(r.count for r in shown)
        if rest:
            shown.append(StateReason(status="", reason=_("other reasons"), count=rest))
        by_pk[pk].reasons = shown


def _problems(
    mine: Any, updates: dict[int, IncidentUpdate], labels: dict[str, str], incident_status: str
) -> tuple[list[Problem], int]:
    failing = mine.filter(Q(status__in=PROBLEM_STATUSES) | Q(status="queued", attempts__gt=0))
    total = failing.count()
    out = []
    for d in failing.order_by("-id").values(*REASON_VALUES, "message__update_id")[:PROBLEMS_SHOWN]:
        update = updates[d["message__update_id"]]
        out.append(Problem(update_id=update.public_id, channel=d["channel"],
                           target=mask_target(d["channel"], d["target"]), status=d["status"],
                           reason=delivery_reason(d, updates, labels, update.status, incident_status),
                           attempts=d["attempts"]))  # fmt: skip
    return out, total


#: What :func:`delivery_reason` reads of a delivery (``Delivery.objects.values(...)``).
REASON_VALUES = (
    "channel", "target", "status", "attempts", "last_error", "next_attempt_at",
    "superseded_by_id", "worker",
)  # fmt: skip


def delivery_reason(
    d: dict[str, Any],
    updates: dict[int, IncidentUpdate],
    labels: dict[str, str],
    update_status: str = "",
    incident_status: str = "",
) -> str:
    """Why one delivery is where it is, in the reader's language, with the target masked in
    the server's reply. ``updates`` must hold the one that superseded it, if any."""
    masked = mask_target(d["channel"], d["target"])
    why = _Why(status=d["status"], attempts=d["attempts"],
               error=masked_reply(masked_text(d["last_error"], d["target"], masked)),
               next_attempt_at=d["next_attempt_at"], superseded_by=d["superseded_by_id"],
               update_status=update_status, worker=d["worker"],
               incident_status=incident_status)  # fmt: skip
    return reason(why, updates, labels)


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _disabled(incident: Incident) -> list[DisabledTarget]:
    """Targets this incident's deliveries disabled (at once, or after refusals in a row) that
    are still disabled."""
    disabling = Q(status__in=("dead", "rejected")) | Q(
        status="failed", channel__in=ENDPOINT_CHANNELS
    )
    dead = (
        Delivery.objects.filter(disabling, message__update__incident=incident)
        .select_related("subscriber", "contact", "message__update")
        .order_by("id")
    )
    contact_ids = {str(d.contact_id) for d in dead if d.contact_id}
    contact_events = {
        (e.subject_id, str(e.data.get("channel", ""))): (e.at, str(e.data.get("reason", "")))
        for e in Event.objects.filter(
            kind="contact.channel_disabled", subject_type="contact", subject_id__in=contact_ids
        ).order_by("at")
    }
    seen: set[tuple[str, str]] = set()
    out: list[DisabledTarget] = []
    for d in dead:
        if (d.channel, d.target) in seen:
            continue
        masked = mask_target(d.channel, d.target)
        update_id = d.message.update.public_id if d.message.update else ""
        if d.subscriber is not None and d.subscriber.status == "disabled":
            why, at, kind = d.subscriber.disabled_reason, d.subscriber.disabled_at, "subscriber"
            target_id = d.subscriber.public_id
        elif d.contact is not None and d.channel not in reached_on(d.contact.channels):
            at, why = contact_events.get((str(d.contact_id), d.channel), (None, d.last_error))
            kind, target_id = "contact", str(d.contact_id)
            if at is None and d.status != "dead":
                continue  # the channel was taken off by staff, not by a delivery
        else:
            continue  # re-enabled since, or never disabled
        seen.add((d.channel, d.target))
        out.append(DisabledTarget(
            kind=kind, channel=d.channel, target=masked,
            reason=masked_reply(masked_text(why or d.last_error or "permanent failure", d.target, masked)),
            disabled_at=at, update_id=update_id, target_id=target_id,
        ))  # fmt: skip
    return out
