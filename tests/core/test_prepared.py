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


def _fields(obj: object) -> dict[str, object]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}  # type: ignore[attr-defined]


def test_a_compiled_insert_writes_the_row_the_orm_would() -> None:
    from datetime import UTC, datetime

    from django.db import transaction

    from tidings.components.models import StatusChange
    from tidings.core.models import Event
    from tidings.core.prepared import Insert

    api = create_component(actor="t", name="API")
    insert_event, insert_change = Insert(Event), Insert(StatusChange)
    at = datetime(2026, 12, 2, 19, 30, 0, 123456, tzinfo=UTC)
    for n in range(3):  # the first builds the statement, the rest reuse it
        data = {"n": n, "text": "שלום", "nested": {"ok": True}}
        with transaction.atomic():
            mine = insert_event(Event(at=at, actor="t", kind="k", subject_type="s",
                                      subject_id=f"x{n}", data=data))  # fmt: skip
            theirs = Event.objects.create(at=at, actor="t", kind="k", subject_type="s",
                                          subject_id=f"x{n}", data=data)  # fmt: skip
        assert isinstance(mine.pk, int) and mine.pk == theirs.pk - 1
        assert not mine._state.adding and mine._state.db == "default"
        stored, expected = Event.objects.get(pk=mine.pk), Event.objects.get(pk=theirs.pk)
        assert {**_fields(stored), "id": 0} == {**_fields(expected), "id": 0}
        assert stored.data == data and stored.at == at
        change = insert_change(StatusChange(component=api, at=at, old_status="operational",
                                            new_status="major_outage", incident_id=None))  # fmt: skip
        assert StatusChange.objects.get(pk=change.pk).component_id == api.pk
    assert list(insert_event._local.default) == [1]  # one statement kept, for one row
    with pytest.raises(AssertionError):  # an existing row is not inserted again
        insert_event(stored)


def test_several_rows_at_once_are_the_rows_bulk_create_writes() -> None:
    from datetime import UTC, datetime

    from tidings.core.models import Event
    from tidings.core.prepared import Insert

    insert = Insert(Event)
    at = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)

    def events(tag: str, n: int) -> list[Event]:
        return [Event(at=at, actor="t", kind=tag, subject_type="s", subject_id=f"{tag}{k}",
                      data={"k": k, "he": "עדכון"}) for k in range(n)]  # fmt: skip

    for n in (2, 3, 2, Insert.MAX_ROWS + 1):  # a repeated count reuses its statement
        mine = insert.many(events(f"mine{n}-", n))
        theirs = Event.objects.bulk_create(events(f"theirs{n}-", n))
        assert [e.pk for e in mine] == sorted(e.pk for e in mine) and None not in mine
        stored = {e.pk: e for e in Event.objects.filter(pk__in=[e.pk for e in mine])}
        assert [stored[e.pk].subject_id for e in mine] == [f"mine{n}-{k}" for k in range(n)]
        expected = Event.objects.filter(pk__in=[e.pk for e in theirs]).order_by("pk")
        assert [(e.data, e.at) for e in expected] == [
            (stored[e.pk].data, stored[e.pk].at) for e in mine
        ]
        assert all(not e._state.adding for e in mine)
    assert insert.many([]) == []


def test_a_compiled_read_gives_the_objects_the_orm_gives() -> None:
    from django.db import transaction

    from tidings.components.models import Component
    from tidings.components.services import create_group
    from tidings.core.prepared import Read

    group = create_group(actor="t", name="Edge")
    api = create_component(actor="t", name="API", group_id=group.public_id)
    web = create_component(actor="t", name="Web")

    def by_id(public_id: str):  # type: ignore[no-untyped-def]
        return Component.objects.select_related("group").filter(public_id=public_id)

    def by_ids(ids: list[str]):  # type: ignore[no-untyped-def]
        return Component.objects.filter(public_id__any=ids).select_for_update().order_by("pk")

    one, several = Read(by_id, "\x00sample"), Read(by_ids, ["\x00sample"])
    with transaction.atomic():
        for _round in range(2):  # the second call runs the compiled query
            for c in (api, web):
                [found] = one(c.public_id)
                [orm] = by_id(c.public_id)
                assert _fields(found) == _fields(orm)
                assert (found.group and found.group.name) == (orm.group and orm.group.name)
            assert one("nope") == []
            assert [c.pk for c in several([web.public_id, api.public_id])] == [api.pk, web.pk]
            assert several(["nope"]) == []
    assert one._local.default is not False  # its parameter is the argument: compiled
    # SQLite gets one placeholder per id: not one statement for every list, so the ORM runs it.
    assert (several._local.default is not False) == (connection.vendor == "postgresql")

    # A constant among the parameters stays a constant; the argument is still substituted.
    def operational(public_id: str):  # type: ignore[no-untyped-def]
        return Component.objects.filter(public_id=public_id, status="operational")

    constant = Read(operational, "\x00sample")
    for _round in range(2):
        assert [c.pk for c in constant(api.public_id)] == [api.pk]
        assert [c.pk for c in constant(web.public_id)] == [web.pk]
    assert constant._local.default is not False
    # An argument equal to its sample cannot be told from a constant: the ORM runs it.
    same = Read(operational, api.public_id)
    assert [c.pk for c in same(api.public_id)] == [api.pk] and same._local.default is False


