"""Several staff (and alert sources) writing at the same moment, each on a real connection of
its own: every write is answered and kept, none waits forever on another, and the component
history stays one unbroken chain."""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tidings.components.models import Component, StatusChange
from tidings.core import db
from tidings.core.auth import issue_token
from tidings.incidents import services as incidents
from tidings.incidents.models import FaqEntry, IncidentUpdate

WRITERS = 8
ROUNDS = 6
STATUSES = ("degraded_performance", "partial_outage", "major_outage", "operational")


def in_threads(n: int, fn: Any) -> list[BaseException]:
    """Run ``fn(i)`` in ``n`` threads started together; returns what they raised."""
    start = threading.Barrier(n, timeout=30)
    failures: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait()
            fn(i)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a writer never finished"
    return failures


@pytest.mark.django_db(transaction=True)
def test_eight_staff_writing_at_once_are_all_answered_and_nothing_is_lost(omer, catalog, now):
    token = issue_token(user=omer, name="war room")  # the commander: incidents and components
    first = incidents.create_incident(actor="dana", title="Checkout errors", body="Looking.")
    second = incidents.create_incident(actor="dana", title="Slow search", body="Looking.")
    ids = [catalog[name] for name in ("API", "Website", "Email", "Docs")]
    answers: list[tuple[str, int, bytes]] = []

    def staff(i: int) -> None:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        mine = ids if i % 2 else ids[::-1]  # the same components, named in opposite orders
        for r in range(ROUNDS):
            incident = (first, second)[(i + r) % 2].public_id
            calls = [
                (
                    "post",
                    f"/api/v1/incidents/{incident}/updates",
                    {
                        "status": ("identified", "monitoring")[r % 2],
                        "body": f"Writer {i}, round {r}.",
                        "components": {c: STATUSES[(i + r + k) % 4] for k, c in enumerate(mine)},
                        "audience": "none",
                    },
                ),
                ("patch", f"/api/v1/components/{mine[r % 4]}", {"status": STATUSES[(i + r) % 4]}),
                (
                    "post",
                    f"/api/v1/incidents/{incident}/faq",
                    {"question": f"Question {i}.{r}?", "answer": "An answer."},
                ),
            ]
            for method, path, body in calls:
                resp = getattr(client, method)(
                    path, data=json.dumps(body), content_type="application/json"
                )
                answers.append((f"{method} {path}", resp.status_code, resp.content[:200]))

    failures = in_threads(WRITERS, staff)
    assert not failures, failures
    refused = [a for a in answers if a[1] >= 300]
    assert not refused, refused
    assert len(answers) == WRITERS * ROUNDS * 3
    assert IncidentUpdate.objects.count() == 2 + WRITERS * ROUNDS
    assert FaqEntry.objects.count() == WRITERS * ROUNDS
    for component in Component.objects.all():
        chain = list(StatusChange.objects.filter(component=component).order_by("id"))
        for before, after in itertools.pairwise(chain):
            assert after.old_status == before.new_status, f"{component.name}: a change was lost"
        if chain:
            assert component.status == chain[-1].new_status


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_victim_is_started_over_not_failed(catalog):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: there is no deadlock to retry")
    a = Component.objects.get(name="API").pk
    b = Component.objects.get(name="Docs").pk
    both_locked = threading.Barrier(2, timeout=10)
    attempts: Counter[int] = Counter()

    def writer(i: int) -> None:
        mine, theirs = (a, b) if i == 0 else (b, a)

        def work() -> None:
            attempts[i] += 1
            Component.objects.select_for_update().get(pk=mine)
            if attempts[i] == 1:
                both_locked.wait()  # each holds one row and now asks for the other's
            Component.objects.filter(pk=theirs).update(description=f"writer {i}")

        db.retrying(work)

    assert in_threads(2, writer) == []
    assert max(attempts.values()) >= 2  # PostgreSQL aborted one (rarely both); it ran again
    assert Component.objects.get(pk=a).description == "writer 1"  # and both writes are kept
    assert Component.objects.get(pk=b).description == "writer 0"
