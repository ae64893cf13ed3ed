"""The kinds of monitor Tidings runs: one line each. Adding one is a folder ``kinds/<kind>/``
with ``probe.py`` (a typed config, a target check and an async check), a line here and a
test against a real local server."""

from __future__ import annotations

from typing import Any

from tidings.monitors.kinds.base import Kind
from tidings.monitors.kinds.dns.probe import KIND as DNS
from tidings.monitors.kinds.heartbeat.probe import KIND as HEARTBEAT
from tidings.monitors.kinds.http.probe import KIND as HTTP
from tidings.monitors.kinds.tcp.probe import KIND as TCP

KINDS: dict[str, Kind] = {k.name: k for k in (HTTP, TCP, DNS, HEARTBEAT)}


def validate(kind: str, target: str, config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A monitor's target and config, checked by its probe's typed config."""
    from pydantic import ValidationError

    from tidings.core.errors import InvalidInput

    probe = KINDS[kind]
    try:
        typed = probe.config.model_validate(config)
        return probe.normalise(target, typed), typed.model_dump(exclude_defaults=True)
    except ValidationError as exc:
        raise InvalidInput(
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        ) from None
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
