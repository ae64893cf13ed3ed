"""What every ``tidings`` command needs: its subcommand declared, Django set up, a management
command run."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TypeAlias

# A string: argparse's action class cannot be subscripted at run time, only by the type checker.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def command(
    sub: Subcommands, name: str, fn: Callable[[argparse.Namespace], int], *, help: str
) -> argparse.ArgumentParser:
    """Declare ``tidings NAME``, run by ``fn`` with the parsed arguments (``main`` calls
    ``args.fn``); the caller adds its options to the parser returned."""
    parser = sub.add_parser(name, help=help)
    parser.set_defaults(fn=fn)
    return parser


def listen_options(parser: argparse.ArgumentParser, *, port: int) -> None:
    """Where a server listens: the same two options for every command that serves."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)


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
