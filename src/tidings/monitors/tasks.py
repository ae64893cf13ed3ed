"""The monitors' periodic jobs (listed in :mod:`tidings.core.jobs`): process stored alert
webhooks, post the first updates whose wait ran out, and forget old history."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

from django.db import transaction

from tidings.config import get_settings
from tidings.core import clock, db
from tidings.monitors import rules, services
from tidings.monitors.alerts.registry import ADAPTERS
from tidings.monitors.models import AlertReceipt, CheckHour

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
RECEIPTS_KEPT = timedelta(days=7)
ATTEMPTS = 5


def _claim(limit: int) -> list[int]:
    """Pending receipts no other scheduler holds, oldest first."""
    now = clock.now()
    due = AlertReceipt.objects.filter(state="pending")
    rows = db.claim(due, now, order="id", fields=("id",), limit=limit, lease_until=now + LEASE)
    return [r[0] for r in rows]


def process(receipt: AlertReceipt, index: dict[str, str] | None = None) -> int:
    """Apply one stored notification to its groups; how many groups it touched."""
    source = receipt.source
    parsed = ADAPTERS[source.kind](json.loads(receipt.body), receipt.meta or {})
    routed = rules.route(
        parsed.events, label_names=source.label_names,
        index=services.component_index() if index is None else index,
        defaults=source.default_components, severity_map=source.severity_map,
    )  # fmt: skip
    for plan in routed.plans:
        services.apply_plan(source=source, plan=plan, received=receipt.received_at)
    return len(routed.plans)


def process_receipts(limit: int = 500, budget: float = 5.0) -> int:
    """Process stored webhooks in order until none is left or ``budget`` seconds passed."""
    done, started = 0, time.monotonic()
    while time.monotonic() - started < budget:
        ids = _claim(limit)
        if not ids:
            break
        index = services.component_index()  # once per batch: components rarely change
        for rid in ids:
            try:
                with transaction.atomic():
                    receipt = AlertReceipt.objects.select_related("source").get(id=rid)
                    process(receipt, index)
                    AlertReceipt.objects.filter(id=rid).update(
                        state="done", processed_at=clock.now(), lease_until=None
                    )
            except Exception as exc:  # kept and retried; staff see the error in the console
                log.exception("processing alert receipt %s failed", rid)
                _failed(rid, exc)
            done += 1
    return done


def _failed(rid: int, exc: Exception) -> None:
    """Try again later (30 s, 60 s, ... ); after :data:`ATTEMPTS` give up and say so. An older
    notification processed late never undoes a newer state (``rules.apply_events``)."""
    attempts = 1 + (
        AlertReceipt.objects.filter(id=rid).values_list("attempts", flat=True).first() or 0
    )
    AlertReceipt.objects.filter(id=rid).update(
        attempts=attempts, error=repr(exc)[:500],
        state="failed" if attempts >= ATTEMPTS else "pending",
        lease_until=clock.now() + timedelta(seconds=30 * attempts),
    )  # fmt: skip


def run_alerts() -> dict[str, int]:
    return {"processed": process_receipts(), "posted": services.post_due()}


def forget_old() -> dict[str, int]:
    now = clock.now()
    receipts, _ = (
        AlertReceipt.objects.filter(received_at__lt=now - RECEIPTS_KEPT)
        .exclude(state="pending")
        .delete()
    )
    hours, _ = CheckHour.objects.filter(
        hour__lt=now - timedelta(days=get_settings().monitor_history_days)
    ).delete()
    return {"receipts": receipts, "hours": hours}
