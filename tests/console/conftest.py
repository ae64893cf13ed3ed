"""The console's browser tests: Chromium (the shared ``browser`` fixture) against Django's
live server on loopback, signed in as Dana or Omer."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.statuspage.conftest import CHROMIUM, browser  # noqa: F401 - a fixture

#: The marks of a console test in real Chromium: the live server's threads see only committed
#: rows, so each test runs in a database of its own rather than inside one transaction.
IN_CHROMIUM = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system Chromium"),
]


@pytest.fixture
def staff(dana: Any, omer: Any) -> dict[str, Any]:
    """Dana (communications) and Omer (commander), who sign in with the password "pw"."""
    return {"dana": dana, "omer": omer}


@pytest.fixture
def commander(client: Client, omer: Any) -> Client:
    """Django's test client signed in to the console as Omer, the incident commander: the
    role that may change every screen's forms."""
    client.force_login(omer)
    return client


def add_component(client: Client, language: str = "", **fields: str) -> Any:
    """Post the components screen's add form: Payments, named in English and Hebrew, no slug,
    no group, but for ``fields``; in ``language`` (Accept-Language) when one is given."""
    form = {"name_en": "Payments", "name_he": "תשלומים", "slug": "", "group": ""} | fields
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    return client.post("/console/components/add", form, **headers)


@pytest.fixture
def signed_in(live_server: Any, browser: Any):  # noqa: F811
    """Open a browser context signed in as ``username`` (password "pw"), in ``locale``."""
    contexts = []

    def open_as(username: str, locale: str = "en-US", phone: bool = True) -> Any:
        size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = browser.new_context(
            locale=locale, viewport=size, is_mobile=phone, has_touch=phone
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(8000)
        page.goto(f"{live_server.url}/console/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "pw")
        page.click("button.primary")
        page.wait_for_url(f"{live_server.url}/console/")
        return page

    yield open_as
    for c in contexts:
        c.close()
