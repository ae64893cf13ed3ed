"""Small real images and a branded site for the branding tests."""

from __future__ import annotations

import struct
import zlib

from tidings.statuspage import branding


def png(width: int = 4, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real PNG of one colour, built by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


LINKS = [
    {"labels": {"en": "Help centre", "he": "מרכז העזרה"}, "url": "https://help.acme.test/"},
]
FOOTER = [
    {"labels": {"en": "Privacy", "he": "פרטיות"}, "url": "https://acme.test/privacy"},
]


def brand_it() -> bytes:
    """Give the site a logo, colours, CSS and links; returns the logo's bytes."""
    logo = png(40, 20)
    branding.set_image(actor="dana", which="logo", data=logo)
    branding.set_image(actor="dana", which="favicon", data=png(16, 16, (0, 0, 200)))
    branding.update(
        actor="dana",
        values={
            "accent": "#7a1fa2",
            "header_bg": "#0b3d2e",
            "custom_css": ".banner{letter-spacing:.02em}",
            "header_links": LINKS,
            "footer_links": FOOTER,
        },
    )
    return logo
