"""The database a deployment names is set up as safely as the default one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PROBE = """
import django
django.setup()
from django.db import connection
with connection.cursor() as c:
    c.execute("PRAGMA journal_mode")
    mode = c.fetchone()[0]
    c.execute("PRAGMA busy_timeout")
    timeout = c.fetchone()[0]
print(mode, timeout, connection.transaction_mode)
"""


def _run(code: str, tmp_path, database_url: str, **env: str) -> str:
    """What ``code`` prints in a fresh process set up with these settings."""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
        check=True, timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tidings.settings",
             "TIDINGS_DATA_DIR": str(tmp_path / "data"), "TIDINGS_DATABASE_URL": database_url,
             **env},
    )  # fmt: skip
    return out.stdout


def test_a_sqlite_database_named_by_url_waits_for_writers_and_uses_wal(tmp_path):
    # Several processes (web, worker, scheduler) write to one file: without WAL, IMMEDIATE
    # transactions and a busy timeout, one of them fails with "database is locked".
    out = _run(PROBE, tmp_path, f"sqlite:///{tmp_path / 'named.sqlite3'}")
    assert out.split() == ["wal", "20000", "IMMEDIATE"]


OPTIONS_PROBE = """
import json
from django.conf import settings
print(json.dumps(settings.DATABASES["default"].get("OPTIONS", {})))
"""


def _pg_options(tmp_path, **env: str) -> dict[str, object]:
    url = "postgres://tidings@db.internal:5432/tidings"
    return dict(json.loads(_run(OPTIONS_PROBE, tmp_path, url, **env)))


def test_postgresql_prepares_statements_unless_a_pooler_forbids_it(tmp_path):
    assert _pg_options(tmp_path) == {"server_side_binding": True, "prepare_threshold": 5}
    assert _pg_options(tmp_path, TIDINGS_DATABASE_PREPARED="false") == {}


def test_a_statement_run_often_is_prepared_on_postgresql(db):
    from django.db import connection

    from tidings.components.models import Component

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are a PostgreSQL setting: the PostgreSQL run checks it")
    for _ in range(6):  # psycopg prepares a statement on its fifth run
        list(Component.objects.filter(slug="api"))
    with connection.cursor() as c:
        c.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in c.fetchall()]
    assert any("components_component" in s and '"slug" = $1' in s for s in prepared), prepared
