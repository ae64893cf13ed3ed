"""A release's migration changes a column's type while Tidings runs: statements the running
processes had prepared on PostgreSQL are refused by the server from then on ("cached plan must
not change result type"). They are prepared again, and what was asked is answered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from tidings.core import db

PROBE = "SELECT id, name FROM plan_probe WHERE id = %s"


def _ask() -> list[tuple[Any, ...]]:
    with connection.cursor() as c:
        c.execute(PROBE, [1])
        return list(c.fetchall())


def _prepared() -> None:
    for _ in range(6):  # psycopg prepares a statement on its fifth run
        _ask()
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                  ["%plan_probe%"])  # fmt: skip
        assert c.fetchone() == (1,)


@pytest.fixture
def probe(transactional_db) -> Iterator[Any]:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's: the PostgreSQL run checks this")
    import psycopg

    s = connection.settings_dict
    other = psycopg.connect(
        dbname=s["NAME"], user=s["USER"] or None, host=s["HOST"] or None,
        port=s["PORT"] or None, autocommit=True,
    )  # fmt: skip
    other.execute("CREATE TABLE plan_probe (id int PRIMARY KEY, name varchar(10))")
    other.execute("INSERT INTO plan_probe VALUES (1, 'x')")
    try:
        yield other  # the migration's connection
    finally:
        connection.close()  # its prepared statements go with it
        other.execute("DROP TABLE plan_probe")
        other.close()


def test_a_read_outside_a_transaction_is_answered_after_the_column_changed(probe):
    _prepared()
    probe.execute("ALTER TABLE plan_probe ALTER COLUMN name TYPE varchar(20)")
    assert _ask() == [(1, "x")]
    assert _ask() == [(1, "x")]  # and prepared afresh, not refused again


def test_a_write_transaction_is_run_again_and_succeeds(probe):
    _prepared()
    probe.execute("ALTER TABLE plan_probe ALTER COLUMN name TYPE varchar(30)")
    attempts: list[int] = []

    def change() -> list[tuple[Any, ...]]:
        attempts.append(1)
        with connection.cursor() as c:
            c.execute("UPDATE plan_probe SET name = 'y' WHERE id = %s", [1])
        return _ask()

    assert db.retrying(change) == [(1, "y")]
    assert len(attempts) == 2  # the first was refused and rolled back, which cleared them
