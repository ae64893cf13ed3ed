"""Staff members and their roles: leads see who may do what; admins change a role (recorded in
the audit log as ``staff.changed``)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tidings.console.access import console_view, may, role_labels
from tidings.console.auditforms import RoleForm
from tidings.console.views.found import or_404
from tidings.core.errors import DomainError
from tidings.staff import services


def _page(
    request: HttpRequest, forms: dict[str, RoleForm] | None = None, status: int = 200
) -> HttpResponse:
    forms = forms or {}
    rows = []
    for user in services.staff_members():
        role = services.assigned_role(user)
        form = forms.get(user.username) or RoleForm(initial={"role": role}, prefix=user.username)
        rows.append({"user": user, "role": role, "form": form})
    ctx = {"rows": rows, "labels": role_labels(), "may_write": may(request, "staff.write")}
    return render(request, "console/staff.html", ctx, status=status)


@console_view("staff.read")
def staff_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@console_view("staff.write")
@require_POST
def staff_role(request: HttpRequest, username: str) -> HttpResponse:
    user = or_404(services.get_staff, username)
    form = RoleForm(request.POST, prefix=username)
    if form.is_valid():
        try:
            with transaction.atomic():
                services.set_role(
                    actor=request.user.get_username(), user=user, role=form.cleaned_data["role"]
                )
        except DomainError as exc:
            form.add_error("role", exc.message)
        else:
            messages.success(
                request,
                _("%(user)s is now: %(role)s.")
                % {"user": username, "role": role_labels()[form.cleaned_data["role"]]},
            )
            return redirect("console-staff")
    return _page(request, {username: form}, status=422)
