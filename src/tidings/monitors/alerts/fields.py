"""Small checks every adapter uses to read a sender's JSON defensively. Imports only the
protocol: an adapter may use it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tidings.monitors.protocol import BadPayload

MAX_ALERTS = 1000
MAX_TEXT = 2000


def obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadPayload(f"{where} must be a JSON object")
    return value


def text(value: Any, where: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    if value is None or value == "":
        if required:
            raise BadPayload(f"{where} is required")
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise BadPayload(f"{where} must be a string")
    return str(value)[:limit]


def labels(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    found = obj(value, where)
    if len(found) > 200:
        raise BadPayload(f"{where} has more than 200 entries")
    return {str(k)[:200]: text(v, f"{where}.{k}", limit=500) for k, v in found.items()}


def items(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise BadPayload(f"{where} must be a non-empty list")
    if len(value) > MAX_ALERTS:
        raise BadPayload(f"{where} has more than {MAX_ALERTS} alerts")
    return [obj(v, f"{where}[{i}]") for i, v in enumerate(value)]


def when(value: Any, where: str) -> datetime | None:
    """An RFC 3339 time; Alertmanager's zero time (``0001-01-01``) means none."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise BadPayload(f"{where} must be an RFC 3339 time")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise BadPayload(f"{where} is not an RFC 3339 time: {value[:40]!r}") from None
    if at.tzinfo is None:
        raise BadPayload(f"{where} needs a time zone")
    return None if at.year < 1970 else at
