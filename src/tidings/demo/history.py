"""``tidings demo --history N``: N resolved incidents spread over the past five years, for trying
the product at scale and for the publishing benchmark. Rows are written in bulk (a few queries
per thousand incidents), not through the services: this is filler history, not a story."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import connection, transaction

from tidings.components.models import Component
from tidings.core import clock, events
from tidings.incidents.models import Incident, IncidentComponent, IncidentUpdate

YEARS = 5
_BATCH = 1000
_TITLES = (
    ("Elevated error rates on {c}", "שיעור שגיאות גבוה ב{c}"),
    ("{c} slower than usual", "{c} איטי מהרגיל"),
    ("{c} unavailable for some customers", "{c} אינו זמין לחלק מהלקוחות"),
    ("Delays in {c}", "עיכובים ב{c}"),
)
_STEPS = (
    (
        "investigating",
        "We are looking into reports of problems with {c}.",
        "אנו בודקים דיווחים על תקלה ב{c}.",
    ),
    ("identified", "We found the cause and are fixing it.", "מצאנו את הסיבה ואנו מתקנים אותה."),
    (
        "monitoring",
        "A fix is in place; we are watching the results.",
        "התיקון הותקן; אנו עוקבים אחר התוצאות.",
    ),
)
_RESOLVED = ("resolved", "This incident has been resolved.", "התקלה נפתרה.")


def add_history(n: int, *, seed: int | None = None) -> str:
    """Add ``n`` resolved public incidents with 2-4 updates each; say what was added."""
    comps = list(Component.objects.order_by("position", "id"))
    if not comps:
        from tidings.demo.load import load_demo

        load_demo(quiet=True)
        comps = list(Component.objects.order_by("position", "id"))
    rng = random.Random(Incident.objects.count() if seed is None else seed)  # noqa: S311 (filler data)
    now = clock.now()
    span = YEARS * 365 * 86400
    done = 0
    with transaction.atomic():
        while done < n:
            size = min(_BATCH, n - done)
            _batch(rng, comps, now, span, size)
            done += size
        events.record(
            kind="demo.history_added", actor="demo", subject_type="demo", subject_id="", count=n
        )
    if connection.vendor == "postgresql":
        # Fresh statistics for the planner, as after any bulk load: until autovacuum gets to
        # it, PostgreSQL plans for the tables as they were (a few rows) and, for one, reads
        # every incident's row to find the open ones instead of looking them up by index.
        with connection.cursor() as cursor:
            for model in (Incident, IncidentComponent, IncidentUpdate):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return f"Added {n} resolved incidents over the past {YEARS} years."


def _batch(rng: random.Random, comps: list[Component], now: datetime, span: int, size: int) -> None:
    plans = []
    for _ in range(size):
        started = now - timedelta(seconds=rng.randint(2 * 86400, span))
        hit = rng.sample(comps, k=min(len(comps), rng.choice((1, 1, 2))))
        middle = sorted(rng.sample(_STEPS[1:], k=rng.randint(0, 2)), key=_STEPS.index)
        steps = [_STEPS[0], *middle, _RESOLVED]
        times = [started]
        for _ in steps[1:]:
            times.append(times[-1] + timedelta(minutes=rng.randint(10, 180)))
        plans.append((started, hit, steps, times))
    incidents = Incident.objects.bulk_create(
        [_incident(rng, started, hit, times[-1]) for started, hit, _, times in plans]
    )
    IncidentComponent.objects.bulk_create(
        [
            IncidentComponent(incident=i, component=c, status="operational")
            for i, (_, hit, _, _) in zip(incidents, plans, strict=True)
            for c in hit
        ]
    )
    IncidentUpdate.objects.bulk_create(
        [
            IncidentUpdate(
                incident=i,
                status=status,
                bodies={
                    "en": en.format(c=hit[0].name),
                    "he": he.format(c=hit[0].names.get("he") or hit[0].name),
                },
                affected_components=None,
                created_at=at,
                display_at=at,
                author="demo",
            )
            for i, (_, hit, steps, times) in zip(incidents, plans, strict=True)
            for (status, en, he), at in zip(steps, times, strict=True)
        ]
    )


def _incident(
    rng: random.Random, started: datetime, hit: list[Component], resolved: datetime
) -> Incident:
    en, he = rng.choice(_TITLES)
    name = hit[0].name
    return Incident(
        kind="incident",
        title=en.format(c=name),
        titles={"en": en.format(c=name), "he": he.format(c=hit[0].names.get("he") or name)},
        status="resolved",
        impact=rng.choice(("minor", "minor", "major", "critical")),
        severity=rng.choice(("SEV3", "SEV3", "SEV2", "SEV1")),
        created_at=started,
        updated_at=resolved,
        started_at=started,
        resolved_at=resolved,
        created_by="demo",
    )
