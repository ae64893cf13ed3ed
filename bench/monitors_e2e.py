"""Part 3 of bench/monitors.py: from a failure to the page, the API and a subscriber's webhook,
with real ``tidings`` processes (web, worker, scheduler) and a real Alertmanager."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import free_port, wait_port
from monitors import load, stop, tidings


class Sink:
    """An HTTP server in a thread: the subscriber's webhook endpoint, and the monitored site."""

    def __init__(self) -> None:
        import threading

        self.port = free_port()
        self.posts: list[tuple[float, bytes]] = []
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        async def handle(request: Any) -> Any:
            from aiohttp import web

            if request.method == "POST":
                self.posts.append((time.monotonic(), await request.read()))
            return web.Response(text="ok")

        def serve() -> None:
            from aiohttp import web

            asyncio.set_event_loop(self.loop)
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", handle)
            self.runner = web.AppRunner(app, access_log=None)
            self.loop.run_until_complete(self.runner.setup())
            self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
            ready.set()
            self.loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        ready.wait(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def follow(
    web: str, sink: Sink, component: str, title: str, t0: float, limit: float = 90
) -> dict[str, float]:
    """Seconds from t0 until the incident, the component status and the subscriber's webhook."""
    seen: dict[str, float] = {}
    posts_before = len(sink.posts)
    while len(seen) < 3 and time.monotonic() - t0 < limit:
        try:
            if "incident" not in seen and any(
                title in i["name"]
                for i in get_json(f"{web}/api/v2/incidents/unresolved.json")["incidents"]
            ):
                seen["incident"] = time.monotonic() - t0
            comps = get_json(f"{web}/api/v2/summary.json")["components"]
            if "status" not in seen and any(
                c["name"] == component and c["status"] != "operational" for c in comps
            ):
                seen["status"] = time.monotonic() - t0
        except OSError:
            pass
        for at, body in sink.posts[posts_before:]:
            if "webhook" not in seen and title.encode() in body:
                seen["webhook"] = at - t0
        time.sleep(0.2)
    return seen


def report(what: str, seen: dict[str, float]) -> bool:
    parts = ", ".join(
        f"{k} {seen[k]:.1f} s" if k in seen else f"{k} NEVER"
        for k in ("incident", "status", "webhook")
    )
    worst = max(seen.values()) if len(seen) == 3 else float("inf")
    print(
        f"{what}: {parts}; end to end {worst:.1f} s (limit 60 s) -> {'ok' if worst < 60 else 'MISSED'}; {load()}"
    )
    return worst < 60


def part_e2e(args: argparse.Namespace, env: dict[str, str], tmp: Path, web: str) -> bool:
    from django.db import transaction

    from tidings.components import services as components
    from tidings.core import clock
    from tidings.monitors import checks, services
    from tidings.monitors.kinds.registry import validate
    from tidings.subscribers.models import Subscriber

    sink, site = Sink(), Sink()
    with transaction.atomic():
        components.create_component(actor="bench", name="Checkout", slug="checkout")
        components.create_component(actor="bench", name="Storefront", slug="storefront")
        Subscriber.objects.create(channel="webhook", target=f"http://127.0.0.1:{sink.port}/sub", target_key="bench",
                                  status="active", all_components=True, created_at=clock.now())  # fmt: skip
        source = services.create_source(
            actor="bench", kind="alertmanager", name="am", publish_after=0
        )
        checks.create_monitor(actor="bench", kind="http", name="Storefront home", target=f"http://127.0.0.1:{site.port}/",
                              component="storefront", interval=10, failures=2, publish_after=0, validate=validate)  # fmt: skip
    worker = tidings(["worker", "--interval", "0.2"], env, tmp / "worker.log")
    print("\n== e2e: web, worker and scheduler running; --publish-after 0", flush=True)
    ok = True
    binary = shutil.which("prometheus-alertmanager")
    if binary is None:
        print("alertmanager: not installed; part skipped")
    else:
        port = free_port()
        (tmp / "am.yml").write_text(
            "route:\n  receiver: t\n  group_by: ['alertname']\n  group_wait: 1s\n  group_interval: 2s\n"
            f"receivers:\n  - name: t\n    webhook_configs:\n      - url: {services.receiver_url(source)}\n"
        )
        am = subprocess.Popen([binary, f"--config.file={tmp / 'am.yml'}", f"--storage.path={tmp / 'am'}",
                               f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        wait_port(port)
        time.sleep(1)
        alert = [{"labels": {"alertname": "CheckoutDown", "component": "checkout", "severity": "critical"},
                  "annotations": {"summary": "Checkout is failing"},
                  "startsAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}]  # fmt: skip
        t0 = time.monotonic()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v2/alerts", data=json.dumps(alert).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")  # fmt: skip
        urllib.request.urlopen(req, timeout=5).close()
        ok &= report(
            "alertmanager alert -> page", follow(web, sink, "Checkout", "Checkout is failing", t0)
        )
        am.terminate()
    deadline = time.monotonic() + 60
    from tidings.monitors.models import Monitor

    while Monitor.objects.get(name="Storefront home").state != "up" and time.monotonic() < deadline:
        time.sleep(0.5)
    t0 = time.monotonic()
    site.stop()
    ok &= report(
        "HTTP monitor target stopped -> page",
        follow(web, sink, "Storefront", "Storefront home", t0),
    )
    stop(worker)
    return ok
