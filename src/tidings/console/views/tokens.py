"""API tokens in the console: one's own (admins: everyone's), made with scopes and shown once,
revoked with one button. Only a digest is stored; the page that shows a new token is never
cached and cannot be shown again."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tidings.console import peopleforms as pf
from tidings.console.access import console_view
from tidings.core.errors import DomainError
from tidings.staff import tokens


def _page(request: HttpRequest, form: pf.TokenForm, status: int = 200) -> HttpResponse:
    admin = tokens.is_admin(request.user)
    everyone = admin and request.GET.get("everyone") == "1"
    rows = [
        (t, tokens.state(t)) for t in tokens.visible(user=request.user, everyone=everyone)[:500]
    ]
    ctx = {
        "form": form, "rows": rows, "admin": admin, "everyone": everyone,
        "scope_names": {"read": _("read"), "incidents": _("incidents"),
                        "subscribers": _("subscribers"), "customers": _("customers"),
                        "admin": _("admin")},
        "states": {"active": _("Active"), "expired": _("Expired"), "revoked": _("Revoked")},
    }  # fmt: skip
    return render(request, "console/people/tokens.html", ctx, status=status)


@console_view("tokens.read")
def token_list(request: HttpRequest) -> HttpResponse:
    return _page(request, pf.TokenForm(allowed=tokens.allowed_scopes(request.user)))


@console_view("tokens.write")
@require_POST
def token_new(request: HttpRequest) -> HttpResponse:
    form = pf.TokenForm(request.POST, allowed=tokens.allowed_scopes(request.user))
    if form.is_valid():
        try:
            with transaction.atomic():
                new = tokens.create(
                    user=request.user,  # type: ignore[arg-type]
                    name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"],
                    days=form.cleaned_data["days"],
                )  # fmt: skip
        except DomainError as exc:
            form.add_error("scopes", exc.message)
        else:
            response = render(
                request, "console/people/token_created.html",
                {"token": new.secret, "row": new.row, "scopes": ", ".join(new.row.scopes)},
            )  # fmt: skip
            response["Cache-Control"] = "no-store"
            return response
    return _page(request, form, status=422)


@console_view("tokens.write")
@require_POST
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    try:
        with transaction.atomic():
            row = tokens.revoke(user=request.user, token_id=token_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Revoked: “%(name)s” is refused from now on.") % {"name": row.name}
        )
    return redirect("console-tokens")
