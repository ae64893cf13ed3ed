"""Prometheus Alertmanager webhooks, payload version 4 (formats.md 3.2).

One notification holds a group (``groupKey``) of alerts, each with a ``fingerprint``. The
group opens one incident; the fingerprints tell which alerts still fire."""

from __future__ import annotations

from typing import Any

from tidings.monitors.alerts.v4 import parse_groups
from tidings.monitors.protocol import Parsed


def parse(doc: Any, meta: dict[str, Any]) -> Parsed:
    return parse_groups(doc, versions=("4",))
