"""Database side of delivery: claim a batch, load what to send, record the results. Plain
synchronous functions; the async sender calls them on one dedicated thread."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.db import transaction
from django.db.models import F, Q

from tidings.config import get_settings
from tidings.core import clock, events
from tidings.customers.models import NO_CHANNEL, Contact
from tidings.notify.models import Delivery, Message
from tidings.notify.protocol import Outgoing, Result
from tidings.subscribers.models import Subscriber

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "tidings.unsubscribe"


def unsubscribe_token(
    *, subscriber_id: str | None = None, contact_id: int | None = None, channel: str = "email"
) -> str:
    """A signed token for unsubscribe and manage links: ``s:<subscriber>`` or, for a customer
    contact, ``c:<contact>:<channel>`` (the channel the message came through)."""
    value = f"s:{subscriber_id}" if subscriber_id else f"c:{contact_id}:{channel}"
    return signing.dumps(value, salt=UNSUBSCRIBE_SALT, compress=False)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at one hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


@dataclass
class Claimed:
    outgoing: list[Outgoing]
    channels: dict[int, str]  # delivery id -> channel


def claim(worker: str, limit: int, now: datetime | None = None) -> list[int]:
    """Claim up to ``limit`` due deliveries, oldest first. On PostgreSQL rows another worker
    holds are skipped (SKIP LOCKED); SQLite serialises writers, so the conditional UPDATE is
    enough. A batch whose lease ran out (its worker died) is due again."""
    now = now or clock.now()
    lease = now + timedelta(seconds=get_settings().delivery_lease_seconds)
    due = Q(status="queued", next_attempt_at__lte=now) | Q(status="sending", lease_until__lt=now)
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            Delivery.objects.filter(id__in=ids).update(
                status="sending", lease_until=lease, worker=worker, attempts=F("attempts") + 1
            )
    return ids


def renew(ids: list[int], worker: str, now: datetime | None = None) -> int:
    """Extend the lease of a batch still being sent, so a slow batch is not taken for dead."""
    lease = (now or clock.now()) + timedelta(seconds=get_settings().delivery_lease_seconds)
    return Delivery.objects.filter(id__in=ids, status="sending", worker=worker).update(
        lease_until=lease
    )


def load(ids: list[int]) -> Claimed:
    rows = list(
        Delivery.objects.filter(id__in=ids).values_list(
            "id", "message_id", "channel", "target", "subscriber_id", "contact_id", "signing_secret"
        )
    )
    messages = {m.id: m for m in Message.objects.filter(id__in={r[1] for r in rows})}
    sub_ids = {r[4] for r in rows if r[4]}
    subs = (
        dict(Subscriber.objects.filter(id__in=sub_ids).values_list("id", "public_id"))
        if sub_ids
        else {}
    )
    secrets = (
        dict(Subscriber.objects.filter(id__in=sub_ids).values_list("id", "secret"))
        if sub_ids
        else {}
    )
    base = get_settings().public_url
    out, channels = [], {}
    for did, mid, channel, target, sid, cid, own_secret in rows:
        m = messages[mid]
        manage = ""
        if sid:
            token = unsubscribe_token(subscriber_id=subs[sid])
            manage = f"{base}/subscriptions/{token}"
        elif cid:
            token = unsubscribe_token(contact_id=cid, channel=channel)
        else:
            token = ""
        out.append(
            Outgoing(
                delivery_id=did, message_id=mid, target=target, subject=m.subject, text=m.text,
                html=m.html, payload=m.payload, language=m.language,
                unsubscribe_url=f"{base}/unsubscribe/{token}" if token else "",
                manage_url=manage or (f"{base}/unsubscribe/{token}" if token else ""),
                secret=secrets.get(sid, "") if sid else own_secret, message_key=f"tidings-{did}",
            )
        )  # fmt: skip
        channels[did] = channel
    return Claimed(outgoing=out, channels=channels)


def record(results: list[Result], worker: str, now: datetime | None = None) -> dict[str, int]:
    """Finalise a batch: sent, retry later, or dead (and the target disabled)."""
    now = now or clock.now()
    max_attempts = get_settings().delivery_max_attempts
    ok = [r.delivery_id for r in results if r.ok]
    permanent = [r for r in results if not r.ok and r.permanent]
    temporary = [r for r in results if not r.ok and not r.permanent]
    with transaction.atomic():
        if ok:
            Delivery.objects.filter(id__in=ok).update(
                status="sent", sent_at=now, lease_until=None, last_error=""
            )
        for r in permanent:
            Delivery.objects.filter(id=r.delivery_id).update(
                status="dead", lease_until=None, last_error=r.error[:2000]
            )
        if permanent:
            _disable_targets(permanent, now)
        if temporary:
            attempts = dict(
                Delivery.objects.filter(id__in=[r.delivery_id for r in temporary]).values_list(
                    "id", "attempts"
                )
            )
            by_wait: dict[tuple[str, datetime], list[int]] = defaultdict(list)
            for r in temporary:
                n = attempts.get(r.delivery_id, 1)
                status = "failed" if n >= max_attempts else "queued"
                by_wait[(status, now + backoff(n))].append(r.delivery_id)
                if r.error:
                    Delivery.objects.filter(id=r.delivery_id).update(last_error=r.error[:2000])
            for (status, when), ids in by_wait.items():
                Delivery.objects.filter(id__in=ids).update(
                    status=status, next_attempt_at=when, lease_until=None
                )
            exhausted = [ids for (status, _), ids in by_wait.items() if status == "failed"]
            if exhausted:
                _disable_unreachable([i for ids in exhausted for i in ids], now)
    return {"sent": len(ok), "dead": len(permanent), "retry": len(temporary)}


#: Channels whose target is the subscriber's own endpoint: when it stays unreachable, that is
#: theirs to fix (an email or SMS that keeps failing is more likely our provider's trouble).
ENDPOINT_CHANNELS = frozenset({"webhook", "slack", "teams", "apprise"})


def _disable_unreachable(failed_ids: list[int], now: datetime) -> None:
    """Disable an endpoint whose last N finished deliveries all ran out of attempts."""
    limit = get_settings().endpoint_failures_to_disable
    rows = Delivery.objects.filter(
        id__in=failed_ids, channel__in=ENDPOINT_CHANNELS, subscriber__isnull=False
    ).values_list("id", "subscriber_id")
    for did, sid in rows:
        last = list(
            Delivery.objects.filter(subscriber_id=sid)
            .exclude(status__in=("queued", "sending"))
            .order_by("-id")
            .values_list("status", flat=True)[:limit]
        )
        if len(last) == limit and all(status == "failed" for status in last):
            error = Delivery.objects.filter(id=did).values_list("last_error", flat=True).first()
            reason = f"unreachable: the last {limit} deliveries failed ({error or 'no answer'})"
            _disable_targets([Result(did, ok=False, permanent=True, error=reason)], now)


def _disable_targets(dead: list[Result], now: datetime) -> None:
    rows = Delivery.objects.filter(id__in=[r.delivery_id for r in dead]).values_list(
        "id", "subscriber_id", "contact_id", "channel"
    )
    reasons = {r.delivery_id: r.error for r in dead}
    for did, sid, cid, channel in rows:
        reason = reasons.get(did, "permanent failure")[:500]
        if sid:
            changed = (
                Subscriber.objects.filter(id=sid)
                .exclude(status="disabled")
                .update(status="disabled", disabled_at=now, disabled_reason=reason)
            )
            if changed:
                pid = (
                    Subscriber.objects.filter(id=sid).values_list("public_id", flat=True).first()
                    or ""
                )
                events.record(kind="subscriber.disabled", actor="notifier", subject_type="subscriber",
                              subject_id=pid, public=False, channel=channel, reason=reason)  # fmt: skip
        elif cid:
            contact = Contact.objects.filter(id=cid).first()
            # No channels listed means email; "none" records that nothing is left to use.
            current = (contact.channels or ["email"]) if contact else []
            if contact and channel in current:
                contact.channels = [c for c in current if c != channel] or [NO_CHANNEL]
                contact.save(update_fields=["channels"])
                events.record(kind="contact.channel_disabled", actor="notifier", subject_type="contact",
                              subject_id=str(cid), public=False, channel=channel, reason=reason)  # fmt: skip
