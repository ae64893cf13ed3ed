"""The update cadence in the console: the late-update card on an incident's desk and on the
home page (due in N min / overdue by N min, who owes it, the breaches so far), who owns an
incident's updates, and the policy screen (how often, per severity)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from tidings.console import forms
from tidings.console.access import console_view, may
from tidings.core import clock, db
from tidings.core.errors import DomainError
from tidings.incidents import cadence, cadence_store, services
from tidings.incidents.models import CadenceNotice, Incident

_FIELDS = ("first_minutes", "first_period_minutes", "then_minutes", "max_gap_minutes")


def card(incident: Incident, now: datetime | None = None) -> dict[str, Any] | None:
    """What the late-update card shows, or None when no update is promised."""
    from tidings.monitors.reminders import commanders_of, owner_of

    now = now or clock.now()
    s = _standing(incident, now)
    if s is None:
        return None
    return {
        "incident": incident, "state": s.state, "minutes": abs(s.minutes),
        "due": incident.next_update_due_at, "owner": owner_of(incident),
        "commanders": commanders_of(incident), "breaches": breaches(incident, now),
    }  # fmt: skip


def breaches(incident: Incident, now: datetime) -> list[dict[str, Any]]:
    """Each promise broken: when it was due, whose it was, and how late the update came (or
    is, while it has not come)."""
    posted = list(incident.updates.order_by("created_at").values_list("created_at", flat=True))
    out = []
    for n in CadenceNotice.objects.filter(incident=incident, kind="overdue").order_by("due_at"):
        came = next((at for at in posted if at > n.due_at), None)
        late = ((came or now) - n.due_at).total_seconds()
        out.append(
            {"due": n.due_at, "to": n.to, "late": max(1, round(late / 60)), "open": came is None}
        )
    return out


def _standing(incident: Incident, now: datetime) -> cadence.Standing | None:
    if incident.kind != "incident" or incident.status == "resolved":
        return None
    return cadence.standing(incident.next_update_due_at, now)


def late_cards(incidents: list[Incident]) -> list[dict[str, Any]]:
    """Cards for the home page: the updates due within five minutes or overdue. The home page
    polls this every 2 s, so only those incidents get a card (its owner and breaches are
    queries), not every open one."""
    now = clock.now()
    late = [i for i in incidents if (s := _standing(i, now)) and s.state != "ok"]
    found = [c for i in late if (c := card(i, now))]
    return sorted(found, key=lambda c: c["due"])


def desk_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    staff = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")
    return {
        "cadence": card(incident),
        "staff_names": list(staff.values_list("username", flat=True)),
        "may_assign": may(request, "incidents.write"),
    }


@console_view("incidents.write")
def assign(request: HttpRequest, incident_id: str) -> HttpResponse:
    """Name who owes the next update and who is told when it is late."""
    from tidings.console.views.desk import _incident

    incident = _incident(incident_id)
    if request.method == "POST":
        actor = request.user.get_username()
        fields = {k: request.POST.get(k, "").strip() for k in ("comms_owner", "commander")}
        names = set(desk_context(request, incident)["staff_names"])
        try:
            for k, v in fields.items():
                if v and v not in names:
                    raise forms.refused(k, _("Choose a member of staff"))
            db.retrying(lambda: services.change_incident(actor=actor, incident=incident, **fields))
        except DomainError as exc:
            errors = forms.Errors()
            errors.refusal(exc)
            return render(request, "console/_cadence.html", {**desk_context(request, incident),
                          "incident": incident, "cadence_errors": errors, "v": fields}, status=422)  # fmt: skip
    return redirect(reverse("console-incident", args=[incident.public_id]) + "#cadence")


def _rows(typed: dict[str, dict[str, str]], errs: dict[str, forms.Errors]) -> list[dict[str, Any]]:
    own = cadence_store.customised()
    return [
        {
            "key": key or "none", "label": key or _("No severity"), "default": key not in own,
            "values": typed.get(key) or policy.as_dict(), "errs": errs.get(key, forms.Errors()),
        }
        for key, policy in cadence_store.policies().items()
    ]  # fmt: skip


def _page(
    request: HttpRequest, typed: Any = None, errs: Any = None, status: int = 200
) -> HttpResponse:
    return render(
        request, "console/cadence.html",
        {"rows": _rows(typed or {}, errs or {}), "may_write": may(request, "templates.write"),
         "fields": _FIELDS},
        status=status,
    )  # fmt: skip


@console_view("templates.read")
def policy(request: HttpRequest) -> HttpResponse:
    return _page(request)


@console_view("templates.write")
def policy_save(request: HttpRequest, severity: str) -> HttpResponse:
    """Save one severity's cadence (or put back the default); a refusal stays on the screen
    next to its field, with what was typed."""
    key = "" if severity == "none" else severity
    if key not in cadence.POLICY_KEYS or request.method != "POST":
        return redirect("console-cadence")
    actor = request.user.get_username()
    typed = {f: request.POST.get(f, "").strip() for f in _FIELDS}
    try:
        if request.POST.get("action") == "reset":
            db.retrying(lambda: cadence_store.reset_policy(actor=actor, severity=key))
        else:
            values = _checked(typed)
            db.retrying(lambda: cadence_store.set_policy(actor=actor, severity=key, **values))
    except DomainError as exc:
        errors = forms.Errors()
        errors.refusal(exc)
        return _page(request, {key: typed}, {key: errors}, status=422)
    return redirect(reverse("console-cadence") + f"#cadence-{severity}")


def _checked(typed: dict[str, str]) -> dict[str, object]:
    """The typed minutes, refused field by field in the reader's language."""
    values: dict[str, int] = {}
    for f, v in typed.items():
        if not v.isdigit() or not 5 <= int(v) <= 1440:
            raise forms.refused(f, _("Whole minutes, from 5 to 1440"))
        values[f] = int(v)
    if max(values["first_minutes"], values["then_minutes"]) > values["max_gap_minutes"]:
        raise forms.refused("max_gap_minutes", _("At least as long as the intervals above"))
    return dict(values)
