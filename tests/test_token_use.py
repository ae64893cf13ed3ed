"""A token's last use is kept for the admin's audit, fresh to the minute, without a write on
every request."""

from __future__ import annotations

from datetime import timedelta

from tidings.core import clock
from tidings.core.models import ApiToken


def test_a_token_records_its_use_at_most_once_a_minute(api, now):
    assert api.call("GET", "/components").status_code == 200
    assert ApiToken.objects.get().last_used_at == now
    with clock.frozen(now + timedelta(seconds=59)):
        assert api.call("GET", "/components").status_code == 200
    assert ApiToken.objects.get().last_used_at == now
    with clock.frozen(now + timedelta(seconds=61)):
        assert api.call("GET", "/components").status_code == 200
    assert ApiToken.objects.get().last_used_at == now + timedelta(seconds=61)
