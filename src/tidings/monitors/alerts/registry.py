"""The alert sources Tidings understands: one line each. Adding one is a folder
``alerts/<source>/`` with ``adapter.py`` (``parse(doc, meta) -> Parsed``), a line here and
captured payloads in its test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tidings.monitors.alerts.alertmanager import adapter as alertmanager
from tidings.monitors.alerts.generic import adapter as generic
from tidings.monitors.alerts.grafana import adapter as grafana
from tidings.monitors.alerts.pagerduty import adapter as pagerduty
from tidings.monitors.protocol import Parsed

Parser = Callable[[Any, dict[str, Any]], Parsed]

ADAPTERS: dict[str, Parser] = {
    "alertmanager": alertmanager.parse,
    "grafana": grafana.parse,
    "pagerduty": pagerduty.parse,
    "generic": generic.parse,
}
