"""The Django admin works for what it still does: text per language in a box per language
(never a JSON box prefilled "null"), contact channels as boxes to tick, tokens revoked there;
declaring an incident and making a token lead to the console, which does them properly."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tidings.components.models import Component
from tidings.core.auth import issue_token
from tidings.core.models import ApiToken, Event
from tidings.customers.models import Contact, Customer
from tidings.incidents.models import FaqEntry


@pytest.fixture
def noa(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("noa", "noa@acme.test", "pw"))
    return client


def formset(prefix: str, forms: list[dict[str, str]], initial: int = 0) -> dict[str, str]:
    data = {f"{prefix}-TOTAL_FORMS": str(len(forms)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for i, form in enumerate(forms):
        data.update({f"{prefix}-{i}-{k}": v for k, v in form.items()})
    return data


def incident_form(noa: Client, incident) -> dict[str, str]:
    page = noa.get(f"/admin/incidents/incident/{incident.pk}/change/")
    form = page.context["adminform"].form
    data = {k: ("" if v is None else str(v)) for k, v in form.initial.items() if k in form.fields}
    data.update({"eta_at_0": "", "eta_at_1": ""})
    data.update(formset("updates", [], 1))
    return data


def test_adding_an_incident_in_the_admin_leads_to_the_console(noa, db):
    r = noa.get("/admin/incidents/incident/add/")
    assert r.status_code == 302 and r["Location"].startswith("/console/")
    assert noa.get(r["Location"]).status_code == 200
    assert "/admin/incidents/incident/add/" in noa.get("/admin/").content.decode()


def test_new_faq_and_resource_rows_offer_a_box_per_language_and_no_null(noa, outage):
    page = noa.get(f"/admin/incidents/incident/{outage.pk}/change/").content.decode()
    assert ">null<" not in page and '"null"' not in page
    for name in ("question__en", "question__he", "answer__en", "answer__he"):
        assert f'name="faq-__prefix__-{name}"' in page
    assert 'name="resources-__prefix__-title__he"' in page
    assert re.search(r'name="title__he"[^>]*value="שגיאות מוגברות ב-API"', page)
    assert 'lang="he"' in page


def test_a_faq_entry_is_written_per_language_in_the_admin(noa, outage):
    data = incident_form(noa, outage)
    data.update(formset("faq", [{
        "question__en": "Is my data safe?", "question__he": "האם המידע שלי בטוח?",
        "answer__en": "Yes.", "answer__he": "", "position": "0",
    }]))  # fmt: skip
    data.update(formset("resources", []))
    r = noa.post(f"/admin/incidents/incident/{outage.pk}/change/", data)
    assert r.status_code == 302, r.context["errors"] if r.context else r
    faq = FaqEntry.objects.get(incident=outage)
    assert faq.question == {"en": "Is my data safe?", "he": "האם המידע שלי בטוח?"}
    assert faq.answer == {"en": "Yes."}


def test_a_faq_entry_without_a_question_is_refused_next_to_the_field(noa, outage):
    data = incident_form(noa, outage)
    data.update(formset("faq", [{"question__en": "", "answer__en": "Yes.", "position": "0"}]))
    data.update(formset("resources", []))
    r = noa.post(f"/admin/incidents/incident/{outage.pk}/change/", data)
    assert r.status_code == 200
    assert "Write it in one language at least." in r.content.decode()
    assert not FaqEntry.objects.exists()


def test_a_component_is_named_per_language_in_the_admin(noa, catalog):
    api = Component.objects.get(public_id=catalog["API"])
    page = noa.get(f"/admin/components/component/{api.pk}/change/")
    form = page.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.update({"name__en": "Public API", "name__he": "ממשק ציבורי"})
    data = {k: v for k, v in data.items() if not isinstance(v, bool) or v}
    r = noa.post(f"/admin/components/component/{api.pk}/change/", data)
    assert r.status_code == 302, r.context["errors"] if r.context else r
    api.refresh_from_db()
    assert (api.name, api.names) == ("Public API", {"en": "Public API", "he": "ממשק ציבורי"})


def test_contact_channels_are_boxes_to_tick(noa, db):
    acme = Customer.objects.create(name="Initech")
    contact = Contact.objects.create(customer=acme, name="Bill", email="bill@initech.test",
                                     phone="+972521112233")  # fmt: skip
    page = noa.get(f"/admin/customers/customer/{acme.pk}/change/").content.decode()
    assert 'type="checkbox" name="contacts-0-channels" value="sms"' in page
    data = {"name": "Initech", "plan": "standard", "contract_ref": ""}
    data.update(formset("contacts", [{
        "id": str(contact.pk), "customer": str(acme.pk), "name": "Bill", "role": "",
        "email": "bill@initech.test", "phone": "+972521112233", "language": "en",
        "channels": "sms",
    }], initial=1))  # fmt: skip
    r = noa.post(f"/admin/customers/customer/{acme.pk}/change/", data)
    assert r.status_code == 302, r.context["errors"] if r.context else r
    contact.refresh_from_db()
    assert contact.channels == ["sms"]


def test_tokens_are_made_in_the_console_and_revoked_in_the_admin(noa, dana):
    r = noa.get("/admin/core/apitoken/add/")
    assert r.status_code == 302 and r["Location"] == "/console/tokens/"
    token = issue_token(user=dana, name="old script", scopes=["read"])
    row = ApiToken.objects.get(name="old script")
    r = noa.post("/admin/core/apitoken/", {"action": "revoke", "_selected_action": [row.pk]})
    assert r.status_code == 302
    row.refresh_from_db()
    assert row.revoked_by == "noa" and row.revoked_at is not None
    assert Event.objects.filter(kind="token.revoked", subject_id=row.public_id).exists()
    assert (
        Client().get("/api/v1/components", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    )
