"""What a probe is: a typed config, a target check, and an async check. A probe imports only
this module, :mod:`net` and the protocol."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import aiohttp
from pydantic import BaseModel, ConfigDict, Field

from tidings.monitors.kinds.net import Net
from tidings.monitors.protocol import Outcome, Target

DownStatus = Literal["degraded_performance", "partial_outage", "major_outage"]


class BaseConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: Seconds before a check counts as failed.
    timeout: float = Field(default=10.0, gt=0, le=120)
    #: The component's status while the monitor is down.
    down_status: DownStatus = "major_outage"


@dataclass
class Context:
    net: Net
    http: aiohttp.ClientSession


@dataclass(frozen=True)
class Kind:
    name: str
    config: type[BaseConfig]
    #: The canonical target, or ValueError with a readable reason.
    normalise: Callable[[str, BaseConfig], str]
    check: Callable[[Context, Target], Awaitable[Outcome]]
