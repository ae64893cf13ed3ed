"""A support agent finds a customer fast: by its name, a contact's name, email or phone as
people say it; and narrows the list by plan, strategic, account manager or component."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from tidings.customers import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(catalog):
    User.objects.create_user("avi", is_staff=True)
    with transaction.atomic():
        globex = services.create_customer(
            actor="dana", name="Globex Bank", plan="enterprise", strategic=True,
            account_manager="avi", components=[catalog["API"]],
        )  # fmt: skip
        services.add_contact(actor="dana", customer=globex, name="Noa Levi",
                             email="noa@globex.example", phone="+972501234567")  # fmt: skip
        initech = services.create_customer(actor="dana", name="Initech", plan="business")
        services.add_contact(actor="dana", customer=initech, name="Bill Lumbergh",
                             email="bill@initech.example")  # fmt: skip
    return catalog


def names(api, query):
    r = api.call("GET", f"/customers?{query}")
    assert r.status_code == 200, r.content
    return [c["name"] for c in r.json()]


def test_a_customer_is_found_by_a_contacts_name_email_or_phone_as_said(api, book):
    assert names(api, "q=globex") == ["Globex Bank"]
    assert names(api, "q=lumbergh") == ["Initech"]
    assert names(api, "q=NOA@GLOBEX") == ["Globex Bank"]
    assert names(api, "q=050-123-4567") == ["Globex Bank"]
    assert names(api, "q=nobody") == []


def test_the_list_narrows_by_plan_strategic_manager_and_component(api, book):
    assert names(api, "plan=business") == ["Initech"]
    assert names(api, "strategic=true") == ["Globex Bank"]
    assert names(api, "manager=avi") == ["Globex Bank"]
    assert names(api, f"component={book['API']}") == ["Globex Bank"]
    assert names(api, f"component={book['Docs']}") == []
    assert names(api, "plan=business&strategic=true") == []
