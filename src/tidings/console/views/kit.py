"""What the people screens (subscribers, customers, disabled targets, tokens) share: the words
for channels, states and plans in the reader's language, paging, links that keep the filters,
turning a domain error into a form error next to the field it is about, and a page shown again
with the form a post got refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tidings.core.errors import DomainError
from tidings.customers.models import Contact, disabled_channels
from tidings.notify.records import Page
from tidings.subscribers.services import CHANNEL_LABELS

PER_PAGE = 50
T = TypeVar("T")


def channel_labels() -> dict[str, str]:
    return {k: str(v) for k, v in CHANNEL_LABELS.items()}


def subscriber_states() -> dict[str, str]:
    return {
        "pending": _("Waiting for confirmation"), "active": _("Active"),
        "unsubscribed": _("Unsubscribed"), "disabled": _("Disabled"),
    }  # fmt: skip


def delivery_states() -> dict[str, str]:
    from tidings.console.views.deliveries import state_labels

    return state_labels()


def plan_labels() -> dict[str, str]:
    return {
        "free": _("Free"), "standard": _("Standard"), "business": _("Business"),
        "enterprise": _("Enterprise"),
    }  # fmt: skip


def language_labels() -> dict[str, str]:
    return {"en": _("English"), "he": _("Hebrew")}


def contact_channel_labels() -> dict[str, str]:
    return {"email": _("Email"), "sms": _("SMS"), "whatsapp": _("WhatsApp")}


def stopped_channels(contact: Contact) -> dict[str, dict[str, Any]]:
    """A contact's disabled channels: reason, when (a datetime) and by whom."""
    out: dict[str, dict[str, Any]] = {}
    for channel, info in disabled_channels(contact).items():
        try:
            at: datetime | None = datetime.fromisoformat(str(info.get("at", "")))
        except ValueError:
            at = None
        out[channel] = {"reason": info.get("reason", ""), "by": info.get("by", ""), "at": at}
    return out


def choices(labels: dict[str, str], blank: str | None = None) -> list[tuple[str, str]]:
    out = [("", blank)] if blank is not None else []
    return out + list(labels.items())


@dataclass(frozen=True)
class Pager:
    page: int
    per: int
    total: int
    base: str  # the query string without ``page``

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per))

    @property
    def prev_url(self) -> str:
        return self._url(self.page - 1) if self.page > 1 else ""

    @property
    def next_url(self) -> str:
        return self._url(self.page + 1) if self.page < self.pages else ""

    def _url(self, page: int) -> str:
        return "?" + "&".join(p for p in (self.base, f"page={page}") if p)


def page_number(request: HttpRequest) -> int:
    try:
        return min(max(1, int(request.GET.get("page", "1"))), 100_000)
    except ValueError:
        return 1


def pager(request: HttpRequest, total: int, per: int = PER_PAGE) -> Pager:
    page = min(page_number(request), max(1, -(-total // per)))
    kept = [(k, v) for k, v in request.GET.items() if k != "page" and v]
    return Pager(page=page, per=per, total=total, base=urlencode(kept))


def paged(request: HttpRequest, read: Callable[..., Page[T]]) -> tuple[list[T], Pager]:
    """One page of a list the domain reads in slices (what a person was told, the disabled
    targets): the slice the request's ``page`` asks for, ``read(limit=..., offset=...)``, and
    its pager."""
    offset = (page_number(request) - 1) * PER_PAGE
    found = read(limit=PER_PAGE, offset=offset)
    return found.items, pager(request, found.total)


def shown(
    request: HttpRequest, template: str, ctx: dict[str, Any], kept: dict[str, forms.BaseForm]
) -> HttpResponse:
    """A page about one thing (a customer, a contact, a subscriber) with fresh forms in
    ``ctx``, except a ``kept`` one: the form a refused post shows again with its errors, and
    then the answer is 422, so that a test or htmx sees the refusal."""
    return render(request, template, context(**{**ctx, **kept}), status=422 if kept else 200)


def form_error(form: forms.BaseForm, exc: DomainError, field: str | None = None) -> None:
    """Show a service's refusal on the form: next to ``field``, or above the form."""
    form.add_error(field if field in form.fields else None, exc.message)


def field_error(form: forms.BaseForm, exc: DomainError, fields: dict[str, str]) -> None:
    """A service's refusal next to the field it is about: the one the service named
    (``exc.field``) when the form has it, else the one its message names (``fields``: a word
    the message starts with -> the field; English words, so a refusal in Hebrew needs the
    former), else above the form."""
    if exc.field and exc.field in form.fields:
        form.add_error(exc.field, exc.message)
        return
    lowered = exc.message.lower()
    for word, name in fields.items():
        if lowered.startswith(word.lower()):
            form.add_error(name, exc.message)
            return
    form.add_error(None, exc.message)


def save(
    request: HttpRequest,
    form: forms.BaseForm,
    write: Callable[[], T],
    *,
    field: str | dict[str, str],
    done: str,
    to: Callable[[T], str],
    again: Callable[[], HttpResponse],
) -> HttpResponse:
    """A posted form: when valid, the service's ``write`` in one transaction, ``done`` flashed
    and on to the page ``to`` names for what it made or changed. Else ``again``: the page with
    the form kept and each error next to its field, a refusal next to ``field`` (or, given
    words -> fields, next to the field the message names: :func:`field_error`)."""
    if form.is_valid():
        try:
            with transaction.atomic():
                result = write()
        except DomainError as exc:
            if isinstance(field, dict):
                field_error(form, exc, field)
            else:
                form_error(form, exc, field)
        else:
            messages.success(request, done)
            return redirect(to(result))
    return again()


def act(request: HttpRequest, write: Callable[[], object], *, done: str, back: str) -> HttpResponse:
    """A one-click change (enable again): done or refused, said at the top of the page it goes
    back to (the form's ``next``, else ``back``)."""
    try:
        with transaction.atomic():
            write()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(back_to(request, back))


def back_to(request: HttpRequest, default: str) -> str:
    """Where a form asks to go back to (``next``), a console page only; else ``default``."""
    target = request.POST.get("next", "")
    return target if target.startswith("/console/") and "//" not in target else default


def context(**extra: Any) -> dict[str, Any]:
    """The labels every people screen uses, with the page's own values."""
    return {
        "channel_labels": channel_labels(), "sub_states": subscriber_states(),
        "delivery_states": delivery_states(), "plan_labels": plan_labels(),
        "language_labels": language_labels(), "contact_channels": contact_channel_labels(),
        **extra,
    }  # fmt: skip
