"""A raw HTTP/1.1 client over real sockets: it sends exactly the bytes a test gives (malformed,
slow, pipelined) and reads responses the way a browser would."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def connect(port: int, source: str = "127.0.0.1", timeout: float = 5.0) -> socket.socket:
    """A connection from ``source``: any 127.x.y.z is a different client address on loopback."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


class Reader:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _more(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed by the server")
        self.buffer += data

    def _until(self, mark: bytes) -> bytes:
        while (i := self.buffer.find(mark)) < 0:
            self._more()
        out, self.buffer = self.buffer[:i], self.buffer[i + len(mark) :]
        return out

    def _exactly(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self._more()
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def reply(self, head_request: bool = False) -> Reply:
        """The next response on the connection (a 1xx is returned like any other)."""
        lines = self._until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if head_request or status < 200 or status in (204, 304):
            return Reply(status, headers)
        if "content-length" in headers:
            return Reply(status, headers, self._exactly(int(headers["content-length"])))
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while size := int(self._until(b"\r\n"), 16):
                body += self._exactly(size)
                self._exactly(2)
            self._exactly(2)
            return Reply(status, headers, body)
        while True:  # delimited by the close
            try:
                self._more()
            except ConnectionError:
                break
        body, self.buffer = self.buffer, b""
        return Reply(status, headers, body)


def get(path: str, host: str = "status.acme.test", **headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def ask(port: int, raw: bytes, source: str = "127.0.0.1", timeout: float = 5.0) -> Reply:
    """Send ``raw`` on a new connection and read one response."""
    with connect(port, source, timeout) as s:
        s.sendall(raw)
        return Reader(s).reply()


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server closes ``sock`` (end of file or reset) within ``within`` seconds;
    whatever it says first is read and dropped."""
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            if not sock.recv(65536):
                return True
        except TimeoutError:
            return False
        except OSError:
            return True
    return False


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")
