"""Single customer and contact values, checked and put in canonical form: one cell of a CSV
import or one field of the API. Pure; the caller says what exists (:class:`Vocabulary`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tidings.core import text
from tidings.core.errors import InvalidInput

LIST_SEP = ";"
DEFAULT_LANGUAGE = "en"
_LIMITS = {"customer": 200, "contract_ref": 100, "contact_name": 200, "role": 100, "email": 254}
_TRUE = {"true", "yes", "y", "1", "x", "כן"}
_FALSE = {"false", "no", "n", "0", "לא", ""}
# A spreadsheet runs a cell that starts with one of these as a formula; exports quote them with
# a leading apostrophe, which an import takes off again.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Separators people type, and the invisible direction marks copying from Hebrew text adds; the
# same rule as the SMS and WhatsApp channels (notify/twilio.py), so an imported number sends.
_PHONE_JUNK = re.compile(r"[\s()\-./\u2010-\u2015\u2212\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_E164 = re.compile(r"\+[1-9]\d{7,14}")
_email = EmailValidator()


class BadValue(ValueError):
    """One cell (or API field) holds a value that cannot be used; the message says why."""


@dataclass(frozen=True)
class Vocabulary:
    """What a file may name: the caller reads these from the database."""

    plans: frozenset[str]
    languages: Mapping[str, str]  # lower-case code or name -> code
    channels: frozenset[str]
    components: Mapping[str, str]  # public id -> public id, and lower-case name -> public id
    ambiguous_components: frozenset[str] = frozenset()  # lower-case names several share
    managers: Mapping[str, str] = field(default_factory=dict)  # username and lower-case -> username
    #: Usernames (among ``managers``) that still manage customers but are no longer active
    #: staff: an exported file names them, so it re-imports; they take on no new customer.
    former_managers: frozenset[str] = frozenset()


def clean_text(value: str, column: str) -> str:
    """One line of text (every text column is one): see :func:`tidings.core.text.clean`."""
    try:
        value = unquote_formula(text.line(value, field=column))
    except InvalidInput as exc:
        raise BadValue(exc.message) from None
    limit = _LIMITS.get(column)
    if limit and len(value) > limit:
        raise BadValue(
            _("%(column)s is %(length)d characters long; the limit is %(limit)d")
            % {"column": column, "length": len(value), "limit": limit}
        )
    return value


def clean_email(value: str) -> str:
    value = clean_text(value, "email")
    if value:
        try:
            _email(value)
        except ValidationError:
            raise BadValue(
                _("%(value)s is not a valid email address") % {"value": repr(value)}
            ) from None
    return value


def normalise_phone(value: str) -> str:
    """E.164 from what people type: spaces, dashes, dots, brackets and a leading 00 go."""
    raw = value.strip()
    if not raw:
        return ""
    digits = _PHONE_JUNK.sub("", unquote_formula(raw))
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not _E164.fullmatch(digits):
        raise BadValue(
            _(
                "phone %(value)s is not in international (E.164) form: "
                "a + and the country code, e.g. +972501234567"
            )
            % {"value": repr(raw)}
        )
    return digits


def clean_language(value: str, vocab: Vocabulary) -> str:
    v = value.strip()
    if not v:
        return DEFAULT_LANGUAGE
    code = vocab.languages.get(v.casefold())
    if code is None:
        choices = ", ".join(sorted(set(vocab.languages.values())))
        raise BadValue(
            _("unknown language %(value)s; use %(choices)s")
            % {"value": repr(v), "choices": choices}
        )
    return code


def clean_channels(values: Iterable[str], vocab: Vocabulary) -> list[str]:
    out: list[str] = []
    unknown: list[str] = []
    for v in values:
        ch = v.strip().casefold()
        if not ch or ch in out:
            continue
        (out if ch in vocab.channels else unknown).append(ch)
    if unknown:
        raise BadValue(
            ngettext(
                "unknown channel %(names)s; use %(choices)s",
                "unknown channels %(names)s; use %(choices)s",
                len(unknown),
            )
            % {"names": ", ".join(map(repr, unknown)), "choices": ", ".join(sorted(vocab.channels))}
        )
    # "none" records that a contact turned every channel off; beside a real channel it is moot.
    return [ch for ch in out if ch != "none"] if len(out) > 1 else out


def check_channel_targets(channels: Sequence[str], *, email: str, phone: str) -> None:
    """The channels a contact is reached on need the address they send to."""
    if "email" in channels and not email:
        raise BadValue(_("channel 'email' needs an email address"))
    for ch in ("sms", "whatsapp"):
        if ch in channels and not phone:
            raise BadValue(_("channel %(channel)s needs a phone number") % {"channel": repr(ch)})


def clean_plan(value: str, vocab: Vocabulary) -> str:
    v = value.strip().casefold()
    if v not in vocab.plans:
        raise BadValue(
            _("unknown plan %(value)s; use %(choices)s")
            % {"value": repr(value.strip()), "choices": ", ".join(sorted(vocab.plans))}
        )
    return v


def clean_bool(value: str, column: str) -> bool:
    v = value.strip().casefold()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise BadValue(
        _("%(column)s must be yes or no (true/false, 1/0), not %(value)s")
        % {"column": column, "value": repr(value.strip())}
    )


def clean_manager(value: str, vocab: Vocabulary) -> str:
    v = unquote_formula(value.strip())
    if not v:
        return ""
    found = vocab.managers.get(v) or vocab.managers.get(v.casefold())
    if found is None:
        raise BadValue(
            _("unknown account manager %(value)s: no active staff user has that username")
            % {"value": repr(v)}
        )
    return found


def clean_components(values: Iterable[str], vocab: Vocabulary) -> list[str]:
    out: list[str] = []
    unknown: list[str] = []
    ambiguous: list[str] = []
    for v in values:
        name = unquote_formula(v.strip())
        if not name:
            continue
        if name in vocab.components:
            cid = vocab.components[name]
        elif name.casefold() in vocab.ambiguous_components:
            ambiguous.append(name)
            continue
        elif name.casefold() in vocab.components:
            cid = vocab.components[name.casefold()]
        else:
            unknown.append(name)
            continue
        if cid not in out:
            out.append(cid)
    if unknown:
        raise BadValue(
            ngettext("unknown component %(names)s", "unknown components %(names)s", len(unknown))
            % {"names": ", ".join(map(repr, unknown))}
        )
    if ambiguous:
        raise BadValue(
            _("several components are called %(names)s; use the id")
            % {"names": ", ".join(map(repr, ambiguous))}
        )
    return out


def split_list(value: str) -> list[str]:
    return [v for v in (p.strip() for p in value.split(LIST_SEP)) if v]


def unquote_formula(value: str) -> str:
    if value.startswith("'") and value[1:2] and value[1] in FORMULA_START:
        return value[1:]
    return value
