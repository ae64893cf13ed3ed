"""The demo's catcher: somewhere for ``tidings up --demo`` to send. One process, two servers on
127.0.0.1: an SMTP server (aiosmtpd) that takes every mail, and an HTTP server that answers like
the Twilio and Telegram APIs and like any webhook, Slack or Teams URL. Everything it takes is
written to the outbox, a JSON-lines file in the data directory that the console shows at
``/console/outbox``; nothing leaves the machine.

No Django here: the catcher starts in a blink and never touches the database."""

from __future__ import annotations

import asyncio
import contextlib
import email
import itertools
import json
import logging
import signal
import threading
from collections import deque
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiohttp import web
from aiosmtpd.smtp import SMTP

log = logging.getLogger(__name__)
#: Headers shown with a caught mail.
SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "Precedence",
                 "Feedback-ID", "Auto-Submitted", "DKIM-Signature")  # fmt: skip


class Outbox:
    """Append-only JSON lines; the newest entries read back first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def add(self, entry: dict[str, Any]) -> None:
        entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **entry}
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)

    def newest(self, limit: int = 100) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as f:
            lines = deque(f, maxlen=limit)
        out = []
        for line in reversed(lines):
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
        return out


def mail_entry(sender: str, recipients: list[str], data: bytes) -> dict[str, Any]:
    """What the console shows of a mail: its headers, text and HTML, as the recipient's mail
    program would read them."""
    msg = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)  # the default policy makes one
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    return {
        "channel": "email", "to": ", ".join(recipients), "from": sender,
        "subject": str(msg.get("Subject", "")),
        "headers": [[name, str(msg[name])] for name in SHOWN_HEADERS if msg[name] is not None],
        "text": text.get_content() if text is not None else "",
        "html": html.get_content() if html is not None else "",
        "size": len(data),
    }  # fmt: skip


class _MailHandler:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        try:
            self.outbox.add(mail_entry(envelope.mail_from, list(envelope.rcpt_tos), data))
        except Exception:  # a mail the catcher cannot read still counts as delivered
            log.exception("the demo catcher could not read a mail")
            self.outbox.add({"channel": "email", "to": ", ".join(envelope.rcpt_tos),
                             "subject": "(unreadable)", "text": data.decode(errors="replace")})  # fmt: skip
        return "250 2.0.0 Ok: caught by the Tidings demo"


def http_app(outbox: Outbox) -> web.Application:
    numbers = itertools.count(1)

    async def twilio(request: web.Request) -> web.Response:
        form = await request.post()
        to = str(form.get("To", ""))
        channel = "whatsapp" if to.startswith("whatsapp:") else "sms"
        outbox.add({"channel": channel, "to": to.removeprefix("whatsapp:"),
                    "from": str(form.get("From", form.get("MessagingServiceSid", ""))),
                    "text": str(form.get("Body", ""))})  # fmt: skip
        return web.json_response({"sid": f"SMdemo{next(numbers)}", "status": "queued"}, status=201)

    async def telegram(request: web.Request) -> web.Response:
        body = await request.json()
        outbox.add({"channel": "telegram", "to": str(body.get("chat_id", "")),
                    "text": str(body.get("text", ""))})  # fmt: skip
        return web.json_response({"ok": True, "result": {"message_id": next(numbers)}})

    async def hook(request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            shown = json.dumps(json.loads(raw), ensure_ascii=False, indent=2)
        except ValueError:
            shown = raw.decode(errors="replace")
        outbox.add({"channel": "webhook", "to": str(request.url.with_query(None)),
                    "subject": request.headers.get("Idempotency-Key", ""), "body": shown})  # fmt: skip
        return web.Response(text="ok")  # Slack wants "ok" with its 200

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post("/twilio/2010-04-01/Accounts/{sid}/Messages.json", twilio)
    app.router.add_post("/telegram/{bot}/sendMessage", telegram)
    app.router.add_post("/{tail:.*}", hook)
    return app


async def serve(
    outbox: Outbox, *, host: str, smtp_port: int, http_port: int, stop: asyncio.Event
) -> None:
    loop = asyncio.get_running_loop()
    handler = _MailHandler(outbox)
    smtp = await loop.create_server(
        lambda: SMTP(handler, hostname="catcher.tidings.invalid"), host=host, port=smtp_port
    )
    runner = web.AppRunner(http_app(outbox), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, http_port).start()
    try:
        await stop.wait()
    finally:
        smtp.close()
        await smtp.wait_closed()
        await runner.cleanup()


def run(outbox_path: Path, *, host: str, smtp_port: int, http_port: int) -> None:
    """Serve until SIGTERM or Ctrl-C."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(
            Outbox(outbox_path), host=host, smtp_port=smtp_port, http_port=http_port, stop=stop
        )

    print(
        f"tidings catcher: mail on {host}:{smtp_port}, HTTP on {host}:{http_port}; "
        f"outbox {outbox_path}",
        flush=True,
    )
    asyncio.run(main())
