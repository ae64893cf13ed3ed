"""Database side of delivery: claim a batch, load what to send, record the results. Plain
synchronous functions; the async sender calls them on one dedicated thread."""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from tidings.config import get_settings
from tidings.core import clock, events
from tidings.core.tokens import BatchSigner, ClockSigner
from tidings.customers.models import NO_CHANNEL, Contact
from tidings.notify import claims, rules
from tidings.notify.models import Delivery, Message
from tidings.notify.protocol import Outgoing, Result
from tidings.subscribers.models import Subscriber

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "tidings.unsubscribe"


def unsubscribe_token(
    *,
    subscriber_id: str | None = None,
    contact_id: int | None = None,
    channel: str = "email",
    signer: ClockSigner | None = None,
) -> str:
    """A signed token for unsubscribe and manage links: ``s:<subscriber>`` or, for a customer
    contact, ``c:<contact>:<channel>`` (the channel the message came through). A batch passes
    one :class:`~tidings.core.tokens.BatchSigner` for all its tokens."""
    value = f"s:{subscriber_id}" if subscriber_id else f"c:{contact_id}:{channel}"
    return (signer or ClockSigner(salt=UNSUBSCRIBE_SALT)).sign_object(value)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at one hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


@dataclass
class Claimed:
    outgoing: list[Outgoing]
    channels: dict[int, str]  # delivery id -> channel


def claim(worker: str, limit: int, now: datetime | None = None) -> list[int]:
    """Claim up to ``limit`` due deliveries, oldest first, and return those to send. On
    PostgreSQL rows another worker holds are skipped (SKIP LOCKED); SQLite serialises writers,
    so the conditional UPDATE is enough. A batch whose lease ran out (its worker died) is due
    again. Stale ones are settled on the way (:mod:`tidings.notify.claims`): superseded,
    cancelled or deferred, never sent; when a whole batch settles so, the next is looked at."""
    now = now or clock.now()
    lease = now + timedelta(seconds=get_settings().delivery_lease_seconds)
    due = Q(status="queued", next_attempt_at__lte=now) | Q(status="sending", lease_until__lt=now)
    while True:
        with transaction.atomic():
            rows = claims.claimable(due, limit)
            if not rows:
                return []
            plan = claims.plan(rows, now)
            plan.apply(now)
            if plan.send:
                Delivery.objects.filter(id__any=plan.send).update(
                    status="sending", lease_until=lease, worker=worker, attempts=F("attempts") + 1
                )
                return plan.send
        # Settled rows (and deferred ones, now due later) are no longer due: look further.


def renew(ids: list[int], worker: str, now: datetime | None = None) -> int:
    """Extend the lease of a batch still being sent, so a slow batch is not taken for dead."""
    lease = (now or clock.now()) + timedelta(seconds=get_settings().delivery_lease_seconds)
    return Delivery.objects.filter(id__any=ids, status="sending", worker=worker).update(
        lease_until=lease
    )


def load(ids: list[int]) -> Claimed:
    rows = list(
        Delivery.objects.filter(id__any=ids).values_list(
            "id", "message_id", "channel", "target", "subscriber_id", "contact_id", "signing_secret"
        )
    )
    messages = {m.id: m for m in Message.objects.filter(id__in={r[1] for r in rows})}
    sub_ids = {r[4] for r in rows if r[4]}
    subs: dict[int, tuple[str, str]] = (
        {i: (pid, secret) for i, pid, secret in
         Subscriber.objects.filter(id__any=sub_ids).values_list("id", "public_id", "secret")}
        if sub_ids
        else {}
    )  # fmt: skip
    signer = BatchSigner(salt=UNSUBSCRIBE_SALT)
    base = get_settings().public_url
    out, channels = [], {}
    for did, mid, channel, target, sid, cid, own_secret in rows:
        m = messages[mid]
        manage = ""
        if sid:
            token = unsubscribe_token(subscriber_id=subs[sid][0], signer=signer)
            manage = f"{base}/subscriptions/{token}"
        elif cid:
            token = unsubscribe_token(contact_id=cid, channel=channel, signer=signer)
        else:
            token = ""
        out.append(
            Outgoing(
                delivery_id=did, message_id=mid, target=target, subject=m.subject, text=m.text,
                html=m.html, payload=m.payload, language=m.language,
                unsubscribe_url=f"{base}/unsubscribe/{token}" if token else "",
                manage_url=manage or (f"{base}/unsubscribe/{token}" if token else ""),
                secret=subs[sid][1] if sid in subs else own_secret, message_key=f"tidings-{did}",
                kind=m.kind,
            )
        )  # fmt: skip
        channels[did] = channel
    return Claimed(outgoing=out, channels=channels)


