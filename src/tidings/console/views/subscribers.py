"""Subscribers in the console: find one fast (any part of the address, the phone as said),
see what they were told and when, fix or stop a bad target, add someone who agreed, import and
export. Lists show targets masked; a subscriber's own page shows it whole."""

from __future__ import annotations

from functools import partial
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tidings.console import peopleforms as pf
from tidings.console.access import console_view, may
from tidings.console.views import kit
from tidings.console.views.found import or_404
from tidings.notify import history
from tidings.notify import services as notify
from tidings.notify.report import masked_reply
from tidings.notify.rules import mask_target, masked_text
from tidings.statuspage.words import status_labels as update_labels
from tidings.subscribers import directory, transfer
from tidings.subscribers.models import Subscriber
from tidings.subscribers.staff_api import csv_download


def _labels() -> dict[str, dict[str, str]]:
    return {"channels": kit.channel_labels(), "states": kit.subscriber_states()}


def _filters(request: HttpRequest, form: pf.SubscriberSearch) -> directory.Filters:
    data = form.cleaned_data if form.is_valid() else {}
    return directory.Filters(
        q=data.get("q", ""), channel=data.get("channel", ""), status=data.get("status", ""),
        component=data.get("component", ""), customer=request.GET.get("customer", "")[:12],
    )  # fmt: skip


@console_view("subscribers.read")
def subscribers(request: HttpRequest) -> HttpResponse:
    """The list: a search box that answers as one types (htmx), filters, and the counts."""
    form = pf.SubscriberSearch(request.GET, labels=_labels())
    found = directory.find(_filters(request, form))
    page = kit.pager(request, found.count())
    rows = list(found[page.offset : page.offset + page.per])
    ctx = kit.context(
        form=form, pager=page, rows=[_row(s) for s in rows],
        export_query=urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v]),
        may_write=may(request, "subscribers.write"),
        may_export=may(request, "subscribers.export"),
    )  # fmt: skip
    if getattr(request, "htmx", False):
        return render(request, "console/people/_subscriber_rows.html", ctx)
    ctx["counts"] = directory.counts()
    return render(request, "console/people/subscribers.html", ctx)


def _row(s: Subscriber) -> tuple[Subscriber, str, str]:
    """A subscriber as a list shows it: the target masked, also in the reason it was stopped
    (servers quote the address)."""
    masked = mask_target(s.channel, s.target)
    return s, masked, masked_reply(masked_text(s.disabled_reason, s.target, masked))


def _subscriber(subscriber_id: str) -> Subscriber:
    return or_404(directory.get, subscriber_id)


@console_view("subscribers.read")
def subscriber(request: HttpRequest, subscriber_id: str) -> HttpResponse:
    """One subscriber: the whole target, its state and why, and what it was told and when."""
    sub = _subscriber(subscriber_id)
    return _subscriber_page(request, sub)


def _subscriber_page(request: HttpRequest, sub: Subscriber, **kept: forms.BaseForm) -> HttpResponse:
    """``kept``: a refused ``disable_form`` or ``edit_form``, shown again with its errors."""
    told, page = kit.paged(request, partial(history.for_subscriber, sub, labels=update_labels()))
    chosen = list(sub.components.order_by("position", "name"))
    edit_form = pf.SubscriberForm(
        labels=kit.channel_labels(), channel=sub.channel,
        initial={"target": sub.target, "language": sub.language,
                 "every_component": sub.all_components, "components": [c.public_id for c in chosen],
                 "customer": sub.customer.name if sub.customer else ""},
    )  # fmt: skip
    ctx = dict(
        sub=sub, components=chosen, told=told, pager=page, disable_form=pf.DisableForm(),
        edit_form=edit_form, may_write=may(request, "subscribers.write"),
        update_labels=update_labels(),
    )  # fmt: skip
    return kit.shown(request, "console/people/subscriber.html", ctx, kept)


