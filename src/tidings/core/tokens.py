"""Signed, timestamped tokens for links in messages (manage, unsubscribe, confirm), stamped
with :mod:`tidings.core.clock` so a frozen clock ages them in tests.

A fan-out signs one token per recipient: :class:`BatchSigner` signs many at one moment with
the HMAC key derived once, where Django's signer derives it again (and reads the settings
again) for every token; its tokens are byte for byte what :class:`ClockSigner` gives at that
moment, and are checked by it."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

from django.core import signing
from django.utils.encoding import force_bytes

from tidings.core import clock


class ClockSigner(signing.TimestampSigner):
    """A timestamp signer on :mod:`tidings.core.clock`."""

    def timestamp(self) -> str:
        return signing.b62_encode(int(clock.now().timestamp()))

    def unsign(self, value: str, max_age: int | timedelta | None = None) -> str:
        result = signing.Signer.unsign(self, value)
        value, stamp = result.rsplit(self.sep, 1)
        if max_age is not None:
            limit = max_age.total_seconds() if isinstance(max_age, timedelta) else max_age
            age = clock.now().timestamp() - signing.b62_decode(stamp)
            if age > limit:
                raise signing.SignatureExpired(f"Signature age {age} > {limit} seconds")
        return value


class BatchSigner(ClockSigner):
    """Signs at the moment it was made, with the key of ``salt`` derived once."""

    def __init__(self, *, salt: str) -> None:
        super().__init__(salt=salt)
        self._stamp = super().timestamp()
        # Django's salted_hmac: the HMAC key is the hash of the salt and the secret.
        key = getattr(hashlib, self.algorithm)(
            force_bytes(self.salt) + b"signer" + force_bytes(self.key)
        ).digest()
        self._mac = hmac.new(key, digestmod=self.algorithm)

    def timestamp(self) -> str:
        return self._stamp

    def signature(self, value: Any, key: Any = None) -> str:
        if key is not None:  # a fallback key, when checking: Django's own way
            return super().signature(value, key)
        mac = self._mac.copy()
        mac.update(force_bytes(value))
        return signing.b64_encode(mac.digest()).decode()
