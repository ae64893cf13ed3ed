"""The role test: every console URL (from the URL resolver) and every API path (from the
OpenAPI schema) with every role. A role the table allows is never refused (anything but 403);
a role it does not allow gets 403, with a message naming the action and the roles allowed. A
new page or endpoint without an action fails here before anyone can use it."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from tidings.api import api
from tidings.core import access, clock
from tidings.core.auth import issue_token
from tidings.core.models import ApiToken
from tidings.customers import services as customers
from tidings.customers.models import ImportJob
from tidings.incidents import content
from tidings.monitors import checks, hooks
from tidings.monitors import services as monitors
from tidings.monitors.models import AlertGroup
from tidings.staff import rules
from tidings.staff.models import StaffProfile
from tidings.subscribers import directory

#: Console pages anyone may open: signing in and out.
OPEN = {"console-login", "console-logout"}
_PARAM = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def _console_patterns() -> list[tuple[str, str, Any]]:
    """(name, route, view) of every URL under /console/, walked from the project's resolver."""
    out = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                out.append((p.name or "", prefix + str(p.pattern), p.callback))

    walk(get_resolver().url_patterns, "")
    return [(n, r, v) for n, r, v in out if r.startswith("console/")]


@pytest.fixture
def people(db: Any) -> dict[str, User]:
    users = {}
    for role in rules.ROLES:
        user = User.objects.create_user(f"u-{role}", f"{role}@acme.test", "pw", is_staff=True)
        StaffProfile.objects.create(user=user, role=role)
        users[role] = user
    return users


@pytest.fixture
def things(outage: Any, catalog: dict[str, str], people: dict[str, User]) -> dict[str, str]:
    """One real object of each kind a path names, by parameter name."""
    with transaction.atomic():
        customer = customers.create_customer(actor="t", name="Globex")
        contact = customers.add_contact(actor="t", customer=customer, name="Hana",
                                        email="hana@globex.test")  # fmt: skip
        sub = directory.add(actor="t", channel="email", target="s@acme.test", consent="phone")
        faq = content.add_faq(actor="t", incident=outage, question="Q?", answer="A.")
        res = content.add_resource(actor="t", incident=outage, kind="workaround", title="Retry")
        source = monitors.create_source(actor="t", kind="alertmanager", name="prom")
        now = clock.now()
        alert = AlertGroup.objects.create(
            source=source, key="g1", label="x", title="API down", firing=True,
            components={catalog["API"]: "major_outage"}, publish_at=now + timedelta(minutes=5),
            created_at=now, updated_at=now,
        )  # fmt: skip
        hook = hooks.create_hook(actor="t", kind="webhook", url="https://hooks.acme.test/x")
        monitor = checks.create_monitor(actor="t", kind="heartbeat", name="cron",
                                        component=catalog["API"])  # fmt: skip
        job = ImportJob.objects.create(actor="t", created_at=now)
    issue_token(user=people["viewer"], name="walked", scopes=["read"])
    return {
        "incident_id": outage.public_id, "component_id": catalog["API"],
        "customer_id": customer.public_id, "contact_id": str(contact.pk),
        "subscriber_id": sub.public_id, "faq_id": str(faq.pk), "resource_id": str(res.pk),
        "alert_group_id": alert.public_id, "component_group_id": _group_id(),
        "source_id": source.public_id, "hook_id": hook.public_id,
        "monitor_id": monitor.public_id, "job_id": job.public_id, "key": "investigating",
        "token_id": ApiToken.objects.get(name="walked").public_id, "username": "u-viewer",
        "what": "monitor",
    }  # fmt: skip


def _group_id() -> str:
    from tidings.components.models import ComponentGroup

    return ComponentGroup.objects.order_by("id").first().public_id  # type: ignore[union-attr]


def _fill(route: str, things: dict[str, str], pattern: re.Pattern[str]) -> str:
    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        if name == "group_id":
            alert = "alert" in route or "monitors" in route
            name = "alert_group_id" if alert else "component_group_id"
        if name == "row_id":  # an incident's FAQ entry or resource, by the route
            name = "resource_id" if "resources" in route else "faq_id"
        return things.get(name, "x0x0x0x0")

    return pattern.sub(value, route)


