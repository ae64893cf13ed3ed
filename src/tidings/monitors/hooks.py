"""Staff event hooks: where Tidings' own events go (see :mod:`outbound`)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tidings.core import clock, events
from tidings.core.errors import InvalidInput, NotFound
from tidings.monitors.models import EventHook
from tidings.notify.protocol import InvalidTarget
from tidings.notify.registry import channel_class


def create_hook(*, actor: str, kind: str, url: str, language: str = "en") -> EventHook:
    if kind not in EventHook.KINDS:
        raise InvalidInput(
            _("an event hook is one of %(kinds)s") % {"kinds": ", ".join(EventHook.KINDS)},
            field="kind",
        )
    if language not in ("en", "he"):
        raise InvalidInput(_("language is en or he"), field="language")
    try:
        url = channel_class(kind).normalise_target(url)
    except InvalidTarget as exc:
        raise InvalidInput(str(exc)) from None
    hook = EventHook.objects.create(kind=kind, url=url, language=language, created_at=clock.now())
    events.record(kind="event_hook.created", actor=actor, subject_type="event_hook",
                  subject_id=hook.public_id, public=False, hook_kind=kind)  # fmt: skip
    return hook


def delete_hook(*, actor: str, public_id: str) -> None:
    hook = EventHook.objects.filter(public_id=public_id).first()
    if hook is None:
        raise NotFound(_("no event hook %(id)s") % {"id": repr(public_id)})
    events.record(kind="event_hook.deleted", actor=actor, subject_type="event_hook",
                  subject_id=hook.public_id, public=False)  # fmt: skip
    hook.delete()
