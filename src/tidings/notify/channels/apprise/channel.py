"""Any service Apprise knows (``json://``, ``mailto://``, ``tgram://``, ``ntfy://``, …): the long
tail of channels with no dedicated sender here (formats.md 4).

Apprise is synchronous and slow (hundreds of messages a second at best), so each message runs
on a small thread pool of this channel's own, at most :data:`CONCURRENCY` at once. The pool is
not the event loop's default executor on purpose: aiohttp resolves host names there, and eight
Apprise calls stuck on a slow service must not stall every webhook's DNS lookup. Each message
gets a fresh ``Apprise`` object: an instance throttles consecutive sends (5.5 s by default), so
one long-lived instance would crawl.

Apprise reports only success or failure, so every failure is temporary, except a URL that this
Apprise no longer accepts (a plugin removed by an upgrade), which can never work again.

SSRF: Apprise makes its own connections (requests, smtplib), outside the guarded aiohttp
session. Unless private targets are allowed, URLs whose host (or ``smtp=`` host) is local or
private, in any spelling (``2130706433``, ``localhost.``...), are refused when stored, and
again at send time after resolving the name; while Apprise sends, :mod:`.guard` refuses any
socket to a private address and any redirect. A refusal for the address is permanent: the
target is disabled, not retried."""

from __future__ import annotations

import asyncio
import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext as _

from tidings.notify.channels.apprise import guard
from tidings.notify.channels.base import PerRecipient
from tidings.notify.http import is_private_host, is_public_address, private_refused
from tidings.notify.protocol import (
    UNSUBSCRIBE_URL,
    InvalidTarget,
    Rendered,
    Result,
    by_tone,
    facts,
)

if TYPE_CHECKING:
    import aiohttp

    from tidings.config import TidingsSettings
    from tidings.notify.protocol import Outgoing, UpdateView

log = logging.getLogger(__name__)
#: Apprise calls in flight per worker.
CONCURRENCY = 8
#: Seconds one Apprise call may take before the delivery is retried later.
TIMEOUT = 60.0
#: Apprise's notification type per status. A partial outage stays a warning here, as this
#: channel has always sent it, where Teams marks it as bad.
NOTIFY_TYPES = by_tone(bad="failure", mixed="warning", good="success", partial_outage="warning")


def _hosts(plugin: Any) -> list[str]:
    """The hosts a plugin connects to that its URL chooses. Plugins for a fixed vendor API
    (Telegram, Slack, Twilio…) keep tokens in their URL's host part, not a host name."""
    hosts = []
    tokens = getattr(plugin, "template_tokens", None) or {}
    host = getattr(plugin, "host", None)
    if "host" in tokens and host:
        hosts.append(str(host))
    if smtp := getattr(plugin, "smtp_host", None):
        hosts.append(str(smtp))
    return hosts


def _resolves_to_private(host: str) -> bool:
    """True when the name resolves only to private or local addresses (as the guarded aiohttp
    resolver refuses them); a name that does not resolve is left for Apprise to fail on."""
    host = host.strip("[]")
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]).split("%", 1)[0] for info in infos}
    return bool(addresses) and not any(is_public_address(a) for a in addresses)


def _describe(result: object) -> str:
    """The warnings Apprise 2.x recorded for a failed notify (1.x returns a plain bool)."""
    messages: list[str] = []
    try:
        for service in result:  # type: ignore[attr-defined]
            messages += [str(e.message) for e in service.logs() if e.level in ("WARNING", "ERROR")]
    except (TypeError, AttributeError):
        pass
    return "; ".join(messages[-3:])[:400] or "Apprise reported a failure"


def render_text(view: UpdateView) -> str:
    labels = view.labels
    lines = [f"{view.title} - {view.status_label}", ""]
    if view.body_text.strip():
        lines += [view.body_text.strip(), ""]
    lines += [f"{label}: {value}" for label, value in facts(view)]
    lines += [
        "", f"{labels.get('details', 'Details and updates')}: {view.incident_url}", "", "--",
        view.site_name, labels.get("why", ""),
        f"{labels.get('unsubscribe', 'Unsubscribe')}: {UNSUBSCRIBE_URL}",
    ]  # fmt: skip
    return "\n".join(lines)


