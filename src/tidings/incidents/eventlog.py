"""The event log's entries about one incident or maintenance."""

from __future__ import annotations

from tidings.core import events
from tidings.core.models import Event
from tidings.incidents.models import Incident


def record(
    kind: str, actor: str, incident: Incident, *, public: bool | None = None, **data: object
) -> Event:
    """An event whose subject is ``incident``. Public (the status page re-renders) when the
    incident is, unless ``public`` says otherwise: an internal incident's changes never ask
    for a publish, and staff-only steps (drafts, internal fields) never do."""
    return events.record(
        kind=kind, actor=actor, subject_type="incident", subject_id=incident.public_id,
        public=incident.is_public if public is None else public, **data,
    )  # fmt: skip
