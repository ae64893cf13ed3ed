"""Every target nobody tells any more (disabled subscribers and contact channels), with the
customer, the reason, when and by whom, and a button to tell it again."""

from __future__ import annotations

from functools import partial

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tidings.console.access import console_view, may
from tidings.console.views import kit
from tidings.notify.disabled import disabled_targets


@console_view("deliveries.read")
def disabled(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    channel = request.GET.get("channel", "")[:16]
    rows, page = kit.paged(request, partial(disabled_targets, q=q, channel=channel))
    ctx = kit.context(
        rows=rows, pager=page, q=q, channel=channel,
        all_channels={**kit.channel_labels(), **kit.contact_channel_labels()},
        may_subscribers=may(request, "subscribers.write"),
        may_customers=may(request, "customers.write"), back=request.get_full_path(),
    )  # fmt: skip
    template = "_disabled_rows.html" if getattr(request, "htmx", False) else "disabled.html"
    return render(request, f"console/people/{template}", ctx)
