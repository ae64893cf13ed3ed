"""Schemathesis over the OpenAPI schema of /api/v1: whatever it sends, with Dana's staff
token, the API answers with a status it means (2xx, 4xx, 503), never a 500. Per operation:
schemathesis' coverage phase (the schema's boundary values, about 1,300 requests in all) and
a few derandomised random examples, so the run is bounded and the same every time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the dev extra")
from schemathesis.checks import not_a_server_error  # noqa: E402

from tidings.core.auth import issue_token  # noqa: E402

#: Random examples per operation (about 30 operations), on top of the coverage phase.
EXAMPLES = 8


def _wsgi_app() -> Any:
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


#: Loaded once at collection (serving the schema needs no database). One test per operation.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _wsgi_app())


@pytest.fixture(autouse=True)
def _keep_the_test_connection(db: Any, catalog: Any) -> Iterator[None]:
    """As Django's own test client does, requests do not close the database connection: the
    test's transaction lives on it."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def staff_headers(dana: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(user=dana, name='fuzz')}"}


@schema.parametrize()  # type: ignore[untyped-decorator]
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_makes_the_api_fail_with_a_500(case: Any, staff_headers: Any) -> None:
    response = case.call(headers=staff_headers)
    case.validate_response(response, checks=[not_a_server_error], headers=staff_headers)
    assert response.status_code != 401, response.text  # the token really was used
