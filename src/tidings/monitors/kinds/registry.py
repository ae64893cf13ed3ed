"""The kinds of monitor Tidings runs: one line each. Adding one is a folder ``kinds/<kind>/``
with ``probe.py`` (a typed config, a target check and an async check), a line here and a
test against a real local server."""

from __future__ import annotations

import ipaddress
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
        target = probe.normalise(target, typed)
        _check_literal_address(target, str(config.get("server") or ""))
        return target, typed.model_dump(exclude_defaults=True)
    except ValidationError as exc:
        raise InvalidInput(
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        ) from None
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def _check_literal_address(target: str, server: str) -> None:
    """A literal private address outside the allowed networks is refused when the monitor is
    added (a name is checked each time it resolves)."""
    from urllib.parse import urlsplit

    from tidings.config import get_settings
    from tidings.monitors.kinds.net import split_server
    from tidings.monitors.rules import address_allowed

    networks = get_settings().monitor_allowed_networks
    hosts = [urlsplit(target).hostname or "" if "://" in target else split_server(target)[0]]
    hosts += [split_server(server)[0]] if server else []
    for host in hosts:
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            continue
        if not address_allowed(host, networks):
            raise ValueError(
                f"{host} is a private address outside the networks monitors may reach "
                "(TIDINGS_MONITOR_ALLOWED_NETWORKS)"
            )
