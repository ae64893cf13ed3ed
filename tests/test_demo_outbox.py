"""The demo has somewhere to send: a catcher process takes every email, SMS, WhatsApp, Telegram
and webhook message, and the console shows them; ``tidings up --demo`` runs it all."""

from __future__ import annotations

import http.cookiejar
import json
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, stop, tidings_process
from tests.notify.channel_kit import outgoing, send, update_view
from tests.ports import free_port, wait_for_port
from tidings.config import overridden
from tidings.demo.catcher import Outbox


@pytest.fixture
def catcher(tmp_path: Path) -> Any:
    smtp_port, http_port = free_port(), free_port()
    proc = tidings_process(
        ["catcher", "--smtp-port", str(smtp_port), "--http-port", str(http_port)],
        {"TIDINGS_DATA_DIR": str(tmp_path / "data")},
    )
    try:
        wait_for_port(smtp_port, proc=proc)
        wait_for_port(http_port, proc=proc)
        yield (
            smtp_port,
            f"http://127.0.0.1:{http_port}",
            Outbox(tmp_path / "data/demo/outbox.jsonl"),
        )
    finally:
        stop(proc)


def test_the_catcher_keeps_what_each_channel_sends(catcher, tmp_path, client, dana):
    smtp_port, base, outbox = catcher
    with overridden(
        data_dir=tmp_path / "data", demo=True, smtp_port=smtp_port, email_from="status@acme.test",
        allow_private_targets=True, twilio_api_base=f"{base}/twilio", twilio_account_sid="ACdemo",
        twilio_auth_token="demo", twilio_from="+15550000001", twilio_whatsapp_from="+15550000002", telegram_api_base=f"{base}/telegram",
        telegram_bot_token="demo",
    ) as settings:  # fmt: skip
        he = update_view("he")
        assert all(
            r.ok for r in send("email", settings, outgoing("email", ["noa@globex.example"], he))
        )
        assert all(r.ok for r in send("sms", settings, outgoing("sms", ["+972501111111"])))
        assert all(
            r.ok for r in send("whatsapp", settings, outgoing("whatsapp", ["+972502222222"]))
        )
        assert all(
            r.ok for r in send("telegram", settings, outgoing("telegram", ["-1001234567890"]))
        )
        assert all(
            r.ok for r in send("webhook", settings, outgoing("webhook", [f"{base}/hooks/x"]))
        )
        assert all(r.ok for r in send("slack", settings, outgoing("slack", [f"{base}/slack/x"])))
        entries = {e["channel"]: e for e in outbox.newest()}
        assert set(entries) == {"email", "sms", "whatsapp", "telegram", "webhook"}
        mail = entries["email"]
        assert mail["to"] == "noa@globex.example" and "שגיאות רבות ב-API" in mail["subject"]
        assert 'dir="rtl"' in mail["html"] and "חלק מהקריאות" in mail["text"]
        assert (
            entries["sms"]["to"] == "+972501111111"
            and "Elevated API errors" in entries["sms"]["text"]
        )
        assert entries["whatsapp"]["to"] == "+972502222222"
        hooks = {
            e["to"].rsplit("/", 2)[1]: json.loads(e["body"])
            for e in outbox.newest()
            if e["channel"] == "webhook"
        }
        assert hooks["hooks"]["incident"]["name"] == "Elevated API errors"  # Statuspage format
        assert hooks["slack"]["blocks"]

        client.force_login(dana)
        page = client.get("/console/outbox").content.decode()
    assert page.count('class="entry card"') == 6
    assert '<iframe sandbox title="' in page and 'srcdoc="&lt;' in page  # the mail, inert
    assert "+972501111111" in page and "Elevated API errors" in page


def test_the_outbox_page_explains_itself_outside_the_demo(client, dana, site_settings):
    client.force_login(dana)
    page = client.get("/console/outbox").content.decode()
    assert "tidings up --demo" in page
    client.logout()
    assert client.get("/console/outbox").status_code == 302


def test_the_outbox_list_refreshes_itself_only_when_a_message_arrived(client, dana, tmp_path):
    with overridden(demo=True, data_dir=tmp_path / "data") as settings:
        outbox = Outbox(settings.demo_outbox)
        outbox.add({"channel": "sms", "to": "+972501111111", "text": "API down"})
        client.force_login(dana)
        page = client.get("/console/outbox").content.decode()
        assert 'http-equiv="refresh"' not in page
        since = re.search(r"outbox\?since=(\d+)", page).group(1)
        assert client.get(f"/console/outbox?since={since}").status_code == 204
        outbox.add({"channel": "sms", "to": "+972502222222", "text": "API back"})
        fresh = client.get(f"/console/outbox?since={since}").content.decode()
    assert fresh.startswith('<div id="outbox-entries"') and fresh.count('class="entry card"') == 2
    assert fresh.index("+972502222222") < fresh.index("+972501111111")  # newest first


def _login(base: str, username: str, password: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/admin/login/?next=/console/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username,
                                   "password": password, "next": "/console/"}).encode()  # fmt: skip
    request = urllib.request.Request(f"{base}/admin/login/?next=/console/", data=data,
                                     headers={"Referer": f"{base}/admin/login/"})  # fmt: skip
    assert "Tidings console" in opener.open(request, timeout=10).read().decode()
    return opener


def test_up_demo_sends_every_message_to_the_outbox(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"TIDINGS_DATA_DIR": str(tmp_path / "data"), "TIDINGS_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
           "TIDINGS_PUBLIC_URL": base}  # fmt: skip

    def cli(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "tidings.cli", *args], env={**__import__("os").environ, **env},
                              cwd=ROOT, capture_output=True, text=True, timeout=120, check=True).stdout.strip()  # fmt: skip

    cli("createadmin", "--username", "admin", "--password", "pw-for-admin")
    proc = tidings_process(["up", "--demo", "--port", str(port)], env)
    try:
        wait_for_port(port, timeout=90, proc=proc)
        token = cli("token", "--user", "admin")
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        listed = urllib.request.urlopen(
            urllib.request.Request(f"{base}/api/v1/incidents", headers=auth), timeout=10
        )
        [active] = [
            i for i in json.load(listed) if i["kind"] == "incident" and i["status"] != "resolved"
        ]
        body = json.dumps(
            {"status": "identified", "body": "Demo update: we found the cause."}
        ).encode()
        posted = urllib.request.Request(f"{base}/api/v1/incidents/{active['id']}/updates", data=body,
                                        headers=auth, method="POST")  # fmt: skip
        assert urllib.request.urlopen(posted, timeout=10).status == 201

        outbox = Outbox(tmp_path / "data/demo/outbox.jsonl")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            channels = {e["channel"] for e in outbox.newest(500)}
            if {"email", "sms", "whatsapp", "webhook"} <= channels:
                break
            time.sleep(0.5)
        assert {"email", "sms", "whatsapp", "webhook"} <= channels, channels
        caught = outbox.newest(500)
        assert all(
            "we found the cause" in (e.get("text", "") + e.get("body", "")).lower() for e in caught
        )

        page = (
            _login(base, "admin", "pw-for-admin")
            .open(f"{base}/console/outbox", timeout=10)
            .read()
            .decode()
        )
        assert "Demo update: we found the cause." in page and "noa@globex.example" in page
    finally:
        output = stop(proc)
    assert "Demo outbox:" in output and "tidings catcher: mail on 127.0.0.1:" in output, output[
        -3000:
    ]
