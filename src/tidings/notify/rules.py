"""Pure delivery rules: what a refusal means for the delivery and its target, and how much of
a target may be shown. No I/O.

A refusal is judged by what the server said, never by the channel's say-so alone:

* the address is wrong (SMTP enhanced 5.1.x for the recipient, 5.2.1, or a bare 550/551/553 at
  ``RCPT``; HTTP 404 and 410): the delivery is **dead** and the target is disabled at once;
* the server refused this message for a reason that is not the address (5.7.x policy, 5.3.x
  size, an HTTP 400 or 403): the delivery is **rejected**, not retried; the target is disabled
  only after several rejections in a row (``TIDINGS_REJECTIONS_TO_DISABLE``);
* the refusal is about our side of the conversation (5.5.x, 500-504: a greeting the server
  dislikes, a command it does not know; the sender's own address, 5.1.7 and 5.1.8; any refusal
  of ``MAIL FROM``): the delivery has **failed**, and that never counts against the target,
  since every recipient on that server would get the same answer;
* anything temporary (4xx, HTTP 5xx and 429, no answer at all): **retry** with backoff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from tidings.incidents.rules import ACTIVE_MAINTENANCE_STATES, CLOSED_STATES
from tidings.notify.protocol import Answer, Result

Outcome = Literal["sent", "retry", "failed", "rejected", "dead"]

_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$|[^\d.])")
#: 5.1.x codes about the sender, not the recipient (Postfix checks the sender at RCPT time).
_SENDER_SUBJECTS = {(1, 7), (1, 8)}


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    why: str = ""


def enhanced_code(text: str) -> tuple[int, int, int] | None:
    """The RFC 3463 enhanced status code at the start of an SMTP reply text, if any."""
    m = _ENHANCED.match(text)
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def smtp_verdict(code: int, text: str, stage: str = "rcpt") -> Verdict:
    """Judge an SMTP reply. ``stage`` is the refused command: only ``rcpt`` (and ``data``,
    since every transaction carries one recipient) can be about the recipient's address."""
    if 200 <= code < 400:
        return Verdict("sent")
    if code < 500:
        return Verdict("retry", why="temporary refusal")
    enhanced = enhanced_code(text)
    if enhanced is not None and enhanced[0] != 5:
        enhanced = None  # "550 4.2.2" contradicts itself: trust the reply code
    subject = enhanced[1:] if enhanced else None
    about_address = subject is not None and (
        (subject[0] == 1 and subject not in _SENDER_SUBJECTS) or subject == (2, 1)
    )
    if stage in ("rcpt", "data") and about_address:
        return Verdict("dead", why="the address is refused")
    if stage == "rcpt" and subject is None and code in (550, 551, 553):
        return Verdict("dead", why="the address is refused")
    ours = stage == "mail" or (
        subject is not None and (subject[0] == 5 or subject in _SENDER_SUBJECTS)
    )
    if ours or (subject is None and 500 <= code <= 504):
        return Verdict("failed", why="the server refused our side of the conversation")
    return Verdict("rejected", why="the server refused this message")


def http_verdict(status: int) -> Verdict:
    """Judge an HTTP answer of a target URL (a webhook, a chat hook): gone or not found means
    the URL is dead; other 4xx (a bad request, a refused token) refuse this message; 5xx,
    408, 425, 429 and redirects are worth another try."""
    if 200 <= status < 300:
        return Verdict("sent")
    if status in (404, 410):
        return Verdict("dead", why="the endpoint is gone")
    if 400 <= status < 500 and status not in (408, 425, 429):
        return Verdict("rejected", why="the endpoint refused this message")
    return Verdict("retry", why="temporary failure")


def answer_verdict(answer: Answer) -> Verdict:
    if answer.protocol == "smtp":
        return smtp_verdict(answer.code, answer.text, answer.stage)
    return http_verdict(answer.code)


def verdict(result: Result) -> Verdict:
    """What becomes of a delivery after this send."""
    if result.ok:
        return Verdict("sent")
    if result.answer is not None:
        judged = answer_verdict(result.answer)
        # A success code the channel still found wanting (Slack says "ok" with a 200 only).
        return judged if judged.outcome != "sent" else Verdict("retry", why="unexpected answer")
    if result.permanent:
        return Verdict("dead", why="the service says the target is gone")
    return Verdict("retry", why="no answer")


def maintenance_passed(
    update_status: str,
    incident_status: str,
    starts: datetime | None,
    ends: datetime | None,
    now: datetime,
) -> bool:
    """A maintenance notice whose moment has passed: "scheduled" once the maintenance has
    started (or was started by hand); "in progress" or "verifying" once it has ended or its
    planned end has passed. Closing notices always go."""
    if update_status == "scheduled":
        return incident_status != "scheduled" or (starts is not None and now >= starts)
    if update_status in ACTIVE_MAINTENANCE_STATES:
        return incident_status in CLOSED_STATES or (ends is not None and now >= ends)
    return False


# --- masking ------------------------------------------------------------------------------


def mask_target(channel: str, target: str) -> str:
    """Enough of a target to recognise it, never the whole of it."""
    t = target.strip()
    if not t:
        return ""
    if "://" in t:
        parts = urlsplit(t)
        # The host of a web address, never its user:password@ part nor its path (Slack and
        # Teams hook URLs carry their secret there); other schemes (Apprise's tgram://TOKEN)
        # may hold a secret in the host too.
        host = parts.hostname if parts.scheme in ("http", "https") else ""
        return f"{parts.scheme}://{host}/…" if host else f"{parts.scheme}://…"
    if channel == "email" or re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", t):
        local, _, domain = t.rpartition("@")
        return f"{local[:1]}***@{domain}" if local else "***@" + domain
    if re.fullmatch(r"\+?[\d\s\-().]{7,}", t):
        digits = re.sub(r"\D", "", t)
        lead = "+" if t.startswith("+") else ""
        return f"{lead}{digits[:3]}{'*' * max(3, len(digits) - 5)}{digits[-2:]}"
    if len(t) <= 6:
        return "***"
    return f"{t[:2]}***{t[-2:]}"


def masked_text(text: str, target: str, masked: str) -> str:
    """Servers quote the address in their replies; a reason shown or logged must not."""
    if target.strip():
        text = re.sub(re.escape(target.strip()), masked, text, flags=re.IGNORECASE)
    return text
