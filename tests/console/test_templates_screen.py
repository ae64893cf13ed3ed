"""The message templates screen: Dana edits a phase's text in both languages with a live
preview, uses it on the desk, resets it, adds and deletes one of her own; mistakes are shown
next to the field that holds them; support reads but does not change."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from tidings.comms.defaults import DEFAULTS
from tidings.comms.models import MessageTemplate
from tidings.staff.models import StaffProfile

IDENTIFIED = {
    "action": "save", "name_en": "Cause found", "name_he": "הסיבה נמצאה",
    "body_en": "{title}: the cause is {cause}. Next update by {next_update_time}.",
    "body_he": "{title}: הסיבה היא {cause}. העדכון הבא עד {next_update_time}.",
}  # fmt: skip


def test_dana_edits_a_template_sees_it_filled_and_uses_it_on_the_desk(
    client: Client, dana: Any, now: Any, outage: Any, catalog: dict[str, str]
) -> None:
    client.force_login(dana)
    listing = client.get("/console/templates").content.decode()
    assert "Cause identified" in listing and "{remediation}" in listing
    page = client.get("/console/templates/edit/identified").content.decode()
    assert 'textarea name="body_he" lang="he" dir="rtl"' in page and "{remediation}" in page

    shown = client.post(
        "/console/templates/preview",
        {**IDENTIFIED, "key": "identified", "existing": "1", "sample": outage.public_id},
    ).content.decode()
    assert 'Elevated API errors: the cause is <mark class="slot">{cause}</mark>' in shown
    assert "שגיאות מוגברות ב-API: הסיבה היא" in shown
    sample = client.post(
        "/console/templates/preview", {**IDENTIFIED, "key": "identified", "existing": "1"}
    )
    assert "Checkout fails for card payments: the cause is" in sample.content.decode()

    r = client.post("/console/templates/edit/identified", IDENTIFIED)
    assert r.status_code == 302
    assert MessageTemplate.objects.get(key="identified").names["he"] == "הסיבה נמצאה"
    desk = client.post(
        f"/console/incidents/{outage.public_id}/post",
        {"compose": "identified", "audience": "affected", "based_on": ""},
    ).content.decode()
    assert "Elevated API errors: the cause is {cause}." in desk

    r = client.post("/console/templates/edit/identified", {"action": "reset", "confirm": "yes"})
    assert r.status_code == 302 and not MessageTemplate.objects.filter(key="identified").exists()


def test_a_mistake_in_a_template_is_shown_next_to_its_field_with_the_text_kept(
    client: Client, dana: Any
) -> None:
    client.force_login(dana)
    r = client.post(
        "/console/templates/edit/identified",
        {**IDENTIFIED, "body_en": "Broken {cause", "body_he": "  "},
    )
    page = r.content.decode()
    assert r.status_code == 422
    assert "a placeholder is not closed: “{cause”; write {name}" in page
    assert ">Broken {cause</textarea>" in page and 'value="הסיבה נמצאה"' in page
    assert not MessageTemplate.objects.exists()
    r = client.post("/console/templates/edit/identified", {**IDENTIFIED, "body_he": ""})
    page = r.content.decode()
    he_field = page[page.index('name="body_he"') :]
    assert r.status_code == 422 and "the text is empty" in he_field[:400]


def test_dana_adds_a_template_of_her_own_and_deletes_it(client: Client, dana: Any) -> None:
    client.force_login(dana)
    own = {
        "key": "provider_down", "kind": "maintenance", "status": "scheduled",
        "name_en": "Payment provider window", "name_he": "חלון תחזוקה של ספק התשלומים",
        "body_en": "Our payment provider works on its systems from {scheduled_for}.",
        "body_he": "ספק התשלומים שלנו עובד על המערכות שלו החל מ-{scheduled_for}.",
    }  # fmt: skip
    taken = client.post("/console/templates/add", {**own, "key": "resolved"})
    assert taken.status_code == 422 and "exists already" in taken.content.decode()
    wrong = client.post("/console/templates/add", {**own, "kind": "incident"})
    assert wrong.status_code == 422 and "does not fit the template" in wrong.content.decode()
    assert client.post("/console/templates/add", own).status_code == 302
    row = MessageTemplate.objects.get(key="provider_down")
    assert (row.status, row.bodies["he"]) == ("scheduled", own["body_he"])
    edited = {k: v for k, v in own.items() if k not in ("key", "kind")}
    edited["body_en"] = "Our payment provider works from {scheduled_for}. {workaround}"
    client.post("/console/templates/edit/provider_down", {**edited, "action": "save"})
    row.refresh_from_db()
    assert row.kind == "maintenance" and row.bodies["en"].endswith("{workaround}")
    assert "Payment provider window" in client.get("/console/templates").content.decode()
    kept = client.post("/console/templates/edit/provider_down", {"action": "delete"})
    assert kept.status_code == 422 and MessageTemplate.objects.filter(key="provider_down").exists()
    gone = client.post("/console/templates/edit/provider_down", {"action": "delete", "confirm": "yes"})  # fmt: skip
    assert (
        gone.status_code == 302 and not MessageTemplate.objects.filter(key="provider_down").exists()
    )


def test_support_reads_templates_but_only_communications_and_leads_change_them(
    client: Client, db: Any
) -> None:
    sara = User.objects.create_user("sara", "sara@acme.test", "pw", is_staff=True)
    StaffProfile.objects.create(user=sara, role="support")
    client.force_login(sara)
    page = client.get("/console/templates/edit/resolved").content.decode()
    assert "readonly" in page and ">Save<" not in page
    r = client.post("/console/templates/edit/resolved", {**IDENTIFIED, "body_en": "Gone."})
    assert r.status_code == 403 and not MessageTemplate.objects.exists()
    assert client.get("/console/templates/add").status_code == 403
    assert DEFAULTS["resolved"].bodies["en"] in page.replace("&#x27;", "'")
