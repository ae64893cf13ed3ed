"""Only active staff reach the staff API; sign-in is throttled; tokens can expire; cookies,
hosts, headers and data files are locked down."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import NOW, ROOT
from tidings.config import overridden
from tidings.core import clock
from tidings.core.auth import issue_token

INCIDENT = {"title": "Checkout failing", "body": "We are on it."}


@pytest.fixture
def dana_session(dana) -> Client:
    client = Client()
    client.force_login(dana)
    return client


def test_a_staff_session_reaches_the_api(dana_session, catalog):
    assert dana_session.get("/api/v1/subscribers/export").status_code == 200
    assert dana_session.get("/api/v1/customers/export").status_code == 403  # not her role's
    r = dana_session.post("/api/v1/incidents", INCIDENT, content_type="application/json")
    assert r.status_code == 201


def test_a_session_whose_staff_status_was_removed_is_refused(dana, dana_session, catalog):
    dana.is_staff = False
    dana.save()
    assert dana_session.get("/api/v1/customers/export").status_code == 401
    r = dana_session.post("/api/v1/incidents", INCIDENT, content_type="application/json")
    assert r.status_code == 401
    assert dana_session.get("/console/").status_code == 302  # to the sign-in page


def test_a_token_of_a_deactivated_or_demoted_user_is_refused(dana, client):
    token = issue_token(user=dana, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/components", **auth).status_code == 200
    dana.is_active = False
    dana.save()
    assert client.get("/api/v1/components", **auth).status_code == 401
    dana.is_active, dana.is_staff = True, False
    dana.save()
    assert client.get("/api/v1/components", **auth).status_code == 401


def test_a_token_past_its_expiry_is_refused_with_a_clear_message(dana, client, now):
    token = issue_token(user=dana, name="ci", days=30)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/components", **auth).status_code == 200
    with clock.frozen(NOW + timedelta(days=30, seconds=1)):
        r = client.get("/api/v1/components", **auth)
    assert r.status_code == 401
    assert r.json()["detail"].startswith("this API token expired on 2026-12-23 12:00 UTC")


def test_tokens_expire_after_the_configured_lifetime_or_never(dana, now):
    from tidings.core.models import ApiToken

    with overridden(api_token_days=90):
        issue_token(user=dana, name="default")
    issue_token(user=dana, name="forever", days=0)
    expiry = dict(ApiToken.objects.values_list("name", "expires_at"))
    assert expiry == {"default": NOW + timedelta(days=90), "forever": None}


def _sign_in(client: Client, username: str, password: str, address: str = "203.0.113.5") -> str:
    r = client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )
    return "signed in" if r.status_code == 302 else r.content.decode()


def test_after_ten_wrong_passwords_even_the_right_one_is_refused_until_the_window_ends(dana, now):
    client = Client()
    for _ in range(10):
        assert "correct username and password" in _sign_in(client, "dana", "guess")
    page = _sign_in(client, "dana", "pw")
    assert "Too many failed sign-in attempts" in page and "Try again in 15 minutes" in page
    assert "Too many" in _sign_in(client, "dana", "pw", address="198.51.100.7")  # per username
    with clock.frozen(NOW + timedelta(minutes=15)):
        assert _sign_in(client, "dana", "pw") == "signed in"


def test_one_address_trying_many_usernames_is_stopped(db, now):
    User.objects.create_user("erez", password="pw", is_staff=True)
    client = Client()
    for i in range(30):
        _sign_in(client, f"user{i}", "guess")
    assert "Too many failed sign-in attempts" in _sign_in(client, "erez", "pw")
    assert _sign_in(client, "erez", "pw", address="198.51.100.7") == "signed in"


def test_any_other_host_header_is_refused(db, client):
    assert client.get("/subscribe", HTTP_HOST="127.0.0.1").status_code == 200
    assert client.get("/subscribe", HTTP_HOST="localhost:8000").status_code == 200
    assert client.get("/subscribe", HTTP_HOST="evil.example").status_code == 400


@pytest.mark.parametrize("path", ["/subscribe", "/admin/login/", "/api/v1/components"])
def test_django_pages_carry_the_security_headers(db, client, path):
    r = client.get(path)
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "object-src 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1][:30]
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


PROBE = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.conf import settings
from django.test import Client
c = Client()
plain = c.get("/subscribe", HTTP_HOST="status.acme.test")
secure = c.get("/subscribe", HTTP_HOST="status.acme.test", secure=True)
proxied = c.get("/subscribe", HTTP_HOST="status.acme.test", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "hosts": settings.ALLOWED_HOSTS,
    "cookies": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    "hsts": secure.headers.get("Strict-Transport-Security"),
    "hsts_plain": plain.headers.get("Strict-Transport-Security"),
    "hsts_proxied": proxied.headers.get("Strict-Transport-Security"),
    "csrf_cookie_secure": "secure" in str(secure.cookies.get("csrftoken", "")).lower(),
    "elsewhere": c.get("/subscribe", HTTP_HOST="evil.example").status_code,
}))
"""


