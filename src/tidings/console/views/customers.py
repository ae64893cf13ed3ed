"""Customers and their contacts in the console: find a customer by any contact's name, email or
phone; see and change the customer and its people; stop or resume a contact's channel with a
reason; what a contact was told and when; import (large files as a background job whose
progress the page follows) and export CSV."""

from __future__ import annotations

from functools import partial
from typing import Any, TypeVar, cast

from django import forms
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tidings.console import peopleforms as pf
from tidings.console.access import console_view, may
from tidings.console.views import kit
from tidings.console.views.found import or_404
from tidings.customers import csvio, imports, jobs, services
from tidings.customers.models import Contact, Customer, ImportJob, reached_on
from tidings.notify import history
from tidings.notify import services as notify
from tidings.notify.rules import mask_target
from tidings.statuspage.words import status_labels as update_labels
from tidings.subscribers.staff_api import csv_download

T = TypeVar("T")
_CUSTOMER_ERRORS = {"a customer called": "name", "account_manager": "account_manager"}
_CONTACT_ERRORS = {"customer": "email", "email": "email", "phone": "phone", "channels": "channels"}


def _search_filters(form: pf.CustomerSearch) -> services.CustomerFilters:
    data = form.cleaned_data if form.is_valid() else {}
    strategic = {"yes": True, "no": False}.get(data.get("strategic", ""))
    return services.CustomerFilters(
        q=data.get("q", ""), plan=data.get("plan", ""), strategic=strategic,
        manager=data.get("manager", ""), component=data.get("component", ""),
    )  # fmt: skip


@console_view("customers.read")
def customers(request: HttpRequest) -> HttpResponse:
    form = pf.CustomerSearch(request.GET, plans=kit.plan_labels())
    filters = _search_filters(form)
    found = services.find_customers(filters).annotate(people=Count("contacts"))
    page = kit.pager(request, found.count())
    rows = list(found[page.offset : page.offset + page.per])
    ctx = kit.context(
        form=form, pager=page, rows=[(c, _matches(c, filters.q)) for c in rows],
        may_write=may(request, "customers.write"), may_export=may(request, "customers.export"),
    )  # fmt: skip
    template = "_customer_rows.html" if getattr(request, "htmx", False) else "customers.html"
    return render(request, f"console/people/{template}", ctx)


def _matches(customer: Customer, q: str) -> list[str]:
    """The contacts a search found the customer by, as a line each (email masked)."""
    q = q.strip()
    if not q or q.casefold() in customer.name.casefold():
        return []
    people = Contact.objects.filter(customer=customer).filter(
        Q(name__icontains=q) | Q(email__icontains=q) | services.phone_matching(q)
    )[:3]
    return [
        " · ".join(x for x in (p.name, mask_target("email", p.email) if p.email else "") if x)
        for p in people
    ]


def _customer(customer_id: str) -> Customer:
    return or_404(services.get_customer, customer_id)


def _contact(contact_id: int) -> Contact:
    contact = Contact.objects.select_related("customer").filter(pk=contact_id).first()
    if contact is None:
        raise Http404(str(contact_id))
    return contact


def _customer_form(customer: Customer, data: Any = None) -> pf.CustomerForm:
    initial = {
        "name": customer.name, "plan": customer.plan, "strategic": customer.strategic,
        "contract_ref": customer.contract_ref,
        "account_manager": customer.account_manager.get_username() if customer.account_manager else "",
        "components": list(customer.components.values_list("public_id", flat=True)),
    }  # fmt: skip
    return pf.CustomerForm(data, initial=initial, plans=kit.plan_labels())


