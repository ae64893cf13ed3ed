"""The Alertmanager webhook v4 shape, which Grafana's webhook contact point shares: a group
(``groupKey``) of alerts, each with a ``fingerprint``."""

from __future__ import annotations

import hashlib
from typing import Any

from tidings.monitors.alerts.fields import items, labels, obj, text, when
from tidings.monitors.protocol import AlertEvent, BadPayload, Parsed


def parse_groups(doc: Any, *, versions: tuple[str, ...], prefix: str = "") -> Parsed:
    body = obj(doc, "the body")
    version = text(body.get("version"), "version")
    if version not in versions:
        raise BadPayload(f"version {version!r} is not supported; expected {' or '.join(versions)}")
    group = text(body.get("groupKey"), "groupKey", required=True, limit=4000)
    common = labels(body.get("commonLabels"), "commonLabels")
    common_notes = labels(body.get("commonAnnotations"), "commonAnnotations")
    events = []
    for i, alert in enumerate(items(body.get("alerts"), "alerts")):
        where = f"alerts[{i}]"
        status = text(alert.get("status"), f"{where}.status", required=True)
        if status not in ("firing", "resolved"):
            raise BadPayload(f"{where}.status must be firing or resolved, not {status[:20]!r}")
        own = {**common, **labels(alert.get("labels"), f"{where}.labels")}
        notes = {**common_notes, **labels(alert.get("annotations"), f"{where}.annotations")}
        fingerprint = text(alert.get("fingerprint"), f"{where}.fingerprint", limit=200)
        if not fingerprint:  # older senders: the label set names the alert
            fingerprint = hashlib.sha256(repr(sorted(own.items())).encode()).hexdigest()[:16]
        firing = status == "firing"
        events.append(
            AlertEvent(
                group=prefix + group,
                fingerprint=fingerprint,
                firing=firing,
                severity=own.get("severity", ""),
                title=notes.get("summary")
                or own.get("alertname", "")
                or text(body.get("title"), "title"),
                description=notes.get("description", ""),
                labels=own,
                url=text(alert.get("generatorURL"), f"{where}.generatorURL"),
                at=when(alert.get("startsAt" if firing else "endsAt"), where),
            )
        )
    return Parsed(events=events, answer={"status": "success"}, status=200)
