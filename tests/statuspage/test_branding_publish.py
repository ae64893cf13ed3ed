"""A branded site as published: the files in the snapshot, the pages that use them, and what a
real edge process answers for them."""

from __future__ import annotations

import http.client
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import published
from tests.ports import free_port
from tests.statuspage.brandkit import brand_it
from tests.statuspage.conftest import edge_process
from tidings.statuspage import snapshot
from tidings.statuspage.edgecore import Edge


@pytest.fixture
def branded(now, site_settings, outage, dana):
    logo = brand_it()
    published(site_settings)
    snap = snapshot.load(site_settings.snapshot_dir)
    assert snap is not None
    return snap, logo


def test_the_logo_and_favicon_are_files_of_the_snapshot(branded):
    snap, logo = branded
    images = [e for p, e in snap.entries.items() if p.startswith("/brand/")]
    assert sorted(e.content_type for e in images) == ["image/png", "image/png"]
    assert logo in [e.body for e in images]


@pytest.mark.parametrize(
    ("path", "header", "footer"),
    [("/", "Help centre", "Privacy"), ("/he/", "מרכז העזרה", "פרטיות")],
)
def test_every_language_shows_the_logo_colours_css_and_links(branded, path, header, footer):
    snap, _ = branded
    page = snap.entries[path].body.decode()
    logo_path = next(p for p in snap.entries if p.startswith("/brand/logo-"))
    favicon_path = next(p for p in snap.entries if p.startswith("/brand/favicon-"))
    assert f'<img class="logo" src="{logo_path}"' in page
    assert f'<link rel="icon" href="{favicon_path}">' in page
    assert "--accent:#7a1fa2" in page and "background:#0b3d2e" in page
    assert ".banner{letter-spacing:.02em}" in page
    assert f'<a href="https://help.acme.test/" rel="noopener">{header}</a>' in page
    assert f'<a href="https://acme.test/privacy" rel="noopener">{footer}</a>' in page
    history = snap.entries[path.rstrip("/") + "/history"].body.decode()
    assert logo_path in history  # every page, not only the front page


def test_groups_collapse_showing_their_worst_status(branded):
    snap, _ = branded
    page = snap.entries["/"].body.decode()
    # Core holds the API, partially down: open, with that status; Extras is all well: closed
    assert 'data-status="partial_outage" open><summary><span class="gname">Core</span>' in page
    assert 'class="gstatus cstatus partial_outage">Partial outage<' in page
    assert 'data-status="operational"><summary><span class="gname">Extras</span>' in page


def test_badges_and_the_widget_are_published_in_every_language(branded):
    snap, _ = branded
    for prefix in ("", "/he"):
        for path in ("/badge.svg", "/badge/api.svg", "/badge/docs.svg", "/widget.html"):
            assert prefix + path in snap.entries, prefix + path
    assert snap.entries["/badge.svg"].content_type.startswith("image/svg+xml")
    overall = ET.fromstring(snap.entries["/badge.svg"].body)
    assert overall.get("aria-label") == "status: partial outage"
    api = ET.fromstring(snap.entries["/badge/api.svg"].body)
    assert api.get("aria-label") == "API: partial outage"
    assert ET.fromstring(snap.entries["/badge/website.svg"].body).get("aria-label") == (
        "Website: operational"
    )
    assert "סטטוס" in snap.entries["/he/badge.svg"].body.decode()  # noqa: RUF001
    assert snap.entries["/widget.js"].content_type.startswith("text/javascript")
    widget = snap.entries["/he/widget.html"].body.decode()
    assert 'data-indicator="major"' in widget and 'dir="rtl"' in widget


def test_an_unbranded_site_renders_as_before(now, site_settings, outage):
    published(site_settings)
    snap = snapshot.load(site_settings.snapshot_dir)
    assert snap is not None
    page = snap.entries["/"].body.decode()
    assert 'class="logo"' not in page and "brand-style" not in page
    assert not [p for p in snap.entries if p.startswith("/brand/")]


