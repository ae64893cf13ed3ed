"""The database a deployment names is set up as safely as the default one."""

from __future__ import annotations

import os
import subprocess
import sys

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


def test_a_sqlite_database_named_by_url_waits_for_writers_and_uses_wal(tmp_path):
    # Several processes (web, worker, scheduler) write to one file: without WAL, IMMEDIATE
    # transactions and a busy timeout, one of them fails with "database is locked".
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tidings.settings",
        "TIDINGS_DATA_DIR": str(tmp_path / "data"),
        "TIDINGS_DATABASE_URL": f"sqlite:///{tmp_path / 'named.sqlite3'}",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True,
        check=True, timeout=60,
    )  # fmt: skip
    assert out.stdout.split() == ["wal", "20000", "IMMEDIATE"]
