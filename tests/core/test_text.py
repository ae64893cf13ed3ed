"""Text entering Tidings: control characters refused in one-line fields, bidirectional
overrides removed everywhere, Hebrew (with its direction marks) kept as written."""

from __future__ import annotations

import pytest

from tests.conftest import published
from tidings.core import text
from tidings.core.errors import InvalidInput

RLO = "\u202e"  # right-to-left override: "gpj.exe" shows as "exe.jpg"
RLM = "\u200f"


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("Outage\r\nBcc: everyone@example.com", "U+000D (carriage return)"),
        ("Outage\nsecond line", "U+000A (line feed)"),
        ("Outage\tnow", "U+0009 (tab)"),
        ("Outage\x00", "U+0000 (NUL)"),
        ("Outage\x1b[31m", "U+001B"),
        ("Outage\x85", "U+0085"),
        ("Outage\u2028next", "U+2028 (line separator)"),
    ],
)
def test_a_title_with_a_control_character_is_refused_naming_it(value, named):
    with pytest.raises(InvalidInput, match="must be a single line") as err:
        text.line(value, field="title")
    assert named in err.value.message


def test_bidirectional_overrides_and_isolates_are_removed_in_both_languages():
    for value, expected in [
        (f"Invoice{RLO}fdp.exe", "Invoicefdp.exe"),
        (f"\u2066שלום\u2069 {RLO}עולם\u202c", "שלום עולם"),  # noqa: RUF001
        ("\u202a\u202b\u202d\u2067\u2068x", "x"),
    ]:
        assert text.line(value, field="title") == expected
        assert text.clean(value, field="body", single_line=False) == expected


def test_hebrew_keeps_its_direction_marks_and_bodies_keep_their_lines():
    hebrew = f"השירות חזר לפעול{RLM} (API v2){RLM}."
    assert text.line(hebrew, field="title") == hebrew
    body = f"שורה ראשונה\r\n\tשורה שנייה{RLM}\n"  # noqa: RUF001
    assert text.clean(body, field="body", single_line=False) == body.strip()
    with pytest.raises(InvalidInput, match="may not hold control characters"):
        text.clean("a\x07b", field="body", single_line=False)


def test_localized_titles_are_single_lines_and_bodies_lose_overrides():
    with pytest.raises(InvalidInput, match=r"title\.he contains U\+000A"):
        text.check_localized(
            {"en": "ok", "he": "כותרת\nשנייה"}, field="title", max_chars=200, required=True,  # noqa: RUF001
            single_line=True,
        )  # fmt: skip
    assert text.check_localized(
        {"en": f"a{RLO}b", "he": f"ג{RLO}ד\nה"}, field="body", max_chars=100, required=True
    ) == {"en": "ab", "he": "גד\nה"}


def test_the_api_refuses_an_incident_title_that_would_inject_mail_headers(api, catalog):
    r = api.call(
        "POST",
        "/incidents",
        {"title": "Outage\r\nBcc: all@example.com\r\n\r\nPay here", "body": "We are on it."},
    )
    assert r.status_code == 422
    assert "title contains U+000D (carriage return)" in r.json()["detail"]
    inc = api.call("POST", "/incidents", {"title": "Outage", "body": "We are on it."}).json()
    r = api.call("PATCH", f"/incidents/{inc['id']}", {"title": "x\ny"})
    assert r.status_code == 422 and "single line" in r.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/components", {"name": "API\nBcc: x"}),
        ("/groups", {"name": "Core\r"}),
        ("/customers", {"name": "Globex\x1b"}),
        ("/maintenances", {"title": "DB\nupgrade", "body": "x",
                           "scheduled_for": "2030-01-01T00:00:00Z",
                           "scheduled_until": "2030-01-01T01:00:00Z"}),
    ],
)  # fmt: skip
def test_names_and_titles_with_control_characters_are_refused(lead_api, path, body):
    r = lead_api.call("POST", path, body)
    assert r.status_code == 422, r.content
    assert "U+00" in r.json()["detail"]


def test_a_contact_name_with_a_line_break_is_refused(lead_api):
    customer = lead_api.call("POST", "/customers", {"name": "Globex"}).json()
    r = lead_api.call("POST", f"/customers/{customer['id']}/contacts", {"name": "Noa\nLevi"})
    assert r.status_code == 422 and "single line" in r.json()["detail"]


def test_overrides_never_reach_the_page_the_feeds_or_the_api(api, catalog, site_settings):
    r = api.call(
        "POST",
        "/incidents",
        {
            "title": f"Login{RLO} errors",
            "body": {"en": f"We{RLO} are on it.", "he": f"אנחנו{RLO} בודקים{RLM}."},
            "components": {catalog["API"]: "partial_outage"},
        },
    )
    assert r.status_code == 201
    inc = r.json()
    assert inc["title"] == "Login errors"
    assert inc["updates"][0]["body"] == {"en": "We are on it.", "he": f"אנחנו בודקים{RLM}."}
    faq = api.call(
        "POST",
        f"/incidents/{inc['id']}/faq",
        {"question": f"Why{RLO}?", "answer": {"he": f"כי{RLO}."}},
    )
    assert faq.status_code == 201
    site = published(site_settings)
    files = [
        p
        for p in site.rglob("*")
        if p.is_file() and p.suffix in (".html", ".json", ".atom", ".rss", ".xml", ".ics")
    ]
    assert files and any("Login errors" in p.read_text() for p in files)
    for p in files:
        assert RLO not in p.read_text(), p


def test_admin_edits_follow_the_same_rules(db, client, catalog):
    from django.contrib.auth.models import User

    from tidings.components.models import Component

    User.objects.create_superuser("dana", "dana@acme.test", "pw")
    client.login(username="dana", password="pw")
    c = Component.objects.get(name="Docs")
    url = f"/admin/components/component/{c.pk}/change/"
    form = {"name__en": "Docs\nBcc: x", "description": "", "position": 1, "status": "operational",
            "showcase": "on"}  # fmt: skip
    r = client.post(url, form)
    assert r.status_code == 200 and "must be a single line" in r.content.decode()
    r = client.post(url, {**form, "name__en": f"Docs{RLO}"})
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.name == "Docs"
