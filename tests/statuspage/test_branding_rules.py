"""What branding accepts and refuses, and the badges' SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.statuspage.brandkit import png
from tidings.statuspage import badges
from tidings.statuspage import brandrules as rules


def test_a_png_or_jpeg_logo_is_accepted_by_its_bytes_not_its_name():
    assert rules.check_image("logo", png(), rules.IMAGE_TYPES) == "image/png"
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 100
    assert rules.check_image("logo", jpeg, rules.IMAGE_TYPES) == "image/jpeg"


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"GIF89a......",
        b"<html><script>alert(1)</script></html>",
        b"",
    ],
)
def test_anything_but_a_raster_image_is_refused(data):
    with pytest.raises(rules.BrandError) as e:
        rules.check_image("logo", data, rules.IMAGE_TYPES)
    assert e.value.field == "logo"


def test_an_image_over_the_size_limit_is_refused_with_the_sizes():
    big = png() + b"\x00" * rules.MAX_IMAGE_BYTES
    with pytest.raises(rules.BrandError) as e:
        rules.check_image("logo", big, rules.IMAGE_TYPES)
    assert "256 KB" in e.value.message


def test_colours_are_hex_and_normalised():
    assert rules.check_colour("accent", "#1A56DB") == "#1a56db"
    assert rules.check_colour("accent", "1a56db") == "#1a56db"
    assert rules.check_colour("accent", "") == ""
    for bad in ("red", "#12345", "#12345g", "#1a56db;}body{display:none"):
        with pytest.raises(rules.BrandError):
            rules.check_colour("accent", bad)


def test_poor_contrast_is_warned_about_not_refused():
    assert rules.warnings("#1a56db", "#0b3d2e", "") == []
    assert len(rules.warnings("#ffff00", "", "")) == 1  # yellow links on white
    assert len(rules.warnings("", "#777777", "#888888")) == 1
    assert rules.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert rules.text_on("#ffee00") != "#ffffff"


@pytest.mark.parametrize(
    "css", ["</style><script>alert(1)</script>", "a{}</STYLE >", "<!-- x", "/* < */"]
)
def test_custom_css_cannot_leave_its_style_element(css):
    with pytest.raises(rules.BrandError):
        rules.check_css(css)


def test_custom_css_is_size_limited():
    assert rules.check_css("a{color:red}") == "a{color:red}"
    with pytest.raises(rules.BrandError):
        rules.check_css("a{}" * rules.MAX_CSS_BYTES)


def test_links_need_an_english_label_and_an_https_address():
    ok = rules.check_links(
        "header_links",
        [{"labels": {"en": " Docs ", "he": "תיעוד", "fr": "x"}, "url": "https://d.test"}],
    )
    assert ok == [{"labels": {"en": "Docs", "he": "תיעוד"}, "url": "https://d.test"}]
    for bad in (
        [{"labels": {"he": "תיעוד"}, "url": "https://d.test"}],
        [{"labels": {"en": "Docs"}, "url": "javascript:alert(1)"}],
        [{"labels": {"en": "Docs"}, "url": "http://d.test"}],
        [{"labels": {"en": "Docs"}, "url": "https://d.test"}] * (rules.MAX_LINKS + 1),
        "nope",
    ):
        with pytest.raises(rules.BrandError):
            rules.check_links("header_links", bad)


def test_a_badge_is_well_formed_svg_with_its_label_and_colour():
    out = badges.badges(
        lang="en", indicator="major", components=[("api", 'A<P>I "&', "major_outage")]
    )
    root = ET.fromstring(out["/badge.svg"])
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("aria-label") == "status: partial outage"
    assert "#fe7d37" in out["/badge.svg"]
    comp = ET.fromstring(out["/badge/api.svg"])  # the name is escaped, the SVG stays valid
    assert comp.get("aria-label") == 'A<P>I "&: major outage'
    assert "<P>" not in out["/badge/api.svg"]
    assert int(comp.get("width")) > int(root.get("width")) - 40


def test_a_hebrew_badge_is_in_hebrew_with_the_label_on_the_right():
    out = badges.badges(lang="he", indicator="none", components=[])
    root = ET.fromstring(out["/badge.svg"])
    ns = "{http://www.w3.org/2000/svg}"
    rects = root.findall(f"{ns}g/{ns}rect")
    assert rects[0].get("fill") == "#555"  # the label's part...
    assert int(rects[0].get("x")) > 0  # ...on the right
    assert "סטטוס" in root.get("aria-label")  # noqa: RUF001
