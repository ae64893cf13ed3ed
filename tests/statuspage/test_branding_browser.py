"""A branded page, a collapsing group and the embedded widget as a person sees them, in real
headless Chromium against a real `tidings edge` process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import published
from tests.statuspage.brandkit import brand_it
from tests.statuspage.conftest import CHROMIUM, served_by_edge
from tidings.incidents import services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs the system Chromium: apt-get install chromium"
    ),
]


@pytest.fixture
def served(now: Any, tmp_path: Path, outage: Any, dana: Any) -> Iterator[tuple[str, Any]]:
    """The branded site published and served by a real edge; yields (base URL, settings)."""
    brand_it()
    with served_by_edge(tmp_path / "data", live_refresh_seconds=1) as pair:
        yield pair


@pytest.fixture
def site(served: tuple[str, Any]) -> str:
    return served[0]


@pytest.fixture
def host() -> Iterator[Callable[[str], str]]:
    """Another site on loopback (another origin) that embeds our badge or widget: give it
    the HTML of its page, get its URL."""
    body = {"html": b""}

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body["html"])))
            self.end_headers()
            self.wfile.write(body["html"])

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def serve(html: str) -> str:
        body["html"] = html.encode()
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    server.shutdown()
    server.server_close()


def loaded(page: Any, selector: str) -> bool:
    return bool(page.eval_on_selector(selector, "i => i.complete && i.naturalWidth > 0"))


@pytest.mark.parametrize(("locale", "path", "link"), [("en-US", "/", "Help centre"),
                                                     ("he-IL", "/he/", "מרכז העזרה")])  # fmt: skip
def test_the_branded_page_shows_logo_colours_and_links(browser, site, locale, path, link):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(site + path)
    assert loaded(page, "header.top img.logo")  # the logo file is served and decodes
    header = page.locator("header.top")
    assert header.evaluate("h => getComputedStyle(h).backgroundColor") == "rgb(11, 61, 46)"
    history = page.locator("main a[href$='/history']")
    assert history.evaluate("a => getComputedStyle(a).color") == "rgb(122, 31, 162)"
    assert page.get_by_role("link", name=link).is_visible()
    icon = page.eval_on_selector("link[rel=icon]", "l => l.href")
    assert page.request.get(icon).headers["content-type"] == "image/png"
    logo = page.locator("header.top img.logo").bounding_box()
    if locale == "he-IL":  # right to left: the logo starts the header on the right
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert logo["x"] > 1280 / 2
    else:
        assert logo["x"] < 1280 / 2
    context.close()


def test_a_group_collapses_and_shows_its_worst_status(browser, served, outage):
    site = served[0]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site + "/")
    core = page.locator("details.group", has_text="Core")
    extras = page.locator("details.group", has_text="Extras")
    # a member is down: open, saying how bad; all well: closed, its members hidden
    assert core.get_attribute("open") is not None
    assert core.locator("summary .gstatus").inner_text() == "Partial outage"
    assert page.locator(".component", has_text="Website").is_visible()
    assert extras.get_attribute("open") is None
    assert extras.locator("summary .gstatus").inner_text() == "Operational"
    email = page.locator(".component[data-component]", has_text="Email")
    assert not email.is_visible()
    extras.locator("summary").click()
    assert email.is_visible()
    core.locator("summary").click()
    assert not page.locator(".component", has_text="Website").is_visible()
    # the page refreshes itself with a new update; the groups stay as the visitor left them
    services.post_update(
        actor="dana", incident=outage, status="identified", body="Storage node found."
    )
    published(served[1])
    page.get_by_text("Storage node found.").wait_for(timeout=10_000)
    assert core.get_attribute("open") is None
    assert email.is_visible()
    page.close()


@pytest.mark.parametrize(("lang", "text"), [("en", "Partial system outage"),
                                            ("he", "השבתה חלקית של המערכת")])  # fmt: skip
def test_the_widget_embedded_in_another_site_shows_the_status(browser, site, host, lang, text):
    page = browser.new_page()
    # another origin embeds the script: it reads status.json across origins
    page.goto(
        host(f'<p>Our product</p><script src="{site}/widget.js" data-lang="{lang}"></script>')
    )
    pill = page.locator("a.tidings-status")
    pill.wait_for()
    page.wait_for_function("document.querySelector('a.tidings-status').dataset.indicator")
    assert pill.get_attribute("data-indicator") == "major"
    assert pill.inner_text() == text
    assert pill.get_attribute("href") == site + ("/he/" if lang == "he" else "/")
    page.close()


def test_the_badge_and_the_iframe_widget_render_in_another_site(browser, site, host):
    page = browser.new_page()
    page.goto(
        host(
            f'<img id="b" src="{site}/badge.svg"><img id="c" src="{site}/badge/api.svg">'
            f'<iframe id="w" src="{site}/he/widget.html"></iframe>'
        )
    )
    page.wait_for_load_state("load")
    assert loaded(page, "#b") and loaded(page, "#c")
    frame = page.frame_locator("#w")
    assert frame.locator("#tidings-status").inner_text() == "השבתה חלקית של המערכת"
    page.close()
