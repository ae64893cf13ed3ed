"""What an incident's public page carries besides its updates: FAQ entries, workarounds and
links. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from tidings.config import get_settings
from tidings.core import clock
from tidings.core.errors import InvalidInput, NotFound
from tidings.core.prepared import Insert
from tidings.core.text import check_localized
from tidings.incidents.eventlog import record as _recorded
from tidings.incidents.models import FaqEntry, Incident, Resource
from tidings.incidents.posting import check_choice


def _question(value: object) -> dict[str, str]:
    return check_localized(value, field="question", max_chars=500, required=True, single_line=True)


def _answer(value: object) -> dict[str, str]:
    return check_localized(
        value, field="answer", max_chars=get_settings().max_body_chars, required=True
    )


#: The refusal for an entry the incident does not have, a whole sentence per kind so that a
#: translation words each noun (as core.db.NOT_FOUND does); read in the request's language.
_MISSING: dict[type[Any], Promise] = {
    FaqEntry: gettext_lazy("no FAQ entry %(id)s on this incident"),
    Resource: gettext_lazy("no workaround or resource %(id)s on this incident"),
}


def _one(model: type[FaqEntry] | type[Resource], incident: Incident, pk: int) -> Any:
    found = model.objects.filter(incident=incident, pk=pk).first()
    if found is None:
        raise NotFound(str(_MISSING[model]) % {"id": pk})
    return found


def get_faq(incident: Incident, faq_id: int) -> FaqEntry:
    entry: FaqEntry = _one(FaqEntry, incident, faq_id)
    return entry


def get_resource(incident: Incident, resource_id: int) -> Resource:
    resource: Resource = _one(Resource, incident, resource_id)
    return resource


#: How each field of a FAQ entry or a resource is checked, for adding and changing alike.
Checks = Mapping[str, Callable[[Any], object]]


def _checked(checks: Checks, **given: Any) -> dict[str, object]:
    return {name: checks[name](value) for name, value in given.items()}


def _changed(row: FaqEntry | Resource, checks: Checks, **given: Any) -> None:
    """Change what is given (not None); everything is checked before anything is written."""
    fields = _checked(checks, **{k: v for k, v in given.items() if v is not None})
    for name, value in fields.items():
        setattr(row, name, value)
    row.updated_at = clock.now()
    row.save()


def _position(value: int) -> int:
    return value


_FAQ_CHECKS: Checks = {"question": _question, "answer": _answer, "position": _position}


#: Staff add FAQ entries through a crisis, often several a minute: built once per thread.
_insert_faq = Insert(FaqEntry)


def add_faq(
    *, actor: str, incident: Incident, question: object, answer: object, position: int = 0
) -> FaqEntry:
    checked = _checked(_FAQ_CHECKS, question=question, answer=answer, position=position)
    entry = _insert_faq(FaqEntry(incident=incident, updated_at=clock.now(), **checked))
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
    _changed(entry, _FAQ_CHECKS, question=question, answer=answer, position=position)
    _recorded("incident.faq_changed", actor, entry.incident, faq_id=entry.pk)
    return entry


def _deleted(actor: str, row: FaqEntry | Resource, kind: str, key: str) -> None:
    incident, pk = row.incident, row.pk
    row.delete()
    data: dict[str, Any] = {key: pk, "deleted": True}
    _recorded(kind, actor, incident, **data)


def delete_faq(*, actor: str, entry: FaqEntry) -> None:
    _deleted(actor, entry, "incident.faq_changed", "faq_id")


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
    checked = _checked(_RESOURCE_CHECKS, kind=kind, title=title, body=body, url=url,
                       position=position)  # fmt: skip
    resource = Resource.objects.create(incident=incident, updated_at=clock.now(), **checked)
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


_RESOURCE_CHECKS: Checks = {
    "kind": _kind, "title": _resource_title, "body": _resource_body, "url": _url,
    "position": _position,
}  # fmt: skip


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
    _changed(resource, _RESOURCE_CHECKS, kind=kind, title=title, body=body, url=url,
             position=position)  # fmt: skip
    _recorded("incident.resource_changed", actor, resource.incident, resource_id=resource.pk)
    return resource


def delete_resource(*, actor: str, resource: Resource) -> None:
    _deleted(actor, resource, "incident.resource_changed", "resource_id")
