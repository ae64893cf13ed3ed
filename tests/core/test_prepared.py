"""A read compiled once must give, call after call, exactly the rows the ORM's own query
gives: the same tuples, the same converted values (JSON, datetimes), the same order."""

import threading

import pytest
from django.db import connection

from tidings.components.services import create_component
from tidings.core.prepared import IdsRead
from tidings.incidents.models import IncidentComponent, IncidentUpdate
from tidings.incidents.services import create_incident, post_update

pytestmark = pytest.mark.django_db(transaction=True)


def _updates(ids: list[int]):  # type: ignore[no-untyped-def]
    return IncidentUpdate.objects.filter(incident_id__any=ids).values_list(
        "incident_id", "public_id", "status", "bodies", "affected_components", "created_at",
        "overrides",
    )  # fmt: skip


def _impacts(ids: list[int]):  # type: ignore[no-untyped-def]
    return (
        IncidentComponent.objects.filter(incident_id__any=ids)
        .order_by("id")
        .values_list("incident_id", "component__public_id", "status")
    )


def test_compiled_reads_match_the_orm_call_after_call() -> None:
    api = create_component(actor="t", name="API")
    web = create_component(actor="t", name="Web")
    made = []
    for n in range(3):
        i = create_incident(actor="t", title=f"Outage {n}", body={"en": "Looking.", "he": "בודקים."},
                            components={api.public_id: "major_outage", web.public_id: "degraded_performance"})  # fmt: skip
        post_update(actor="t", incident=i, status="identified", body={"en": f"Found {n}."})
        made.append(i.pk)
    updates, impacts = IdsRead(_updates), IdsRead(_impacts)
    for ids in (made, made[:1], [made[2], made[0]], [10**9], []):
        for _round in range(2):  # the second call runs the compiled query
            assert updates(ids) == list(_updates(ids))
            assert impacts(ids) == list(_impacts(ids))
    if connection.vendor == "postgresql":  # the compiled path ran, not the ORM's fallback
        assert updates._local.default[1] is not None
        assert impacts._local.default[1] is not None
    rows = updates(made)
    assert len(rows) == 6 and all(isinstance(r, tuple) for r in rows)
    assert {r[3]["en"] for r in rows} >= {"Looking.", "Found 0."}  # JSON came back decoded
    assert all(r[5].tzinfo is not None for r in rows)


def test_each_thread_compiles_for_its_own_connection() -> None:
    api = create_component(actor="t", name="API")
    i = create_incident(actor="t", title="Outage", body={"en": "Looking."},
                        components={api.public_id: "major_outage"})  # fmt: skip
    impacts = IdsRead(_impacts)
    expected = list(_impacts([i.pk]))
    assert impacts([i.pk]) == expected
    seen: list[object] = []

    def other() -> None:
        try:
            seen.append(impacts([i.pk]))
        finally:
            connection.close()

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen == [expected]
