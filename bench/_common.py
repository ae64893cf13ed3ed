"""What several benchmarks share: the project's paths, loopback ports, and Django set up in the
bench process. A script imports it as ``_common``: its own folder, bench/, is first on sys.path."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project's sources, and tests/ for the test suite's Django-free helpers (tests/ports.py).
for _path in (ROOT / "src", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from tests.ports import free_port, wait_for_port  # noqa: E402 - needs the path above

__all__ = ["ROOT", "admin_token", "django_setup", "free_port", "fresh_database", "wait_port"]


def wait_port(port: int, timeout: float = 30, proc: subprocess.Popen[bytes] | None = None) -> None:
    """The tests' wait for a listener, ending the benchmark with its message if none comes."""
    try:
        wait_for_port(port, timeout=timeout, proc=proc)
    except (RuntimeError, TimeoutError) as e:
        raise SystemExit(str(e)) from None


def django_setup(env: dict[str, str]) -> None:
    """Django in this process, with the same ``TIDINGS_*`` settings as the servers it starts."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tidings.settings"
    import django

    django.setup()


def fresh_database(prefix: str) -> None:
    """Django in this process on a fresh SQLite database in a temporary data dir, or on the
    PostgreSQL database TIDINGS_DATABASE_URL names, flushed: give it a scratch one. It holds
    one component, API."""
    data_dir = os.environ.get("TIDINGS_DATA_DIR") or tempfile.mkdtemp(prefix=prefix)
    django_setup({"TIDINGS_DATA_DIR": data_dir})
    from django.core.management import call_command
    from django.db import connection

    from tidings.components import services as components

    call_command("migrate", verbosity=0)
    if connection.vendor != "sqlite":
        call_command("flush", interactive=False, verbosity=0)
    components.create_component(actor="bench", name="API")


def admin_token() -> str:
    """A token of the staff user "bench", an admin: the imports are for admins, support and
    account managers, and a staff user without a role is a viewer."""
    from django.contrib.auth.models import User

    from tidings.core.auth import issue_token
    from tidings.staff.models import StaffProfile

    user = User.objects.create_user("bench", is_staff=True)
    StaffProfile.objects.create(user=user, role="admin")
    return issue_token(user=user, name="bench")
