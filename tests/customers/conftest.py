"""The customers tests' token for the import endpoints."""

from __future__ import annotations

from typing import Any

import pytest

from tidings.core.auth import issue_token


@pytest.fixture
def token(rina: Any, dana: Any) -> str:
    """Rina's (an admin: customers are changed by admins, support and account managers);
    Dana is there to be named an account manager."""
    return issue_token(user=rina, name="import")
