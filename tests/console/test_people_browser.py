"""A support agent at 3 a.m., on a phone, in real Chromium, in English and in Hebrew: finds a
subscriber by what the caller says, sees what they were told and when, stops a bad address
with a reason and starts it again; imports and exports customers; makes a scoped token, sees it
once, uses it, revokes it and sees it refused. Against Django's live server on loopback, with
deliveries sent by the real worker to an SMTP server on loopback."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connections, transaction

# Fixtures shared with the delivery and page tests: SMTP and HTTP servers on loopback, and the
# system Chromium.
from tests.notify.conftest import http_sink, notify_settings, smtp_sink  # noqa: F401
from tests.notify.kit import drain, subscriber
from tests.statuspage.conftest import CHROMIUM, browser  # noqa: F401
from tidings.customers.models import Customer
from tidings.incidents import services as incidents
from tidings.staff.models import StaffProfile

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs the system Chromium: apt-get install chromium"
    ),
]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
WORDS = {
    "en": {"stopped": "Nothing is sent to this subscriber.", "sent": "Sent",
           "imported": "Imported.", "once": "Copy it now: it is shown this once.",
           "revoked": "Revoked"},
    "he": {"stopped": "לא נשלח דבר למנוי הזה.", "sent": "נשלחו", "imported": "יובא.",
           "once": "העתיקו אותו עכשיו: הוא מוצג רק הפעם.", "revoked": "בוטל"},
}  # fmt: skip


def in_thread(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` outside Playwright's event loop (the worker runs one of its own)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed back to the test
            box["error"] = exc
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


@pytest.fixture
def agent(transactional_db: Any) -> User:
    """Sivan answers the phones (support); an admin role would hide what roles change."""
    user = User.objects.create_user("sivan", "sivan@acme.test", "pw", is_staff=True)
    StaffProfile.objects.create(user=user, role="admin")
    return user


@pytest.fixture(params=["en", "he"])
def page(request: Any, browser: Any, live_server: Any, agent: User) -> Iterator[Any]:  # noqa: F811
    lang = request.param
    context = browser.new_context(locale="he-IL" if lang == "he" else "en-US", **PHONE)
    tab = context.new_page()
    tab.goto(f"{live_server.url}/console/login")
    tab.fill("input[name=username]", "sivan")
    tab.fill("input[name=password]", "pw")
    tab.click("form button.primary")
    tab.wait_for_url("**/console/")
    assert tab.evaluate("document.documentElement.dir") == ("rtl" if lang == "he" else "ltr")
    tab.lang = lang
    tab.base = live_server.url
    yield tab
    context.close()


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def fits_the_phone(tab: Any) -> None:
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.usefixtures("smtp_sink", "catalog")
def test_an_agent_finds_a_subscriber_sees_the_history_stops_and_restarts_it(page, request):
    settings = request.getfixturevalue("notify_settings")
    words = WORDS[page.lang]

    def story() -> None:
        subscriber("email", "erez.cohen@example.com", language=page.lang)
        subscriber("email", "someone@example.com")
        with transaction.atomic():
            incidents.create_incident(
                actor="dana", title={"en": "Payments delayed", "he": "עיכוב בתשלומים"},
                body={"en": "Card payments are delayed.", "he": "תשלומים בכרטיס מתעכבים."},
            )  # fmt: skip
        drain(settings)

    in_thread(story)
    page.goto(page.base + "/console/subscribers/")
    page.fill("#id_q", "erez.co")  # what the caller spells out; the list answers as one types
    expect(page.locator("ul.subscribers > li a")).to_have_count(1)
    rows = page.locator("ul.subscribers > li")
    assert rows.count() == 1 and "e***@example.com" in rows.first.inner_text()
    assert "erez.cohen@example.com" not in page.content()  # masked in the list
    fits_the_phone(page)
    rows.first.locator("a").click()
    assert page.locator("#target").inner_text() == "erez.cohen@example.com"
    told = page.locator("ol.told > li").first
    title = "Payments delayed" if page.lang == "en" else "עיכוב בתשלומים"
    assert title in told.inner_text() and words["sent"] in told.inner_text()
    fits_the_phone(page)

    page.locator("#stop summary").click()
    page.fill("#stop input[name=reason]", "mailbox closed, customer called at 03:10")
    page.locator("#stop button.danger").click()
    assert page.locator(".stopped").is_visible()
    assert words["stopped"] in page.locator(".stopped").inner_text()
    assert (
        page.locator("#disabled-reason").inner_text() == "mailbox closed, customer called at 03:10"
    )
    page.locator(".stopped button.primary").click()
    assert page.locator(".stopped").count() == 0
    assert page.locator("h1 .tag.st-active").is_visible()


def test_customers_are_imported_and_exported_from_the_phone(page, tmp_path: Path, catalog):
    words = WORDS[page.lang]
    data = (
        "customer,plan,strategic,contract_ref,account_manager,components,contact_name,role,email,"
        "phone,language,channels\n"
        "Globex Bank,enterprise,yes,MSA-1,,API,Noa Levi,CTO,noa@globex.example,+972501111111,he,"
        "email;sms\n"
        "בנק הפועלים,business,no,,,,דנה כהן,,dana@bank.example,,he,email\n"
    )
    upload = tmp_path / "customers.csv"
    upload.write_text(data, encoding="utf-8")
    page.goto(page.base + "/console/customers/import")
    page.set_input_files("input[type=file]", str(upload))
    page.locator("form button.primary").click()
    assert words["imported"] in page.locator("#result").inner_text()
    assert page.locator(".created-customers").inner_text() == "2"
    fits_the_phone(page)

    page.goto(page.base + "/console/customers/")
    page.fill("#id_q", "050-111-1111")  # a contact's phone, as she says it
    expect(page.locator("ul.customers > li a")).to_have_count(1)
    assert "Globex Bank" in page.locator("ul.customers").inner_text()
    with page.expect_download() as download:
        page.locator("a[href='/console/customers/export']").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Globex Bank" in text and "בנק הפועלים" in text and "noa@globex.example" in text
    assert Customer.objects.count() == 2


def api(base: str, method: str, path: str, token: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{base}/api/v1{path}", method=method, headers={"Authorization": f"Bearer {token}"},
        data=json.dumps({"title": "x", "body": "y"}).encode() if method == "POST" else None,
    )  # fmt: skip
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:  # loopback live server only
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_scoped_token_is_made_seen_once_used_revoked_and_refused(page, catalog):
    words = WORDS[page.lang]
    page.goto(page.base + "/console/tokens/")
    page.fill("input[name=name]", "wallboard")
    page.locator("input[name=scopes][value=read]").check()
    page.locator("#new-token button.primary").click()
    expect(page.locator("#token")).to_be_visible()  # the post has come back as a page
    assert words["once"] in page.content()
    token = page.locator("#token").inner_text().strip()
    assert token.startswith("tdg_")
    fits_the_phone(page)

    status, _ = in_thread(lambda: api(page.base, "GET", "/incidents", token))
    assert status == 200
    status, body = in_thread(lambda: api(page.base, "POST", "/incidents", token))
    assert status == 403 and "scopes (read)" in body["detail"]

    page.goto(page.base + "/console/tokens/")
    assert token not in page.content()  # never shown again
    row = page.locator("ul.tokens > li", has_text="wallboard")
    assert row.locator(".used time").count() == 1  # its use is dated
    row.locator("button.danger").click()
    expect(page.locator("ul.tokens > li", has_text="wallboard")).to_contain_text(words["revoked"])
    status, body = in_thread(lambda: api(page.base, "GET", "/incidents", token))
    assert status == 401 and "revoked" in body["detail"]


def test_the_api_docs_load_offline_from_this_server(browser, live_server, transactional_db):  # noqa: F811
    tab = browser.new_page()
    outside: list[str] = []
    tab.on(
        "request", lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url)
    )
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.goto(live_server.url + "/api/v1/docs")
    tab.wait_for_selector(".opblock", timeout=15_000)
    assert tab.locator(".opblock").count() > 40
    assert outside == [] and errors == []
    tab.close()
