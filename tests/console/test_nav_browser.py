"""Finding a screen at 3 a.m.: on a phone every screen the role may use is one tap behind the
menu button, by section, with nothing scrolled sideways; on a wide screen every link shows. In
real Chromium, in English and in Hebrew."""

from __future__ import annotations

from typing import Any

import pytest

from tests.console.conftest import IN_CHROMIUM

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = IN_CHROMIUM

WORDS = {
    "en": {"menu": "Menu", "sections": ["Crisis", "Setup", "People", "Administration"],
           "now": "Now", "components": "Components", "staff": "Staff"},
    "he": {"menu": "תפריט", "sections": ["משבר", "הגדרות", "אנשים", "ניהול"],
           "now": "עכשיו", "components": "רכיבים", "staff": "צוות"},
}  # fmt: skip

NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth + 1"


@pytest.mark.parametrize("lang", ["en", "he"])
def test_on_a_phone_every_screen_is_behind_the_menu_by_section(
    signed_in: Any, rina: Any, lang: str
) -> None:
    w = WORDS[lang]
    page = signed_in("rina")
    if lang == "he":
        page.click("button.lang-switch")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    menu = page.locator("nav details.menu")
    expect(page.locator("nav .strip")).to_be_hidden()  # no strip of links scrolled sideways
    expect(menu.locator("summary")).to_contain_text(w["menu"])
    expect(menu.locator("summary .here")).to_have_text(w["now"])  # where she is
    menu.locator("summary").click()
    expect(menu.locator(".menu-section h2")).to_have_text(w["sections"])
    links = menu.locator(".menu-section a")
    expect(links).to_have_count(16)  # an administrator may use every screen
    for i in range(16):
        box = links.nth(i).bounding_box()
        assert box is not None and box["height"] >= 40  # a thumb's target
        assert box["x"] >= 0 and box["x"] + box["width"] <= 391  # all on screen, none clipped
    assert page.evaluate(NO_SIDEWAYS)
    menu.get_by_role("link", name=w["components"], exact=True).click()
    page.wait_for_url("**/console/components")
    expect(page.locator("nav details.menu summary .here")).to_have_text(w["components"])
    expect(page.locator("nav details.menu")).not_to_have_attribute("open", "")  # closed again


def test_the_menu_lists_only_what_the_role_may_use(signed_in: Any, dana: Any) -> None:
    page = signed_in("dana")  # communications: not the staff list or the audit log
    page.locator("nav details.menu summary").click()
    names = page.locator("nav details.menu .menu-section a").all_inner_texts()
    assert "Now" in names and "Declare" in names
    assert WORDS["en"]["staff"] not in names and "Audit log" not in names
    assert "API tokens" in names  # her own tokens
    strip = page.locator("nav .strip a").all_inner_texts()  # the wide screen's row: the same
    assert sorted(strip) == sorted(names)


def test_on_a_wide_screen_every_link_shows_in_the_bar(signed_in: Any, rina: Any) -> None:
    page = signed_in("rina", phone=False)
    expect(page.locator("nav details.menu")).to_be_hidden()
    links = page.locator("nav .strip a")
    expect(links).to_have_count(16)
    width = page.evaluate("window.innerWidth")
    for i in range(16):
        expect(links.nth(i)).to_be_visible()
        box = links.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert page.evaluate(NO_SIDEWAYS)
    links.get_by_text("Components", exact=True).click()
    page.wait_for_url("**/console/components")
    expect(page.locator("nav .strip a[aria-current=page]")).to_have_text("Components")
