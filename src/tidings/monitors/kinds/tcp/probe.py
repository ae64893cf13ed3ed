"""TCP: a connection to ``host:port`` opens within the timeout."""

from __future__ import annotations

import asyncio
import contextlib
import time

from tidings.monitors.kinds.base import BaseConfig, Context, Kind
from tidings.monitors.kinds.net import describe, split_server
from tidings.monitors.protocol import Outcome, Target


class TcpConfig(BaseConfig):
    pass


def normalise(target: str, config: BaseConfig) -> str:
    host, port = _split(target)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _split(target: str) -> tuple[str, int]:
    try:
        host, port = split_server(target.strip(), default_port=0)
    except ValueError:
        raise ValueError("a TCP monitor's target is host:port, such as db.internal:5432") from None
    if not host or not 0 < port < 65536:
        raise ValueError("a TCP monitor's target is host:port, such as db.internal:5432")
    return host, port


async def check(ctx: Context, t: Target) -> Outcome:
    config = TcpConfig.model_validate(t.config)
    started = time.monotonic()
    try:
        host, port = _split(t.target)
        async with asyncio.timeout(config.timeout):
            addresses = await ctx.net.resolve(host, port)
            _reader, writer = await asyncio.open_connection(addresses[0], port)
        latency = int((time.monotonic() - started) * 1000)
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 1)
        return Outcome(True, latency)
    except Exception as exc:  # a failed check is a result
        return Outcome(
            False,
            0,
            describe(exc)
            if not isinstance(exc, OSError) or exc.strerror is None
            else f"cannot connect: {exc.strerror}",
        )


KIND = Kind("tcp", TcpConfig, normalise, check)
