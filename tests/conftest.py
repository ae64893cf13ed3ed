"""Shared fixtures. Personas: Dana leads communications (a staff user with an API token, role
"communications"); Omer is the incident commander; Rina is an admin; Erez is a customer reading the public page. The clock is frozen where a test depends on it."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import translation

from tidings.components import services as components
from tidings.config import TidingsSettings, overridden
from tidings.core import clock
from tidings.core.auth import issue_token
from tidings.incidents import maintenances
from tidings.incidents import services as incidents
from tidings.statuspage.publisher import publish

# The test SMTP servers (aiosmtpd) log each connection at INFO from their own threads, some after
# a test has ended and pytest has closed the stream it captured: "--- Logging error ---" noise.
logging.getLogger("mail.log").setLevel(logging.WARNING)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: Django's LocaleMiddleware activates the
    language of a test client's request in the test's own thread and never resets it, so a
    Hebrew request would otherwise leak into whatever test that worker runs next."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def now() -> Iterator[datetime]:
    with clock.frozen(NOW):
        yield NOW


@pytest.fixture
def site_settings(tmp_path: Path) -> Iterator[TidingsSettings]:
    """Settings with a private data directory, so each test publishes its own snapshots."""
    with overridden(
        data_dir=tmp_path / "data", site_name="Acme", public_url="https://status.acme.test"
    ) as s:
        yield s


def staff_member(name: str, role: str) -> Any:
    """A staff user ``name`` (mail ``name@acme.test``, password "pw") with ``role``."""
    from django.contrib.auth.models import User

    from tidings.staff.models import StaffProfile

    user = User.objects.create_user(name, f"{name}@acme.test", "pw", is_staff=True)
    StaffProfile.objects.create(user=user, role=role)
    return user


@pytest.fixture
def dana(db: Any) -> Any:
    return staff_member("dana", "communications")


@pytest.fixture
def omer(db: Any) -> Any:
    """The incident commander."""
    return staff_member("omer", "commander")


def api_client(user: Any) -> Client:
    """A client that speaks JSON to /api/v1 with a token of ``user`` (every scope: the role
    decides)."""
    token = issue_token(user=user, name="test")

    class ApiClient(Client):
        def call(self, method: str, path: str, body: Any = None) -> Any:
            fn = getattr(self, method.lower())
            kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
            if body is not None:
                kwargs["data"] = json.dumps(body)
                kwargs["content_type"] = "application/json"
            return fn(f"/api/v1{path}", **kwargs)

    return ApiClient()


@pytest.fixture
def api(dana: Any) -> Client:
    """A client that speaks JSON to /api/v1 with Dana's token (communications)."""
    return api_client(dana)


@pytest.fixture
def rina(db: Any) -> Any:
    """Rina administers Tidings (role "admin", not a superuser)."""
    return staff_member("rina", "admin")


@pytest.fixture
def lead_api(rina: Any) -> Client:
    """The API as Rina, an admin: for components, customers and monitors, which
    communications may read but not change."""
    return api_client(rina)


@pytest.fixture
def catalog(db: Any) -> dict[str, str]:
    """Two groups and four components; returns name -> public id."""
    with transaction.atomic():
        core = components.create_group(actor="dana", name="Core")
        extra = components.create_group(actor="dana", name="Extras")
        ids = {}
        for name, group in (("API", core), ("Website", core), ("Email", extra)):
            ids[name] = components.create_component(
                actor="dana", name=name, group_id=group.public_id
            ).public_id
        ids["Docs"] = components.create_component(actor="dana", name="Docs").public_id
    return ids


@pytest.fixture
def outage(catalog: dict[str, str]) -> Any:
    """An active SEV2 incident: the API partially down."""
    with transaction.atomic():
        return incidents.create_incident(
            actor="dana",
            title={"en": "Elevated API errors", "he": "שגיאות מוגברות ב-API"},
            severity="SEV2",
            components={catalog["API"]: "partial_outage"},
            body={
                "en": "Some API calls fail. We are investigating.",
                "he": "חלק מהקריאות ל-API נכשלות. אנחנו בודקים.",
            },
        )


def planned(
    title: Any, starts: datetime, ends: datetime, body: Any = "Planned.", **more: Any
) -> Any:
    """A maintenance Dana schedules from ``starts`` to ``ends``."""
    return maintenances.create_maintenance(
        actor="dana", title=title, body=body, scheduled_for=starts, scheduled_until=ends, **more
    )


def resolved_long_ago(now: datetime, days: int = 400) -> Any:
    """An incident of ``days`` before ``now``, resolved then: past history."""
    with clock.frozen(now - timedelta(days=days)):
        old = incidents.create_incident(actor="dana", title="Old trouble", body="x")
        incidents.post_update(actor="dana", incident=old, status="resolved", body="done")
    return old


def published(settings: TidingsSettings) -> Path:
    publish(force=True, settings=settings)
    return settings.snapshot_dir / "current"


def database_url() -> str:
    """The URL of the database this test run uses, for subprocesses to share it."""
    d = connection.settings_dict
    if d["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{d['NAME']}"
    return f"postgres://{d['USER']}:{d['PASSWORD'] or ''}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


def tidings_process(
    args: list[str], env: dict[str, str], preexec_fn: Any = None
) -> subprocess.Popen[bytes]:
    full_env = {**os.environ, **env}
    return subprocess.Popen(
        [sys.executable, "-m", "tidings.cli", *args],
        env=full_env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=preexec_fn,  # noqa: PLW1509 - only setrlimit, before exec
    )


def stop(proc: subprocess.Popen[bytes]) -> str:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    out = proc.stdout.read() if proc.stdout else b""
    return out.decode(errors="replace")
