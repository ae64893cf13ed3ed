"""A crisis walked end to end in real Chromium, on a phone-sized screen, in English and in
Hebrew; and two people on one incident at once."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests.console.conftest import IN_CHROMIUM
from tidings.components import services as components
from tidings.incidents.models import Incident

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = IN_CHROMIUM

WORDS = {
    "en": {"preview": "Preview", "publish": "Publish", "still": "Still working, no ETA yet",
           "save": "Save", "resolved": "Resolved", "title": "Checkout fails for card payments",
           "search": "Checkout"},
    "he": {"preview": "תצוגה מקדימה", "publish": "פרסום", "still": "עדיין עובדים, אין עדיין זמן משוער",
           "save": "שמירה", "resolved": "נפתרה", "title": "התשלום בכרטיס אשראי נכשל",
           "search": "אשראי"},
}  # fmt: skip


@pytest.fixture
def staff(staff: dict[str, User]) -> dict[str, User]:
    """The console's Dana and Omer, and a component for their incident to name."""
    components.create_component(actor="dana", name={"en": "Payments", "he": "תשלומים"})
    return staff


def _hebrew(page: Any) -> None:
    page.click("button.lang-switch")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


@pytest.mark.parametrize("lang", ["en", "he"])
def test_a_crisis_end_to_end_from_a_phone(signed_in, live_server, staff, lang):
    w = WORDS[lang]
    page = signed_in("dana")
    if lang == "he":
        _hebrew(page)
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    started = time.monotonic()
    page.click("a.button.primary")  # Declare an incident
    page.fill("input[name=title_en]", WORDS["en"]["title"])
    page.fill("input[name=title_he]", WORDS["he"]["title"])
    page.select_option("select[name^=comp_]", "major_outage")
    page.check("input[name=severity][value=SEV1]")
    page.click("button[data-template=investigating]")
    expect(page.locator("#message textarea[name=body_he]")).to_have_value(re.compile("בודקים"))
    assert WORDS["en"]["title"] in page.input_value("#message textarea[name=body_en]")
    page.get_by_role("button", name=w["preview"], exact=True).click()
    page.wait_for_selector("#preview .audience-total")
    assert page.locator("#preview details[data-channel=email] iframe").count() == 2
    assert page.locator("#preview details[data-channel=sms]").count() == 1
    assert (
        "התשלום בכרטיס אשראי נכשל" in page.locator("#preview .page-snippet[lang=he]").inner_text()
    )
    page.get_by_role("button", name=w["publish"], exact=True).click()
    page.wait_for_url("**/console/incidents/*")
    declared = time.monotonic() - started
    assert declared < 60, declared
    incident = Incident.objects.get()
    assert incident.severity == "SEV1" and incident.updates.count() == 1
    assert page.locator(".due").first.is_visible()

    page.locator("button.still-working", has_text=w["still"]).click()
    expect(page.locator("#timeline li[data-update]")).to_have_count(2)
    assert "still working" in incident.updates.order_by("-id").first().bodies["en"]

    page.click("#faq details:last-of-type summary")
    page.fill("#faq form[action$='/faq'] input[name=question_en]", "Was any data lost?")
    page.fill("#faq form[action$='/faq'] textarea[name=answer_en]", "No.")
    page.fill("#faq form[action$='/faq'] textarea[name=answer_he]", "לא.")
    page.press("#faq form[action$='/faq'] input[name=question_en]", "Enter")
    expect(page.locator("#faq details.faq-entry")).to_have_count(1)
    page.click("#faq details.faq-entry summary")
    page.fill("#faq details.faq-entry textarea[name=answer_en]", "No data was lost.")
    page.locator("#faq details.faq-entry button[value=save]").click()
    page.wait_for_load_state()
    assert incident.faq.get().answer == {"en": "No data was lost.", "he": "לא."}

    page.click("button[data-template=resolved]")
    expect(page.locator("#message textarea[name=body_en]")).to_have_value(
        re.compile("data_statement")
    )
    page.get_by_role("button", name=w["publish"], exact=True).click()  # a slot is left: refused
    page.wait_for_selector("#message .field-error")
    for field, text in (("body_en", "No data was lost."), ("body_he", "שום מידע לא אבד.")):
        typed = page.input_value(f"#message textarea[name={field}]").replace(
            "{data_statement}", text
        )
        page.fill(f"#message textarea[name={field}]", typed)
    page.get_by_role("button", name=w["publish"], exact=True).click()
    expect(page.locator("#timeline li[data-update]")).to_have_count(3)
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert page.locator(".current-status").inner_text() == w["resolved"]

    page.goto(f"{live_server.url}/console/history?q={w['search']}&status=closed")
    page.click(f"a:has-text('{WORDS[lang]['title'] if lang == 'en' else WORDS['en']['title']}')")
    page.wait_for_url(f"**/console/incidents/{incident.public_id}")
    print(f"\n[{lang}] declared in {declared:.1f} s from the console's front page")