def record(results: list[Result], worker: str, now: datetime | None = None) -> dict[str, int]:
    """Finalise a batch by what each server said (:func:`tidings.notify.rules.verdict`):
    sent; retried later; failed (ran out of attempts, or refused for a reason on our side);
    rejected (refused for good, not the address: the target is disabled after several in a
    row); dead (the address is refused: the target is disabled now and its queued messages
    cancelled). Every failure is logged with the server's reply and a masked target."""
    now = now or clock.now()
    settings = get_settings()
    judged = [(r, rules.verdict(r)) for r in results]
    by: dict[str, list[Result]] = defaultdict(list)
    for r, v in judged:
        by[v.outcome].append(r)
    info = _targets([r.delivery_id for r in results if not r.ok])
    # A chunk that all went out is one UPDATE, atomic by itself: no BEGIN and COMMIT round
    # trips around it (most chunks of a large fan-out).
    together = transaction.atomic() if len(results) > len(by["sent"]) else contextlib.nullcontext()
    with together:
        if by["sent"]:
            Delivery.objects.filter(id__any=[r.delivery_id for r in by["sent"]]).update(
                status="sent", sent_at=now, lease_until=None, last_error=""
            )
        for outcome in ("failed", "rejected", "dead"):
            for r in by[outcome]:
                Delivery.objects.filter(id=r.delivery_id).update(
                    status=outcome, lease_until=None, last_error=r.error[:2000]
                )
                _log_final(outcome, r, info)
        if by["dead"]:
            _disable_targets(by["dead"], now)
        if by["rejected"]:
            _disable_refusing([r.delivery_id for r in by["rejected"]], now)
        if by["retry"]:
            _retry(by["retry"], info, now, settings.delivery_max_attempts)
    return {
        "sent": len(by["sent"]),
        "dead": len(by["dead"]),
        "rejected": len(by["rejected"]),
        "failed": len(by["failed"]),
        "retry": len(by["retry"]),
    }


def _targets(ids: list[int]) -> dict[int, tuple[str, str]]:
    """delivery id -> (channel, target) of the failed ones, to log them masked."""
    if not ids:
        return {}
    return {i: (ch, t) for i, ch, t in Delivery.objects.filter(id__in=ids).values_list(
        "id", "channel", "target")}  # fmt: skip


def _masked(did: int, text: str, info: dict[int, tuple[str, str]]) -> tuple[str, str]:
    channel, target = info.get(did, ("", ""))
    masked = rules.mask_target(channel, target)
    return masked, rules.masked_text(text, target, masked)


def _log_final(outcome: str, r: Result, info: dict[int, tuple[str, str]]) -> None:
    masked, error = _masked(r.delivery_id, r.error, info)
    channel = info.get(r.delivery_id, ("", ""))[0]
    words = {"dead": "the address is refused", "rejected": "refused for good",
             "failed": "failed for good"}  # fmt: skip
    log.warning("delivery %s (%s to %s) %s: %s", r.delivery_id, channel, masked,
                words[outcome], error or "no reply")  # fmt: skip


#: Retries sharing one reply in one batch beyond this many are logged as one line.
_LOG_EACH = 20


def _retry(
    temporary: list[Result], info: dict[int, tuple[str, str]], now: datetime, max_attempts: int
) -> None:
    attempts = dict(
        Delivery.objects.filter(id__in=[r.delivery_id for r in temporary]).values_list(
            "id", "attempts"
        )
    )
    by_wait: dict[tuple[str, datetime], list[int]] = defaultdict(list)
    seen: dict[str, int] = defaultdict(int)
    for r in temporary:
        n = attempts.get(r.delivery_id, 1)
        status = "failed" if n >= max_attempts else "queued"
        when = now + backoff(n)
        by_wait[(status, when)].append(r.delivery_id)
        if r.error:
            Delivery.objects.filter(id=r.delivery_id).update(last_error=r.error[:2000])
        seen[r.error] += 1
        if seen[r.error] <= _LOG_EACH:
            masked, error = _masked(r.delivery_id, r.error, info)
            channel = info.get(r.delivery_id, ("", ""))[0]
            if status == "failed":
                log.warning("delivery %s (%s to %s) gave up after %d attempts: %s",
                            r.delivery_id, channel, masked, n, error or "no reply")  # fmt: skip
            else:
                log.warning("delivery %s (%s to %s) failed, retry at %s: %s", r.delivery_id,
                            channel, masked, f"{when:%H:%M:%S}", error or "no reply")  # fmt: skip
    for error, count in seen.items():
        if count > _LOG_EACH:
            log.warning("%d more deliveries failed the same way: %s", count - _LOG_EACH, error)
    for (status, when), ids in by_wait.items():
        Delivery.objects.filter(id__in=ids).update(
            status=status, next_attempt_at=when, lease_until=None
        )
    exhausted = [ids for (status, _), ids in by_wait.items() if status == "failed"]
    if exhausted:
        _disable_unreachable([i for ids in exhausted for i in ids], now)


