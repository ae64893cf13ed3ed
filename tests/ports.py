"""Loopback ports for servers a test (or a benchmark: bench/_common.py imports this) starts, and
the start/stop protocol of the test servers. Plain sockets only, no Django, so that a script can
import it before Django is set up."""

from __future__ import annotations

import socket
import subprocess
import time
from typing import Any, Self


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(
    port: int, timeout: float = 20.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Return once something listens on 127.0.0.1:``port``; raise if ``proc``, the process
    meant to listen there, exits first, or if nothing listens within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


class LoopbackServer:
    """A test server on loopback that ``start()`` starts (returning itself) and ``stop()``
    stops; ``with Server() as server:`` does both, the stop however the block ends."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
