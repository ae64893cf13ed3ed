"""The branding API: what staff can change, what is refused (and then nothing changes), who
may change it, and that a change republishes the page."""

from __future__ import annotations

from tests.statuspage.brandkit import LINKS, png
from tidings.core.auth import issue_token
from tidings.core.models import PublishRequest


def test_colours_css_and_links_are_saved_with_contrast_warnings(api, site_settings):
    r = api.call("PATCH", "/branding", {"accent": "#FFFF00", "header_links": LINKS})
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["accent"] == "#ffff00"
    assert out["header_links"] == LINKS
    assert len(out["warnings"]) == 1 and "4.5:1" in out["warnings"][0]
    assert "/widget.js" in out["embed"]["script"] and "/badge.svg" in out["embed"]["badge"]
    assert PublishRequest.objects.exists()  # the page is republished


def test_a_refused_value_names_its_field_and_changes_nothing(api, site_settings):
    api.call("PATCH", "/branding", {"accent": "#123456"})
    r = api.call(
        "PATCH", "/branding", {"accent": "#654321", "custom_css": "a{}</style><script>x</script>"}
    )
    assert r.status_code == 422
    assert "<" in r.json()["detail"]  # says why the CSS was refused
    assert api.call("GET", "/branding").json()["accent"] == "#123456"


def test_a_logo_is_uploaded_checked_and_removed(dana, client, site_settings):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user=dana, name='t')}"}
    r = client.post("/api/v1/branding/logo", data=png(), content_type="image/png", **auth)
    assert r.status_code == 200, r.content
    assert r.json()["logo_url"].startswith(site_settings.public_url + "/brand/logo-")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    r = client.post("/api/v1/branding/logo", data=svg, content_type="image/svg+xml", **auth)
    assert r.status_code == 422
    assert "PNG" in r.json()["detail"]
    r = client.delete("/api/v1/branding/logo", **auth)
    assert r.json()["logo_url"] == ""


def test_a_read_only_token_may_read_branding_but_not_change_it(dana, client, site_settings):
    token = issue_token(user=dana, name="t", scopes=("read",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/branding", **auth).status_code == 200
    r = client.patch(
        "/api/v1/branding", data='{"accent": "#000000"}', content_type="application/json", **auth
    )
    assert r.status_code == 403
    assert "branding.write" in r.json()["detail"]
