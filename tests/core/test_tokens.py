"""A fan-out signs every recipient's links with one BatchSigner: each token must be the one
the clock signer gives at that moment, and be accepted where links are opened."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing
from django.test import override_settings

from tidings.core import clock
from tidings.core.tokens import BatchSigner, ClockSigner

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_batch_tokens_are_the_clock_signers_tokens() -> None:
    with clock.frozen(AT):
        batch = BatchSigner(salt="links")
        values = ["s:sub_1", "c:42:sms", "s:עברית"]
        assert [batch.sign_object(v) for v in values] == [
            ClockSigner(salt="links").sign_object(v) for v in values
        ]
        assert ClockSigner(salt="links").unsign_object(batch.sign_object("s:sub_1")) == "s:sub_1"


def test_batch_tokens_age_and_are_bound_to_their_salt() -> None:
    with clock.frozen(AT):
        token = BatchSigner(salt="links").sign_object("s:sub_1")
    with clock.frozen(AT + timedelta(days=3)):
        checker = ClockSigner(salt="links")
        assert checker.unsign_object(token, max_age=timedelta(days=4)) == "s:sub_1"
        with pytest.raises(signing.SignatureExpired):
            checker.unsign_object(token, max_age=timedelta(days=2))
        with pytest.raises(signing.BadSignature):
            ClockSigner(salt="other").unsign_object(token)


def test_a_rotated_secret_still_opens_links_signed_before() -> None:
    with clock.frozen(AT), override_settings(SECRET_KEY="old-secret-" + "x" * 40):
        token = BatchSigner(salt="links").sign_object("s:sub_1")
    with (
        clock.frozen(AT),
        override_settings(
            SECRET_KEY="new-secret-" + "y" * 40, SECRET_KEY_FALLBACKS=["old-secret-" + "x" * 40]
        ),
    ):
        assert BatchSigner(salt="links").unsign_object(token) == "s:sub_1"
        assert BatchSigner(salt="links").sign_object("s:sub_1") != token
