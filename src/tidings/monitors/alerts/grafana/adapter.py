"""Grafana alerting's webhook contact point (formats.md 3.4): Alertmanager's v4 shape with
``version`` "1" and Grafana's own fields, which are ignored. Groups are per organisation."""

from __future__ import annotations

from typing import Any

from tidings.monitors.alerts.fields import obj
from tidings.monitors.alerts.v4 import parse_groups
from tidings.monitors.protocol import Parsed


def parse(doc: Any, meta: dict[str, Any]) -> Parsed:
    org = obj(doc, "the body").get("orgId", "")
    return parse_groups(doc, versions=("1", "4"), prefix=f"org{org}:" if org != "" else "")
