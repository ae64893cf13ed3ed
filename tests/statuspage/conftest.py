"""The headless browser the page tests drive: the system Chromium through Playwright."""

from __future__ import annotations

import os
import resource
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from tests.conftest import published, stop, tidings_process
from tests.ports import free_port, wait_for_port
from tidings.config import overridden

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("needs the system Chromium: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop running in this thread, so the ORM calls made
    # between browser steps look async to Django: allow them, for these tests only.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as p:
            b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                yield b
            finally:
                b.close()
                # While that loop runs, Django keeps connections per context, not per thread;
                # close them here or they outlive the tests and block dropping the test database.
                connections.close_all()
    finally:
        if before is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@contextmanager
def served_by_edge(data_dir: Path, **settings: Any) -> Iterator[tuple[str, Any]]:
    """The site published into ``data_dir`` and served by a real ``tidings edge`` process;
    yields (base URL, settings)."""
    with overridden(
        data_dir=data_dir, site_name="Acme", public_url="http://127.0.0.1", **settings
    ) as s:
        published(s)
        with edge_process(s.data_dir) as (port, _):
            yield f"http://127.0.0.1:{port}", s


@contextmanager
def edge_process(
    data_dir: Path,
    env: dict[str, str] | None = None,
    nofile: int | None = None,
    upstream: str = "",
    source: str = "",
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """A real ``tidings edge`` serving ``data_dir`` (``env``: more TIDINGS_* settings;
    ``nofile``: its open-file limit, as ``ulimit -n`` would set it; ``upstream``: the app it
    passes other paths to; ``source``: the bucket it follows); yields (port, process)."""

    def limit_files() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    port = free_port()
    proc = tidings_process(
        [
            "edge",
            "--port",
            str(port),
            "--processes",
            "1",
            *(["--upstream", upstream] if upstream else []),
            *(["--source", source] if source else []),
        ],
        {"TIDINGS_DATA_DIR": str(data_dir), "TIDINGS_EDGE_RELOAD_SECONDS": "0.1", **(env or {})},
        preexec_fn=limit_files,
    )
    try:
        wait_for_port(port, proc=proc)
        yield port, proc
    finally:
        output = stop(proc)
        if proc.returncode not in (0, -15):
            print(output)  # shown when a test fails: the edge's side of the story
