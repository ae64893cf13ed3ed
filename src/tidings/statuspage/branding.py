"""Branding services: read the one row, change it (validated, with a new publish), and the
forms the page and the emails read it in."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tidings.core import events
from tidings.statuspage import brandrules as rules
from tidings.statuspage.models import Branding

#: A branding change shows on every page: the publisher renders everything for this kind.
EVENT_KIND = "branding.changed"
IMAGES = {"logo": rules.IMAGE_TYPES, "favicon": rules.FAVICON_TYPES}
TEXT_FIELDS = ("accent", "header_bg", "header_fg", "custom_css", "header_links", "footer_links")


def row() -> Branding:
    found = Branding.objects.filter(id=1).first()
    return found if found is not None else Branding(id=1)


def _brand(b: Branding) -> rules.Brand:
    files: dict[str, tuple[bytes, str]] = {}
    paths = {}
    for stem, types in IMAGES.items():
        data, kind = bytes(getattr(b, stem) or b""), getattr(b, f"{stem}_type")
        if data and kind in types:
            path = rules.file_path(stem, data, kind, types)
            files[path] = (data, kind)
            paths[stem] = path
    return rules.Brand(
        logo_path=paths.get("logo", ""),
        favicon_path=paths.get("favicon", ""),
        accent=b.accent,
        header_bg=b.header_bg,
        header_fg=b.header_fg,
        custom_css=b.custom_css,
        header_links=rules.links_of(b.header_links),
        footer_links=rules.links_of(b.footer_links),
        files=files,
    )


def load() -> rules.Brand:
    """The branding as the renderers read it (defaults when none was ever saved)."""
    return _brand(row())


def clean(values: dict[str, Any]) -> dict[str, Any]:
    """The given text fields checked; raises :class:`~brandrules.BrandError` for the first
    refused one. Fields not given are left out."""
    out: dict[str, Any] = {}
    for name in ("accent", "header_bg", "header_fg"):
        if name in values:
            out[name] = rules.check_colour(name, values[name] or "")
    if "custom_css" in values:
        out["custom_css"] = rules.check_css(values["custom_css"] or "")
    for name in ("header_links", "footer_links"):
        if name in values:
            out[name] = rules.check_links(name, values[name])
    return out


def update(*, actor: str, values: dict[str, Any]) -> list[str]:
    """Save the given fields (all checked first: nothing is saved if one is refused) and
    publish; returns the contrast warnings of the colours now in force."""
    cleaned = clean(values)
    with transaction.atomic():
        b = row()
        for k, v in cleaned.items():
            setattr(b, k, v)
        b.save()
        events.record(
            kind=EVENT_KIND, actor=actor, subject_type="branding", subject_id="1",
            fields=sorted(cleaned),
        )  # fmt: skip
    return rules.warnings(b.accent, b.header_bg, b.header_fg)


def set_image(*, actor: str, which: str, data: bytes) -> str:
    """Store an uploaded logo or favicon (type sniffed from the bytes, size bounded)."""
    kind = rules.check_image(which, data, IMAGES[which])
    with transaction.atomic():
        b = row()
        setattr(b, which, data)
        setattr(b, f"{which}_type", kind)
        b.save()
        events.record(
            kind=EVENT_KIND, actor=actor, subject_type="branding", subject_id="1",
            fields=[which],
        )  # fmt: skip
    return kind


def clear_image(*, actor: str, which: str) -> None:
    with transaction.atomic():
        b = row()
        setattr(b, which, b"")
        setattr(b, f"{which}_type", "")
        b.save()
        events.record(
            kind=EVENT_KIND, actor=actor, subject_type="branding", subject_id="1",
            fields=[which],
        )  # fmt: skip


def as_dict(brand: rules.Brand, public_url: str) -> dict[str, Any]:
    """The branding as the API and the emails read it: absolute image URLs, plain links."""

    def links(items: tuple[rules.Link, ...]) -> list[dict[str, Any]]:
        return [{"labels": dict(x.labels), "url": x.url} for x in items]

    return {
        "logo_url": public_url + brand.logo_path if brand.logo_path else "",
        "favicon_url": public_url + brand.favicon_path if brand.favicon_path else "",
        "accent": brand.accent,
        "header_bg": brand.header_bg,
        "header_fg": brand.header_fg,
        "custom_css": brand.custom_css,
        "header_links": links(brand.header_links),
        "footer_links": links(brand.footer_links),
        "warnings": rules.warnings(brand.accent, brand.header_bg, brand.header_fg),
    }


def for_email(lang: str, public_url: str) -> dict[str, Any]:
    """What an email shows, in ``lang``: the logo URL, the colour, the footer links."""
    brand = load()
    return {
        "logo_url": public_url + brand.logo_path if brand.logo_path else "",
        "accent": brand.accent,
        "header_bg": brand.header_bg,
        "header_fg": brand.header_text,
        "footer_links": [{"label": x.label(lang), "url": x.url} for x in brand.footer_links],
    }
