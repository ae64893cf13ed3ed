"""Admin forms for text kept per language in a JSON field (``{"en": "...", "he": "..."}``):
one ordinary text box per language instead of a JSON box (which showed new rows as "null"
and asked staff to type JSON). Each language's box is checked like the API checks it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tidings.core import text
from tidings.core.admin import CheckedTextForm


def languages() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


def per_language(name: str) -> tuple[str, ...]:
    """The form fields of ``name``, one per language: ``name__en``, ``name__he``."""
    return tuple(f"{name}__{code}" for code, _label in languages())


def localized_form(
    *,
    localized: dict[str, str],
    plain: dict[str, str] | None = None,
    required: tuple[str, ...] = (),
    multi_line: tuple[str, ...] = (),
    single_line: tuple[str, ...] = (),
) -> type[CheckedTextForm]:
    """A form with a box per language for each ``localized`` name (form name -> the JSON
    field it fills). ``plain`` names a model field that holds the default language's text
    too (``{"title": "title"}``: ``Incident.title``). ``required`` need text in one language
    at least; ``multi_line`` ones get a text area. Other fields are checked as in
    :func:`tidings.core.admin.checked_form`."""
    plains: dict[str, str] = plain or {}
    attrs = _boxes(localized, multi_line)
    boxes = tuple(f for name in localized for f in per_language(name))
    lines = tuple(f for name in localized if name not in multi_line for f in per_language(name))

    class LocalizedForm(CheckedTextForm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.packed: dict[str, dict[str, str]] = {}
            for name, field in localized.items():
                value = _current(self.instance, field, plains.get(name, ""))
                for code, box in zip(_codes(), per_language(name), strict=True):
                    self.initial.setdefault(box, value.get(code, ""))

        def clean(self) -> dict[str, Any]:
            data = super().clean()
            for name in localized:
                value = {c: data[f] for c, f in zip(_codes(), per_language(name), strict=True)
                         if isinstance(data.get(f), str) and data[f]}  # fmt: skip
                if name in required and not value and not self.errors:
                    self.add_error(per_language(name)[0], _("Write it in one language at least."))
                self.packed[name] = value
            return data

        def _post_clean(self) -> None:
            for name, field in localized.items():
                value = self.packed.get(name)
                if value is None:
                    continue
                setattr(self.instance, field, value)
                if name in plains:
                    setattr(self.instance, plains[name], text.default_text(value))
            super()._post_clean()  # type: ignore[misc]

    for key, value in attrs.items():
        LocalizedForm.base_fields[key] = value
        LocalizedForm.declared_fields[key] = value
    LocalizedForm.single_line = (*single_line, *lines)
    LocalizedForm.multi_line = (*multi_line, *(b for b in boxes if b not in lines))
    return LocalizedForm


def _boxes(localized: dict[str, str], multi_line: tuple[str, ...]) -> dict[str, forms.Field]:
    out: dict[str, forms.Field] = {}
    for name in localized:
        for code, label in languages():
            widget: forms.Widget = (
                forms.Textarea(attrs={"rows": 3, "lang": code, "dir": "auto"})
                if name in multi_line
                else forms.TextInput(attrs={"lang": code, "dir": "auto", "size": 60})
            )
            out[f"{name}__{code}"] = forms.CharField(
                label=f"{name.replace('_', ' ').capitalize()} ({label})", required=False,
                widget=widget,
            )  # fmt: skip
    return out


def _current(instance: Any, field: str, plain: str) -> dict[str, str]:
    """The texts a row holds now; a row made before it kept them per language has only its
    plain field, in the default language."""
    value: dict[str, str] = getattr(instance, field, None) or {}
    default = str(getattr(instance, plain, "") or "") if plain else ""
    return value or ({settings.LANGUAGE_CODE: default} if default else {})


def _codes() -> list[str]:
    return [code for code, _label in languages()]
