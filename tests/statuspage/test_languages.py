"""Every language: titles and names are written per language, and the Hebrew page, its feeds and
its calendar are wholly Hebrew; a text nobody translated falls back to the default language."""

import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

from django.db import transaction

from tests.conftest import planned, published
from tidings.components import services as components
from tidings.incidents import services as incidents
from tidings.statuspage import snapshot
from tidings.statuspage.edgecore import Edge

ATOM = "{http://www.w3.org/2005/Atom}"


def page(site_settings, path: str) -> str:
    snap = snapshot.load(site_settings.snapshot_dir)
    assert snap is not None
    return snap.entries[path].body.decode()


def hebrew_catalog() -> dict[str, str]:
    with transaction.atomic():
        group = components.create_group(actor="dana", name={"en": "Payments", "he": "תשלומים"})
        checkout = components.create_component(
            actor="dana", name={"en": "Checkout", "he": "קופה"}, group_id=group.public_id
        )
        docs = components.create_component(actor="dana", name="Docs")  # never translated
    return {"Checkout": checkout.public_id, "Docs": docs.public_id}


def checkout_failing(ids: dict[str, str], body: Any, status: str = "partial_outage") -> Any:
    """An incident titled in both languages, on the Checkout component."""
    return incidents.create_incident(
        actor="dana",
        title={"en": "Checkout failing", "he": "התשלום נכשל"},
        body=body,
        components={ids["Checkout"]: status},
    )


def test_the_hebrew_page_shows_hebrew_titles_and_names(db, now, site_settings):
    ids = hebrew_catalog()
    with transaction.atomic():
        i = checkout_failing(
            ids, {"en": "Payments fail.", "he": "תשלומים נכשלים."}, status="major_outage"
        )
    published(site_settings)
    he, en = page(site_settings, "/he/"), page(site_settings, "/")
    assert "התשלום נכשל" in he and "קופה" in he and "תשלומים" in he
    assert "Checkout failing" not in he and ">Checkout<" not in he
    assert "Checkout failing" in en and "התשלום נכשל" not in en and "קופה" not in en
    # Not translated: the default language stands in, on both pages.
    assert "Docs" in he and "Docs" in en
    incident_he = page(site_settings, f"/he/incidents/{i.public_id}")
    assert "<h2>התשלום נכשל</h2>" in incident_he


def test_an_incident_titled_in_one_language_shows_that_title_everywhere(
    now, site_settings, catalog
):
    with transaction.atomic():
        incidents.create_incident(actor="dana", title="Search is slow", body="Slow searches.")
    published(site_settings)
    assert "Search is slow" in page(site_settings, "/he/")


def test_feeds_and_the_calendar_exist_per_language(db, now, site_settings):
    ids = hebrew_catalog()
    with transaction.atomic():
        checkout_failing(ids, {"en": "Payments fail.", "he": "תשלומים נכשלים."})
        planned(
            {"en": "Database upgrade", "he": "שדרוג מסד הנתונים"},
            now + timedelta(days=1),
            now + timedelta(days=1, hours=1),
            body={"en": "Planned work.", "he": "עבודה מתוכננת."},
        )
    published(site_settings)
    he = ET.fromstring(page(site_settings, "/he/history.atom"))
    assert he.get("{http://www.w3.org/XML/1998/namespace}lang") == "he-IL"
    titles = [e.findtext(f"{ATOM}title") for e in he.iter(f"{ATOM}entry")]
    assert "התשלום נכשל" in titles
    links = [e.find(f"{ATOM}link").get("href") for e in he.iter(f"{ATOM}entry")]
    assert all("/he/incidents/" in link for link in links)
    content = "".join(e.findtext(f"{ATOM}content") or "" for e in he.iter(f"{ATOM}entry"))
    assert "תשלומים נכשלים." in content and "Payments fail." not in content
    en = ET.fromstring(page(site_settings, "/history.atom"))
    assert "Checkout failing" in [e.findtext(f"{ATOM}title") for e in en.iter(f"{ATOM}entry")]
    rss = ET.fromstring(page(site_settings, "/he/history.rss"))
    assert rss.findtext("channel/language") == "he-IL"
    assert "התשלום נכשל" in [item.findtext("title") for item in rss.iter("item")]
    ical = page(site_settings, "/he/maintenances.ics")
    assert "SUMMARY:שדרוג מסד הנתונים" in ical and "DESCRIPTION:עבודה מתוכננת." in ical
    assert "SUMMARY:Database upgrade" in page(site_settings, "/maintenances.ics")


def test_a_feed_url_without_a_language_stays_in_the_default_language(db, now, site_settings):
    ids = hebrew_catalog()
    with transaction.atomic():
        checkout_failing(ids, "Payments fail.")
    published(site_settings)
    edge = Edge(site_settings.snapshot_dir)
    subscribed = edge.respond("GET", "/history.atom", accept_language="he-IL,he;q=0.9")
    assert b"Checkout failing" in subscribed.body and "התשלום נכשל".encode() not in subscribed.body
    asked = edge.respond("GET", "/he/history.atom")
    assert "התשלום נכשל".encode() in asked.body
    # Pages still follow the visitor's language.
    assert "התשלום נכשל".encode() in edge.respond("GET", "/", accept_language="he").body
