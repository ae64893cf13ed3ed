"""A branded site's emails: the logo, the brand colour and the footer links, in inline styles
(mail clients strip <style>), in both languages, through a real SMTP server on loopback."""

from __future__ import annotations

import email
import re
from email import policy

import pytest

from tests.notify.channel_kit import outgoing, send
from tests.statuspage.brandkit import brand_it
from tidings.config import overridden
from tidings.notify.channels.email.channel import EmailChannel
from tidings.notify.views import build_views


@pytest.fixture
def branded_views(now, outage, dana):
    brand_it()
    with overridden(public_url="https://status.acme.test"):
        update = outage.updates.get()
        return build_views(update, {"en", "he"})


def test_the_email_shows_the_logo_colour_and_footer_links_inline(branded_views):
    html = EmailChannel.render(branded_views["en"]).html
    logo = re.search(r'<img class="brand-logo" src="([^"]+)"[^>]*style="([^"]+)"', html)
    assert logo is not None
    assert re.fullmatch(r"https://status\.acme\.test/brand/logo-[0-9a-f]+\.png", logo[1])
    assert "height:32px" in logo[2]
    assert "color:#ffffff" in logo[2]  # the alt text reads on the band when images are blocked
    assert 'bgcolor="#0b3d2e"' in html and "background:#0b3d2e" in html
    assert 'style="color:#7a1fa2">Details and updates</a>' in html
    assert '<a href="https://acme.test/privacy" style="color:#7a1fa2">Privacy</a>' in html
    assert "<style" not in html  # everything inline
    text = EmailChannel.render(branded_views["en"]).text
    assert "Privacy: https://acme.test/privacy" in text


def test_the_hebrew_email_has_the_hebrew_footer_labels(branded_views):
    html = EmailChannel.render(branded_views["he"]).html
    assert 'dir="rtl"' in html
    assert ">פרטיות</a>" in html
    assert "brand-logo" in html


def test_an_unbranded_email_is_as_before(now, outage):
    views = build_views(outage.updates.get(), {"en"})
    html = EmailChannel.render(views["en"]).html
    assert "brand-logo" not in html and "brand-links" not in html
    assert 'style="color:#1a56db">' in html


def test_the_branded_email_arrives_through_smtp(branded_views, notify_settings, smtp_sink):
    results = send(
        "email", notify_settings, outgoing("email", ["erez@example.com"], branded_views["en"])
    )
    assert results[0].ok
    [mail] = smtp_sink.mails
    msg = email.message_from_bytes(mail.data, policy=policy.default)
    body = msg.get_body(("html",)).get_content()
    assert "/brand/logo-" in body and "Privacy</a>" in body
