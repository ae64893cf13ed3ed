"""The branding screen: Dana uploads a logo, sets colours and links and sees them published;
a refused value is shown next to its field with what was typed kept; support reads only."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import published
from tests.statuspage.brandkit import png
from tidings.staff.models import StaffProfile
from tidings.statuspage import branding, snapshot

FORM = {
    "accent": "#7a1fa2", "header_bg": "#0b3d2e", "header_fg": "", "custom_css": "h1{margin:0}",
    "header_links": "https://help.acme.test/ | Help centre | מרכז העזרה",
    "footer_links": "https://acme.test/privacy | Privacy",
}  # fmt: skip


def test_dana_brands_the_page_and_it_is_published(
    client: Client, dana: Any, now: Any, catalog: Any, site_settings: Any
) -> None:
    client.force_login(dana)
    page = client.get("/console/branding").content.decode()
    assert "/widget.js" in page and "/badge.svg" in page  # the embed snippets
    logo = SimpleUploadedFile("logo.png", png(30, 10), content_type="image/png")
    r = client.post("/console/branding/save", {**FORM, "logo": logo})
    assert r.status_code == 302
    brand = branding.load()
    assert brand.accent == "#7a1fa2" and brand.logo_path.startswith("/brand/logo-")
    assert brand.header_links[0].label("he") == "מרכז העזרה"
    after = client.get("/console/branding").content.decode()
    assert "https://help.acme.test/ | Help centre | מרכז העזרה" in after
    assert 'class="brand-logo"' in after
    published(site_settings)
    snap = snapshot.load(site_settings.snapshot_dir)
    assert snap is not None and brand.logo_path in snap.entries
    assert "Help centre" in snap.entries["/"].body.decode()


def test_a_refused_value_is_shown_next_to_its_field_and_the_rest_is_kept(
    client: Client, dana: Any
) -> None:
    client.force_login(dana)
    bad = {**FORM, "accent": "purple", "custom_css": "a{}</style>"}
    svg = SimpleUploadedFile("logo.svg", b"<svg><script>1</script></svg>", "image/svg+xml")
    r = client.post("/console/branding/save", {**bad, "logo": svg})
    assert r.status_code == 422
    page = r.content.decode()
    assert page.index("Write a colour as #RRGGBB") > page.index('name="accent"')
    assert "may not contain the character &lt;" in page
    assert "Upload a PNG, JPG file." in page
    assert 'value="purple"' in page and "Help centre | מרכז העזרה" in page
    assert branding.load().accent == ""  # nothing saved


def test_poor_contrast_is_saved_with_a_warning_on_the_screen(client: Client, dana: Any) -> None:
    client.force_login(dana)
    client.post("/console/branding/save", {**FORM, "accent": "#ffff00"})
    page = client.get("/console/branding").content.decode()
    assert "hard to read on white" in page
    assert branding.load().accent == "#ffff00"


def test_support_sees_the_branding_but_cannot_change_it(client: Client, db: Any) -> None:
    user = User.objects.create_user("sam", "sam@acme.test", "pw", is_staff=True)
    StaffProfile.objects.create(user=user, role="support")
    client.force_login(user)
    page = client.get("/console/branding").content.decode()
    assert "may look at the branding but not change it" in page
    assert client.post("/console/branding/save", FORM).status_code == 403
