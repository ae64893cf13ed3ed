"""The in-product banner: the document in the snapshot, and the script on a customer's page
(real Chromium, the page served from one port, the edge from another)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import published
from tests.statuspage.conftest import served_by_edge
from tidings.incidents import maintenances, services
from tidings.statuspage import snapshot
from tidings.statuspage.banner import plain_text
from tidings.statuspage.edge import is_public_path
from tidings.statuspage.edgecore import Edge


def banner(settings) -> dict[str, Any]:
    snap = snapshot.load(settings.snapshot_dir)
    assert snap is not None
    doc: dict[str, Any] = json.loads(snap.entries["/banner.json"].body)
    return doc


def test_the_banner_names_the_active_incident_in_both_languages(now, site_settings, outage):
    published(site_settings)
    doc = banner(site_settings)
    assert doc["status"]["indicator"] == "major"
    assert doc["status"]["label"]["he"] != doc["status"]["label"]["en"]
    [i] = doc["incidents"]
    assert i == {
        "id": outage.public_id,
        "kind": "incident",
        "title": "Elevated API errors",
        "titles": {"en": "Elevated API errors", "he": "שגיאות מוגברות ב-API"},
        "status": "investigating",
        "status_label": {"en": "Investigating", "he": i["status_label"]["he"]},
        "impact": "major",
        "update": {
            "en": "Some API calls fail. We are investigating.",
            "he": "חלק מהקריאות ל-API נכשלות. אנחנו בודקים.",
        },
        "updated_at": "2026-11-23T12:00:00.000Z",
        "url": f"https://status.acme.test/incidents/{outage.public_id}",
        "urls": {
            "en": f"https://status.acme.test/incidents/{outage.public_id}",
            "he": f"https://status.acme.test/he/incidents/{outage.public_id}",
        },
        "next_update_due_at": "2026-11-23T12:30:00.000Z",
    }
    assert i["status_label"]["he"] and i["status_label"]["he"] != "Investigating"
    assert doc["labels"]["en"]["view"] == "View status"
    assert doc["labels"]["he"]["view"] != "View status"


def test_the_banner_is_empty_when_nothing_is_going_on(now, site_settings, outage, catalog):
    services.post_update(
        actor="dana", incident=outage, status="resolved", body="Fixed.",
        components={catalog["API"]: "operational"},
    )  # fmt: skip
    maintenances.create_maintenance(
        actor="dana", title="Upgrade", body="Planned.", scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=2),
    )  # fmt: skip
    services.create_incident(
        actor="dana", title="Internal only", body="Ops.", visibility="internal",
        components={catalog["Docs"]: "major_outage"},
    )  # fmt: skip
    published(site_settings)
    doc = banner(site_settings)
    assert doc["incidents"] == []
    assert doc["status"]["indicator"] in ("none", "major")  # the internal one may set Docs down
    assert all(i["title"] != "Internal only" for i in doc["incidents"])


def test_a_maintenance_in_progress_comes_after_the_incidents(now, site_settings, outage, catalog):
    m = maintenances.create_maintenance(
        actor="dana", title="Database upgrade", body="Planned.",
        scheduled_for=now - timedelta(minutes=5), scheduled_until=now + timedelta(hours=1),
        components={catalog["Email"]: "under_maintenance"},
    )  # fmt: skip
    services.post_update(
        actor="dana", incident=m, status="in_progress",
        body="**Started.** See [the plan](https://example.com/plan).",
    )  # fmt: skip
    published(site_settings)
    first, second = banner(site_settings)["incidents"]
    assert first["id"] == outage.public_id
    assert second["kind"] == "maintenance" and second["impact"] == "maintenance"
    assert second["update"] == {"en": "Started. See the plan.", "he": "Started. See the plan."}
    assert second["scheduled_until"] == "2026-11-23T13:00:00.000Z"


def test_update_text_is_plain_and_short():
    assert plain_text("**Found** it & [fixed](https://x.example)") == "Found it & fixed"
    # raw HTML is not HTML in an update (the page shows it as typed); the script sets text only
    assert plain_text("<b>x</b>") == "<b>x</b>"
    assert len(plain_text("word " * 200)) == 280 and plain_text("word " * 200).endswith("…")


def test_the_edge_serves_banner_files_to_any_origin_and_unchanged_bytes_keep_their_etag(
    now, site_settings, outage
):
    assert is_public_path("/banner.json") and is_public_path("/banner.js")
    first = published(site_settings)
    edge = Edge(first.parent)
    r = edge.respond("GET", "/banner.json")
    headers = dict(r.headers)
    assert r.status == 200 and headers["Content-Type"] == "application/json"
    assert headers["Access-Control-Allow-Origin"] == "*"
    js = edge.respond("GET", "/banner.js")
    assert dict(js.headers)["Content-Type"].startswith("text/javascript")
    assert b"banner.json" in js.body
    published(site_settings)  # nothing changed: the same document, the same ETag
    edge.refresh(force=True)
    assert dict(edge.respond("GET", "/banner.json").headers)["ETag"] == headers["ETag"]


# --- in the browser ----------------------------------------------------------------------


class _HostPage(BaseHTTPRequestHandler):
    html = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.html)))
        self.end_headers()
        self.wfile.write(self.html)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def host_page() -> Iterator[Any]:
    """A customer's product page on its own port; ``serve(html)`` returns its URL."""
    servers: list[ThreadingHTTPServer] = []

    def serve(html: str) -> str:
        handler = type("Handler", (_HostPage,), {"html": html.encode()})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for s in servers:
        s.shutdown()
        s.server_close()