def test_compiled_rows_with_constants_and_arguments_match_the_orm() -> None:
    from django.utils import timezone

    from tidings.core.prepared import Rows
    from tidings.subscribers.models import Subscriber

    api = create_component(actor="t", name="API")
    for n, (channel, lang) in enumerate([("email", "en"), ("email", "he"), ("sms", "he")]):
        s = Subscriber.objects.create(channel=channel, target=f"t{n}", language=lang,
                                      status="active", all_components=n == 0,
                                      target_key=f"t{n}", created_at=timezone.now())  # fmt: skip
        if n:
            s.components.add(api)

    def keys(ref: str, status: str):  # type: ignore[no-untyped-def]
        return (
            Subscriber.objects.filter(status=status)
            .filter(components__public_id=ref)
            .values_list("channel", "language")
            .distinct()
            .order_by("channel", "language")
        )

    rows = Rows(keys, "\x00sample", "\x00status")
    for _round in range(2):
        assert rows(api.public_id, "active") == list(keys(api.public_id, "active"))
        assert rows(api.public_id, "active") == [("email", "he"), ("sms", "he")]
        assert rows(api.public_id, "disabled") == []
        assert rows("nope", "active") == []
    assert rows._local.default is not False
    # DISTINCT under the model's default ordering selects the ordering's columns too: only
    # the asked ones come back, as from the ORM.
    unordered = Rows(lambda status: Subscriber.objects.filter(status=status)
                     .values_list("channel", "language").distinct(), "\x00status")  # fmt: skip
    for _round in range(2):
        assert sorted(unordered("active")) == [("email", "en"), ("email", "he"), ("sms", "he")]
    fixed = Rows(lambda: Subscriber.objects.filter(all_components=True).values_list("target"))
    assert fixed() == [("t0",)] == fixed()


def test_a_compiled_save_writes_every_column_as_save_does() -> None:
    from datetime import UTC, datetime

    from django.db import DatabaseError

    from tidings.core.prepared import Save
    from tidings.incidents.models import Incident

    api = create_component(actor="t", name="API")
    mine = create_incident(actor="t", title="Outage", body={"en": "Looking."},
                           components={api.public_id: "major_outage"})  # fmt: skip
    theirs = create_incident(actor="t", title="Outage", body={"en": "Looking."},
                             components={api.public_id: "major_outage"})  # fmt: skip
    save = Save(Incident)
    at = datetime(2026, 12, 2, 20, 0, 0, 654321, tzinfo=UTC)
    changes: list[dict[str, object]] = [
        {"status": "identified", "identified_at": at, "titles": {"en": "Outage", "he": "תקלה"}},
        {"resolved_at": at, "next_update_due_at": None, "eta_at": at},  # NULLs become values
        {"next_update_due_at": at},
        {"resolved_at": None, "eta_at": None, "severity": "SEV1"},  # and values NULLs
    ]
    for change in changes:
        for obj in (mine, theirs):
            for name, value in change.items():
                setattr(obj, name, value)
        save(mine)
        theirs.save()
        got, want = Incident.objects.get(pk=mine.pk), Incident.objects.get(pk=theirs.pk)
        differs = {"id", "public_id", "created_at", "updated_at", "started_at", "acknowledged_at",
                   "next_update_due_at"}  # fmt: skip
        assert {k: v for k, v in _fields(got).items() if k not in differs} == {
            k: v for k, v in _fields(want).items() if k not in differs
        }
        assert all(getattr(got, k) == v for k, v in change.items())
    assert len(save._local.default) == 3  # one per pattern of NULLs (the last is the first's)
    Incident.objects.filter(pk=mine.pk).delete()
    with pytest.raises(DatabaseError):  # a row that is gone is not written again
        save(mine)
    assert not Incident.objects.filter(pk=mine.pk).exists()


def test_a_compiled_save_of_some_columns_leaves_the_others() -> None:
    from datetime import UTC, datetime

    from tidings.components.models import Component
    from tidings.core.prepared import Save

    api = create_component(actor="t", name="API")
    Component.objects.filter(pk=api.pk).update(name="API v2")  # another writer, meanwhile
    save = Save(Component, ("status", "updated_at"))
    at = datetime(2026, 12, 2, 21, 0, tzinfo=UTC)
    for status in ("major_outage", "operational"):
        api.status, api.updated_at = status, at
        save(api)
        stored = Component.objects.get(pk=api.pk)
        assert (stored.status, stored.updated_at, stored.name) == (status, at, "API v2")
