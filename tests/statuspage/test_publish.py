"""What the published snapshot says: the page, the Statuspage v2 API and the feeds."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from tests.conftest import planned, published
from tidings.core import clock
from tidings.incidents import content, services
from tidings.statuspage import snapshot

ENDPOINTS = {
    "/api/v2/summary.json": {"page", "components", "incidents", "scheduled_maintenances", "status"},
    "/api/v2/status.json": {"page", "status"},
    "/api/v2/components.json": {"page", "components"},
    "/api/v2/incidents.json": {"page", "incidents"},
    "/api/v2/incidents/unresolved.json": {"page", "incidents"},
    "/api/v2/scheduled-maintenances.json": {"page", "scheduled_maintenances"},
    "/api/v2/scheduled-maintenances/upcoming.json": {"page", "scheduled_maintenances"},
    "/api/v2/scheduled-maintenances/active.json": {"page", "scheduled_maintenances"},
}


def load(site_settings):
    snap = snapshot.load(site_settings.snapshot_dir)
    assert snap is not None
    return snap


def doc(snap, path):
    return json.loads(snap.entries[path].body)


def test_all_eight_statuspage_endpoints_have_the_documented_shape(
    now, site_settings, outage, catalog
):
    planned(
        "Upgrade",
        now + timedelta(days=1),
        now + timedelta(days=1, hours=2),
        components={catalog["Email"]: "x"},
    )
    published(site_settings)
    snap = load(site_settings)
    for path, keys in ENDPOINTS.items():
        assert set(doc(snap, path)) == keys, path
    summary = doc(snap, "/api/v2/summary.json")
    assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}
    assert summary["page"]["url"] == "https://status.acme.test"
    assert len(summary["page"]["id"]) == 12
    [inc] = summary["incidents"]
    assert (
        inc["name"] == "Elevated API errors"
        and inc["status"] == "investigating"
        and inc["impact"] == "major"
    )
    assert inc["shortlink"] == f"https://status.acme.test/incidents/{outage.public_id}"
    assert inc["incident_updates"][0]["affected_components"][0]["new_status"] == "partial_outage"
    assert inc["next_update_due_at"] == "2026-11-23T12:30:00.000Z"  # ours: "next update by"
    assert inc["created_at"].endswith("Z") and len(inc["created_at"]) == len(
        "2026-11-23T12:00:00.000Z"
    )
    [m] = summary["scheduled_maintenances"]
    assert m["status"] == "scheduled" and m["impact"] == "maintenance" and m["scheduled_for"]
    assert doc(snap, "/api/v2/scheduled-maintenances/active.json")["scheduled_maintenances"] == []
    assert (
        len(doc(snap, "/api/v2/scheduled-maintenances/upcoming.json")["scheduled_maintenances"])
        == 1
    )


def test_groups_are_components_listing_their_members(now, site_settings, outage, catalog):
    published(site_settings)
    comps = doc(load(site_settings), "/api/v2/components.json")["components"]
    core = next(c for c in comps if c["name"] == "Core")
    assert core["group"] is True and core["status"] == "partial_outage"
    assert set(core["components"]) == {catalog["API"], catalog["Website"]}
    api = next(c for c in comps if c["name"] == "API")
    assert api["group_id"] == core["id"] and api["group"] is False
    docs = next(c for c in comps if c["name"] == "Docs")
    assert docs["group_id"] is None


def test_resolved_incidents_leave_unresolved_but_stay_in_the_recent_list(
    now, site_settings, outage
):
    services.post_update(actor="dana", incident=outage, status="resolved", body="Fixed.")
    published(site_settings)
    snap = load(site_settings)
    assert doc(snap, "/api/v2/incidents/unresolved.json")["incidents"] == []
    assert doc(snap, "/api/v2/incidents.json")["incidents"][0]["status"] == "resolved"
    assert doc(snap, "/api/v2/status.json")["status"]["indicator"] == "none"


def test_the_page_shows_the_active_incident_and_when_the_next_update_comes(
    now, site_settings, outage
):
    published(site_settings)
    page = load(site_settings).entries["/"].body.decode()
    assert "Elevated API errors" in page
    assert "Some API calls fail. We are investigating." in page
    assert "Next update by" in page and "2026-11-23 12:30 UTC" in page
    assert 'class="banner major"' in page


def test_hebrew_pages_are_right_to_left_and_carry_hebrew_bodies(now, site_settings, outage):
    published(site_settings)
    snap = load(site_settings)
    he = snap.entries["/he/"].body.decode()
    assert '<html lang="he" dir="rtl">' in he
    assert "חלק מהקריאות ל-API נכשלות" in he
    assert '<html lang="en" dir="ltr">' in snap.entries["/"].body.decode()


def test_an_update_without_hebrew_falls_back_to_english_marked_as_such(now, site_settings, outage):
    services.post_update(
        actor="dana", incident=outage, status="identified", body={"en": "English only."}
    )
    published(site_settings)
    page = load(site_settings).entries[f"/he/incidents/{outage.public_id}"].body.decode()
    assert '<div class="body" lang="en" dir="ltr"><p>English only.</p>' in page


def test_script_in_an_update_never_reaches_the_page_as_markup(now, site_settings, outage):
    evil = (
        "<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) **bold**"
    )
    services.post_update(actor="dana", incident=outage, status="identified", body=evil)
    published(site_settings)
    snap = load(site_settings)
    for path in ("/", f"/incidents/{outage.public_id}", "/history.atom"):
        body = snap.entries[path].body.decode()
        assert "<script>alert" not in body
        assert "<img" not in body
        assert 'href="javascript:' not in body
    assert "<strong>bold</strong>" in snap.entries["/"].body.decode()


def test_internal_incidents_never_appear_publicly(now, site_settings, catalog):
    services.create_incident(
        actor="dana", title="Secret drill", body="Drill.", visibility="internal"
    )
    published(site_settings)
    snap = load(site_settings)
    assert all(b"Secret drill" not in e.body for e in snap.entries.values())


def test_incident_page_has_timeline_faq_and_workarounds(now, site_settings, outage):
    content.add_faq(
        actor="dana", incident=outage, question="Is data lost?", answer="No data was lost."
    )
    content.add_resource(
        actor="dana",
        incident=outage,
        kind="workaround",
        title="Use the EU endpoint",
        body="Point clients at `eu.acme.test`.",
    )
    with clock.frozen(now + timedelta(minutes=5)):
        services.post_update(
            actor="dana", incident=outage, status="identified", body="Cause found."
        )
    published(site_settings)
    page = load(site_settings).entries[f"/incidents/{outage.public_id}"].body.decode()
    assert page.index("Cause found.") < page.index("Some API calls fail.")  # newest first
    assert "Is data lost?" in page and "No data was lost." in page
    assert "Use the EU endpoint" in page and "<code>eu.acme.test</code>" in page


def test_history_is_grouped_by_month(now, site_settings, catalog):
    with clock.frozen(now - timedelta(days=40)):
        old = services.create_incident(actor="dana", title="October trouble", body="x")
        services.post_update(actor="dana", incident=old, status="resolved", body="done")
    published(site_settings)
    snap = load(site_settings)
    assert "October trouble" in snap.entries["/history/2026-10"].body.decode()
    assert "/history/2026-10" in snap.entries["/history"].body.decode()


def test_feeds_are_well_formed(now, site_settings, outage):
    planned(
        "Upgrade, with commas; and semicolons",
        now + timedelta(days=1),
        now + timedelta(days=1, hours=2),
    )
    published(site_settings)
    snap = load(site_settings)
    atom = ET.fromstring(snap.entries["/history.atom"].body)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in atom.findall("a:entry", ns)]
    assert "Elevated API errors" in titles
    rss = ET.fromstring(snap.entries["/history.rss"].body)
    assert rss.find("channel/item/link").text.startswith("https://status.acme.test/incidents/")
    ics = snap.entries["/maintenances.ics"].body.decode()
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.endswith("END:VCALENDAR\r\n")
    assert "SUMMARY:Upgrade\\, with commas\\; and semicolons" in ics
    assert "DTSTART:20261124T120000Z" in ics
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))


def test_snapshots_are_precompressed_and_versioned(now, site_settings, outage):
    import gzip

    import brotli

    published(site_settings)
    first = load(site_settings)
    entry = first.entries["/"]
    assert gzip.decompress(entry.gzip) == entry.body
    assert brotli.decompress(entry.br) == entry.body
    services.post_update(actor="dana", incident=outage, status="identified", body="Next.")
    published(site_settings)
    second = load(site_settings)
    assert second.version > first.version
    assert second.entries["/"].etag != entry.etag
    # pages that did not change keep their ETag, so browsers and CDNs keep their copies
    assert (
        second.entries["/api/v2/components.json"].etag
        == first.entries["/api/v2/components.json"].etag
    )


def test_publish_does_nothing_when_nothing_changed(now, site_settings, outage):
    from tidings.statuspage.publisher import publish

    assert publish(settings=site_settings) is not None
    assert publish(settings=site_settings) is None


def test_a_change_after_a_forced_publish_is_published(now, site_settings, outage):
    """``tidings up`` forces a publish at start; the first change after it used to be taken
    for published already (the forced version ran ahead of the requested one)."""
    from tidings.statuspage.publisher import publish

    for _ in range(3):  # forced, like tidings up at each start
        published(site_settings)
    services.post_update(actor="dana", incident=outage, status="identified", body="Found it.")
    assert publish(settings=site_settings) is not None
    assert b"Found it." in load(site_settings).entries["/"].body


@pytest.mark.parametrize(
    "path", ["/", "/he/", "/history", "/api/v2/summary.json", "/live.json", "/status.js"]
)
def test_every_public_file_is_in_the_nginx_ready_directory(now, site_settings, outage, path):
    current = published(site_settings)
    name = snapshot.file_name(path)
    assert (current / name).read_bytes() == load(site_settings).entries[path].body
