"""Who an update would reach and who it would not, one by one, for staff to check before
publishing: the recipients (searchable, a page at a time) and those left out with the reason
(unconfirmed, disabled, unsubscribed, no channel, not affected). Targets are masked."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tidings.customers.models import Contact, Customer
from tidings.incidents.models import Incident
from tidings.incidents.rules import Audience
from tidings.notify import audience as audiences
from tidings.notify.audience import ComponentIds
from tidings.notify.rules import mask_target
from tidings.subscribers.models import Subscriber

REASONS = ("unconfirmed", "disabled", "unsubscribed", "no_channel", "not_affected")
PER_PAGE = 50


@dataclass(frozen=True)
class Row:
    channel: str
    target: str  # masked
    language: str
    who: str  # the customer's name, or "" for a public subscriber
    reason: str = ""  # why left out; "" for a recipient
    detail: str = ""  # e.g. why a target was disabled


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    page: int
    pages: int


def _page(total: int, page: int) -> tuple[int, int, int]:
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    return page, pages, (page - 1) * PER_PAGE


def _recipients(
    incident: Incident, audience: Audience, components: ComponentIds, q: str, page: int
) -> Page:
    found = audiences.recipients(incident, audience, components)
    names = dict(
        Customer.objects.filter(id__in={r.customer_id for r in found if r.customer_id}).values_list(
            "id", "name"
        )
    )
    needle = q.strip().casefold()
    rows = [
        Row(r.channel, mask_target(r.channel, r.target), r.language, names.get(r.customer_id or 0, ""))
        for r in found
        if not needle or needle in r.target.casefold() or needle in names.get(r.customer_id or 0, "").casefold()
    ]  # fmt: skip
    rows.sort(key=lambda r: (r.who == "", r.who.casefold(), r.channel, r.target))
    page, pages, start = _page(len(rows), page)
    return Page(rows[start : start + PER_PAGE], len(rows), page, pages)


def _subscriber_rows(qs: Any, reason: str) -> Callable[[int, int], list[Row]]:
    def fetch(offset: int, limit: int) -> list[Row]:
        subs = qs.select_related("customer").order_by("id")[offset : offset + limit]
        return [
            Row(s.channel, mask_target(s.channel, s.target), s.language,
                s.customer.name if s.customer else "", reason, s.disabled_reason)
            for s in subs
        ]  # fmt: skip

    return fetch


def _contact_rows(contacts: list[Contact], reason: str) -> Callable[[int, int], list[Row]]:
    def fetch(offset: int, limit: int) -> list[Row]:
        return [
            Row("email" if c.email else "sms", mask_target("email", c.email) if c.email
                else mask_target("sms", c.phone) if c.phone else "—", c.language,
                c.customer.name, reason)
            for c in contacts[offset : offset + limit]
        ]  # fmt: skip

    return fetch


def _unreachable(contacts: Iterable[Contact]) -> list[Contact]:
    return [c for c in contacts if not any(True for _ in audiences._contact_targets(c))]


def _segments(
    incident: Incident, audience: Audience, components: ComponentIds
) -> list[tuple[str, int, Callable[[int, int], list[Row]]]]:
    """(reason, how many, fetch a slice) for each group left out, in :data:`REASONS` order."""
    if audience == "none":
        return []
    scope = audiences.subscriber_queryset(incident, audience, components, status="")
    out: list[tuple[str, int, Callable[[int, int], list[Row]]]] = []
    for reason, status in (
        ("unconfirmed", "pending"), ("disabled", "disabled"), ("unsubscribed", "unsubscribed"),
    ):  # fmt: skip
        qs = scope.filter(status=status)
        out.append((reason, qs.count(), _subscriber_rows(qs, reason)))
    customers = audiences._customers(incident, audience, components)
    inside = Contact.objects.filter(customer__in=customers).select_related("customer")
    silent = _unreachable(inside.order_by("customer__name", "name"))
    out.append(("no_channel", len(silent), _contact_rows(silent, "no_channel")))
    if audience != "all":
        active = Subscriber.objects.filter(status="active").exclude(pk__in=scope.values("pk"))
        others = list(
            Contact.objects.exclude(customer__in=customers)
            .select_related("customer")
            .order_by("customer__name", "name")
        )
        out.append(("not_affected", active.count() + len(others),
                    _joined(_subscriber_rows(active, "not_affected"), active.count(),
                            _contact_rows(others, "not_affected"))))  # fmt: skip
    return out


def _joined(
    first: Callable[[int, int], list[Row]],
    first_total: int,
    second: Callable[[int, int], list[Row]],
) -> Callable[[int, int], list[Row]]:
    def fetch(offset: int, limit: int) -> list[Row]:
        rows = first(offset, limit) if offset < first_total else []
        if len(rows) < limit:
            rows += second(max(0, offset - first_total), limit - len(rows))
        return rows

    return fetch


def left_out_counts(
    incident: Incident, audience: Audience, components: ComponentIds = None
) -> dict[str, int]:
    return {reason: n for reason, n, _ in _segments(incident, audience, components)}


def _left_out(
    incident: Incident, audience: Audience, components: ComponentIds, reason: str, page: int
) -> Page:
    """Those left out (of one ``reason``, or all), a page at a time."""
    segments = [
        s for s in _segments(incident, audience, components) if not reason or s[0] == reason
    ]
    total = sum(n for _, n, _ in segments)
    page, pages, start = _page(total, page)
    rows: list[Row] = []
    for _, n, fetch in segments:
        if start >= n:
            start -= n
            continue
        rows += fetch(start, PER_PAGE - len(rows))
        start = 0
        if len(rows) >= PER_PAGE:
            break
    return Page(rows, total, page, pages)


def listed(
    incident: Incident,
    audience: Audience,
    components: ComponentIds = None,
    *,
    reason: str = "",
    q: str = "",
    page: int = 1,
) -> Page:
    """A page of the recipients (searched by ``q``), or with a ``reason`` ("all" or one of
    :data:`REASONS`) of those left out: the one choice the preview API and the console's
    roster both offer."""
    if reason:
        return _left_out(incident, audience, components, "" if reason == "all" else reason, page)
    return _recipients(incident, audience, components, q, page)
