"""The Alertmanager path against Debian's real ``prometheus-alertmanager``: it runs on
loopback with our receiver URL as its webhook, an alert is fired and resolved through its own
API, and Tidings declares the incident and then posts "monitoring" (formats.md 3.2)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.ports import free_port
from tidings.components.models import Component
from tidings.config import overridden
from tidings.incidents.models import Incident
from tidings.monitors import receiver, services
from tidings.monitors.models import AlertGroup
from tidings.monitors.tasks import run_alerts

BINARY = shutil.which("prometheus-alertmanager")
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        BINARY is None,
        reason="prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)",
    ),
]


def wait(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run_alerts()
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def post_alert(base: str, ends: bool) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    alert: dict[str, Any] = {
        "labels": {
            "alertname": "ApiDown",
            "service": "api",
            "severity": "critical",
            "component": "api",
        },
        "annotations": {
            "summary": "API is returning 5xx",
            "description": "Error rate above 50% for 5m",
        },
        "startsAt": "2026-01-01T00:00:00Z" if ends else now,
        "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=up%3D%3D0",
    }
    if ends:
        alert["endsAt"] = now
    request = urllib.request.Request(f"{base}/api/v2/alerts", data=json.dumps([alert]).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200


@pytest.fixture
def alertmanager(tmp_path: Path, live_server: Any, catalog: Any) -> Iterator[tuple[str, Any]]:
    with overridden(data_dir=tmp_path / "data", public_url=live_server.url):
        receiver.forget_caches()
        source = services.create_source(
            actor="dana", kind="alertmanager", name="prom", publish_after=0
        )
        port = free_port()
        config = tmp_path / "alertmanager.yml"
        config.write_text(
            "global:\n  resolve_timeout: 1m\nroute:\n  receiver: tidings\n  group_by: ['alertname', 'service']\n"
            "  group_wait: 1s\n  group_interval: 2s\n  repeat_interval: 1h\nreceivers:\n  - name: tidings\n"
            f"    webhook_configs:\n      - url: {services.receiver_url(source)}\n        send_resolved: true\n"
        )
        proc = subprocess.Popen(
            [str(BINARY), f"--config.file={config}", f"--storage.path={tmp_path / 'am'}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
             f"--web.external-url=http://127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/-/ready", timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise
                    time.sleep(0.2)
            yield base, source
        finally:
            proc.terminate()
            proc.wait(10)
            receiver.forget_caches()


def test_a_real_alertmanager_declares_and_then_recovers_an_incident(
    alertmanager: tuple[str, Any],
) -> None:
    base, _source = alertmanager
    post_alert(base, ends=False)
    wait(Incident.objects.exists, 20, "the incident")
    incident = Incident.objects.get()
    assert incident.title == "API is returning 5xx" and incident.status == "investigating"
    assert Component.objects.get(slug="api").status == "major_outage"
    assert AlertGroup.objects.get().label == '{}:{alertname="ApiDown", service="api"}'
    post_alert(base, ends=True)
    wait(lambda: not AlertGroup.objects.get().firing, 20, "the resolve")
    assert Component.objects.get(slug="api").status == "operational"
    assert Incident.objects.get().status == "monitoring"