def _probe(tmp_path, **env: str) -> Any:
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "tidings.settings",
            "TIDINGS_DATA_DIR": str(tmp_path / "data"), **env}  # fmt: skip
    full.pop("TIDINGS_DATABASE_URL", None)  # a SQLite file of its own, migrated by the probe
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=full, cwd=ROOT, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_an_https_public_url_makes_cookies_secure_and_sends_hsts(tmp_path):
    got = _probe(
        tmp_path,
        TIDINGS_PUBLIC_URL="https://status.acme.test",
        TIDINGS_ALLOWED_HOSTS="status-internal.acme.test",
        TIDINGS_TRUSTED_PROXIES="1",
    )
    assert got["hosts"] == [
        "status.acme.test", "127.0.0.1", "localhost", "[::1]", "status-internal.acme.test",
    ]  # fmt: skip
    assert got["cookies"] == [True, True] and got["csrf_cookie_secure"]
    assert got["hsts"] == "max-age=31536000"
    assert got["hsts_proxied"] == "max-age=31536000"  # TLS ended at the trusted proxy
    assert got["hsts_plain"] is None
    assert got["elsewhere"] == 400


def test_a_plain_http_public_url_keeps_cookies_usable_over_http(tmp_path):
    got = _probe(tmp_path, TIDINGS_PUBLIC_URL="http://status.acme.test:8000")
    assert got["cookies"] == [False, False] and got["hsts"] is None
    assert got["hosts"][0] == "status.acme.test"


def test_the_database_its_journal_and_the_secret_key_are_private_files(tmp_path):
    script = (
        "import django, os; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "from tidings.core.models import Event\n"
        "from django.utils import timezone\n"
        "Event.objects.create(at=timezone.now(), actor='a', kind='k', subject_type='s', subject_id='1')\n"
        "d = os.environ['TIDINGS_DATA_DIR']\n"
        "import json\n"
        "print(json.dumps({f: oct(os.stat(os.path.join(d, f)).st_mode & 0o777) for f in os.listdir(d)}))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tidings.settings",
           "TIDINGS_DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    env.pop("TIDINGS_DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=True, preexec_fn=lambda: os.umask(0o022),
    )  # fmt: skip
    modes = json.loads(out.stdout.strip().splitlines()[-1])
    assert modes == {
        "secret_key": "0o600", "tidings.sqlite3": "0o600",
        "tidings.sqlite3-shm": "0o600", "tidings.sqlite3-wal": "0o600",
    }  # fmt: skip


def test_an_existing_world_readable_database_is_made_private(tmp_path):
    db = tmp_path / "named.sqlite3"
    db.write_bytes(b"")
    db.chmod(0o644)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tidings.settings",
           "TIDINGS_DATA_DIR": str(tmp_path / "data"), "TIDINGS_DATABASE_URL": f"sqlite:///{db}"}  # fmt: skip
    subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, cwd=ROOT, check=True,
        timeout=60,
    )  # fmt: skip
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
