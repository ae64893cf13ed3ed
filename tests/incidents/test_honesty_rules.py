"""Each honesty check, in English and in Hebrew: it warns on the dishonest draft, stays quiet on
the honest one, and speaks the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import translation

from tidings.incidents import honesty
from tidings.incidents.honesty import DEFAULT_WORDS, Subject

LATER = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
WORDS = {k: list(v) for k, v in DEFAULT_WORDS.items()}


def codes(**kw: object) -> list[str]:
    kw.setdefault("next_update_due_at", LATER)
    kw.setdefault("words", WORDS)
    return [w.code for w in honesty.run(Subject(**kw))]  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", ["en", "he"])
def test_no_next_update_time_is_warned_while_open(lang: str) -> None:
    body = {lang: "x"}
    assert codes(status="investigating", bodies=body, next_update_due_at=None) == ["no_next_update"]
    assert codes(status="investigating", bodies=body) == []
    assert codes(status="resolved", bodies=body, next_update_due_at=None) == []


# Per language: a sentence that promises a time, and one that does not.
ETAS = {
    "en": [
        ("We expect service to be restored by 14:30 UTC.", "We are still investigating."),
        ("ETA: two hours.", "No estimate yet."),
        ("It should be fixed within 2 hours.", "We will write again."),
    ],
    "he": [
        ("השירות צפוי לחזור עד השעה 14:30.", "אנחנו עדיין בודקים."),
        ("נתקן תוך שעתיים.", "אין עדיין הערכת זמן."),
    ],
}


@pytest.mark.parametrize(
    ("lang", "eta", "plain"), [(lang, *case) for lang, cases in ETAS.items() for case in cases]
)
def test_an_eta_with_low_confidence_is_warned(lang: str, eta: str, plain: str) -> None:
    assert codes(status="identified", bodies={lang: eta}, confidence="low") == [
        "eta_low_confidence"
    ]
    assert codes(status="identified", bodies={lang: eta}, confidence="high") == []
    assert codes(status="identified", bodies={lang: plain}, confidence="low") == []


@pytest.mark.parametrize(
    ("lang", "silent", "stated"),
    [
        ("en", "All fixed. Thank you for your patience.", "No customer data was lost or exposed."),
        ("he", "הכול תוקן. תודה על הסבלנות.", "שום מידע של לקוחות לא נחשף ולא אבד."),
    ],
)
def test_resolving_a_data_incident_needs_a_data_statement(
    lang: str, silent: str, stated: str
) -> None:
    assert codes(status="resolved", bodies={lang: silent}, data_impact=True) == [
        "data_impact_unstated"
    ]
    assert codes(status="resolved", bodies={lang: stated}, data_impact=True) == []
    assert codes(status="resolved", bodies={lang: silent}, data_impact=False) == []
    assert codes(status="monitoring", bodies={lang: silent}, data_impact=True) == []


def test_every_language_must_state_the_data_impact() -> None:
    bodies = {"en": "No data was exposed.", "he": "הכול תוקן."}
    assert codes(status="resolved", bodies=bodies, data_impact=True) == ["data_impact_unstated"]


@pytest.mark.parametrize(
    ("lang", "minimising", "phrase", "honest"),
    [
        ("en", "A minor glitch affected only a few users.", "minor glitch", "Logins failed for 4% of users."),
        ("en", "A third party caused this.", "a third party", "Our payment provider failed; we chose it."),
        ("he", "הייתה תקלה קטנה אצל צד שלישי.", "תקלה קטנה", "ההתחברות נכשלה ל-4% מהמשתמשים."),
        ("he", "רק מספר קטן של משתמשים נפגע.", "מספר קטן של משתמשים", "נפגעו כ-3,000 משתמשים."),
    ],
)  # fmt: skip
def test_minimising_or_blaming_words_are_warned(
    lang: str, minimising: str, phrase: str, honest: str
) -> None:
    found = honesty.run(Subject(status="identified", bodies={lang: minimising}, next_update_due_at=LATER, words=WORDS))  # fmt: skip
    assert [w.code for w in found] == ["minimising_words"]
    assert phrase in found[0].message and found[0].field == "body"
    assert codes(status="identified", bodies={lang: honest}) == []


def test_the_word_list_is_whole_words_and_staffs_own() -> None:
    assert codes(status="identified", bodies={"en": "He briefs us hourly."}) == []
    mine = {"en": ["hiccup"], "he": ["שיהוק"]}
    assert codes(status="identified", bodies={"en": "A small Hiccup."}, words=mine) == [
        "minimising_words"
    ]
    assert codes(status="identified", bodies={"he": "היה שיהוק."}, words=mine) == [
        "minimising_words"
    ]
    assert codes(status="identified", bodies={"en": "A minor glitch."}, words=mine) == []


@pytest.mark.parametrize(
    ("lang", "text"), [("en", "We are investigating."), ("he", "אנחנו בודקים.")]
)
def test_a_body_repeating_the_previous_update_is_warned(lang: str, text: str) -> None:
    again = "  " + text.replace(" ", "\n ") + " "
    assert codes(status="identified", bodies={lang: again}, previous={lang: text}) == [
        "repeats_previous"
    ]
    assert codes(status="identified", bodies={lang: text + " More."}, previous={lang: text}) == []


@pytest.mark.parametrize("lang", ["en", "he"])
def test_resolved_with_components_still_in_outage_is_warned(lang: str) -> None:
    found = honesty.run(
        Subject(
            status="resolved", bodies={lang: "x"},
            components={"API": "partial_outage", "Website": "operational"},
        )
    )  # fmt: skip
    assert [(w.code, w.field) for w in found] == [("outage_on_resolved", "components")]
    assert "API" in found[0].message and "Website" not in found[0].message
    assert codes(status="monitoring", bodies={lang: "x"}, components={"API": "major_outage"}) == []


def test_messages_are_in_the_readers_language() -> None:
    s = Subject(status="investigating", bodies={"en": "A minor glitch."}, words=WORDS)
    with translation.override("en"):
        en = {w.code: w.message for w in honesty.run(s)}
    with translation.override("he"):
        he = {w.code: w.message for w in honesty.run(s)}
    assert set(en) == set(he) == {"no_next_update", "minimising_words"}
    assert "next" in en["no_next_update"]
    assert "הבא" in he["no_next_update"] and "minor glitch" in he["minimising_words"]


def test_a_warning_is_answered_only_by_a_reason() -> None:
    ws = honesty.run(Subject(status="investigating", bodies={"en": "x"}))
    assert [w.code for w in honesty.unanswered(ws, {"no_next_update": "  "})] == ["no_next_update"]
    assert honesty.unanswered(ws, {"no_next_update": "we do not know yet"}) == []


def test_word_lists_are_cleaned() -> None:
    assert honesty.clean_words([" minor  glitch ", "", "Minor glitch", "a third party"]) == [
        "minor glitch",
        "a third party",
    ]
