"""Starting Tidings' servers on one machine: the port they take, the private socket between
the edge and the staff app, the links they print and publish, and the order children start in.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def local_base(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def links_follow_port(host: str, port: int) -> None:
    """Links in pages and messages name the port we serve on, unless TIDINGS_PUBLIC_URL says
    where the public reaches us. Before the settings are first read, and inherited by the
    worker and web processes."""
    if not os.environ.get("TIDINGS_PUBLIC_URL"):
        os.environ["TIDINGS_PUBLIC_URL"] = local_base(host, port)


def port_is_free(command: str, host: str, port: int) -> bool:
    from tidings.statuspage.fastedge import PortInUse, check_port

    try:
        check_port(host, port)
    except PortInUse as e:
        print(f"tidings {command}: cannot listen on {host}:{port}: {e}", file=sys.stderr)
        return False
    return True


def web_socket(data_dir: Path) -> Path:
    """A private unix socket for the Django app behind the edge (a socket path has at most
    107 bytes: fall back to a private temporary directory when the data dir is deep)."""
    run = data_dir.resolve() / "run"
    if len(str(run / "web.sock")) > 100:
        run = Path(tempfile.mkdtemp(prefix="tidings-"))
    run.mkdir(mode=0o700, parents=True, exist_ok=True)
    sock = run / "web.sock"
    sock.unlink(missing_ok=True)  # left by a process that was killed
    return sock


def listening(sock: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        return s.connect_ex(str(sock)) == 0


def launcher(
    commands: dict[str, list[str]], envs: dict[str, dict[str, str]]
) -> Callable[[str], subprocess.Popen[bytes]]:
    def launch(name: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(commands[name], env={**os.environ, **envs.get(name, {})})

    return launch


def start_in_order(
    names: list[str],
    launch: Callable[[str], subprocess.Popen[bytes]],
    ready: dict[str, Callable[[], bool]],
    stopping: Callable[[], bool],
    started: Callable[[], None] | None,
) -> dict[str, subprocess.Popen[bytes]]:
    procs: dict[str, subprocess.Popen[bytes]] = {}
    for name in names:
        proc = procs[name] = launch(name)
        check = ready.get(name)
        deadline = time.monotonic() + 60
        while check and not stopping() and proc.poll() is None and not check():
            if time.monotonic() > deadline:
                print(f"tidings: {name} did not start within 60 s", file=sys.stderr)
                break
            time.sleep(0.05)
    if started is not None and not stopping():
        started()
    return procs
