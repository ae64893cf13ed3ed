"""`tidings up` end to end: one process tree on one port; a change reaches the public page through
the real worker; and the page keeps answering 200 after the database is gone."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import ROOT, stop, tidings_process
from tests.ports import free_port, wait_for_port


class Database:
    """A database of the suite's engine that this test owns and can take away for real."""

    def __init__(self, tmp: Path) -> None:
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            self.path = tmp / "up.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            d = connection.settings_dict
            self.name = f"tidings_up_{secrets.token_hex(4)}"
            self.server = f"host={d['HOST'] or '127.0.0.1'} port={d['PORT'] or 5432} user={d['USER']} dbname=postgres"
            self._sql(f'CREATE DATABASE "{self.name}"')
            self.url = (
                f"postgres://{d['USER']}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{self.name}"
            )

    def _sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.server, autocommit=True) as conn:
            conn.execute(statement)

    def destroy(self) -> None:
        """An outage: SQLite's file is overwritten with junk; PostgreSQL's database is dropped
        with its connections terminated."""
        if self.vendor == "sqlite":
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self.path.write_bytes(b"this is not a database" * 100)
        else:
            self._sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(tmp_path)
    yield db
    db.destroy()


def run(args: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "tidings.cli", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return out.stdout.strip()


def http(method: str, url: str, token: str = "", body: object = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_up_publishes_through_the_worker_and_survives_losing_the_database(tmp_path, database):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "TIDINGS_DATA_DIR": str(tmp_path / "data"),
        "TIDINGS_DATABASE_URL": database.url,
        "TIDINGS_PUBLIC_URL": "",  # unset: links follow --port
        "TIDINGS_SITE_NAME": "Acme",
    }
    run(
        ["createadmin", "--username", "dana", "--password", "pw-for-dana"],
        env | {"TIDINGS_PUBLIC_URL": base},
    )
    token = run(["token", "--user", "dana"], env | {"TIDINGS_PUBLIC_URL": base})
    proc = tidings_process(["up", "--port", str(port)], env)
    try:
        wait_for_port(port, timeout=60, proc=proc)
        status, body = http("GET", f"{base}/api/v2/status.json")
        assert status == 200 and json.loads(body)["status"]["indicator"] == "none"
        assert json.loads(body)["page"]["url"] == base
        assert http("GET", f"{base}/api/v1/docs")[0] == 200
        assert http("GET", f"{base}/console/")[0] in (302, 200)
        # static files are served without DEBUG: the admin's styles and the console's own
        for path in ("/static/admin/css/base.css", "/static/console/console.css"):
            status, body = http("GET", base + path)
            assert status == 200 and b"{" in body, path

        status, body = http("POST", f"{base}/api/v1/components", token, {"name": "API"})
        assert status == 201, body
        cid = json.loads(body)["id"]
        posted = time.monotonic()
        status, body = http(
            "POST",
            f"{base}/api/v1/incidents",
            token,
            {
                "title": "Checkout is down",
                "severity": "SEV1",
                "body": "We are on it.",
                "components": {cid: "major_outage"},
            },
        )
        assert status == 201, body
        deadline = posted + 30
        # Each edge process looks for the new snapshot on its own (every 0.25 s), so the page
        # and the JSON may come from two processes a moment apart: wait for both.
        while time.monotonic() < deadline:
            page = http("GET", f"{base}/")[1].decode()
            summary = json.loads(http("GET", f"{base}/api/v2/summary.json")[1])
            if "Checkout is down" in page and summary["status"]["indicator"] == "critical":
                break
            time.sleep(0.1)
        else:
            pytest.fail("the incident never reached the public page and its JSON")

        database.destroy()
        assert http("GET", f"{base}/healthz")[0] == 503  # the staff side sees the outage...
        for path in ("/", "/api/v2/summary.json", "/he/", "/history.atom"):
            status, body = http("GET", base + path)
            assert status == 200, path  # ...while customers still get the last good page
        assert b"Checkout is down" in http("GET", f"{base}/")[1]
        time.sleep(2)  # worker and scheduler hit the dead database meanwhile
        assert http("GET", f"{base}/")[0] == 200
        assert proc.poll() is None
    finally:
        output = stop(proc)
        print(output)  # pytest shows it when the test fails: the server's side of the story
    assert proc.returncode == 0, output


def test_a_port_in_use_is_reported_and_the_command_exits(tmp_path):
    """A second Tidings on a taken port used to start silently while the first answered."""
    env = {**os.environ, "TIDINGS_DATA_DIR": str(tmp_path / "data")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for command in ("up", "serve", "edge"):
            out = subprocess.run(
                [sys.executable, "-m", "tidings.cli", command, "--port", str(port)],
                env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            assert out.returncode == 1, (command, out.stdout, out.stderr)
            assert f"cannot listen on 127.0.0.1:{port}: another program listens" in out.stderr
    # An edge shares its port between its own processes (SO_REUSEPORT), never with another.
    port = free_port()
    first = tidings_process(["edge", "--port", str(port), "--processes", "2"], env)
    try:
        wait_for_port(port, proc=first)
        second = subprocess.run(
            [sys.executable, "-m", "tidings.cli", "edge", "--port", str(port)],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert second.returncode == 1 and "another program listens" in second.stderr
    finally:
        stop(first)
