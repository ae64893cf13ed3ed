"""Monitors: create them, claim due checks, record results, and turn N failures (or
successes) in a row into a firing (or resolved) alert group. Plain synchronous functions; the
async runner calls them on its database thread. The caller owns the transaction where it
matters; claim and record make their own."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from tidings.core import clock, db, events
from tidings.core.errors import InvalidInput, NotFound
from tidings.monitors import rules, services
from tidings.monitors.models import Monitor
from tidings.monitors.protocol import AlertEvent, Outcome, Target

log = logging.getLogger(__name__)


def create_monitor(
    *,
    actor: str,
    kind: str,
    name: str,
    target: str = "",
    component: str,
    interval: int = 60,
    failures: int | None = None,
    successes: int = 2,
    publish_after: int | None = None,
    config: dict[str, Any] | None = None,
    validate: Any = None,
) -> Monitor:
    """``validate(kind, target, config) -> (target, config)`` checks the kind's own fields
    (the probes' registry, passed in by the caller: the core never imports a probe)."""
    if kind not in rules.MONITOR_KINDS:
        raise InvalidInput(
            _("unknown monitor kind %(kind)s; use one of %(kinds)s")
            % {"kind": repr(kind), "kinds": ", ".join(rules.MONITOR_KINDS)},
            field="kind",
        )
    name = services.check_name(name)
    if Monitor.objects.filter(name=name).exists():
        raise InvalidInput(
            _("a monitor named %(name)s exists already") % {"name": repr(name)}, field="name"
        )
    if not 10 <= interval <= 86_400:
        raise InvalidInput(_("interval is between 10 and 86400 seconds"), field="interval")
    failures = (1 if kind == "heartbeat" else 3) if failures is None else failures
    if not (1 <= failures <= 100 and 1 <= successes <= 100):
        raise InvalidInput(_("failures and successes are between 1 and 100"), field="failures")
    if validate is not None:
        target, config = validate(kind, target, config or {})
    comp = services.known_component(component)
    now = clock.now()
    monitor = Monitor(
        kind=kind, name=name, target=target, config=config or {}, component=comp, interval=interval,
        failures=failures, successes=successes, publish_after=services.check_publish_after(publish_after),
        created_at=now, next_run_at=now,
    )  # fmt: skip
    monitor.next_run_at = rules.next_run(now, interval, rules.phase(monitor.public_id, interval))
    monitor.save()
    events.record(kind="monitor.created", actor=actor, subject_type="monitor",
                  subject_id=monitor.public_id, public=False, name=name, monitor_kind=kind)  # fmt: skip
    return monitor


def get_monitor(ref: str) -> Monitor:
    found = (
        Monitor.objects.filter(public_id=ref).first() or Monitor.objects.filter(name=ref).first()
    )
    if found is None:
        raise NotFound(_("no monitor with id or name %(ref)s") % {"ref": repr(ref)})
    return found


# --- the runner's database side --------------------------------------------------------


@dataclass(frozen=True)
class Due:
    target: Target
    at: datetime


def claim(worker: str, *, horizon: float, limit: int, lease: float) -> list[Due]:
    """Monitors due within ``horizon`` seconds that no scheduler holds, each claimed once: on
    PostgreSQL rows another scheduler is claiming are skipped (SKIP LOCKED); SQLite serialises
    writers. A claim not recorded within ``lease`` seconds (its scheduler died) is due again."""
    now = clock.now()
    due = Monitor.objects.filter(enabled=True, next_run_at__lte=now + timedelta(seconds=horizon))
    rows = db.claim(due, now, order="next_run_at", limit=limit,
                    fields=("id", "kind", "target", "config", "interval", "next_run_at",
                            "last_ping_at", "created_at"),
                    lease_until=now + timedelta(seconds=lease), claimed_by=worker[:64])  # fmt: skip
    return [
        Due(Target(id=i, kind=k, target=t, config=c, interval=n, since=ping or created), at)
        for i, k, t, c, n, at, ping, created in rows
    ]


_UPDATE = (
    "UPDATE monitors_monitor SET state=%s, failures_in_row=%s, successes_in_row=%s, next_run_at=%s, "
    "lease_until=NULL, last_checked_at=%s, last_ok=%s, last_latency_ms=%s, last_error=%s WHERE id=%s"
)
_HOURS = (
    "INSERT INTO monitors_checkhour (monitor_id, hour, checks, failures, latency_sum_ms, latency_max_ms) "
    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (monitor_id, hour) DO UPDATE SET "
    "checks = monitors_checkhour.checks + excluded.checks, "
    "failures = monitors_checkhour.failures + excluded.failures, "
    "latency_sum_ms = monitors_checkhour.latency_sum_ms + excluded.latency_sum_ms, "
    "latency_max_ms = CASE WHEN excluded.latency_max_ms > monitors_checkhour.latency_max_ms "
    "THEN excluded.latency_max_ms ELSE monitors_checkhour.latency_max_ms END"
)


def record(results: list[tuple[int, datetime, Outcome]]) -> list[tuple[int, str, str]]:
    """Store a batch of results: each monitor's tally, last result and next run, and the
    hourly totals. Returns (monitor id, new state, error) where a monitor turned up or down;
    :func:`apply_transitions` acts on them."""
    if not results:
        return []
    now = clock.now()
    rows = {
        r[0]: r
        for r in Monitor.objects.filter(id__in=[m for m, _due, _outcome in results]).values_list(
            "id",
            "state",
            "failures_in_row",
            "successes_in_row",
            "failures",
            "successes",
            "interval",
            "public_id",
        )
    }
    updates: list[tuple[Any, ...]] = []
    hours: dict[tuple[int, datetime], list[int]] = {}
    changed: list[tuple[int, str, str]] = []
    for mid, due, outcome in results:
        row = rows.get(mid)
        if row is None:  # deleted while being checked
            continue
        _id, state, f, s, need_f, need_s, interval, pid = row
        tally = rules.Tally(state, f, s).after(
            outcome.ok, need_failures=need_f, need_successes=need_s
        )
        if tally.state != state and not (state == "unknown" and tally.state == "up"):
            changed.append((mid, tally.state, outcome.error))
        rows[mid] = (
            mid,
            tally.state,
            tally.failures,
            tally.successes,
            need_f,
            need_s,
            interval,
            pid,
        )
        nxt = rules.next_run(max(due, now), interval, rules.phase(pid, interval))
        stamp = connection.ops.adapt_datetimefield_value
        updates.append((tally.state, tally.failures, tally.successes, stamp(nxt), stamp(now), outcome.ok,
                        outcome.latency_ms, outcome.error[:300], mid))  # fmt: skip
        hour = due.replace(minute=0, second=0, microsecond=0)
        total = hours.setdefault((mid, hour), [0, 0, 0, 0])
        total[0] += 1
        total[1] += 0 if outcome.ok else 1
        total[2] += outcome.latency_ms if outcome.ok else 0
        total[3] = max(total[3], outcome.latency_ms if outcome.ok else 0)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(_UPDATE, updates)
        cursor.executemany(
            _HOURS,
            [(m, connection.ops.adapt_datetimefield_value(h), *t) for (m, h), t in hours.items()],
        )
    return changed


def apply_transitions(changed: list[tuple[int, str, str]]) -> None:
    """A monitor that went down fires its alert group; one that came back resolves it."""
    for mid, state, error in changed:
        try:
            with transaction.atomic():
                monitor = Monitor.objects.select_related("component").get(id=mid)
                monitor_changed(monitor=monitor, down=state == "down", error=error)
        except Exception:  # logged; the next transition tries again
            log.exception("acting on monitor %s going %s failed", mid, state)


def monitor_changed(*, monitor: Monitor, down: bool, error: str = "") -> None:
    status = str((monitor.config or {}).get("down_status") or "major_outage")
    title = f"{monitor.name}: {error}" if down and error else monitor.name
    event = AlertEvent(
        group="monitor", fingerprint="monitor", firing=down, severity="", title=title
    )
    plan = rules.Plan(
        key="monitor", label=monitor.name, events=[event],
        components={monitor.component.public_id: status} if down else {}, title=title,
    )  # fmt: skip
    services.apply_plan(monitor=monitor, plan=plan, received=clock.now())


def set_enabled(*, actor: str, monitor: Monitor, enabled: bool) -> None:
    monitor.enabled = enabled
    if enabled:
        now = clock.now()
        monitor.next_run_at = rules.next_run(
            now, monitor.interval, rules.phase(monitor.public_id, monitor.interval)
        )
    monitor.save(update_fields=["enabled", "next_run_at"])
    events.record(kind="monitor.changed", actor=actor, subject_type="monitor",
                  subject_id=monitor.public_id, public=False, enabled=enabled)  # fmt: skip


def delete_monitor(*, actor: str, monitor: Monitor) -> None:
    events.record(kind="monitor.deleted", actor=actor, subject_type="monitor",
                  subject_id=monitor.public_id, public=False, name=monitor.name)  # fmt: skip
    monitor.delete()
