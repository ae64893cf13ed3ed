"""Unless the operator allows it, nothing Tidings sends may reach loopback or private networks:
such URLs are refused when stored, and a name that resolves to one is refused at connect time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.notify.channel_kit import outgoing, send
from tests.notify.sinks import HttpSink
from tidings.config import overridden
from tidings.notify.protocol import InvalidTarget
from tidings.notify.registry import CHANNELS

PRIVATE_HOSTS = [
    "127.0.0.1:8080",
    "10.1.2.3",
    "192.168.0.10",
    "169.254.169.254",
    "localhost",
    "[::1]",
]


@pytest.fixture
def public_only(notify_settings: Any) -> Iterator[Any]:
    with overridden(allow_private_targets=False) as settings:
        yield settings


#: A target on a private network for each channel that takes a URL: an https:// URL for the
#: webhook, Slack and Teams channels, and Apprise URLs of several services.
PRIVATE_TARGETS = [
    *(
        (kind, f"https://{host}/hook")
        for kind in ("webhook", "slack", "teams")
        for host in PRIVATE_HOSTS
    ),
    ("apprise", "json://127.0.0.1:8080/hook"),
    ("apprise", "json://10.0.0.5/hook"),
    ("apprise", "jsons://localhost/hook"),
    ("apprise", "form://192.168.1.1/hook"),
    ("apprise", "mailto://mail.example.com?smtp=127.0.0.1&from=a@example.com&to=b@example.com"),
]


@pytest.mark.parametrize(("kind", "url"), PRIVATE_TARGETS)
def test_url_targets_on_private_networks_are_refused(kind: str, url: str, public_only: Any) -> None:
    with pytest.raises(InvalidTarget, match="local or private networks are not allowed"):
        CHANNELS[kind].normalise_target(url)


def test_the_same_urls_are_accepted_when_private_targets_are_allowed(notify_settings: Any) -> None:
    assert CHANNELS["webhook"].normalise_target("http://10.1.2.3/hook") == "http://10.1.2.3/hook"
    assert CHANNELS["apprise"].normalise_target("json://127.0.0.1/x") == "json://127.0.0.1/x"


@pytest.mark.parametrize("kind", ["webhook", "slack", "teams"])
def test_the_guarded_session_will_not_connect_to_a_name_resolving_to_loopback(
    kind: str, public_only: Any, http_sink: HttpSink
) -> None:
    target = f"http://localhost:{http_sink.port}/{kind}"
    [result] = send(kind, public_only, outgoing(kind, [target]), allow_private=False)
    assert not result.ok and result.permanent  # the target is disabled, not retried
    assert "private or local addresses; refused" in result.error
    assert http_sink.requests == []


def test_apprise_will_not_send_to_a_name_resolving_to_loopback(
    public_only: Any, http_sink: HttpSink
) -> None:
    target = f"json://localhost:{http_sink.port}/apprise"
    [result] = send("apprise", public_only, outgoing("apprise", [target]), allow_private=False)
    assert not result.ok and result.permanent
    assert "private addresses; refused" in result.error
    assert http_sink.requests == []


@pytest.mark.parametrize("kind", ["slack", "teams"])
def test_a_stored_literal_private_address_is_refused_at_send_time(
    kind: str, public_only: Any, http_sink: HttpSink
) -> None:
    # aiohttp connects to literal IP addresses without asking the guarded resolver.
    [result] = send(
        kind, public_only, outgoing(kind, [f"{http_sink.url}/{kind}"]), allow_private=False
    )
    assert not result.ok and result.permanent
    assert "private or local address" in result.error
    assert http_sink.requests == []


def test_the_guarded_session_refuses_a_literal_private_ip_at_send_time(http_sink):
    """A target stored while private addresses were allowed is still refused once they are not."""
    import asyncio

    import aiohttp
    import pytest

    from tidings.notify import http

    async def attempt() -> None:
        async with (
            http.session(allow_private=False) as s,
            s.post(f"{http_sink.url}/hook", data=b"{}") as r,
        ):
            await r.read()

    with pytest.raises(aiohttp.ClientError, match="private or local address"):
        asyncio.run(attempt())
    assert http_sink.requests == []
