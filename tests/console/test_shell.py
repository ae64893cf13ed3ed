"""The console shell: sign-in, roles, the 403 page, languages, static files."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tidings.console.access import console_view, roles_allowed
from tidings.staff.models import StaffProfile


@pytest.fixture
def viewer(db: Any) -> User:
    return User.objects.create_user("vered", "vered@acme.test", "pw", is_staff=True)


def test_a_signed_out_visitor_is_sent_to_the_console_sign_in(client: Client, db: Any) -> None:
    r = client.get("/console/")
    assert r.status_code == 302 and r["Location"] == "/console/login?next=%2Fconsole%2F"
    page = client.get(r["Location"]).content.decode()
    assert "Sign in to the console" in page and 'name="password"' in page


def test_staff_sign_in_on_the_console_page_and_see_their_role(client: Client, dana: Any) -> None:
    r = client.post("/console/login", {"username": "dana", "password": "pw", "next": "/console/"})
    assert r.status_code == 302 and r["Location"] == "/console/"
    page = client.get("/console/").content.decode()
    assert "dana" in page and 'data-role="communications"' in page and "Communications" in page


def test_a_wrong_password_says_so_and_keeps_the_username(client: Client, dana: Any) -> None:
    page = client.post("/console/login", {"username": "dana", "password": "no"}).content.decode()
    assert "Please enter the correct username and password" in page
    assert 'value="dana"' in page


def test_a_customer_account_cannot_sign_in_to_the_console(client: Client, db: Any) -> None:
    User.objects.create_user("erez", "erez@example.com", "pw")
    page = client.post("/console/login", {"username": "erez", "password": "pw"}).content.decode()
    assert "staff account" in page
    assert client.get("/console/").status_code == 302


def test_too_many_failed_sign_ins_are_refused_with_the_reason(client: Client, dana: Any) -> None:
    from tidings.config import overridden

    with overridden(login_failures_per_user=2):
        for _ in range(2):
            client.post("/console/login", {"username": "dana", "password": "no"})
        page = client.post("/console/login", {"username": "dana", "password": "pw"})
    assert "Too many failed sign-in attempts" in page.content.decode()


def test_a_role_without_the_action_gets_a_403_naming_the_roles_needed(
    client: Client, viewer: User
) -> None:
    from django.http import HttpResponse
    from django.test import RequestFactory

    @console_view("incidents.write")
    def declare(request: Any) -> HttpResponse:
        return HttpResponse("declared")

    request = RequestFactory().get("/console/x")
    request.user = viewer
    request.session = {}  # type: ignore[assignment]
    r = declare(request)
    assert r.status_code == 403
    page = r.content.decode()
    assert "Your role does not allow this" in page and "Viewer" in page
    assert "Administrator, Incident commander, Communications" in page
    StaffProfile.objects.create(user=viewer, role="communications")
    assert declare(request).content == b"declared"


def test_a_superuser_is_an_admin_and_inactive_staff_are_signed_out(client: Client, db: Any) -> None:
    boss = User.objects.create_superuser("boss", "boss@acme.test", "pw")
    client.force_login(boss)
    assert 'data-role="admin"' in client.get("/console/").content.decode()
    boss.is_active = False
    boss.save()
    assert client.get("/console/").status_code == 302


def test_roles_allowed_reads_the_role_table() -> None:
    assert roles_allowed("components.write") == ["Administrator", "Incident commander"]
    with pytest.raises(ValueError, match="unknown action"):
        console_view("incidents.fly")


def test_the_language_switch_turns_the_console_hebrew_and_right_to_left(
    client: Client, dana: Any
) -> None:
    client.force_login(dana)
    r = client.post("/i18n/setlang/", {"language": "he", "next": "/console/"})
    assert r.status_code == 302 and r["Location"] == "/console/"
    page = client.get("/console/").content.decode()
    assert 'dir="rtl"' in page and 'lang="he"' in page
    assert "קונסולת Tidings" in page and "תקשורת" in page  # title and role in Hebrew
    assert ">English</button>" in page


def test_static_files_are_served_without_debug(client: Client, db: Any) -> None:
    from django.conf import settings

    assert not settings.DEBUG
    for path in (
        "/static/admin/css/base.css",
        "/static/console/console.css",
        "/static/console/console.js",
        "/static/django_htmx/htmx-2.min.js",
    ):
        r = client.get(path)
        assert r.status_code == 200, path
        assert b"".join(r.streaming_content if r.streaming else [r.content])  # type: ignore[attr-defined]


def test_every_console_page_links_its_stylesheet_and_htmx(client: Client, dana: Any) -> None:
    client.force_login(dana)
    page = client.get("/console/").content.decode()
    assert '<link rel="stylesheet" href="/static/console/console.css">' in page
    assert 'src="/static/django_htmx/htmx-2.min.js"' in page
