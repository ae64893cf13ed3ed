"""What a person sees, in real headless Chromium driven by Playwright against `tidings edge`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import published
from tests.statuspage.conftest import CHROMIUM, served_by_edge
from tidings.incidents import services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs the system Chromium: apt-get install chromium"
    ),
]


@pytest.fixture
def site(now: Any, tmp_path: Path, outage: Any) -> Iterator[tuple[str, Any]]:
    """The demo-like site published and served by a real edge process; yields (base URL, settings)."""
    with served_by_edge(tmp_path / "data", live_refresh_seconds=1) as served:
        yield served


def test_a_visitor_sees_the_outage_the_promise_and_the_uptime_bars(browser, site, outage):
    base, _ = site
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
    page.goto(base + "/")
    assert page.locator("#overall").inner_text() == "Partial System Outage"
    incident = page.locator("article.incident", has_text="Elevated API errors")
    assert incident.is_visible()
    assert incident.locator(".next-update").inner_text().startswith("Next update by")
    api_bars = page.locator(".component", has_text="API").first.locator(".bars li")
    assert api_bars.count() == 90
    assert api_bars.last.get_attribute("class") == "major"  # today, partially down
    assert api_bars.last.is_visible()
    page.close()


def test_hebrew_visitors_get_a_right_to_left_page(browser, site, outage):
    base, _ = site
    context = browser.new_context(locale="he-IL", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base + "/")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    title = page.locator("header.top h1").bounding_box()
    assert title["x"] > 1280 / 2  # the site title sits on the right
    assert page.get_by_text("חלק מהקריאות ל-API נכשלות").is_visible()
    # the newest day is at the left end of the bars in right-to-left order
    bars = page.locator(".component", has_text="API").first.locator(".bars li")
    assert bars.last.bounding_box()["x"] < bars.first.bounding_box()["x"]
    context.close()


def test_the_language_switch_is_remembered(browser, site):
    base, _ = site
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(base + "/")
    page.locator("a.lang-switch").click()
    page.wait_for_url(base + "/he/")
    assert page.evaluate("document.documentElement.lang") == "he"
    page.goto(base + "/")  # no prefix: the cookie set by the switch decides
    assert page.evaluate("document.documentElement.lang") == "he"
    context.close()


def test_the_page_fits_a_phone(browser, site, outage):
    base, _ = site
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(base + "/")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    assert page.locator("article.incident", has_text="Elevated API errors").is_visible()
    context.close()


def _identified(settings: Any, outage: Any, body: str) -> None:
    """Dana posts an "identified" update, and the page is published with it."""
    services.post_update(actor="dana", incident=outage, status="identified", body=body)
    published(settings)


def test_updates_appear_without_reloading_the_page(browser, site, outage):
    base, settings = site
    page = browser.new_page()
    refused: list[str] = []  # what the Content-Security-Policy blocked, as Chromium reports it
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(base + "/")
    # status.js ran (under the edge's policy): it turned the times into the visitor's own.
    assert page.locator("time[data-local]").first.get_attribute("title")
    page.evaluate("window.__sameDocument = 42")
    _identified(settings, outage, "We found a failing storage node and are moving traffic.")
    page.get_by_text("We found a failing storage node").wait_for(timeout=10_000)
    assert page.evaluate("window.__sameDocument") == 42  # same document: refreshed in place
    assert "Identified" in page.locator("article.incident").first.inner_text()
    assert refused == []
    page.close()


def test_script_in_an_update_does_not_run(browser, site, outage):
    base, settings = site
    _identified(
        settings,
        outage,
        '<script>alert("x")</script><img src=x onerror="alert(1)"> Plain text stays.',
    )
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(base + "/")
    assert page.get_by_text("Plain text stays.").is_visible()
    page.wait_for_timeout(300)
    assert dialogs == []
    page.close()
