"""API tokens: made with scopes, shown once, stored hashed, dated when used, revoked; a scope
narrows what a token can do, and every API path is covered by the one table that says how."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tidings import cli
from tidings.api import api as staff_api
from tidings.core import access
from tidings.core.auth import issue_token
from tidings.core.models import ApiToken
from tidings.staff import rules
from tidings.staff import services as staff

INCIDENT = {"title": "Checkout failing", "body": "We are on it."}


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def noa(db):
    """Noa is an admin."""
    return User.objects.create_superuser("noa", "noa@acme.test", "pw")


@pytest.fixture
def dana_comms(dana):
    staff.set_profile(actor="noa", user=dana, role="communications")
    return dana


def operations():
    schema = staff_api.get_openapi_schema()
    for path, ops in schema["paths"].items():
        for method in ops:
            yield method.upper(), path.removeprefix("/api/v1")


def test_every_api_path_is_an_action_a_role_and_a_scope_can_be_asked_about(db):
    seen = 0
    for method, path in operations():
        seen += 1
        action = access.action_for(method, path)
        if access.is_public(path):
            continue
        assert action in rules.PERMISSIONS, f"{method} {path} maps to {action!r}"
        assert access.scope_allows(["admin"], method, action)
        if method == "GET":
            assert access.scope_allows(["read"], method, action) == action.endswith(".read")
        else:
            assert not access.scope_allows(["read"], method, action), f"{method} {path}"
    assert seen > 40


def test_a_django_route_reads_as_the_api_template():
    assert access.template_of("api/v1/incidents/<incident_id>/updates") == (
        "/incidents/{incident_id}/updates"
    )
    assert access.template_of("api/v1/contacts/<int:contact_id>/enable") == (
        "/contacts/{contact_id}/enable"
    )


def test_a_path_nobody_mapped_is_refused_to_every_token():
    assert access.action_for("GET", "/unheard-of") is None
    assert not access.scope_allows(["read"], "GET", None)
    assert not access.scope_allows(["admin"], "GET", None)


def test_a_read_token_can_only_get(dana, client, catalog):
    token = issue_token(user=dana, name="dashboard", scopes=["read"])
    assert client.get("/api/v1/components", **bearer(token)).status_code == 200
    r = client.post(
        "/api/v1/incidents", json.dumps(INCIDENT), content_type="application/json", **bearer(token)
    )
    assert r.status_code == 403
    assert "scopes (read) do not allow POST /incidents" in r.json()["detail"]
    assert "incidents" in r.json()["detail"]
    export = client.get("/api/v1/customers/export", **bearer(token))
    assert export.status_code == 403  # an export is not a plain read


def test_a_scope_lets_its_own_area_change_and_no_other(rina, client, catalog):
    token = issue_token(user=rina, name="crm sync", scopes=["customers"])  # an admin's
    r = client.post(
        "/api/v1/customers", json.dumps({"name": "Initech"}), content_type="application/json",
        **bearer(token),
    )  # fmt: skip
    assert r.status_code == 201
    assert client.get("/api/v1/customers/export", **bearer(token)).status_code == 200
    r = client.post(
        "/api/v1/incidents", json.dumps(INCIDENT), content_type="application/json", **bearer(token)
    )
    assert r.status_code == 403


def test_a_token_is_shown_once_stored_hashed_used_and_revoked(dana_comms, client, now):
    owner = Client()
    owner.force_login(dana_comms)
    r = owner.post(
        "/api/v1/tokens", {"name": "status bot", "scopes": ["read"]},
        content_type="application/json",
    )  # fmt: skip
    assert r.status_code == 201, r.content
    made = r.json()
    secret = made["token"]
    assert made["scopes"] == ["read"] and made["hint"] == secret[-4:]
    row = ApiToken.objects.get(public_id=made["id"])
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps(list(ApiToken.objects.values()), default=str)
    listed = owner.get("/api/v1/tokens").json()
    assert [t["id"] for t in listed] == [made["id"]] and "token" not in listed[0]

    assert client.get("/api/v1/incidents", **bearer(secret)).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at == now

    gone = owner.delete(f"/api/v1/tokens/{made['id']}")
    assert gone.status_code == 200 and gone.json()["state"] == "revoked"
    refused = client.get("/api/v1/incidents", **bearer(secret))
    assert refused.status_code == 401
    assert "revoked on 2026-11-23 12:00 UTC by dana" in refused.json()["detail"]


def test_a_role_gets_no_scope_beyond_itself(db):
    viewer = User.objects.create_user("yael", is_staff=True)  # no role given: a viewer
    session = Client()
    session.force_login(viewer)
    r = session.post(
        "/api/v1/tokens", {"name": "x", "scopes": ["subscribers"]}, content_type="application/json"
    )
    assert r.status_code == 403
    assert "cannot use a token with the scope subscribers" in r.json()["detail"]
    r = session.post(
        "/api/v1/tokens", {"name": "x", "scopes": ["everything"]}, content_type="application/json"
    )
    assert r.status_code == 422 and "unknown scope everything" in r.json()["detail"]


def test_staff_see_their_own_tokens_and_admins_see_and_revoke_all(dana, noa):
    mine = issue_token(user=dana, name="mine", scopes=["read"])
    theirs = ApiToken.objects.get(name="mine").public_id
    issue_token(user=noa, name="noa's", scopes=["admin"])
    dana_session, noa_session = Client(), Client()
    dana_session.force_login(dana)
    noa_session.force_login(noa)
    assert [t["name"] for t in dana_session.get("/api/v1/tokens").json()] == ["mine"]
    assert dana_session.get("/api/v1/tokens?everyone=true").status_code == 403
    everyone = noa_session.get("/api/v1/tokens?everyone=true").json()
    assert {t["name"] for t in everyone} == {"mine", "noa's"}
    noa_id = next(t["id"] for t in everyone if t["name"] == "noa's")
    assert dana_session.delete(f"/api/v1/tokens/{noa_id}").status_code == 404
    assert noa_session.delete(f"/api/v1/tokens/{theirs}").json()["revoked_by"] == "noa"
    assert Client().get("/api/v1/incidents", **bearer(mine)).status_code == 401


def test_the_cli_issues_a_scoped_token(dana, capsys, client):
    assert cli.main(["token", "--user", "dana", "--scope", "read", "--name", "wallboard"]) == 0
    token = capsys.readouterr().out.strip()
    assert ApiToken.objects.get(name="wallboard").scopes == ["read"]
    r = client.post(
        "/api/v1/incidents", json.dumps(INCIDENT), content_type="application/json", **bearer(token)
    )
    assert r.status_code == 403
    assert cli.main(["token", "--user", "dana", "--scope", "root"]) == 2
    assert "unknown scope root" in capsys.readouterr().err


def test_a_preview_is_a_read_but_a_read_token_still_only_gets():
    assert access.action_for("POST", "/incidents/{incident_id}/audience") == "incidents.read"
    assert access.action_for("POST", "/incidents/preview") == "incidents.read"
    assert not access.scope_allows(["read"], "POST", "incidents.read")
    assert access.scope_allows(["incidents"], "POST", "incidents.read")
    assert not access.scope_allows(["customers"], "POST", "incidents.read")
