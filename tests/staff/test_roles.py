"""Staff roles: one table says who may do what; a user without a role reads only."""

import pytest
from django.contrib.auth.models import User

from tidings.core.errors import InvalidInput
from tidings.staff import rules, services


def test_every_role_reads_incidents_and_only_leads_approve():
    assert all(rules.can(role, "incidents.read") for role in rules.ROLES)
    assert {r for r in rules.ROLES if rules.can(r, "incidents.approve")} == {"admin", "commander"}
    assert {r for r in rules.ROLES if rules.can(r, "incidents.write")} == {
        "admin", "commander", "communications",
    }  # fmt: skip


def test_an_unknown_action_or_role_is_refused():
    assert not rules.can("admin", "incidents.delete_everything")
    assert not rules.can("intern", "incidents.read")


def test_every_area_has_read_and_write_decided():
    for area in rules.AREAS:
        assert f"{area}.read" in rules.PERMISSIONS and f"{area}.write" in rules.PERMISSIONS


def test_who_has_which_role(db):
    boss = User.objects.create_superuser("noa", "noa@acme.test", "pw")
    dana = User.objects.create_user("dana", is_staff=True)
    erez = User.objects.create_user("erez")  # a customer-facing account, not staff
    gone = User.objects.create_user("gone", is_staff=True, is_active=False)
    assert services.role_of(boss) == "admin"
    assert services.role_of(dana) == "viewer"
    assert services.role_of(erez) is None and services.role_of(gone) is None
    services.set_profile(actor="noa", user=dana, role="communications", on_call=True)
    assert services.role_of(dana) == "communications"
    assert services.may(dana, "templates.write") and not services.may(dana, "staff.write")
    assert [u.username for u in services.on_call()] == ["dana"]


def test_a_bad_role_or_channel_is_explained(db):
    dana = User.objects.create_user("dana", is_staff=True)
    with pytest.raises(InvalidInput, match="unknown role"):
        services.set_profile(actor="noa", user=dana, role="boss")
    with pytest.raises(InvalidInput, match="needs a target"):
        services.set_profile(actor="noa", user=dana, channels=[{"channel": "sms"}])
