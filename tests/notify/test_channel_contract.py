"""The contract every registered channel keeps, checked against real sinks on loopback: targets
are normalised or refused, an update renders in English and Hebrew, a batch is delivered, and a
permanent refusal, a temporary one and a dead server each come back as a Result the failure
policy (notify.rules) judges right.

A new channel in ``registry.CHANNELS`` is picked up here and fails until it has a SPECS entry
saying how to reach the local sinks with it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.notify.channel_kit import TELEGRAM, TWILIO, outgoing, send, update_view
from tests.notify.sinks import HttpSink, SmtpSink
from tests.ports import free_port
from tidings.notify.protocol import InvalidTarget
from tidings.notify.registry import CHANNELS
from tidings.notify.rules import verdict


@dataclass
class Sinks:
    smtp: SmtpSink
    http: HttpSink
    settings: Any


@dataclass
class Spec:
    #: Three valid targets on the sinks.
    targets: Callable[[Sinks], list[str]]
    invalid: str
    #: How many messages the sinks received.
    received: Callable[[Sinks], int]
    #: Make the sinks refuse ``target`` for good, or None when the channel cannot tell.
    refuse: Callable[[Sinks, str], None] | None
    #: Make the sinks refuse ``target`` for now.
    busy: Callable[[Sinks, str], None]
    #: Settings and target pointing at ``port``, where nothing listens.
    dead: Callable[[Sinks, str, int], tuple[Any, str]]


def _http_received(s: Sinks) -> int:
    return len(s.http.requests)


def _url_kind(kind: str, refusal: int) -> Spec:
    def refuse(s: Sinks, target: str) -> None:
        s.http.responses[f"/{kind}"] = refusal

    def busy(s: Sinks, target: str) -> None:
        s.http.responses[f"/{kind}"] = 503

    return Spec(
        targets=lambda s: [f"{s.http.url}/{kind}"] * 3,
        invalid="ftp://example.com/hook",
        received=_http_received,
        refuse=refuse,
        busy=busy,
        dead=lambda s, t, port: (s.settings, f"http://127.0.0.1:{port}/{kind}"),
    )


def _api_kind(path: str, refusal: dict[str, Any], status: int, setting: str) -> Callable[..., Spec]:
    def make(targets: list[str], invalid: str) -> Spec:
        def refuse(s: Sinks, target: str) -> None:
            s.http.answers[path] = (status, refusal)

        def busy(s: Sinks, target: str) -> None:
            s.http.responses[path] = 503

        def dead(s: Sinks, target: str, port: int) -> tuple[Any, str]:
            moved = s.settings.model_copy(update={setting: f"http://127.0.0.1:{port}"})
            return moved, target

        return Spec(lambda s: targets, invalid, _http_received, refuse, busy, dead)

    return make


def _email_busy(s: Sinks, target: str) -> None:
    s.smtp.busy.add(target)


def _email_refuse(s: Sinks, target: str) -> None:
    s.smtp.reject.add(target)


def _apprise_busy(s: Sinks, target: str) -> None:
    s.http.responses["/apprise"] = 503


_telegram = _api_kind(
    TELEGRAM, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    403, "telegram_api_base",
)  # fmt: skip
_twilio = _api_kind(
    TWILIO, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}, 400,
    "twilio_api_base",
)  # fmt: skip

SPECS: dict[str, Spec] = {
    "email": Spec(
        targets=lambda s: ["erez@example.com", "noa@example.com", "dana@example.com"],
        invalid="erez at example.com",
        received=lambda s: len(s.smtp.mails),
        refuse=_email_refuse,
        busy=_email_busy,
        dead=lambda s, t, port: (s.settings.model_copy(update={"smtp_port": port}), t),
    ),
    "webhook": _url_kind("webhook", 410),
    "slack": _url_kind("slack", 404),  # Slack: no_service, the webhook was removed
    "teams": _url_kind("teams", 404),  # the workflow was deleted
    "telegram": _telegram(["-1001234567890", "@acme_status", "42"], "acme status"),
    "sms": _twilio(["+972 54-123-4567", "+1 (555) 010-0001", "+442071838750"], "054-1234"),
    "whatsapp": _twilio(
        ["whatsapp:+972541234567", "+15550100002", "+44 20 7183 8750"], "whatsapp:12"
    ),
    "apprise": Spec(
        targets=lambda s: [f"json://127.0.0.1:{s.http.port}/apprise"] * 3,
        invalid="nosuchservice://example.com/x",
        received=_http_received,
        refuse=None,  # Apprise says only yes or no: every refusal is worth another try
        busy=_apprise_busy,
        dead=lambda s, t, port: (s.settings, f"json://127.0.0.1:{port}/apprise"),
    ),
}

KINDS = sorted(CHANNELS)


@pytest.fixture
def sinks(notify_settings: Any, smtp_sink: SmtpSink, http_sink: HttpSink) -> Sinks:
    return Sinks(smtp_sink, http_sink, notify_settings)


def spec_for(kind: str) -> Spec:
    if kind not in SPECS:
        pytest.fail(f"channel {kind!r} is registered but has no contract SPECS entry here")
    return SPECS[kind]


def test_every_registered_channel_has_a_spec() -> None:
    assert set(CHANNELS) <= set(SPECS), set(CHANNELS) - set(SPECS)


@pytest.mark.parametrize("kind", KINDS)
def test_targets_are_normalised_or_refused_with_a_reason(kind: str, sinks: Sinks) -> None:
    spec, channel = spec_for(kind), CHANNELS[kind]
    for target in spec.targets(sinks):
        canonical = channel.normalise_target(target)
        assert canonical
        assert channel.normalise_target(canonical) == canonical  # idempotent
    with pytest.raises(InvalidTarget) as refused:
        channel.normalise_target(spec.invalid)
    assert len(str(refused.value)) > 10


@pytest.mark.parametrize("language", ["en", "he"])
@pytest.mark.parametrize("kind", KINDS)
def test_an_update_renders_in_each_language(kind: str, language: str, sinks: Sinks) -> None:
    view = update_view(language)
    rendered = CHANNELS[kind].render(view)
    content = [rendered.subject, rendered.text, rendered.html]
    content.append(json.dumps(rendered.payload, ensure_ascii=False) if rendered.payload else "")
    assert any(c.strip() for c in content)
    assert view.title in "".join(content)
    json.dumps(rendered.payload)  # it is stored as JSON


@pytest.mark.parametrize("kind", KINDS)
def test_a_batch_of_three_is_delivered(kind: str, sinks: Sinks) -> None:
    spec, channel = spec_for(kind), CHANNELS[kind]
    targets = [channel.normalise_target(t) for t in spec.targets(sinks)]
    results = send(kind, sinks.settings, outgoing(kind, targets))
    assert [(r.delivery_id, r.ok, r.error) for r in results] == [
        (1, True, ""),
        (2, True, ""),
        (3, True, ""),
    ]
    assert spec.received(sinks) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_a_permanent_refusal_is_permanent(kind: str, sinks: Sinks) -> None:
    spec, channel = spec_for(kind), CHANNELS[kind]
    if spec.refuse is None:
        pytest.skip(f"{kind} cannot tell a permanent refusal from a temporary one")
    target = channel.normalise_target(spec.targets(sinks)[0])
    spec.refuse(sinks, target)
    [result] = send(kind, sinks.settings, outgoing(kind, [target]))
    assert not result.ok and result.error
    assert verdict(result).outcome == "dead"  # the target is disabled


@pytest.mark.parametrize("kind", KINDS)
def test_a_busy_server_is_a_temporary_failure(kind: str, sinks: Sinks) -> None:
    spec, channel = spec_for(kind), CHANNELS[kind]
    target = channel.normalise_target(spec.targets(sinks)[0])
    spec.busy(sinks, target)
    [result] = send(kind, sinks.settings, outgoing(kind, [target]))
    assert not result.ok and result.error
    assert verdict(result).outcome == "retry"


@pytest.mark.parametrize("kind", KINDS)
def test_a_dead_server_is_a_temporary_failure(kind: str, sinks: Sinks) -> None:
    spec, channel = spec_for(kind), CHANNELS[kind]
    target = channel.normalise_target(spec.targets(sinks)[0])
    settings, target = spec.dead(sinks, target, free_port())
    results = send(kind, settings, outgoing(kind, [target, target]))
    assert [verdict(r).outcome for r in results] == ["retry", "retry"]
    assert all(r.error for r in results)
    assert spec.received(sinks) == 0