#: Channels whose target is the subscriber's own endpoint: when it stays unreachable, that is
#: theirs to fix (an email or SMS that keeps failing is more likely our provider's trouble).
ENDPOINT_CHANNELS = frozenset({"webhook", "slack", "teams", "apprise"})
#: States that say nothing of the target: pending, or never tried.
_UNTRIED = ("queued", "sending", "superseded", "cancelled")


def _same_target(sid: int | None, cid: int | None, channel: str) -> Any:
    if sid:
        return Delivery.objects.filter(subscriber_id=sid)
    return Delivery.objects.filter(contact_id=cid or 0, channel=channel)


def _in_a_row(sid: int | None, cid: int | None, channel: str, status: str, limit: int) -> bool:
    last = list(
        _same_target(sid, cid, channel)
        .exclude(status__in=_UNTRIED)
        .order_by("-id")
        .values_list("status", flat=True)[:limit]
    )
    return len(last) == limit and all(s == status for s in last)


def _disable_unreachable(failed_ids: list[int], now: datetime) -> None:
    """Disable an endpoint whose last N finished deliveries all ran out of attempts."""
    limit = get_settings().endpoint_failures_to_disable
    rows = Delivery.objects.filter(
        id__in=failed_ids, channel__in=ENDPOINT_CHANNELS, subscriber__isnull=False
    ).values_list("id", "subscriber_id", "last_error")
    for did, sid, error in rows:
        if _in_a_row(sid, None, "", "failed", limit):
            reason = f"unreachable: the last {limit} deliveries failed ({error or 'no answer'})"
            _disable_targets([Result(did, ok=False, permanent=True, error=reason)], now)


def _disable_refusing(rejected_ids: list[int], now: datetime) -> None:
    """Disable a target whose last N finished deliveries were all refused for good."""
    limit = get_settings().rejections_to_disable
    rows = Delivery.objects.filter(id__in=rejected_ids).values_list(
        "id", "subscriber_id", "contact_id", "channel", "last_error"
    )
    for did, sid, cid, channel, error in rows:
        if (sid or cid) and _in_a_row(sid, cid, channel, "rejected", limit):
            reason = f"refused {limit} times in a row: {error}"
            _disable_targets([Result(did, ok=False, permanent=True, error=reason)], now)


def _disable_targets(dead: list[Result], now: datetime) -> None:
    """Disable each delivery's subscriber (or the contact's channel), cancel what is still
    queued for it, and log and record it."""
    rows = Delivery.objects.filter(id__in=[r.delivery_id for r in dead]).values_list(
        "id", "subscriber_id", "contact_id", "channel", "target"
    )
    reasons = {r.delivery_id: r.error for r in dead}
    for did, sid, cid, channel, target in rows:
        reason = reasons.get(did, "permanent failure")[:500]
        if sid:
            disabled = _disable_subscriber(sid, channel, reason, now)
        else:
            disabled = bool(cid) and _disable_contact_channel(cid, channel, reason)
        if not disabled:
            continue
        cancelled = (
            _same_target(sid, cid, channel)
            .filter(status="queued")
            .update(status="cancelled", last_error=claims.cancel_reason(True, reason))
        )
        masked = rules.mask_target(channel, target)
        log.warning("disabled %s %s (%s): %s; %d queued message(s) cancelled",
                    "subscriber" if sid else "contact", masked, channel,
                    rules.masked_text(reason, target, masked), cancelled)  # fmt: skip


def _disable_subscriber(sid: int, channel: str, reason: str, now: datetime) -> bool:
    changed = (
        Subscriber.objects.filter(id=sid)
        .exclude(status="disabled")
        .update(status="disabled", disabled_at=now, disabled_reason=reason)
    )
    if changed:
        pid = Subscriber.objects.filter(id=sid).values_list("public_id", flat=True).first() or ""
        events.record(kind="subscriber.disabled", actor="notifier", subject_type="subscriber",
                      subject_id=pid, public=False, channel=channel, reason=reason)  # fmt: skip
    return bool(changed)


def _disable_contact_channel(cid: int, channel: str, reason: str) -> bool:
    contact = Contact.objects.filter(id=cid).first()
    # No channels listed means email; "none" records that nothing is left to use.
    current = (contact.channels or ["email"]) if contact else []
    if contact is None or channel not in current:
        return False
    contact.channels = [c for c in current if c != channel] or [NO_CHANNEL]
    contact.disabled = {
        **(contact.disabled or {}),
        channel: {"at": clock.now().isoformat(), "reason": reason, "by": "notifier"},
    }
    contact.save(update_fields=["channels", "disabled"])
    events.record(kind="contact.channel_disabled", actor="notifier", subject_type="contact",
                  subject_id=str(cid), public=False, channel=channel, reason=reason)  # fmt: skip
    return True
