"""DNS: a name resolves (record type of choice) through a DNS server, optionally to an
expected value. The server is the monitor's own, else ``TIDINGS_MONITOR_RESOLVER``, else the
system's; a server the monitor names must pass the network rule like any target."""

from __future__ import annotations

import time
from typing import Literal

import dns.exception
import dns.resolver
from pydantic import Field

from tidings.monitors.kinds.base import BaseConfig, Context, Kind
from tidings.monitors.kinds.net import dns_resolver, split_server
from tidings.monitors.protocol import Outcome, Target


class DnsConfig(BaseConfig):
    timeout: float = Field(default=5.0, gt=0, le=60)
    record: Literal["A", "AAAA", "CNAME", "MX", "NS", "TXT"] = "A"
    #: An answer must contain this text (an address, a host name); empty: any answer.
    expect: str = Field(default="", max_length=300)
    #: ``ip`` or ``ip:port`` of the DNS server to ask.
    server: str = Field(default="", max_length=100)


def normalise(target: str, config: BaseConfig) -> str:
    name = target.strip().rstrip(".").lower()
    if not name or len(name) > 253 or any(not part or len(part) > 63 for part in name.split(".")):
        raise ValueError("a DNS monitor's target is a host name, such as api.example.com")
    if isinstance(config, DnsConfig) and config.server:
        try:
            split_server(config.server)
        except ValueError:
            raise ValueError("the DNS server is ip or ip:port") from None
    return name


async def check(ctx: Context, t: Target) -> Outcome:
    config = DnsConfig.model_validate(t.config)
    started = time.monotonic()
    try:
        if config.server:
            address, _port = split_server(config.server)
            ctx.net.check_address(address, address)
            resolver = dns_resolver(config.server, config.timeout)
        else:
            resolver = dns_resolver(ctx.net.server, config.timeout)
        answer = await resolver.resolve(t.target, config.record)
    except dns.resolver.NXDOMAIN:
        return Outcome(False, 0, f"{t.target} does not exist (NXDOMAIN)")
    except dns.exception.Timeout:
        return Outcome(False, 0, f"no answer from the DNS server within {config.timeout:g} s")
    except Exception as exc:  # a failed check is a result
        return Outcome(False, 0, (str(exc) or exc.__class__.__name__)[:300])
    latency = int((time.monotonic() - started) * 1000)
    values = [r.to_text().rstrip(".") for r in answer]
    if config.expect and not any(config.expect.rstrip(".") in v for v in values):
        return Outcome(False, latency, f"answer {', '.join(values)[:150]} lacks {config.expect!r}")
    return Outcome(True, latency)


KIND = Kind("dns", DnsConfig, normalise, check)
