"""The status page's branding in the console: logo, favicon, colours, CSS and links, with the
badge and widget snippets to embed. Saving republishes the page."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tidings.config import get_settings
from tidings.console.access import console_view
from tidings.console.brandform import BrandingForm, initial
from tidings.staff import rules
from tidings.statuspage import branding
from tidings.statuspage.api import embed_snippets


def _page(request: HttpRequest, form: BrandingForm, status: int = 200) -> HttpResponse:
    url = get_settings().public_url
    ctx = {
        "form": form,
        "brand": branding.as_dict(branding.load(), url),
        "embed": embed_snippets(url),
        "public_url": url,
        "may_write": rules.can(getattr(request, "staff_role", "") or "", "branding.write"),
    }
    return render(request, "console/branding.html", ctx, status=status)


@console_view("branding.read")
def branding_page(request: HttpRequest) -> HttpResponse:
    return _page(request, BrandingForm(initial=initial()))


@console_view("branding.write")
def branding_save(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("console-branding")
    form = BrandingForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=422)
    actor = request.user.get_username()
    data = form.cleaned_data
    with transaction.atomic():
        for which in ("logo", "favicon"):
            if data.get(f"remove_{which}"):
                branding.clear_image(actor=actor, which=which)
            elif data.get(which):
                branding.set_image(actor=actor, which=which, data=data[which][0])
        # the contrast warnings show on the page itself, for as long as the colours stay
        branding.update(actor=actor, values={k: data[k] for k in branding.TEXT_FIELDS})
    messages.success(request, _("Saved: the status page and the emails show it from now on."))
    return redirect("console-branding")
