"""The API's "no such thing" (404) and "not with this token / role" (403) answers speak the
caller's language: Omer's script, run with ``Accept-Language: he``, reads them in Hebrew; a
client that asks for no language keeps reading today's English, word for word."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from tidings.core import db
from tidings.core.auth import issue_token
from tidings.staff.models import StaffProfile

pytestmark = pytest.mark.django_db


def call(token: str, method: str, path: str, body: Any = None, **headers: str) -> Any:
    kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}", **headers}
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(Client(), method.lower())(f"/api/v1{path}", **kwargs)


@pytest.mark.parametrize(
    ("method", "path", "english", "hebrew"),
    [
        ("GET", "/incidents/nope", "no incident with id 'nope'", "אין תקלה עם המזהה 'nope'"),
        ("POST", "/maintenances/nope/start", "no maintenance with id 'nope'",
         "אין תחזוקה עם המזהה 'nope'"),
        ("GET", "/components/nope", "no component with id 'nope'", "אין רכיב עם המזהה 'nope'"),
        ("GET", "/customers/nope", "no customer with id 'nope'", "אין לקוח עם המזהה 'nope'"),
        ("POST", "/drafts/nope/approve", "no draft with id 'nope'", "אין טיוטה עם המזהה 'nope'"),
        ("DELETE", "/incidents/{incident}/faq/999", "no FAQ entry 999 on this incident",
         "אין שאלה נפוצה 999 בתקלה הזו"),
        ("DELETE", "/incidents/{incident}/resources/999",
         "no workaround or resource 999 on this incident", "אין דרך לעקוף או קישור 999 בתקלה הזו"),
        ("PUT", "/cadence/SEV9", "no cadence for 'SEV9'; use SEV1-SEV4 or none",
         "אין קצב עדכונים לחומרה 'SEV9'; השתמשו ב-SEV1-SEV4 או ב-none"),
        ("GET", "/contacts/999/deliveries", "no contact 999", "אין איש קשר 999"),
    ],
)  # fmt: skip
def test_an_unknown_id_is_refused_in_the_callers_language(
    rina: Any, outage: Any, method: str, path: str, english: str, hebrew: str
) -> None:
    token = issue_token(user=rina, name="script")
    path = path.format(incident=outage.public_id)
    body: dict[str, Any] | None = {} if method in ("POST", "PUT") else None
    he = call(token, method, path, body, HTTP_ACCEPT_LANGUAGE="he")
    assert he.status_code == 404 and he.json() == {"detail": hebrew}
    en = call(token, method, path, body)  # no Accept-Language
    assert en.status_code == 404 and en.json() == {"detail": english}


def test_an_update_naming_an_unknown_component_is_refused_in_the_callers_language(
    rina: Any, catalog: Any
) -> None:
    token = issue_token(user=rina, name="script")
    body = {
        "title": "Checkout failing",
        "body": "We are on it.",
        "components": {"nope": "major_outage"},
    }
    he = call(token, "POST", "/incidents", body, HTTP_ACCEPT_LANGUAGE="he")
    assert he.status_code == 404 and he.json() == {"detail": "מזהי רכיבים לא מוכרים: nope"}
    en = call(token, "POST", "/incidents", body)
    assert en.status_code == 404 and en.json() == {"detail": "unknown component id(s): nope"}


def test_every_noun_keeps_its_english_sentence_and_an_unlisted_one_a_generic_sentence() -> None:
    for what in [*db.NOT_FOUND, "widget"]:
        assert db.not_found(what, "x1") == f"no {what} with id 'x1'"
    with translation.override("he"):
        assert db.not_found("widget", "x1") == "אין רשומה מסוג widget עם המזהה 'x1'"
        # each listed noun has a sentence of its own, not the generic one around an English noun
        assert not any("רשומה" in db.not_found(what, "x1") for what in db.NOT_FOUND)


def test_a_read_token_is_refused_a_write_in_the_callers_language(dana: Any) -> None:
    token = issue_token(user=dana, name="dashboard", scopes=["read"])
    body = {"title": "x", "severity": "SEV2"}
    he = call(token, "POST", "/incidents", body, HTTP_ACCEPT_LANGUAGE="he")
    assert he.status_code == 403
    assert he.json()["detail"] == (
        "ההרשאות של האסימון הזה (read) אינן מתירות POST /incidents (incidents.write); "
        "נדרשת אחת מאלה: incidents, admin"
    )
    en = call(token, "POST", "/incidents", body)
    assert en.status_code == 403
    assert en.json()["detail"] == (
        "this token's scopes (read) do not allow POST /incidents (incidents.write); "
        "it needs one of: incidents, admin"
    )


def test_a_role_refusal_is_in_the_callers_language(catalog: Any) -> None:
    support = User.objects.create_user("tal", "tal@acme.test", "pw", is_staff=True)
    StaffProfile.objects.create(user=support, role="support")
    token = issue_token(user=support, name="desk", scopes=["admin"])
    he = call(token, "POST", "/components", {"name": "New"}, HTTP_ACCEPT_LANGUAGE="he")
    assert he.status_code == 403
    assert he.json()["detail"] == (
        "התפקיד שלך (support) אינו מורשה לבצע components.write (POST /components); "
        "מורשים: admin, commander"
    )
    en = call(token, "POST", "/components", {"name": "New"})
    assert en.json()["detail"] == (
        "your role (support) may not components.write (POST /components); allowed: admin, commander"
    )


def test_an_unknown_scope_is_refused_in_the_callers_language(dana: Any) -> None:
    session = Client()
    session.force_login(dana)
    body = {"name": "x", "scopes": ["everything"]}
    he = session.post("/api/v1/tokens", body, content_type="application/json",
                      HTTP_ACCEPT_LANGUAGE="he")  # fmt: skip
    assert he.status_code == 422
    assert he.json()["detail"] == (
        "הרשאה לא מוכרת everything; אפשר: read, incidents, subscribers, customers, admin"
    )
    en = session.post("/api/v1/tokens", body, content_type="application/json")
    assert en.json()["detail"] == (
        "unknown scope everything; use read, incidents, subscribers, customers, admin"
    )


def test_a_call_without_a_token_is_refused_in_the_callers_language() -> None:
    client = Client()
    he = client.get("/api/v1/incidents", HTTP_ACCEPT_LANGUAGE="he")
    en = client.get("/api/v1/incidents")
    assert he.status_code == en.status_code == 401
    assert he.json()["detail"] == ("נדרשת הזדהות: יש לשלוח 'Authorization: Bearer <token>'")
    assert en.json()["detail"] == "authentication required: send 'Authorization: Bearer <token>'"
