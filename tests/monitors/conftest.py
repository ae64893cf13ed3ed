from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from tidings.config import overridden
from tidings.monitors import receiver, services
from tidings.monitors.models import AlertSource
from tidings.monitors.tasks import run_alerts


@pytest.fixture(autouse=True)
def _receiver_connections_closed() -> Iterator[None]:
    yield
    receiver.close_db_threads()


@pytest.fixture
def alert_settings(tmp_path: Any) -> Iterator[Any]:
    with overridden(
        data_dir=tmp_path / "data", site_name="Acme", public_url="https://status.acme.test",
        allow_private_targets=True,
    ) as s:  # fmt: skip
        receiver.forget_caches()
        yield s
        receiver.forget_caches()


@pytest.fixture
def make_source(alert_settings: Any, catalog: dict[str, str]) -> Any:
    def make(kind: str = "alertmanager", name: str = "prom", **kwargs: Any) -> AlertSource:
        kwargs.setdefault("publish_after", 0)
        with transaction.atomic():
            return services.create_source(actor="dana", kind=kind, name=name, **kwargs)

    return make


class Sender(Client):
    """Posts to an alert source's receiver URL as its sender would."""

    def send(
        self, source: AlertSource, body: Any, *, raw: bytes | None = None, tail: str = ""
    ) -> Any:
        data = raw if raw is not None else json.dumps(body).encode()
        path = services.receiver_url(source).split("acme.test", 1)[1] + tail
        return self.post(path, data=data, content_type="application/json")


@pytest.fixture
def sender() -> Sender:
    return Sender()


def process() -> dict[str, int]:
    return run_alerts()


@pytest.fixture
def http_sink() -> Iterator[Any]:
    from tests.notify.sinks import HttpSink

    with HttpSink() as sink:
        yield sink
