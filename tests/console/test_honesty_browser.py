"""Honest and on time, in real Chromium on a phone-sized screen: Dana (communications) drafts
an update for a SEV1 that trips two honesty checks; she rewrites the minimising words and
overrides the estimate with a reason; the update waits for approval, reaches nobody, appears on
Omer's open desk by itself; Omer (commander) approves it and the text is on the status page.
Run in English and in Hebrew (the warnings read in the reader's language)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from tests.conftest import published
from tests.console.conftest import IN_CHROMIUM
from tidings.components import services as components
from tidings.core.models import Event
from tidings.incidents import drafts, services
from tidings.incidents.models import Incident, IncidentUpdate, UpdateDraft
from tidings.statuspage import snapshot

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = IN_CHROMIUM

BAD = {
    "en": "A minor glitch at a third party delays card payments. We expect it fixed within 2 hours.",
    "he": "תקלה קטנה אצל צד שלישי מעכבת תשלומים בכרטיס. התיקון צפוי תוך שעתיים.",
}
GOOD = {
    "en": "Our payment gateway rejects 30% of card payments since 11:40. We expect it fixed within 2 hours.",
    "he": "שער התשלומים שלנו דוחה 30% מהתשלומים בכרטיס מאז 11:40. התיקון צפוי תוך שעתיים.",
}
REASON = "The vendor committed to this time in writing; we say so if it slips."
WORDS = {
    "en": {"publish": "Publish", "minimising": "Minimising", "eta": "time of repair",
           "approve": "Approve and publish"},
    "he": {"publish": "פרסום", "minimising": "מקטינות", "eta": "זמן תיקון",
           "approve": "אישור ופרסום"},
}  # fmt: skip


@pytest.fixture
def sev1(staff: dict[str, Any]) -> Incident:
    with transaction.atomic():
        payments = components.create_component(
            actor="omer", name={"en": "Payments", "he": "תשלומים"}
        )
        drafts.set_required(actor="omer", severities=["SEV1"])
        return services.create_incident(
            actor="omer", title={"en": "Card payments fail", "he": "תשלומים בכרטיס נכשלים"},
            severity="SEV1", components={payments.public_id: "major_outage"},
            body={"en": "Card payments fail. We are investigating.", "he": "תשלומים בכרטיס נכשלים. אנחנו בודקים."},
        )  # fmt: skip


def _hebrew(page: Any) -> None:
    page.click("button.lang-switch")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


@pytest.mark.parametrize("lang", ["en", "he"])
def test_a_draft_with_two_warnings_overridden_fixed_approved_and_published(
    signed_in, live_server, site_settings, sev1, lang
):
    w = WORDS[lang]
    desk = f"{live_server.url}/console/incidents/{sev1.public_id}"
    omer = signed_in("omer", phone=False)
    omer.goto(desk)
    expect(omer.locator("#drafts")).to_be_hidden()

    dana = signed_in("dana")
    if lang == "he":
        _hebrew(dana)
    dana.goto(desk)
    dana.select_option("select[name=status]", "identified")
    dana.fill("#message textarea[name=body_en]", BAD["en"])
    dana.fill("#message textarea[name=body_he]", BAD["he"])
    dana.select_option("select[name=confidence]", "low")
    dana.get_by_role("button", name=w["publish"], exact=True).click()

    # Two warnings, each beside the field it is about, in Dana's language; her text is kept.
    warnings = dana.locator("#draft-form .honesty[data-warning]")
    expect(warnings).to_have_count(2)
    minimising = dana.locator("#message .honesty[data-warning=minimising_words]")
    eta = dana.locator("#message .honesty[data-warning=eta_low_confidence]")
    expect(minimising).to_contain_text(w["minimising"])
    expect(minimising).to_contain_text("צד שלישי")
    expect(eta).to_contain_text(w["eta"])
    assert dana.input_value("#message textarea[name=body_he]") == BAD["he"]
    assert dana.input_value("select[name=confidence]") == "low"
    assert IncidentUpdate.objects.filter(incident=sev1).count() == 1

    # One fixed by editing, the other overridden with a reason.
    dana.fill("#message textarea[name=body_en]", GOOD["en"])
    dana.fill("#message textarea[name=body_he]", GOOD["he"])
    eta.locator("input[type=checkbox]").check()
    dana.get_by_role("button", name=w["publish"], exact=True).click()
    # ticked without a reason: still held, and the reason box says so
    expect(
        dana.locator("#message .honesty[data-warning=eta_low_confidence] .field-error")
    ).to_be_visible()
    expect(dana.locator("#draft-form .honesty[data-warning]")).to_have_count(1)
    dana.fill("#message .honesty[data-warning=eta_low_confidence] textarea", REASON)
    dana.get_by_role("button", name=w["publish"], exact=True).click()
    dana.wait_for_url("**#drafts")
    expect(dana.locator("#drafts article.draft")).to_have_count(1)
    expect(dana.locator("#drafts .approve")).to_have_count(0)  # only the commander approves

    draft = UpdateDraft.objects.get()
    assert draft.state == "pending" and draft.bodies == GOOD
    assert IncidentUpdate.objects.filter(incident=sev1).count() == 1  # not published
    sev1.refresh_from_db()
    assert sev1.status == "investigating"

    # Omer's desk shows the draft by itself (polling), with Dana's reason.
    expect(omer.locator("#drafts article.draft")).to_have_count(1, timeout=10000)
    expect(omer.locator("#drafts .override[data-override=eta_low_confidence]")).to_contain_text(
        REASON
    )
    omer.locator("#drafts button.approve").click()
    omer.wait_for_url("**#drafts")
    expect(omer.locator("#timeline li[data-update]")).to_have_count(2)
    expect(omer.locator("#timeline li.newest")).to_contain_text("30%")

    update = IncidentUpdate.objects.filter(incident=sev1).order_by("-id").first()
    assert update is not None and update.author == "dana" and update.bodies == GOOD
    assert update.overrides == {"eta_low_confidence": REASON} and update.confidence == "low"
    assert Event.objects.filter(kind="incident.check_overridden", data__reason=REASON).exists()
    sev1.refresh_from_db()
    assert sev1.status == "identified"

    # The status page serves the approved text, in both languages; never the confidence.
    published(site_settings)
    snap = snapshot.load(site_settings.snapshot_dir)
    assert snap is not None
    pages = {
        p: e.body for p, e in snap.entries.items() if p.endswith(f"/incidents/{sev1.public_id}")
    }
    en = next(b for p, b in pages.items() if not p.startswith("/he"))
    he = next(b for p, b in pages.items() if p.startswith("/he"))
    assert "Our payment gateway rejects 30% of card payments" in en.decode()
    assert "שער התשלומים שלנו דוחה 30%" in he.decode()
    assert REASON not in en.decode()