@console_view("customers.read")
def customer(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _customer_page(request, _customer(customer_id))


def _customer_page(request: HttpRequest, c: Customer, **kept: forms.BaseForm) -> HttpResponse:
    """The customer and its people; ``kept``: a refused ``form`` or ``contact_form``."""
    people = [
        (p, reached_on(p.channels), kit.stopped_channels(p))
        for p in c.contacts.order_by("name", "id")
    ]
    ctx = dict(
        customer=c, people=people, components=list(c.components.order_by("position", "name")),
        endpoints=c.endpoints.count(), form=_customer_form(c),
        contact_form=pf.ContactForm(channels=kit.contact_channel_labels(),
                                    initial={"channels": ["email"]}),
        may_write=may(request, "customers.write"),
    )  # fmt: skip
    return kit.shown(request, "console/people/customer.html", ctx, kept)


def _values(form: pf.CustomerForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        k: data[k] for k in ("plan", "strategic", "contract_ref", "account_manager", "components")
    }


@console_view("customers.write")
def customer_new(request: HttpRequest) -> HttpResponse:
    form = pf.CustomerForm(request.POST or None, plans=kit.plan_labels())
    return kit.save(
        request, form, field=_CUSTOMER_ERRORS, done=_("Customer added."),
        write=lambda: services.create_customer(
            actor=request.user.get_username(), name=form.cleaned_data["name"], **_values(form)),
        to=lambda c: reverse("console-customer", args=[c.public_id]),
        again=lambda: render(request, "console/people/customer_new.html", kit.context(form=form),
                             status=422 if form.errors else 200),
    )  # fmt: skip


@console_view("customers.write")
@require_POST
def customer_edit(request: HttpRequest, customer_id: str) -> HttpResponse:
    c = _customer(customer_id)
    form = _customer_form(c, request.POST)
    return kit.save(
        request, form, field=_CUSTOMER_ERRORS, done=_("Saved."),
        write=lambda: services.change_customer(
            actor=request.user.get_username(), customer=c, name=form.cleaned_data["name"],
            **_values(form)),
        to=lambda _: reverse("console-customer", args=[c.public_id]),
        again=lambda: _customer_page(request, _customer(customer_id), form=form),
    )  # fmt: skip


def _save_contact(
    request: HttpRequest, owner: Customer, contact: Contact | None = None
) -> HttpResponse:
    """A posted contact form: a new contact of ``owner``, or its ``contact`` changed; then the
    contact's page. Refused: the page it came from, with the form and its errors."""
    form = pf.ContactForm(request.POST, channels=kit.contact_channel_labels())
    fields = ("name", "role", "email", "phone", "language", "channels")
    actor = request.user.get_username()

    def write() -> Contact:
        values = {k: form.cleaned_data[k] for k in fields}
        if contact is None:
            return services.add_contact(actor=actor, customer=owner, **values)
        return services.change_contact(actor=actor, contact=contact, **values)

    def again() -> HttpResponse:
        if contact is None:
            return _customer_page(request, owner, contact_form=form)
        return _contact_page(request, _contact(contact.pk), form=form)  # as stored, not as tried

    return kit.save(
        request, form, write, field=_CONTACT_ERRORS, again=again,
        done=_("Contact added.") if contact is None else _("Saved."),
        to=lambda saved: reverse("console-contact", args=[saved.pk]),
    )  # fmt: skip


@console_view("customers.write")
@require_POST
def contact_new(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _save_contact(request, _customer(customer_id))


@console_view("customers.read")
def contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    return _contact_page(request, _contact(contact_id))


def _contact_page(request: HttpRequest, p: Contact, **kept: forms.BaseForm) -> HttpResponse:
    """The contact, its channels and what it was told; ``kept``: a refused ``form`` or
    ``disable_form``."""
    told, page = kit.paged(request, partial(history.for_contact, p, labels=update_labels()))
    told_on, stopped = reached_on(p.channels), kit.stopped_channels(p)
    channels = [
        {"channel": ch, "label": label, "target": p.email if ch == "email" else p.phone,
         "told": ch in told_on, "stopped": stopped.get(ch)}
        for ch, label in kit.contact_channel_labels().items()
    ]  # fmt: skip
    current = {"name": p.name, "role": p.role, "email": p.email, "phone": p.phone,
               "language": p.language, "channels": told_on}  # fmt: skip
    ctx = dict(
        contact=p, customer=p.customer, channels=channels, told=told, pager=page,
        update_labels=update_labels(),
        form=pf.ContactForm(channels=kit.contact_channel_labels(), initial=current),
        disable_form=pf.DisableForm(), may_write=may(request, "customers.write"),
    )  # fmt: skip
    return kit.shown(request, "console/people/contact.html", ctx, kept)


@console_view("customers.write")
@require_POST
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _contact(contact_id)
    return _save_contact(request, contact.customer, contact)


@console_view("customers.write")
@require_POST
def contact_disable(request: HttpRequest, contact_id: int) -> HttpResponse:
    p = _contact(contact_id)
    form = pf.DisableForm(request.POST)
    return kit.save(
        request, form, field="reason",
        write=lambda: notify.disable_contact_channel(
            actor=request.user.get_username(), contact_id=p.pk,
            channel=form.cleaned_data["channel"], reason=form.cleaned_data["reason"]),
        done=_("Disabled: nothing more is sent on this channel."),
        to=lambda _: reverse("console-contact", args=[p.pk]),
        again=lambda: _contact_page(request, p, disable_form=form),
    )  # fmt: skip


@console_view("customers.write")
@require_POST
def contact_enable(request: HttpRequest, contact_id: int) -> HttpResponse:
    p = _contact(contact_id)
    return kit.act(
        request, lambda: notify.enable_contact_channel(
            actor=request.user.get_username(), contact_id=p.pk,
            channel=request.POST.get("channel", "")),
        done=_("Enabled again: the next updates go to this channel."),
        back=reverse("console-contact", args=[p.pk]),
    )  # fmt: skip


# --- import and export --------------------------------------------------------------------


@console_view("customers.write")
def import_csv(request: HttpRequest) -> HttpResponse:
    form = pf.CustomerImportForm(request.POST or None, request.FILES or None)
    report: imports.ImportReport | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        try:
            with transaction.atomic():
                result = jobs.submit(actor=request.user.get_username(), data=data,
                                     dry_run=form.cleaned_data["dry_run"])  # fmt: skip
        except csvio.CsvRejected as exc:
            form.add_error("file", exc.message)
        else:
            if isinstance(result, ImportJob):
                return redirect("console-customers-import-job", result.public_id)
            report = result
    return render(request, "console/people/customers_import.html", _import_context(form, report),
                  status=422 if form.errors or (report and not report.ok) else 200)  # fmt: skip


def _import_context(
    form: pf.CustomerImportForm | None, report: imports.ImportReport | dict[str, Any] | None
) -> dict[str, Any]:
    doc = report.as_dict() if isinstance(report, imports.ImportReport) else report
    return kit.context(form=form, result=doc, columns=", ".join(csvio.COLUMNS))


@console_view("customers.write")
def import_job(request: HttpRequest, job_id: str) -> HttpResponse:
    """A background import's progress; the page asks again every second until it is done."""
    job = or_404(jobs.get, job_id)
    ctx = _import_context(None, job.report)
    ctx.update(job=job, percent=round(100 * job.rows_done / job.rows_total) if job.rows_total else 0,
               running=job.state not in ("done", "failed"))  # fmt: skip
    template = "_import_job.html" if getattr(request, "htmx", False) else "customers_import.html"
    return render(request, f"console/people/{template}", ctx)


@console_view("customers.export")
def export_csv(request: HttpRequest) -> HttpResponse:
    return cast(HttpResponse, csv_download(csvio.write_lines(imports.export_rows()), "customers"))