@pytest.fixture
def edge(now, tmp_path, outage) -> Iterator[tuple[str, Any]]:
    with served_by_edge(tmp_path / "data") as served:
        yield served


PRODUCT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme app</title>
<script src="{edge}/banner.js" {attrs} defer></script></head>
<body><main id="app">The product</main>
<script>window.hostOk = true;</script></body></html>"""


@pytest.mark.browser
def test_the_banner_appears_on_a_product_page_from_another_origin(browser, edge, host_page, outage):
    base, _ = edge
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(host_page(PRODUCT.format(edge=base, attrs="")))
    bar = page.locator("#tidings-banner .tidings-banner")
    bar.wait_for(timeout=10_000)
    assert page.locator("#tidings-banner .tidings-title").inner_text() == "Elevated API errors"
    assert "Some API calls fail" in bar.inner_text()
    assert page.evaluate("getComputedStyle(document.querySelector('#tidings-banner')"
                         ".shadowRoot.querySelector('.tidings-banner')).direction") == "ltr"  # fmt: skip
    link = page.locator("#tidings-banner a", has_text="View status")
    assert link.get_attribute("href") == f"http://127.0.0.1/incidents/{outage.public_id}"
    # it sits at the top and the product is still there, working
    box, app = page.locator("#tidings-banner").bounding_box(), page.locator("#app").bounding_box()
    assert box["y"] <= 8 and box["y"] + box["height"] <= app["y"]  # 8: the body's own margin
    assert page.locator("#app").is_visible() and page.evaluate("window.hostOk") is True
    page.locator("#tidings-banner .tidings-dismiss").click()
    assert page.locator("#tidings-banner").count() == 0
    page.reload()  # dismissed stays dismissed until something new is said
    page.wait_for_timeout(500)
    assert page.locator("#tidings-banner").count() == 0
    assert errors == []
    page.close()


@pytest.mark.browser
def test_hebrew_renders_right_to_left(browser, edge, host_page, outage):
    base, _ = edge
    page = browser.new_page(viewport={"width": 1000, "height": 600})
    page.goto(host_page(PRODUCT.format(edge=base, attrs='data-lang="he"')))
    bar = page.locator("#tidings-banner .tidings-banner")
    bar.wait_for(timeout=10_000)
    assert "חלק מהקריאות ל-API נכשלות" in bar.inner_text()
    assert bar.get_attribute("dir") == "rtl" and bar.get_attribute("lang") == "he"
    assert page.evaluate("getComputedStyle(document.querySelector('#tidings-banner')"
                         ".shadowRoot.querySelector('.tidings-banner')).direction") == "rtl"  # fmt: skip
    # right to left: the text starts at the right, the close button sits at the left
    title = page.locator("#tidings-banner .tidings-title").bounding_box()
    close = page.locator("#tidings-banner .tidings-dismiss").bounding_box()
    assert close["x"] < title["x"] and title["x"] + title["width"] > 1000 / 2
    link = page.locator("#tidings-banner a").first
    assert link.get_attribute("href") == f"http://127.0.0.1/he/incidents/{outage.public_id}"
    page.close()


@pytest.mark.browser
def test_the_banner_goes_when_the_incident_is_resolved(browser, edge, host_page, outage, catalog):
    base, settings = edge
    page = browser.new_page()
    page.clock.install()
    page.goto(host_page(PRODUCT.format(edge=base, attrs="")))
    page.locator("#tidings-banner .tidings-banner").wait_for(timeout=10_000)
    services.post_update(
        actor="dana", incident=outage, status="resolved", body="Fixed.",
        components={catalog["API"]: "operational"},
    )  # fmt: skip
    published(settings)
    page.wait_for_timeout(300)  # the edge reloads every 0.1 s
    page.clock.run_for(61_000)  # the next check, a minute later
    page.locator("#tidings-banner").wait_for(state="detached", timeout=10_000)
    page.close()


def _answer_with(body: str) -> Any:
    def handler(route: Any) -> None:
        route.fulfill(
            status=200, body=body, content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
        )  # fmt: skip

    return handler


@pytest.mark.browser
def test_a_broken_or_unreachable_banner_never_breaks_the_host_page(browser, edge, host_page):
    base, _ = edge
    url = host_page(PRODUCT.format(edge=base, attrs=""))
    for answer in ("abort", "garbage", "wrong shape"):
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        if answer == "abort":
            page.route("**/banner.json", lambda route: route.abort())
        else:
            body = (
                "{not json" if answer == "garbage" else '{"incidents": [{"urls": 5}], "labels": 1}'
            )
            page.route("**/banner.json", _answer_with(body))
        page.goto(url)
        page.wait_for_timeout(500)
        assert page.evaluate("window.hostOk") is True
        assert page.locator("#app").inner_text() == "The product"
        assert errors == [], (answer, errors)
        page.close()
