"""The honesty checks as a step of the publishing path: read the draft as it would be
published, run :mod:`tidings.incidents.honesty`, refuse it while a warning is not overridden
with a reason. The word lists staff edit live here too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tidings.core import clock
from tidings.core.errors import InvalidInput
from tidings.incidents import honesty, stored_settings
from tidings.incidents.models import HonestyWords

if TYPE_CHECKING:
    from tidings.incidents.publishing import Draft

LANGUAGES = ("en", "he")


class HonestyWarnings(InvalidInput):
    """The draft trips honesty checks the author has not overridden (422)."""

    def __init__(self, warnings: list[honesty.Warning]) -> None:
        super().__init__(" ".join(w.message for w in warnings), field=warnings[0].field)
        self.warnings = warnings


def word_lists() -> dict[str, list[str]]:
    """The minimising words per language: staff's list, or the shipped one until edited."""
    saved = stored_settings.stored().words
    return {lang: list(saved.get(lang, honesty.DEFAULT_WORDS.get(lang, ()))) for lang in LANGUAGES}


def set_words(*, actor: str, language: str, words: list[str]) -> list[str]:
    from tidings.core import events

    if language not in LANGUAGES:
        raise InvalidInput(
            f"language must be one of {', '.join(LANGUAGES)}, not {language!r}", field="language"
        )
    cleaned = honesty.clean_words(words)
    HonestyWords.objects.update_or_create(
        language=language,
        defaults={"words": cleaned, "updated_at": clock.now(), "updated_by": actor},
    )
    stored_settings.changed()
    events.record(
        kind="honesty.words_changed", actor=actor, subject_type="honesty_words",
        subject_id=language, words=cleaned, public=False,
    )  # fmt: skip
    return cleaned


def subject_of(draft: Draft) -> honesty.Subject:
    from tidings.incidents.publishing import latest_update, prepare

    p = prepare(incident=draft.incident, **draft.fields)
    incident = draft.incident
    previous = latest_update(incident) if incident is not None else None
    confidence = draft.confidence or (incident.eta_confidence if incident else "")
    confidence = confidence or str(draft.fields.get("eta_confidence") or "")
    data_impact = bool(draft.fields.get("data_impact")) or bool(incident and incident.data_impact)
    return honesty.Subject(
        status=p.status,
        bodies=p.bodies,
        next_update_due_at=p.next_update_due_at,
        confidence=confidence,
        data_impact=data_impact,
        previous=dict(previous.bodies) if previous else {},
        components={c.name: status for c, status in p.targets},
        words=word_lists(),
    )


def honesty_check(draft: Draft) -> None:
    """A :data:`tidings.incidents.publishing.CHECKS` step: refuse a draft with warnings not
    overridden; note the codes that were overridden, for the record. A maintenance is
    planned work announced ahead ("briefly unavailable" is the plan there, not minimising), so
    only incidents are checked."""
    if draft.incident is not None and draft.incident.kind != "incident":
        return
    warnings = honesty.run(subject_of(draft))
    left = honesty.unanswered(warnings, draft.overrides)
    if left:
        raise HonestyWarnings(left)
    draft.overridden.update({w.code: draft.overrides[w.code].strip() for w in warnings})
