"""With the database really gone (the PostgreSQL database dropped, or the SQLite file
overwritten), every Django page answers a friendly 503 in the visitor's language and the API
a JSON 503; `tidings serve` starts anyway and answers again once the database is back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, stop
from tests.ports import free_port, wait_for_port
from tests.test_up import Database, run


class Outage(Database):
    def restore(self, env: dict[str, str]) -> None:
        """The database is back (empty): created again and migrated."""
        if self.vendor == "sqlite":
            self.path.unlink()
        else:
            self._sql(f'CREATE DATABASE "{self.name}"')
        run(["manage", "migrate", "--verbosity", "0"], env)


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[Outage]:
    db = Outage(tmp_path)
    yield db
    db.destroy()


def get(
    url: str, *, headers: dict[str, str] | None = None, body: Any = None
) -> tuple[int, Any, str]:
    """Status, headers (case-insensitive, as a server may send them in lower case) and body."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, headers=headers or {}, method="POST" if data else "GET"
    )
    if data:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def serve(tmp_path: Path, database: Database) -> tuple[Any, str, dict[str, str]]:
    """`tidings serve`, its output in a file: every failed request logs a traceback, and a pipe
    nobody reads would fill up and stall the server."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "TIDINGS_DATA_DIR": str(tmp_path / "data"),
        "TIDINGS_DATABASE_URL": database.url,
        "TIDINGS_PUBLIC_URL": base,
        "TIDINGS_SITE_NAME": "Acme",
    }
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tidings.cli", "serve", "--port", str(port)],
        env={**os.environ, **env}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    return proc, base, env


def output(tmp_path: Path) -> str:
    return (tmp_path / "serve.log").read_text(errors="replace")


HEBREW = {"Accept-Language": "he"}
#: A confirmation, a manage and an unsubscribe link, genuinely signed, as a mail carries them.
MAKE_LINKS = (
    "from tidings.subscribers import services as s; from tidings.notify.ledger import "
    "unsubscribe_token as u; t = u(subscriber_id='abcdefabcdef'); "
    "print('/subscriptions/confirm/' + s.ClockSigner(salt=s.CONFIRM_SALT)"
    ".sign_object('confirm:abcdefabcdef'), '/subscriptions/' + t, '/unsubscribe/' + t)"
)


def test_every_page_answers_503_in_the_visitors_language_while_the_database_is_gone(
    tmp_path, outage
):
    proc, base, env = serve(tmp_path, outage)
    try:
        wait_for_port(int(base.rsplit(":", 1)[1]), timeout=60, proc=proc)
        run(["createadmin", "--username", "dana", "--password", "pw-for-dana"], env)
        token = run(["token", "--user", "dana"], env)
        links = run(["manage", "shell", "-c", MAKE_LINKS], env).splitlines()[-1].split()
        assert get(f"{base}/subscribe")[0] == 200
        outage.destroy()

        signed_in = {"Cookie": "sessionid=a-staff-session"}  # the console reads the session
        for path in ("/subscribe", *links, "/console/", "/admin/"):
            status, headers, page = get(base + path, headers=signed_in)
            assert status == 503, (path, page[:300])
            assert "Back in a moment" in page and "we cannot reach our database" in page
            assert headers["Retry-After"] == "30" and f'href="{base}/"' in page
            status, headers, page = get(base + path, headers={**HEBREW, **signed_in})
            assert status == 503 and 'dir="rtl"' in page and headers["Content-Language"] == "he"
            assert "נחזור בעוד רגע" in page and f'href="{base}/he/"' in page
        cookie = {"Cookie": "django_language=he", "Accept-Language": "en"}
        assert "נחזור בעוד רגע" in get(f"{base}/subscribe", headers=cookie)[2]
        assert "נחזור בעוד רגע" in get(f"{base}/subscribe?lang=he")[2]  # the Hebrew page's link

        body = {"channel": "email", "target": "erez@example.com"}
        status, headers, text = get(f"{base}/api/v1/subscriptions", body=body)
        assert status == 503 and headers["Content-Type"] == "application/json"
        assert "database cannot be reached" in json.loads(text)["detail"]
        status, _, text = get(f"{base}/api/v1/subscriptions", body=body, headers=HEBREW)
        assert status == 503 and "מסד הנתונים" in json.loads(text)["detail"]
        auth = {"Authorization": f"Bearer {token}"}
        status, _, text = get(f"{base}/api/v1/components", headers=auth)
        assert status == 503 and "database" in json.loads(text)["detail"]
        assert proc.poll() is None
    finally:
        stop(proc)
        print(output(tmp_path)[-5000:])


def test_serve_starts_without_its_database_and_answers_once_it_is_back(tmp_path, outage):
    outage.destroy()
    proc, base, env = serve(tmp_path, outage)
    try:
        wait_for_port(int(base.rsplit(":", 1)[1]), timeout=60, proc=proc)
        status, _, page = get(f"{base}/subscribe")
        assert status == 503 and "Back in a moment" in page
        outage.restore(env)
        status, _, page = get(f"{base}/subscribe")
        assert status == 200 and "<form" in page
    finally:
        stop(proc)
        print(output(tmp_path)[-5000:])
    assert "the database is unreachable" in output(tmp_path)
    assert "starting anyway" in output(tmp_path)
