"""Public identifiers: 12 lowercase alphanumerics, like Statuspage's, never sequential."""

from __future__ import annotations

import secrets
import string

ALPHABET = string.ascii_lowercase + string.digits
LENGTH = 12


def new_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def is_public_id(value: str) -> bool:
    return len(value) == LENGTH and all(c in ALPHABET for c in value)
