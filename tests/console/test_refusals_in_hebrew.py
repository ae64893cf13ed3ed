"""A service's refusal speaks the reader's language: Omer, on the console in Hebrew at 3 a.m.,
reads why his change was refused in Hebrew, next to the field it is about; an API client that
asks for no language keeps reading the same refusal in English."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import api_client
from tests.console.conftest import add_component
from tidings.components.models import Component
from tidings.monitors.models import Monitor
from tidings.subscribers.models import Subscriber

TAB_IN_NAME_HE = "name.en: יש בו את התו U+0009 (טאב) במקום 4; כאן צריך שורה אחת בלבד"
TAB_IN_NAME_EN = "name.en contains U+0009 (tab) at position 4; name.en must be a single line"


def test_a_name_with_a_tab_is_refused_in_hebrew_under_the_english_name(
    commander: Client, catalog: dict[str, str]
) -> None:
    r = add_component(commander, name_en="Pay\tments", language="he")
    page = r.content.decode()
    assert r.status_code == 422 and 'dir="rtl"' in page
    assert TAB_IN_NAME_HE in page and "contains U+0009" not in page
    # In the new component's form, under the English name it is about (the text checks call
    # it "name.en"), before the Hebrew one.
    form = page[page.index('id="new-component"') :]
    assert (
        'name="name_en" lang="en" dir="ltr" maxlength="120" value="Pay\tments" aria-invalid' in form
    )
    assert form.index('name="name_en"') < form.index(TAB_IN_NAME_HE) < form.index('name="name_he"')
    assert not Component.objects.filter(slug="payments").exists()


def test_the_api_without_a_language_keeps_the_english_refusal(omer: Any, catalog: Any) -> None:
    api: Any = api_client(omer)  # its call() sends the token, and no Accept-Language
    r = api.call("POST", "/components", {"name": {"en": "Pay\tments"}})
    assert r.status_code == 422 and r.json() == {"detail": TAB_IN_NAME_EN}


def test_an_unknown_component_is_refused_in_hebrew_under_the_component_field(
    commander: Client, omer: Any, catalog: dict[str, str]
) -> None:
    # The console found this field by the English message's first words; the Hebrew one
    # starts otherwise, so the monitors service names the field outright.
    r = commander.post(
        "/console/monitors/add/monitor",
        {"kind": "tcp", "name": "Database", "target": "db.acme.test:5432", "component": "nope",
         "interval": "60", "publish_after": "0"},
        HTTP_ACCEPT_LANGUAGE="he",
    )  # fmt: skip
    page = r.content.decode()
    refusal = "אין רכיב עם המזהה או המזהה הקצר &#x27;nope&#x27;"
    assert r.status_code == 422 and refusal in page and not Monitor.objects.exists()
    component = page.index('name="component"')
    assert component < page.index(refusal) < page.index('name="interval"', component)
    api: Any = api_client(omer)
    english = api.call(
        "POST", "/monitors",
        {"kind": "tcp", "name": "Database", "target": "db.acme.test:5432", "component": "nope"},
    )  # fmt: skip
    assert english.status_code == 404
    assert english.json() == {"detail": "no component with id or slug 'nope'"}


@pytest.mark.parametrize(
    ("channel", "target", "reason"),
    [
        ("slack", "https://example.com/hook",
         "לא ניתן להשתמש בכתובת ה-URL הזו: כתובת וובהוק נכנס של Slack מתחילה ב-https://hooks.slack.com/"),
        ("teams", "http://acme.webhook.office.com/x",
         "כתובת וובהוק של Teams Workflows מתחילה ב-https://"),
        ("apprise", "nonsense://x", "Apprise אינו מקבל כתובת nonsense:// זו"),
        ("webhook", "ftp://hooks.example.com/x", "הכתובת חייבת להתחיל ב-https://"),
    ],
)  # fmt: skip
def test_a_target_a_channel_refuses_is_explained_in_hebrew_under_the_target(
    client: Client, dana: Any, catalog: dict[str, str], channel: str, target: str, reason: str
) -> None:
    # Dana adds a subscriber for a customer who asked by phone; the channel's own check (the
    # channel's words, not the subscribe form's) refuses the address, next to it, in Hebrew.
    client.force_login(dana)
    r = client.post("/console/subscribers/new", {
        "channel": channel, "target": target, "consent": "asked by phone", "language": "he",
        "every_component": "on",
    }, HTTP_ACCEPT_LANGUAGE="he")  # fmt: skip
    page = r.content.decode()
    assert r.status_code == 422 and 'dir="rtl"' in page
    errors = page[page.index('id="id_target-errors"') :]
    assert errors.index(reason) < errors.index("</")
    assert "cannot be used" not in page and "starts with" not in page
    assert not Subscriber.objects.exists()
