"""Heartbeat: the watched job pings its secret URL at least every interval; silence past the
grace period is a failure."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from tidings.core import clock
from tidings.monitors.kinds.base import BaseConfig, Context, Kind
from tidings.monitors.protocol import Outcome, Target


class HeartbeatConfig(BaseConfig):
    #: Extra seconds after the interval before silence counts.
    grace: int = Field(default=60, ge=0, le=86_400)


def normalise(target: str, config: BaseConfig) -> str:
    return ""


def silent_for(t: Target, now: datetime) -> float:
    return (now - (t.since or now)).total_seconds()


async def check(ctx: Context, t: Target) -> Outcome:
    config = HeartbeatConfig.model_validate(t.config)
    silence = silent_for(t, clock.now())
    if silence > t.interval + config.grace:
        return Outcome(
            False,
            0,
            f"no ping for {int(silence)} s (expected every {t.interval} s + {config.grace} s grace)",
        )
    return Outcome(True, 0)


KIND = Kind("heartbeat", HeartbeatConfig, normalise, check)
