"""What a channel is. A channel renders an update for its medium once per language, checks its
targets, and sends batches of outgoing messages; it knows nothing of the database. A channel
imports only this module, :mod:`tidings.notify.http` and its own client library."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

if TYPE_CHECKING:
    import aiohttp

    from tidings.config import TidingsSettings


class InvalidTarget(ValueError):
    """The address, phone number or URL cannot be used for this channel; the message says why."""


@dataclass(frozen=True)
class UpdateView:
    """One update as every channel renders it, already in the recipient's language."""

    language: str
    site_name: str
    page_url: str
    incident_id: str
    incident_url: str
    title: str
    kind: str  # "incident", "maintenance" or "component" (a status change outside an incident)
    status: str  # investigating ... / scheduled ...
    status_label: str
    impact: str
    body_markdown: str
    body_html: str
    body_text: str
    components: list[str]
    next_update_due_at: datetime | None
    scheduled_for: datetime | None
    scheduled_until: datetime | None
    posted_at: datetime
    is_first: bool
    statuspage_payload: dict[str, Any]  # the incident object of the Statuspage webhook format
    page_status: dict[str, str]  # {"indicator", "description"}
    labels: dict[str, str] = field(default_factory=dict)  # translated fixed strings
    #: for kind "component": the ``component_update`` object of the Statuspage webhook format
    component_update: dict[str, Any] | None = None
    #: the page's branding for this language: logo_url, accent, header_bg, header_fg,
    #: footer_links [{label, url}] (statuspage.branding.for_email); empty: Tidings' defaults
    brand: dict[str, Any] = field(default_factory=dict)


# --- what every channel renders with ---------------------------------------------------


#: How an update's status reads at a glance, for channels that flag a message in three grades
#: (a colour, a notification type): something is wrong, under way or uncertain, or all well.
#: Statuses not listed (scheduled, cancelled) are left to each channel's neutral default.
TONES: dict[str, Literal["bad", "mixed", "good"]] = {
    "investigating": "bad", "identified": "bad", "monitoring": "mixed", "in_progress": "mixed",
    "verifying": "mixed", "resolved": "good", "completed": "good", "operational": "good",
    "degraded_performance": "mixed", "partial_outage": "bad", "major_outage": "bad",
    "under_maintenance": "mixed",
}  # fmt: skip


def by_tone(*, bad: str, mixed: str, good: str, **exceptions: str) -> dict[str, str]:
    """A channel's word for each status in :data:`TONES`, given its word for each grade;
    ``exceptions`` name statuses the channel grades otherwise."""
    words = {"bad": bad, "mixed": mixed, "good": good}
    return {status: words[tone] for status, tone in TONES.items()} | exceptions


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a space where one is near, ending in "…"."""
    if len(text) <= limit:
        return text
    if limit < 2:
        return ""
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip() + "…"


def utc_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def facts(
    view: UpdateView,
    *,
    when: Callable[[datetime], str] = utc_text,
    escape: Callable[[str], str] = str,
) -> list[tuple[str, str]]:
    """The (label, value) lines under an update: affected components, the maintenance window
    and when the next update is due. Labels are translated; ``escape`` is applied to them and
    to component names, not to what ``when`` makes of a time (it may be markup already)."""
    labels, out = view.labels, []
    if view.components:
        out.append((escape(labels.get("affected", "Affected")), escape(", ".join(view.components))))
    if view.kind == "maintenance" and view.scheduled_for:
        until = f" - {when(view.scheduled_until)}" if view.scheduled_until else ""
        out.append((escape(labels.get("scheduled_for", "Scheduled for")),
                    when(view.scheduled_for) + until))  # fmt: skip
    if view.next_update_due_at:
        out.append((escape(labels.get("next_update", "Next update by")),
                    when(view.next_update_due_at)))  # fmt: skip
    return out


@dataclass(frozen=True)
class Rendered:
    subject: str = ""
    text: str = ""
    html: str = ""
    payload: dict[str, Any] | None = None


#: Placeholders a rendered message may hold; the worker substitutes them per recipient.
UNSUBSCRIBE_URL = "{{unsubscribe_url}}"
MANAGE_URL = "{{manage_url}}"


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    message_id: int  # recipients of one message share subject, text, html and payload
    target: str
    subject: str
    text: str
    html: str
    payload: dict[str, Any] | None
    language: str
    unsubscribe_url: str = ""
    #: A public subscriber's preferences page; for a customer contact, the unsubscribe page.
    manage_url: str = ""
    secret: str = ""  # webhook HMAC key
    message_key: str = ""  # stable per delivery: Message-ID / idempotency key
    kind: str = "update"  # the message's kind: "update", "component" or "confirm"


@dataclass(frozen=True)
class Answer:
    """What the target's server said when it refused: the failure policy
    (:mod:`tidings.notify.rules`) judges a refusal by it, not the channel."""

    protocol: Literal["smtp", "http"]
    code: int  # the SMTP reply code or the HTTP status
    text: str = ""  # the reply, with its enhanced status code (``5.1.1 ...``) when there is one
    #: SMTP: the command refused, ``mail``, ``rcpt`` or ``data``; only a refusal at ``rcpt``
    #: can be about the recipient's address.
    stage: str = ""


@dataclass(frozen=True)
class Result:
    delivery_id: int
    ok: bool
    #: The channel knows the target is bad (a vendor API said so in its own words): disable
    #: it. A refusal a server put in a standard code goes in ``answer`` instead.
    permanent: bool = False
    error: str = ""
    provider_ref: str = ""
    answer: Answer | None = None


class Channel(Protocol):
    kind: ClassVar[str]

    def __init__(self, settings: TidingsSettings, http: aiohttp.ClientSession) -> None: ...

    @staticmethod
    def normalise_target(target: str) -> str:
        """The canonical form of a target, or :class:`InvalidTarget` with a readable reason."""
        ...

    @staticmethod
    def render(view: UpdateView) -> Rendered: ...

    async def open(self) -> None: ...

    async def send(self, batch: list[Outgoing]) -> list[Result]: ...

    async def close(self) -> None: ...
