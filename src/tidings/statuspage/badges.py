"""Shields-style status badges (``/badge.svg``, ``/badge/<slug>.svg``), rendered at publish
time. Pure: text in, SVG out; every text is escaped."""

from __future__ import annotations

from html import escape

from django.utils import translation
from django.utils.translation import gettext as _

#: The shields.io palette, by overall indicator and by component status.
COLOURS = {
    "none": "#44cc11", "operational": "#44cc11",
    "maintenance": "#007ec6", "under_maintenance": "#007ec6",
    "minor": "#dfb317", "degraded_performance": "#dfb317",
    "major": "#fe7d37", "partial_outage": "#fe7d37",
    "critical": "#e05d44", "major_outage": "#e05d44",
}  # fmt: skip
_NARROW = set("fijlrtI.,:;!|'()[] ")
_WIDE = set("mwMW@%")
_HEIGHT = 20
_PAD = 6


def messages() -> dict[str, str]:
    """Short words for a badge, in the active language."""
    return {
        "none": _("operational"), "operational": _("operational"),
        "maintenance": _("maintenance"), "under_maintenance": _("maintenance"),
        "minor": _("degraded"), "degraded_performance": _("degraded"),
        "major": _("partial outage"), "partial_outage": _("partial outage"),
        "critical": _("major outage"), "major_outage": _("major outage"),
    }  # fmt: skip


def text_width(text: str) -> int:
    """An estimate of ``text``'s width in 11px Verdana, the shields font, in pixels."""
    width = 0.0
    for ch in text:
        if ch in _NARROW:
            width += 3.9
        elif ch in _WIDE:
            width += 10.0
        elif ch.isupper() or ch.isdigit():
            width += 7.4
        else:
            width += 6.6
    return int(width + 0.999)


def svg(label: str, message: str, colour: str, *, rtl: bool = False) -> str:
    """A two-part badge: ``label`` on grey, ``message`` on ``colour``; right to left, the
    label sits on the right."""
    lw, mw = text_width(label) + 2 * _PAD, text_width(message) + 2 * _PAD
    total = lw + mw
    lx, mx = (mw, 0) if rtl else (0, lw)
    title = escape(f"{label}: {message}")
    direction = ' direction="rtl"' if rtl else ""

    def text(x: int, w: int, s: str) -> str:
        c = x + w / 2
        s = escape(s)
        return (
            f'<text x="{c:g}" y="15" fill="#010101" fill-opacity=".3"{direction}>{s}</text>'
            f'<text x="{c:g}" y="14"{direction}>{s}</text>'
        )

    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="{_HEIGHT}" '
        f'role="img" aria-label="{title}"><title>{title}</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="{_HEIGHT}" rx="3" fill="#fff"/>'
        '</clipPath><g clip-path="url(#r)">'
        f'<rect x="{lx}" width="{lw}" height="{_HEIGHT}" fill="#555"/>'
        f'<rect x="{mx}" width="{mw}" height="{_HEIGHT}" fill="{escape(colour)}"/>'
        f'<rect width="{total}" height="{_HEIGHT}" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,'
        'sans-serif" text-rendering="geometricPrecision" font-size="11">'
        f"{text(lx, lw, label)}{text(mx, mw, message)}</g></svg>"
    )


def badges(*, lang: str, indicator: str, components: list[tuple[str, str, str]]) -> dict[str, str]:
    """Every badge of one language, by path relative to the language prefix: the overall
    one and one per component (``(slug, name, status)``)."""
    rtl = lang == "he"
    with translation.override(lang):
        words = messages()
        out = {"/badge.svg": svg(_("status"), words[indicator], COLOURS[indicator], rtl=rtl)}
        for slug, name, status in components:
            out[f"/badge/{slug}.svg"] = svg(name, words[status], COLOURS[status], rtl=rtl)
    return out
