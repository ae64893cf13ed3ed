"""A counting SMTP sink for benchmarks: accepts every message, keeps its Message-ID, and writes
them to ``--out`` (one per line) when stopped with SIGTERM. Run as its own process.

    python bench/smtp_sink.py --port 2525 --out /tmp/ids.txt
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP


class Counter:
    def __init__(self) -> None:
        self.ids: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data: bytes = envelope.original_content or envelope.content
        start = data.find(b"Message-ID: <")
        self.ids.append(data[start + 13 : data.find(b">", start)] if start >= 0 else b"?")
        return "250 OK"


async def main(port: int, out: Path) -> None:
    handler = Counter()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink", ident="sink"), "127.0.0.1", port, backlog=1024
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    server.close()
    out.write_bytes(b"\n".join(handler.ids) + (b"\n" if handler.ids else b""))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(a.port, a.out))
