"""What one target was told and when: its deliveries, newest first, each with the update (and
incident) it carried, the channel, the state and why (the sentences of
:mod:`tidings.notify.report`). For the support agent on the phone with a customer asking
"why did I hear nothing?". Server replies are shown with addresses masked; the target itself
is the caller's to show.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from pydantic import BaseModel, ConfigDict, Field

from tidings.core import text
from tidings.customers.models import Contact
from tidings.incidents.models import IncidentUpdate
from tidings.notify.models import Delivery
from tidings.notify.records import Page
from tidings.notify.report import REASON_VALUES, delivery_reason
from tidings.subscribers.models import Subscriber

#: The most a page of history holds.
PAGE_LIMIT = 200
#: Characters of the update's text shown per delivery.
EXCERPT_CHARS = 240

_VALUES = (
    *REASON_VALUES, "id", "created_at", "sent_at", "message__kind", "message__language",
    "message__subject", "message__update_id",
)  # fmt: skip


class Told(BaseModel):
    """One delivery to the target; also the API's ``ToldOut`` (see :mod:`.records`)."""

    model_config = ConfigDict(frozen=True)

    id: int
    kind: str = Field(description="update, component or confirm")
    channel: str
    status: str
    reason: str = Field(description="why the delivery is in that state, in the reader's language")
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    incident_id: str
    incident_title: str
    update_id: str
    update_status: str
    excerpt: str = Field(description="the start of what the message said")


History = Page[Told]


def for_subscriber(
    sub: Subscriber, *, limit: int = 50, offset: int = 0, labels: dict[str, str] | None = None
) -> History:
    return _history(Delivery.objects.filter(subscriber=sub), limit, offset, labels or {})


def for_contact(
    contact: Contact,
    *,
    channel: str = "",
    limit: int = 50,
    offset: int = 0,
    labels: dict[str, str] | None = None,
) -> History:
    qs = Delivery.objects.filter(contact=contact)
    if channel:
        qs = qs.filter(channel=channel)
    return _history(qs, limit, offset, labels or {})


def _history(qs: QuerySet[Delivery], limit: int, offset: int, labels: dict[str, str]) -> History:
    total = qs.count()
    start = max(0, offset)
    rows = list(
        qs.order_by("-created_at", "-id").values(*_VALUES)[start : start + min(limit, PAGE_LIMIT)]
    )
    wanted = {r["message__update_id"] for r in rows} | {r["superseded_by_id"] for r in rows}
    updates = {
        u.pk: u
        for u in IncidentUpdate.objects.filter(pk__in=[pk for pk in wanted if pk]).select_related(
            "incident"
        )
    }
    return History(total=total, items=[_told(r, updates, labels) for r in rows])


def _told(r: dict[str, Any], updates: dict[int, IncidentUpdate], labels: dict[str, str]) -> Told:
    update = updates.get(r["message__update_id"])
    incident = update.incident if update else None
    lang = r["message__language"] or "en"
    if update is not None:
        body = text.pick(update.bodies or {}, lang)
        title = (text.pick(incident.titles or {}, lang) or incident.title) if incident else ""
    else:
        body, title = r["message__subject"], ""
    return Told(
        id=r["id"], kind=r["message__kind"], channel=r["channel"], status=r["status"],
        reason=delivery_reason(r, updates, labels, update.status if update else "",
                               incident.status if incident else ""),
        attempts=r["attempts"], created_at=r["created_at"], sent_at=r["sent_at"],
        incident_id=incident.public_id if incident else "", incident_title=title,
        update_id=update.public_id if update else "",
        update_status=update.status if update else "", excerpt=_shorten(body),
    )  # fmt: skip


def _shorten(body: str) -> str:
    flat = " ".join((body or "").split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1].rstrip() + "…"
