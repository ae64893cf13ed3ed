"""What an incident's public page carries besides its updates: FAQ entries, workarounds and
links. The caller owns the transaction."""

from __future__ import annotations

from tidings.config import get_settings
from tidings.core import clock, events
from tidings.core.errors import InvalidInput, NotFound
from tidings.core.text import check_localized
from tidings.incidents.models import FaqEntry, Incident, Resource
from tidings.incidents.posting import check_choice


def _question(value: object) -> dict[str, str]:
    return check_localized(value, field="question", max_chars=500, required=True, single_line=True)


def _answer(value: object) -> dict[str, str]:
    return check_localized(
        value, field="answer", max_chars=get_settings().max_body_chars, required=True
    )


def _recorded(kind: str, actor: str, incident: Incident, **data: object) -> None:
    events.record(
        kind=kind, actor=actor, subject_type="incident", subject_id=incident.public_id,
        public=incident.is_public, **data,
    )  # fmt: skip


def get_faq(incident: Incident, faq_id: int) -> FaqEntry:
    entry = FaqEntry.objects.filter(incident=incident, pk=faq_id).first()
    if entry is None:
        raise NotFound(f"no FAQ entry {faq_id} on this incident")
    return entry


def get_resource(incident: Incident, resource_id: int) -> Resource:
    resource = Resource.objects.filter(incident=incident, pk=resource_id).first()
    if resource is None:
        raise NotFound(f"no workaround or resource {resource_id} on this incident")
    return resource


def add_faq(
    *, actor: str, incident: Incident, question: object, answer: object, position: int = 0
) -> FaqEntry:
    entry = FaqEntry.objects.create(
        incident=incident,
        question=_question(question),
        answer=_answer(answer),
        position=position,
        updated_at=clock.now(),
    )
    _recorded("incident.faq_changed", actor, incident, faq_id=entry.pk)
    return entry


def change_faq(
    *,
    actor: str,
    entry: FaqEntry,
    question: object = None,
    answer: object = None,
    position: int | None = None,
) -> FaqEntry:
    """Change what is given; everything is checked before anything is written."""
    fields: dict[str, object] = {}
    if question is not None:
        fields["question"] = _question(question)
    if answer is not None:
        fields["answer"] = _answer(answer)
    if position is not None:
        fields["position"] = position
    for name, value in fields.items():
        setattr(entry, name, value)
    entry.updated_at = clock.now()
    entry.save()
    _recorded("incident.faq_changed", actor, entry.incident, faq_id=entry.pk)
    return entry


def delete_faq(*, actor: str, entry: FaqEntry) -> None:
    incident, pk = entry.incident, entry.pk
    entry.delete()
    _recorded("incident.faq_changed", actor, incident, faq_id=pk, deleted=True)


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
    resource = Resource.objects.create(
        incident=incident,
        kind=_kind(kind),
        title=_resource_title(title),
        body=_resource_body(body),
        url=_url(url),
        position=position,
        updated_at=clock.now(),
    )
    _recorded("incident.resource_changed", actor, incident, resource_id=resource.pk)
    return resource


def _kind(kind: str) -> str:
    check_choice(kind, ("workaround", "link"), "kind")
    return kind


def _url(url: str) -> str:
    url = (url or "").strip()
    if url and not url.startswith(("https://", "http://")):
        raise InvalidInput("url must start with http:// or https://")
    if len(url) > 500:
        raise InvalidInput("url is longer than 500 characters")
    return url


def _resource_title(value: object) -> dict[str, str]:
    return check_localized(value, field="title", max_chars=200, required=True, single_line=True)


def _resource_body(value: object) -> dict[str, str]:
    limit = get_settings().max_body_chars
    return check_localized(value, field="body", max_chars=limit, required=False)


def change_resource(
    *,
    actor: str,
    resource: Resource,
    kind: str | None = None,
    title: object = None,
    body: object = None,
    url: str | None = None,
    position: int | None = None,
) -> Resource:
    """Change what is given; everything is checked before anything is written."""
    fields: dict[str, object] = {}
    if kind is not None:
        fields["kind"] = _kind(kind)
    if title is not None:
        fields["title"] = _resource_title(title)
    if body is not None:
        fields["body"] = _resource_body(body)
    if url is not None:
        fields["url"] = _url(url)
    if position is not None:
        fields["position"] = position
    for name, value in fields.items():
        setattr(resource, name, value)
    resource.updated_at = clock.now()
    resource.save()
    _recorded("incident.resource_changed", actor, resource.incident, resource_id=resource.pk)
    return resource


def delete_resource(*, actor: str, resource: Resource) -> None:
    incident, pk = resource.incident, resource.pk
    resource.delete()
    _recorded("incident.resource_changed", actor, incident, resource_id=pk, deleted=True)
