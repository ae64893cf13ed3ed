"""What every ``tidings`` command needs: Django set up, a management command run."""

from __future__ import annotations

import os
import sys


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")
    import django

    django.setup()


def manage(*args: str) -> None:
    django_setup()
    from django.core.management import call_command

    call_command(*args)


def migrate_if_reachable() -> None:
    """Migrate; if the database cannot be reached, say so and carry on: the web app answers 503
    for what needs it until the database is back, and the status page serves from memory."""
    try:
        manage("migrate", "--verbosity", "0")
    except Exception as exc:
        from tidings.core.unavailable import is_unavailable

        if not is_unavailable(exc):
            raise
        print(
            f"tidings: the database is unreachable ({exc.__class__.__name__}: {exc}); starting "
            "anyway. Pages that need it answer 503 until it is back; migrations run at the "
            "next start.",
            file=sys.stderr,
            flush=True,
        )
