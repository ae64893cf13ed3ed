"""Pure branding rules: what an uploaded image, a colour, custom CSS and a link must be, and
the plain :class:`Brand` the renderers read. No I/O."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from tidings.core.errors import InvalidInput

MAX_IMAGE_BYTES = 256 * 1024
MAX_CSS_BYTES = 16 * 1024
MAX_LINKS = 8
MAX_LABEL = 60
MAX_URL = 500
LANGS = ("en", "he")
#: Raster formats only: an SVG can carry script, and sanitising it is a project of its own.
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg"}
FAVICON_TYPES = {"image/png": "png", "image/x-icon": "ico"}
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
#: Text colours the page and the emails draw on each brand colour.
WHITE = "#ffffff"
MIN_CONTRAST = 4.5  # WCAG AA for body text


class BrandError(InvalidInput):
    """A field's value is refused; ``field`` names it for the form (and the API's 422)."""

    field: str

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


def sniff_image(data: bytes) -> str | None:
    """The image type the bytes really are (never what the uploader claims)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x00\x00\x01\x00") and len(data) >= 22:
        return "image/x-icon"
    return None


def check_image(field_name: str, data: bytes, allowed: dict[str, str]) -> str:
    """The content type of an acceptable upload, or :class:`BrandError`."""
    if not data:
        raise BrandError(field_name, _("Choose a file."))
    if len(data) > MAX_IMAGE_BYTES:
        raise BrandError(
            field_name,
            _("The file is %(size)d KB; the limit is %(limit)d KB.")
            % {"size": (len(data) + 1023) // 1024, "limit": MAX_IMAGE_BYTES // 1024},
        )
    kind = sniff_image(data)
    if kind not in allowed:
        names = ", ".join(v.upper() for v in allowed.values())
        raise BrandError(field_name, _("Upload a %(types)s file.") % {"types": names})
    return kind


def check_colour(field_name: str, value: str) -> str:
    """``#rrggbb`` in lower case, or "" for the default colour."""
    value = (value or "").strip()
    if not value:
        return ""
    if not value.startswith("#"):
        value = "#" + value
    if not _HEX.match(value):
        raise BrandError(field_name, _("Write a colour as #RRGGBB, for example #1a56db."))
    return value.lower()


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def check_css(value: str) -> str:
    """Custom CSS that stays inside the page's ``<style>`` element: nothing can close it."""
    value = (value or "").replace("\r\n", "\n")
    if len(value.encode()) > MAX_CSS_BYTES:
        raise BrandError(
            "custom_css",
            _("Custom CSS is limited to %(limit)d KB.") % {"limit": MAX_CSS_BYTES // 1024},
        )
    # "<" is the only way out of a style element (</style>, <!--); CSS never needs it.
    if "<" in value:
        raise BrandError("custom_css", _("Custom CSS may not contain the character <."))
    return value


def check_links(field_name: str, raw: Any) -> list[dict[str, Any]]:
    """Links as stored: ``[{"labels": {"en": ..., "he": ...}, "url": "https://..."}]``."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_LINKS:
        raise BrandError(field_name, _("At most %(n)d links.") % {"n": MAX_LINKS})
    out = []
    for item in raw:
        labels = item.get("labels") if isinstance(item, dict) else None
        url = str(item.get("url") or "").strip() if isinstance(item, dict) else ""
        if not isinstance(labels, dict):
            raise BrandError(field_name, _("Each link needs a label."))
        clean = {k: str(v).strip() for k, v in labels.items() if k in LANGS and str(v).strip()}
        if not clean.get("en"):
            raise BrandError(field_name, _("Each link needs an English label."))
        if any(len(v) > MAX_LABEL for v in clean.values()):
            raise BrandError(
                field_name, _("A label is limited to %(n)d characters.") % {"n": MAX_LABEL}
            )
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.netloc or len(url) > MAX_URL or " " in url:
            raise BrandError(field_name, _("A link must be an https:// address."))
        out.append({"labels": clean, "url": url})
    return out


def warnings(accent: str, header_bg: str, header_fg: str) -> list[str]:
    """Colours that people will find hard to read (saving them is still allowed)."""
    out = []
    if accent and contrast(accent, WHITE) < MIN_CONTRAST:
        out.append(
            _("Links in the brand colour are hard to read on white (contrast %(r).1f:1; "
              "aim for 4.5:1).") % {"r": contrast(accent, WHITE)}
        )  # fmt: skip
    if header_bg:
        fg = header_fg or text_on(header_bg)
        if contrast(header_bg, fg) < MIN_CONTRAST:
            out.append(
                _("The header text is hard to read on its background (contrast %(r).1f:1; "
                  "aim for 4.5:1).") % {"r": contrast(header_bg, fg)}
            )  # fmt: skip
    return out


def text_on(background: str) -> str:
    """Black or white, whichever reads better on ``background``."""
    return (
        "#ffffff" if contrast(background, WHITE) >= contrast(background, "#000000") else "#111111"
    )


@dataclass(frozen=True)
class Link:
    labels: dict[str, str]
    url: str

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("en", "")


@dataclass(frozen=True)
class Brand:
    """What the page and the emails show; every field optional (empty: Tidings' defaults)."""

    logo_path: str = ""  # "/brand/logo-<hash>.png": a new logo is a new URL, never a stale cache
    favicon_path: str = ""
    accent: str = ""
    header_bg: str = ""
    header_fg: str = ""
    custom_css: str = ""
    header_links: tuple[Link, ...] = ()
    footer_links: tuple[Link, ...] = ()
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # path -> (body, type)

    @property
    def header_text(self) -> str:
        return self.header_fg or (text_on(self.header_bg) if self.header_bg else "")


def file_path(stem: str, data: bytes, content_type: str, types: dict[str, str]) -> str:
    digest = hashlib.blake2b(data, digest_size=6).hexdigest()
    return f"/brand/{stem}-{digest}.{types[content_type]}"


def links_of(raw: Any) -> tuple[Link, ...]:
    return tuple(Link(labels=dict(x["labels"]), url=x["url"]) for x in raw or ())
