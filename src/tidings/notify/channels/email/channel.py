"""Email through SMTP (aiosmtplib), with a pool of open connections per worker.

Each message is built once by the email library (headers, text and HTML parts) and kept as
bytes; per recipient only the address, the Message-ID and the unsubscribe links are put in.
Building a MIME object per recipient measured at a fifth of this speed. What is put in per
recipient is our own (an address the channel validated, a delivery key, a link we signed), so
nothing a user typed reaches a header except through the email library, which refuses line
breaks in a header.

A strict mail server gets what it checks: EHLO with a fully qualified name, a stable envelope
sender for bounces, one recipient per transaction (so a refusal at ``RCPT`` is about that
recipient only), and, when a key is configured, a DKIM signature. A pooled connection the
server has closed while idle is opened again without counting against the delivery."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
import time
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate
from typing import TYPE_CHECKING, ClassVar

import aiosmtplib
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from tidings.notify.channels.base import PerRecipient
from tidings.notify.channels.email.dkim import DkimSigner
from tidings.notify.protocol import (
    MANAGE_URL,
    UNSUBSCRIBE_URL,
    Answer,
    InvalidTarget,
    Outgoing,
    Rendered,
    Result,
    UpdateView,
)

if TYPE_CHECKING:
    import aiohttp

    from tidings.config import TidingsSettings

log = logging.getLogger(__name__)
_ADDRESS = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z0-9-]{2,}$")
# Stand-ins the per-recipient values replace; valid where they stand, so the email library
# lays them out like the real thing.
_TO = b"recipient@tidings.invalid"
_ID = b"tidings-message-id"
_UNSUB, _MANAGE = UNSUBSCRIBE_URL.encode(), MANAGE_URL.encode()
#: Bulk notices: complaints are reported per Feedback-ID, and auto-responders stay quiet.
_BULK_KINDS = ("update", "component")
#: Replies that mean the server has closed (or is closing) an idle connection.
_GONE = (aiosmtplib.SMTPServerDisconnected, ConnectionError, TimeoutError, OSError)


def _wrap(text: str) -> str:
    """SMTP lines must stay under 998 octets; break long lines at spaces."""
    lines = []
    for original in text.replace("\r\n", "\n").split("\n"):
        rest = original
        while len(rest.encode()) > 900:
            cut = rest.rfind(" ", 0, 800)
            cut = cut if cut > 0 else 800
            lines.append(rest[:cut])
            rest = rest[cut:]
        lines.append(rest)
    return "\n".join(lines)


def _one_line(value: str) -> str:
    """A header value from text a person typed: line breaks become spaces (the email library
    would refuse them; this keeps the subject instead of failing the message)."""
    return " ".join(value.split())


def tls_context(settings: TidingsSettings) -> ssl.SSLContext:
    """The system's trusted CAs, plus ``smtp_tls_ca_file``; no checks at all only when
    ``smtp_tls_verify`` is off (a test server with a self-signed certificate)."""
    context = ssl.create_default_context()
    if settings.smtp_tls_ca_file:
        context.load_verify_locations(cafile=str(settings.smtp_tls_ca_file))
    if not settings.smtp_tls_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class EmailChannel(PerRecipient):
    kind: ClassVar[str] = "email"

    def __init__(
        self, settings: TidingsSettings, http: aiohttp.ClientSession | None = None
    ) -> None:
        self.settings = settings
        self.sender = settings.email_from
        self.return_path = settings.email_return_path or settings.email_from
        self.domain = self.sender.rsplit("@", 1)[-1]
        self.feedback = settings.email_feedback_id or self.domain
        self.dkim = DkimSigner.from_settings(settings, self.domain)
        # Worked out once: the greeting may ask the resolver for this machine's name, and a
        # TLS context reads the system's CA store.
        self.helo = settings.smtp_helo_name
        self.tls = tls_context(settings) if settings.smtp_security != "none" else None
        self._templates: dict[tuple[int, bool], bytes] = {}
        # A free slot is None: whoever takes it opens a connection. A connection that breaks
        # gives its slot back, so nobody waits for one that will never return.
        self._pool: asyncio.Queue[tuple[aiosmtplib.SMTP, float] | None] = asyncio.Queue()
        for _slot in range(settings.smtp_connections):
            self._pool.put_nowait(None)
        self._down_until = 0.0
        self._down_error = ""
        self._logged_down = -3600.0

    @staticmethod
    def normalise_target(target: str) -> str:
        address = target.strip()
        if len(address) > 254 or not _ADDRESS.match(address):
            raise InvalidTarget(_("%(target)s is not an email address") % {"target": repr(target)})
        local, domain = address.rsplit("@", 1)
        return (
            f"{local}@{domain.lower()}".lower() if local.isascii() else f"{local}@{domain.lower()}"
        )

    @staticmethod
    def render(view: UpdateView) -> Rendered:
        with translation.override(view.language):
            ctx = {
                "v": view, "rtl": view.language == "he", "unsubscribe_url": UNSUBSCRIBE_URL,
                "manage_url": MANAGE_URL,
            }  # fmt: skip
            prefix = f"[{view.site_name}] "
            subject = f"{prefix}{view.title}: {view.status_label}"
            return Rendered(
                subject=subject,
                text=render_to_string("notify/email.txt", ctx),
                html=render_to_string("notify/email.html", ctx),
            )

    # --- the message -----------------------------------------------------------------------

    def _template(self, out: Outgoing) -> bytes:
        key = (out.message_id, bool(out.unsubscribe_url))
        cached = self._templates.get(key)
        if cached is not None:
            return cached
        msg = EmailMessage(policy=SMTP_POLICY)
        msg["From"] = Address(display_name=_one_line(self.settings.site_name),
                              addr_spec=self.sender)  # fmt: skip
        msg["To"] = _TO.decode()
        msg["Subject"] = _one_line(out.subject)
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = f"<{_ID.decode()}@{self.domain}>"
        msg["Auto-Submitted"] = "auto-generated"
        if out.kind in _BULK_KINDS:
            msg["Precedence"] = "bulk"
        msg["Feedback-ID"] = f"{out.message_id}:{out.language}:{out.kind}:{self.feedback}"
        if out.unsubscribe_url:
            msg["List-Unsubscribe"] = f"<{UNSUBSCRIBE_URL}>"
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg.set_content(_wrap(out.text), subtype="plain", charset="utf-8", cte="8bit")
        msg.add_alternative(_wrap(out.html), subtype="html", charset="utf-8", cte="8bit")
        data = msg.as_bytes()
        if len(self._templates) > 256:
            self._templates.clear()
        self._templates[key] = data
        return data

    def bytes_for(self, out: Outgoing) -> bytes:
        data = (
            self._template(out)
            .replace(_TO, out.target.encode())
            .replace(_ID, out.message_key.encode())
        )
        if out.unsubscribe_url:
            data = data.replace(_UNSUB, out.unsubscribe_url.encode()).replace(
                _MANAGE, (out.manage_url or out.unsubscribe_url).encode()
            )
        return self.dkim.sign(data) if self.dkim else data

    # --- connections -----------------------------------------------------------------------

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self.settings
        smtp = aiosmtplib.SMTP(
            hostname=s.smtp_host, port=s.smtp_port, local_hostname=self.helo,
            timeout=s.smtp_timeout, use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls", validate_certs=s.smtp_tls_verify,
            tls_context=self.tls,
        )  # fmt: skip
        await smtp.connect()
        try:
            if s.smtp_username:
                await smtp.login(s.smtp_username, s.smtp_password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    async def _acquire(self) -> tuple[aiosmtplib.SMTP, bool]:
        """A connection, and whether it was used before (so may have been closed since)."""
        if time.monotonic() < self._down_until:
            raise ConnectionError(self._down_error)
        held = await self._pool.get()
        if held is not None:
            smtp, last_used = held
            idle = time.monotonic() - last_used
            if smtp.is_connected and (
                idle < self.settings.smtp_idle_check_seconds or await self._alive(smtp)
            ):
                return smtp, True
            smtp.close()
        try:
            return await self._connect(), False
        except BaseException as exc:
            self._pool.put_nowait(None)
            if isinstance(exc, (aiosmtplib.SMTPException, OSError)):
                self._mark_down(exc)
            raise

    async def _alive(self, smtp: aiosmtplib.SMTP) -> bool:
        try:
            return (await smtp.noop()).code == 250
        except (aiosmtplib.SMTPException, *_GONE):
            return False

    def _mark_down(self, exc: BaseException) -> None:
        """One line in the log per outage, and the rest of the batch fails fast with the same
        reason instead of each waiting for its own connection attempt."""
        s, now = self.settings, time.monotonic()
        self._down_error = f"cannot connect to the SMTP server {s.smtp_host}:{s.smtp_port}: {exc}"
        self._down_until = now + 5
        if now - self._logged_down >= 60:
            self._logged_down = now
            log.error("%s; email deliveries wait and are retried (check TIDINGS_SMTP_HOST, "
                      "TIDINGS_SMTP_PORT and TIDINGS_SMTP_SECURITY)", self._down_error)  # fmt: skip

    def _release(self, smtp: aiosmtplib.SMTP) -> None:
        if smtp.is_connected:
            self._pool.put_nowait((smtp, time.monotonic()))
        else:
            smtp.close()
            self._pool.put_nowait(None)

    # --- sending ---------------------------------------------------------------------------

    async def _transaction(self, smtp: aiosmtplib.SMTP, out: Outgoing, data: bytes) -> Result:
        """MAIL, RCPT and DATA for one recipient; a refusal comes back with the command it
        answered. Connection trouble is raised for the caller."""
        utf8 = not out.target.isascii()
        options = []
        if smtp.supports_extension("size"):
            options.append(f"SIZE={len(data)}")
        if smtp.supports_extension("8bitmime"):
            options.append("BODY=8BITMIME")
        if utf8:
            if not smtp.supports_extension("smtputf8"):
                return Result(out.delivery_id, ok=False, error="553 5.6.7 the server does not "
                              "take international addresses (SMTPUTF8)",
                              answer=Answer("smtp", 553, "5.6.7 no SMTPUTF8", "rcpt"))  # fmt: skip
            options.append("SMTPUTF8")
        encoding = "utf-8" if utf8 else "ascii"
        stage = "mail"
        try:
            try:
                await smtp.mail(self.return_path, options=options, encoding=encoding)
            except aiosmtplib.SMTPResponseException as exc:
                if exc.code == 421:
                    raise _Closed(f"{exc.code} {exc.message}") from exc
                raise
            except _GONE as exc:
                raise _Closed(repr(exc)) from exc
            stage = "rcpt"
            await smtp.rcpt(out.target, encoding=encoding)
            stage = "data"
            response = await smtp.data(data)
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code != 421 and smtp.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException, *_GONE):
                    await smtp.rset()
            if exc.code == 421:
                smtp.close()  # the server is closing the connection
            text = exc.message.strip()
            return Result(out.delivery_id, ok=False, error=f"{exc.code} {text}",
                          answer=Answer("smtp", exc.code, text, stage))  # fmt: skip
        return Result(out.delivery_id, ok=True, provider_ref=response.message[:200])

    async def send_one(self, out: Outgoing) -> Result:
        data = self.bytes_for(out)
        try:
            smtp, reused = await self._acquire()
        except (aiosmtplib.SMTPException, OSError) as exc:
            return Result(out.delivery_id, ok=False, error=self._down_error or str(exc))
        try:
            try:
                result = await self._transaction(smtp, out, data)
            except _Closed:
                if not reused:
                    raise
                # The server closed the pooled connection while it was idle (its 421, or the
                # socket gone at MAIL): nothing was sent, so open another and send once more.
                smtp.close()
                smtp = await self._connect()
                result = await self._transaction(smtp, out, data)
        except (aiosmtplib.SMTPException, _Closed, *_GONE) as exc:
            smtp.close()
            self._pool.put_nowait(None)
            return Result(out.delivery_id, ok=False, error=f"SMTP connection failed: {exc!r}")
        except BaseException:
            smtp.close()
            self._pool.put_nowait(None)
            raise
        self._release(smtp)
        return result

    async def close(self) -> None:
        while not self._pool.empty():
            held = self._pool.get_nowait()
            if held is None:
                continue
            smtp = held[0]
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, *_GONE):
                smtp.close()
        for _slot in range(self.settings.smtp_connections):
            self._pool.put_nowait(None)
        self._down_until = 0.0


class _Closed(Exception):
    """The connection was gone before the server took anything of this message."""
