"""What a typical staff API call costs in SQL statements, pinned: each statement is a round trip
to the database and a query compiled in Python, and under 8 concurrent writers (bench/api.py)
they are most of the time a write takes. A change that adds one fails here, on purpose: if it is
needed, raise the figure in the same commit and say why.

Counted: every statement Django sends, token check and after-commit work included (not BEGIN and
COMMIT, nor the connection health check, which Django sends past the ORM)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tidings.incidents.models import IncidentUpdate

#: Statements per call; the comments list them.
BUDGET = {
    # token (with the user and their role, which approval reuses); the incident under lock;
    # the settings it needs, in one statement once per transaction: which severities need
    # approval, the cadence policy, the word lists; the components, read under lock once for
    # the honesty checks and the post; the previous update (honesty checks); the components
    # it sets: their statuses (one compiled UPDATE each, up to three; one UPDATE for more),
    # and however many: their history rows, their events, the
    # incident's holds on them (one upsert); a publish request per scope it touches (the
    # components, the incident); the update, the incident, the incident's status event and
    # the update's event (one INSERT); the staff hooks; (whether the update came late reuses the incident and
    # the previous update already read); after commit: is a publish queued already
    "post an update setting two components": 17,
    # token; the component under lock; its status, its history row, the publish request, its
    # event; who subscribes to it; the staff hooks; after commit: is a publish queued already
    "set a component's status": 9,
    # token; the incident; the entry, the publish request, its event; after commit: the queue
    "add an FAQ entry": 6,
    # token; the components with their groups
    "list components": 2,
    # token; the incidents, their components, their updates (whatever their number)
    "list incidents": 4,
}


def statements(call: Callable[[], Any]) -> tuple[Any, list[str]]:
    sent: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not sql.startswith("BEGIN"):  # SQLite's, sent as a statement; PostgreSQL's is not
            sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        result = call()
    return result, sent


@pytest.mark.django_db(transaction=True)
def test_a_typical_write_and_read_send_a_fixed_number_of_statements(lead_api, catalog):
    api = lead_api  # an admin: the calls span incidents and components
    incident = api.call(
        "post",
        "/incidents",
        {"title": "Checkout errors", "body": "Looking.", "severity": "SEV2", "audience": "none"},
    ).json()["id"]
    api_id, web_id, email_id = catalog["API"], catalog["Website"], catalog["Email"]

    def update(k: int) -> Any:
        return api.call(
            "post",
            f"/incidents/{incident}/updates",
            {
                "status": ("identified", "monitoring")[k % 2],
                # a new text each time: a word-for-word repeat is refused (honesty)
                "body": {"en": f"We are on it ({k}).", "he": f"אנחנו מטפלים בזה ({k})."},
                "components": {
                    web_id: ("major_outage", "partial_outage")[k % 2],
                    api_id: ("degraded_performance", "major_outage")[k % 2],
                },
                "audience": "none",
            },
        )

    calls: dict[str, Callable[[int], Any]] = {
        "post an update setting two components": update,
        "set a component's status": lambda k: api.call(
            "patch", f"/components/{email_id}", {"status": ("major_outage", "operational")[k % 2]}
        ),
        "add an FAQ entry": lambda k: api.call(
            "post", f"/incidents/{incident}/faq", {"question": "Is data lost?", "answer": "No."}
        ),
        "list components": lambda k: api.call("get", "/components"),
        "list incidents": lambda k: api.call("get", "/incidents"),
    }
    seen = {}
    for name, call in calls.items():
        call(0)  # the first of a kind may create rows the next ones only change
        answer, sent = statements(lambda call=call: call(1))  # type: ignore[misc]
        assert answer.status_code < 300, answer.content
        seen[name] = len(sent)
        listed = "\n".join(sql[:120] for sql in sent)
        assert len(sent) == BUDGET[name], f"{name}: {len(sent)} statements\n{listed}"
    assert seen == BUDGET
    assert IncidentUpdate.objects.filter(incident__public_id=incident).count() == 3