def _body(r: Any) -> bytes:
    return b"" if r.streaming else bytes(r.content)


def _check(role: str, allowed: bool, status: int, body: bytes, where: str) -> None:
    if allowed:
        assert status != 403, f"{role} was refused {where}: {body[:300]!r}"
    else:
        assert status == 403, f"{role} was not refused {where} (got {status})"


def test_every_console_url_with_every_role(people, things):
    pages = _console_patterns()
    assert len(pages) > 40, "the walk found the console's pages"
    for name, route, view in pages:
        if name in OPEN:
            continue
        action = getattr(view, "console_action", None)
        assert action in rules.PERMISSIONS, f"{name} ({route}) is not a @console_view"
        url = "/" + _fill(route, things, _PARAM)
        for role, user in people.items():
            client = Client()
            client.force_login(user)
            r = client.get(url)
            _check(role, rules.can(role, action), r.status_code, _body(r), f"GET {url}")
            if r.status_code == 200 and not r.streaming:
                _forms_fit_the_role(role, r.content.decode(), url)


_FORM = re.compile(
    r'<form[^>]*method="post"[^>]*action="([^"]+)"|<form[^>]*action="([^"]+)"[^>]*method="post"'
)


def _forms_fit_the_role(role: str, page: str, url: str) -> None:
    """Every form a page shows posts to a page the role may use: a button one cannot use is
    not shown."""
    for m in _FORM.finditer(page):
        target = (m.group(1) or m.group(2)).split("?")[0]
        if not target.startswith("/console/") or target == "/console/logout":
            continue
        view = resolve(target).func
        action = getattr(view, "console_action", None)
        assert action and rules.can(role, action), f"{url} shows {role} a form to {target}"


def _api_operations() -> list[tuple[str, str, bool]]:
    """(method, template, public) of every operation in the OpenAPI schema."""
    schema = api.get_openapi_schema(path_prefix="")
    out = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            out.append((method.upper(), path, not op.get("security")))
    return out


@pytest.mark.parametrize("by", ["session", "token"])
def test_every_api_path_with_every_role(people, things, by):
    operations = _api_operations()
    assert len(operations) > 60, "the walk found the API"
    tokens = {role: issue_token(user=u, name="all", scopes=["admin"]) for role, u in people.items()}
    for method, template, public in operations:
        action = access.action_for(method, template)
        if public:
            assert access.is_public(template), f"{method} {template} needs no sign-in: say so"
            continue
        assert action in rules.PERMISSIONS, f"{method} {template} has no action in core/access.py"
        url = "/api/v1" + _fill(template, things, re.compile(r"\{([^}]+)\}"))
        for role, user in people.items():
            client = Client()
            extra: dict[str, Any] = {}
            if by == "session":
                client.force_login(user)
            else:
                extra["HTTP_AUTHORIZATION"] = f"Bearer {tokens[role]}"
            body = {} if method in ("GET", "DELETE") else {"data": json.dumps({}),
                                                        "content_type": "application/json"}  # fmt: skip
            r = getattr(client, method.lower())(url, **body, **extra)
            allowed = rules.can(role, action)
            _check(role, allowed, r.status_code, _body(r), f"{method} {url} ({action})")
            if not allowed:
                detail = r.json()["detail"]
                assert action in detail and f"your role ({role})" in detail


def test_a_path_missing_from_the_access_table_is_refused_to_everyone():
    from tidings.staff.guard import refusal

    assert access.action_for("GET", "/brand-new") is None
    for role in rules.ROLES:
        assert "not in the access table" in str(refusal(role, "GET", "/brand-new", None))


def test_a_refusal_names_the_action_and_the_roles_allowed(people, catalog):
    client = Client()
    client.force_login(people["support"])
    r = client.post("/api/v1/components", {"name": "New"}, content_type="application/json")
    assert r.status_code == 403
    assert r.json()["detail"] == (
        "your role (support) may not components.write (POST /components); allowed: admin, commander"
    )
    page = client.get("/console/audit")
    assert page.status_code == 403
    assert (
        "Administrator" in page.content.decode() and "Incident commander" in page.content.decode()
    )
