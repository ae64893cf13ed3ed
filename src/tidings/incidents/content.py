"""What an incident's public page carries besides its updates: FAQ entries, workarounds and
links. The caller owns the transaction."""

from __future__ import annotations

from tidings.config import get_settings
from tidings.core import clock, events
from tidings.core.errors import InvalidInput
from tidings.core.text import check_localized
from tidings.incidents.models import FaqEntry, Incident, Resource
from tidings.incidents.posting import check_choice


def add_faq(
    *, actor: str, incident: Incident, question: object, answer: object, position: int = 0
) -> FaqEntry:
    limit = get_settings().max_body_chars
    entry = FaqEntry.objects.create(
        incident=incident,
        question=check_localized(
            question, field="question", max_chars=500, required=True, single_line=True
        ),
        answer=check_localized(answer, field="answer", max_chars=limit, required=True),
        position=position,
        updated_at=clock.now(),
    )
    events.record(
        kind="incident.faq_changed",
        actor=actor,
        subject_type="incident",
        subject_id=incident.public_id,
        faq_id=entry.pk,
        public=incident.is_public,
    )
    return entry


def add_resource(
    *,
    actor: str,
    incident: Incident,
    kind: str,
    title: object,
    body: object = None,
    url: str = "",
    position: int = 0,
) -> Resource:
    check_choice(kind, ("workaround", "link"), "kind")
    if url and not url.startswith(("https://", "http://")):
        raise InvalidInput("url must start with http:// or https://")
    limit = get_settings().max_body_chars
    resource = Resource.objects.create(
        incident=incident,
        kind=kind,
        title=check_localized(title, field="title", max_chars=200, required=True, single_line=True),
        body=check_localized(body, field="body", max_chars=limit, required=False),
        url=url,
        position=position,
        updated_at=clock.now(),
    )
    events.record(
        kind="incident.resource_changed",
        actor=actor,
        subject_type="incident",
        subject_id=incident.public_id,
        resource_id=resource.pk,
        public=incident.is_public,
    )
    return resource