@pytest.mark.parametrize("upstream", ["", "staff-app"])
def test_the_edge_serves_badges_images_and_the_widget_with_their_types(
    branded, site_settings, upstream
):
    """Alone (``tidings edge``) and in front of the staff app, as ``tidings up`` runs it (the
    app's port is closed here: these answers never reach it)."""
    upstream = f"127.0.0.1:{free_port()}" if upstream else ""
    with edge_process(site_settings.data_dir, upstream=upstream) as (port, _):
        snap, logo = branded
        logo_path = next(p for p in snap.entries if p.startswith("/brand/logo-"))
        expected = {
            "/badge.svg": "image/svg+xml",
            "/he/badge.svg": "image/svg+xml",
            "/badge/api.svg": "image/svg+xml",
            logo_path: "image/png",
            "/widget.js": "text/javascript",
            "/widget.html": "text/html",
        }
        for path, kind in expected.items():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            # a Hebrew browser still gets the badge it linked: only pages follow the language
            conn.request("GET", path, headers={"Accept-Language": "he"})
            r = conn.getresponse()
            body = r.read()
            conn.close()
            assert r.status == 200, path
            assert r.getheader("Content-Type").startswith(kind), path
            if path == "/badge.svg":
                assert b"status: partial outage" in body
            if path == logo_path:
                assert body == logo


def test_the_widget_page_may_be_framed_in_every_language_and_the_site_may_not(
    branded, site_settings
):
    edge = Edge(site_settings.snapshot_dir, reload_seconds=0)
    for path in ("/widget.html", "/he/widget.html"):
        headers = dict(edge.respond("GET", path).headers)
        assert "X-Frame-Options" not in headers, path
        assert headers["Content-Security-Policy"].endswith("frame-ancestors *")
    assert dict(edge.respond("GET", "/he/").headers)["X-Frame-Options"] == "DENY"


def test_tidings_serve_passes_badges_images_and_the_widget_to_the_edge(branded, site_settings):
    from django.core.wsgi import get_wsgi_application

    from tests.statuspage.test_wsgi_edge import call
    from tidings.statuspage.edge import make_wsgi_app

    snap, _ = branded
    app = make_wsgi_app(Edge(site_settings.snapshot_dir), fallback=get_wsgi_application())
    logo_path = next(p for p in snap.entries if p.startswith("/brand/logo-"))
    for path, kind in (("/badge.svg", "image/svg+xml"), ("/he/badge/api.svg", "image/svg+xml"),
                       (logo_path, "image/png"), ("/widget.js", "text/javascript"),
                       ("/widget.html", "text/html")):  # fmt: skip
        status, headers, _ = call(app, "GET", path)
        assert status == "200 OK", path
        assert headers["Content-Type"].startswith(kind), path


def test_incremental_publishes_of_a_branded_site_equal_a_full_render(
    now, site_settings, outage, catalog, dana
):
    from django.db import transaction

    from tidings.components import services as components
    from tidings.incidents import services
    from tidings.statuspage import branding, publisher

    brand_it()
    published(site_settings)
    assert publisher.check(site_settings) == []
    # an update and a status change: incremental, and the badges follow at once
    with transaction.atomic():
        services.post_update(actor="dana", incident=outage, status="identified", body="Found.")
    with transaction.atomic():
        components.set_status(
            actor="dana", component=components.get_component(catalog["Docs"]),
            status="major_outage",
        )  # fmt: skip
    assert publisher.publish(settings=site_settings) is not None
    assert publisher.check(site_settings) == []
    snap = snapshot.load(site_settings.snapshot_dir)
    assert snap is not None
    assert b"Docs: major outage" in snap.entries["/badge/docs.svg"].body
    # a branding change shows on every page, old incidents' pages included
    with transaction.atomic():
        branding.update(actor="dana", values={"accent": "#0b5394"})
    assert publisher.publish(settings=site_settings) is not None
    assert publisher.check(site_settings) == []
    snap = snapshot.load(site_settings.snapshot_dir)
    assert snap is not None
    assert "--accent:#0b5394" in snap.entries[f"/he/incidents/{outage.public_id}"].body.decode()
