"""PagerDuty Events API v2 (formats.md 3.3): ``trigger`` opens, ``resolve`` resolves,
``acknowledge`` is a person's business and changes nothing here. ``dedup_key`` is the group;
a trigger without one gets a new key, returned as PagerDuty does."""

from __future__ import annotations

import secrets
from typing import Any

from tidings.monitors.alerts.fields import labels, obj, text, when
from tidings.monitors.protocol import AlertEvent, BadPayload, Parsed

SEVERITIES = ("critical", "error", "warning", "info")


def parse(doc: Any, meta: dict[str, Any]) -> Parsed:
    body = obj(doc, "the body")
    action = text(body.get("event_action"), "event_action", required=True)
    if action not in ("trigger", "acknowledge", "resolve"):
        raise BadPayload(
            f"event_action must be trigger, acknowledge or resolve, not {action[:20]!r}"
        )
    key = text(body.get("dedup_key"), "dedup_key", limit=255)
    if not key:
        if action != "trigger":
            raise BadPayload(f"dedup_key is required to {action}")
        key = str(meta.get("dedup_key") or secrets.token_hex(16))
    answer = {"status": "success", "message": "Event processed", "dedup_key": key}
    if action == "acknowledge":
        return Parsed(events=[], answer=answer, status=202, meta={"dedup_key": key})
    if action == "resolve":
        event = AlertEvent(group=key, fingerprint=key, firing=False)
        return Parsed(events=[event], answer=answer, status=202, meta={"dedup_key": key})
    payload = obj(body.get("payload"), "payload")
    summary = text(payload.get("summary"), "payload.summary", required=True, limit=1024)
    severity = text(payload.get("severity"), "payload.severity", required=True)
    if severity not in SEVERITIES:
        raise BadPayload(f"payload.severity must be one of {', '.join(SEVERITIES)}")
    own = labels(
        payload.get("custom_details") if isinstance(payload.get("custom_details"), dict) else None,
        "payload.custom_details",
    )
    for name in ("component", "group", "class", "source"):
        if payload.get(name):
            own[name] = text(payload.get(name), f"payload.{name}", limit=500)
    links = body.get("links")
    url = ""
    if isinstance(links, list) and links and isinstance(links[0], dict):
        url = text(links[0].get("href"), "links[0].href")
    event = AlertEvent(
        group=key, fingerprint=key, firing=True, severity=severity, title=summary,
        labels=own, url=url or text(body.get("client_url"), "client_url"),
        at=when(payload.get("timestamp"), "payload.timestamp"),
    )  # fmt: skip
    return Parsed(events=[event], answer=answer, status=202, meta={"dedup_key": key})