def personalise(text: str, unsubscribe_url: str) -> str:
    if unsubscribe_url:
        return text.replace(UNSUBSCRIBE_URL, unsubscribe_url)
    return "\n".join(line for line in text.split("\n") if UNSUBSCRIBE_URL not in line)


class AppriseChannel(PerRecipient):
    kind: ClassVar[str] = "apprise"

    def __init__(self, settings: TidingsSettings, http: aiohttp.ClientSession) -> None:
        self.allow_private = settings.allow_private_targets
        self.site_name = settings.site_name
        self.public_url = settings.public_url
        self._pool: ThreadPoolExecutor | None = None
        self._gate: asyncio.Semaphore | None = None

    @staticmethod
    def normalise_target(target: str) -> str:
        import apprise

        from tidings.config import get_settings

        url = target.strip()
        scheme, sep, _rest = url.partition("://")
        if not sep or not scheme or len(url) > 2000:
            raise InvalidTarget(_("an Apprise URL looks like json://host/path or mailto://…"))
        found = apprise.Apprise()
        if not found.add(url):  # the message never repeats the URL: it may hold a token
            raise InvalidTarget(
                _("Apprise does not accept this %(scheme)s:// URL") % {"scheme": scheme}
            )
        if not get_settings().allow_private_targets:
            for plugin in found:
                for host in _hosts(plugin):
                    if is_private_host(host):
                        raise InvalidTarget(private_refused(host))
        return url

    @staticmethod
    def render(view: UpdateView) -> Rendered:
        subject = f"[{view.site_name}] {view.title}: {view.status_label}"
        payload = {"notify_type": NOTIFY_TYPES.get(view.status, "info")}
        return Rendered(subject=subject, text=render_text(view), payload=payload)

    def _notify(self, out: Outgoing) -> Result:
        """One message, on a pool thread."""
        import apprise

        asset = apprise.AppriseAsset(app_id=self.site_name, app_desc=self.site_name,
                                     app_url=self.public_url, async_mode=False)  # fmt: skip
        sender = apprise.Apprise(asset=asset)
        if not sender.add(out.target):
            return Result(out.delivery_id, ok=False, permanent=True,
                          error="this Apprise no longer accepts the URL")  # fmt: skip
        if not self.allow_private:
            for plugin in sender:
                if any(is_private_host(h) or _resolves_to_private(h) for h in _hosts(plugin)):
                    return Result(out.delivery_id, ok=False, permanent=True,
                                  error="the URL's host resolves only to private addresses; refused")  # fmt: skip
        notify_type = (out.payload or {}).get("notify_type", "info")
        with guard.guarded(allow_private=self.allow_private) as seen:
            result = sender.notify(body=personalise(out.text, out.unsubscribe_url), title=out.subject,
                                   notify_type=notify_type, body_format=apprise.NotifyFormat.TEXT)  # fmt: skip
        if seen.refused:
            return Result(out.delivery_id, ok=False, permanent=True, error=seen.refused)
        if result:
            return Result(out.delivery_id, ok=True)
        if seen.redirect:
            return Result(out.delivery_id, ok=False,
                          error=f"the service answered with a redirect to {seen.redirect}, which is not followed")  # fmt: skip
        return Result(out.delivery_id, ok=False, error=_describe(result))

    async def send_one(self, out: Outgoing) -> Result:
        if self._pool is None or self._gate is None:
            self._pool = ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="tidings-apprise")
            self._gate = asyncio.Semaphore(CONCURRENCY)
        # The gate keeps queued messages out of the pool, so the timeout measures the send.
        async with self._gate:
            call = asyncio.get_running_loop().run_in_executor(self._pool, self._notify, out)
            try:
                return await asyncio.wait_for(call, TIMEOUT)
            except TimeoutError:
                return Result(out.delivery_id, ok=False,
                              error=f"Apprise did not finish within {TIMEOUT:.0f} s")  # fmt: skip
            except Exception as exc:  # a plugin's bug must not lose the batch
                log.exception("Apprise failed")
                return Result(out.delivery_id, ok=False, error=f"Apprise failed: {exc!r}"[:500])

    async def close(self) -> None:
        if self._pool is not None:
            # A call stuck on a slow service finishes on its own; closing must not wait for it.
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._gate = None