@console_view("subscribers.write")
@require_POST
def disable(request: HttpRequest, subscriber_id: str) -> HttpResponse:
    sub = _subscriber(subscriber_id)
    form = pf.DisableForm(request.POST)
    return kit.save(
        request, form, field="reason",
        write=lambda: notify.disable_subscriber(
            actor=request.user.get_username(), subscriber_id=sub.public_id,
            reason=form.cleaned_data["reason"]),
        done=_("Disabled: nothing more is sent to this subscriber."),
        to=lambda _: reverse("console-subscriber", args=[sub.public_id]),
        again=lambda: _subscriber_page(request, sub, disable_form=form),
    )  # fmt: skip


@console_view("subscribers.write")
@require_POST
def enable(request: HttpRequest, subscriber_id: str) -> HttpResponse:
    sub = _subscriber(subscriber_id)
    return kit.act(
        request, lambda: notify.enable_subscriber(
            actor=request.user.get_username(), subscriber_id=sub.public_id),
        done=_("Enabled again: the next updates go to this subscriber."),
        back=reverse("console-subscriber", args=[sub.public_id]),
    )  # fmt: skip


def _customer_id(form: pf.SubscriberForm) -> str:
    customer = form.cleaned_data.get("customer")
    return customer.public_id if customer else ""


@console_view("subscribers.write")
@require_POST
def edit(request: HttpRequest, subscriber_id: str) -> HttpResponse:
    sub = _subscriber(subscriber_id)
    form = pf.SubscriberForm(request.POST, labels=kit.channel_labels(), channel=sub.channel)
    return kit.save(
        request, form, field="target",
        write=lambda: directory.change(
            actor=request.user.get_username(), subscriber=sub,
            target=form.cleaned_data["target"], language=form.cleaned_data["language"],
            component_ids=form.component_ids(), customer_id=_customer_id(form)),
        done=_("Saved."), to=lambda _: reverse("console-subscriber", args=[sub.public_id]),
        again=lambda: _subscriber_page(request, _subscriber(subscriber_id), edit_form=form),
    )  # fmt: skip


@console_view("subscribers.write")
def add(request: HttpRequest) -> HttpResponse:
    """Add someone who agreed (by phone, at a desk): active at once, their consent recorded."""
    form = pf.SubscriberForm(request.POST or None, labels=kit.channel_labels())
    return kit.save(
        request, form, field="target",
        write=lambda: directory.add(
            actor=request.user.get_username(), channel=form.cleaned_data["channel"],
            target=form.cleaned_data["target"], consent=form.cleaned_data["consent"],
            language=form.cleaned_data["language"], component_ids=form.component_ids(),
            customer_id=_customer_id(form)),
        done=_("Subscribed: they get the next updates."),
        to=lambda sub: reverse("console-subscriber", args=[sub.public_id]),
        again=lambda: render(request, "console/people/subscriber_new.html",
                             kit.context(form=form),
                             status=422 if request.method == "POST" else 200),
    )  # fmt: skip


@console_view("subscribers.write")
def import_csv(request: HttpRequest) -> HttpResponse:
    form = pf.SubscriberImportForm(request.POST or None, request.FILES or None)
    report: transfer.Report | None = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with transaction.atomic():
            report = transfer.import_subscribers(
                actor=request.user.get_username(), data=upload.read(),
                consent=form.cleaned_data["consent"], dry_run=form.cleaned_data["dry_run"],
            )  # fmt: skip
    ctx: dict[str, Any] = kit.context(
        form=form, report=report, columns=", ".join(transfer.COLUMNS),
        errors=report.errors[:200] if report else [],
    )  # fmt: skip
    return render(request, "console/people/subscribers_import.html", ctx,
                  status=422 if report is not None and not report.ok else 200)  # fmt: skip


@console_view("subscribers.export")
def export_csv(request: HttpRequest) -> HttpResponse:
    form = pf.SubscriberSearch(request.GET, labels=_labels())
    found = directory.find(_filters(request, form))
    # Streamed: a list of a million subscribers never sits in memory whole.
    return cast(HttpResponse, csv_download(transfer.export_lines(found), "subscribers"))