def test_two_people_on_one_incident_see_each_other_and_the_conflict(signed_in, live_server, staff):
    from tidings.components.models import Component
    from tidings.incidents import services

    payments = Component.objects.get().public_id
    incident = services.create_incident(
        actor="omer", title="API errors", severity="SEV2", body="Looking.",
        components={payments: "partial_outage"},
    )  # fmt: skip
    dana = signed_in("dana")
    omer = signed_in("omer", phone=False)
    url = f"{live_server.url}/console/incidents/{incident.public_id}"
    dana.goto(url)
    omer.goto(url)
    dana.click("button[data-template=still_working]")
    expect(dana.locator("#message textarea[name=body_en]")).to_have_value(
        re.compile("still working")
    )
    omer.fill("#message textarea[name=body_en]", "We found the cause: a bad deploy. Rolling back.")
    omer.select_option("select[name=status]", "identified")
    omer.get_by_role("button", name="Publish", exact=True).click()
    expect(omer.locator("#timeline li[data-update]")).to_have_count(2)
    shown = time.monotonic()
    dana.wait_for_selector("#timeline li[data-update] >> text=a bad deploy", timeout=4000)
    assert time.monotonic() - shown < 2.5  # polled every 1.5 s
    assert dana.locator("#newer-note .note").is_visible()
    dana.get_by_role("button", name="Publish", exact=True).click()
    dana.wait_for_load_state()
    dana.wait_for_selector("#conflict")
    assert "a bad deploy" in dana.locator("#conflict").inner_text()
    assert incident.updates.count() == 2  # nothing was posted over Omer's update
    assert "still working" in dana.input_value(
        "#message textarea[name=body_en]"
    )  # her text is kept
    dana.get_by_role("button", name="Publish", exact=True).click()  # she read it: confirm
    expect(dana.locator("#timeline li[data-update]")).to_have_count(3)
    assert incident.updates.count() == 3


def test_the_commander_renames_a_component_and_words_an_update_from_an_edited_template(
    signed_in, live_server, staff, tmp_path
):
    from tests.statuspage.conftest import served_by_edge
    from tidings.components.models import Component
    from tidings.incidents import services

    payments = Component.objects.get()
    omer = signed_in("omer")
    omer.click("nav summary")  # the phone's menu
    omer.click("nav .menu >> text=Components")
    row = omer.locator(f"#c-{payments.public_id}")
    row.locator("details.edit summary").click()
    row.locator("input[name=name_en]").fill("Card payments")
    row.locator("input[name=name_he]").fill("תשלומים בכרטיס")
    row.get_by_role("button", name="Save", exact=True).click()
    expect(omer.locator(f"#c-{payments.public_id} .cname")).to_have_text("Card payments")
    payments.refresh_from_db()
    assert payments.names == {"en": "Card payments", "he": "תשלומים בכרטיס"}
    with served_by_edge(tmp_path / "data") as (base, _):  # publishes, then serves the page
        omer.goto(f"{base}/he/")
        expect(omer.locator(".cname").first).to_have_text("תשלומים בכרטיס")

    incident = services.create_incident(
        actor="omer", title="Card payments fail", severity="SEV2", body="Looking.",
        components={payments.public_id: "major_outage"},
    )  # fmt: skip
    omer.goto(f"{live_server.url}/console/templates")
    omer.click("[data-template=identified] a")
    omer.fill(
        "textarea[name=body_en]", "{title}: the card processor rejects {cause}. We are on it."
    )
    omer.fill("textarea[name=body_he]", "{title}: מעבד הכרטיסים דוחה {cause}. אנחנו מטפלים בזה.")
    omer.select_option("select[name=sample]", incident.public_id)
    expect(omer.locator("#template-preview [data-lang=en]")).to_contain_text(
        "Card payments fail: the card processor rejects {cause}"
    )
    assert omer.locator("#template-preview mark.slot").count() == 2  # {cause}, in each language
    omer.get_by_role("button", name="Save", exact=True).click()
    omer.wait_for_selector(".flash .note")

    omer.goto(f"{live_server.url}/console/incidents/{incident.public_id}")
    omer.click("button[data-template=identified]")
    body = omer.locator("#message textarea[name=body_en]")
    expect(body).to_have_value(re.compile("the card processor rejects"))
    for field, text in (("body_en", "expired certificates"), ("body_he", "תעודות שפג תוקפן")):
        typed = omer.input_value(f"#message textarea[name={field}]").replace("{cause}", text)
        omer.fill(f"#message textarea[name={field}]", typed)
    omer.get_by_role("button", name="Publish", exact=True).click()
    expect(omer.locator("#timeline li[data-update]")).to_have_count(2)
    latest = incident.updates.order_by("-id").first()
    assert latest.status == "identified"
    assert latest.bodies["he"].startswith("Card payments fail: מעבד הכרטיסים דוחה תעודות שפג תוקפן")
