"""The audit log screen (leads): every recorded action, filtered by who, what, about what and
when, a page at a time, and exported as CSV (the export is itself recorded)."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tidings.console.access import console_view, may
from tidings.console.auditforms import AuditSearch
from tidings.console.views import kit
from tidings.core import audit
from tidings.staff.api_audit import download


@console_view("audit.read")
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditSearch(request.GET or None)
    found = audit.find(form.filters() if form.is_bound else audit.Filters())
    page = kit.pager(request, found.count())
    kept = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    ctx = {
        "form": form, "pager": page,
        "rows": [(e, audit.data_text(e)) for e in found[page.offset : page.offset + page.per]],
        "kinds": audit.kinds(), "export_query": kept,
        "may_export": may(request, "audit.export"),
    }  # fmt: skip
    status = 422 if form.is_bound and not form.is_valid() else 200
    return render(request, "console/audit.html", ctx, status=status)


@console_view("audit.export")
def audit_export(request: HttpRequest) -> HttpResponse:
    form = AuditSearch(request.GET or None)
    if form.is_bound and not form.is_valid():
        return audit_log(request)
    filters = form.filters() if form.is_bound else audit.Filters()
    return cast(HttpResponse, download(request, filters, bom=True))
