"""Keeping the promise of the next update: five minutes before it is due the update's owner is
reminded on their own channels; once it is late the incident commander is told and the breach
(who, how late) goes into the event log. Once per incident and promised time: the unique
:class:`CadenceNotice` row is the claim, so two schedulers never send twice. Messages are
Delivery rows in the same transaction (see :mod:`outbound`): retried, never lost."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from tidings.config import get_settings
from tidings.core import clock, db, events
from tidings.core.models import Event
from tidings.incidents.cadence import REMIND_BEFORE
from tidings.incidents.models import CadenceNotice, Incident
from tidings.incidents.rules import ACTIVE_INCIDENT_STATES
from tidings.monitors.outbound import _deliver, _view
from tidings.notify.registry import channel_class

log = logging.getLogger(__name__)
#: Who is told a promised update is late when the incident names no commander.
_LEAD_ROLES = ("commander", "admin")


def owner_of(incident: Incident) -> str:
    """Who owes the next update: the named owner, else whoever posted the last one."""
    if incident.comms_owner:
        return incident.comms_owner
    last = incident.updates.order_by("-created_at", "-id").values_list("author", flat=True).first()
    return last or incident.created_by


def commanders_of(incident: Incident) -> list[str]:
    """The named commander, else the on-call commanders (admins when none is on call)."""
    if incident.commander:
        return [incident.commander]
    staff = get_user_model().objects.filter(is_active=True, is_staff=True)
    for role in _LEAD_ROLES:
        for on_call in (True, False):
            found = staff.filter(staff_profile__role=role, staff_profile__on_call=on_call)
            names = sorted(found.values_list("username", flat=True))
            if names:
                return names
    return []


def run(now: datetime | None = None) -> int:
    """Send what is due: a reminder for each update due within five minutes, an escalation and
    a breach record for each one overdue. Returns how many notices were written."""
    now = now or clock.now()
    due = Incident.objects.filter(
        kind="incident",
        status__in=ACTIVE_INCIDENT_STATES,
        next_update_due_at__lte=now + REMIND_BEFORE,
    ).values_list("pk", flat=True)
    written = 0
    for pk in list(due):
        try:
            written += db.retrying(lambda pk=pk: _notice(pk, now))  # type: ignore[misc]
        except Exception:  # one incident's failure must not hold back the others' reminders
            log.exception("cadence notice for incident %s failed", pk)
    return written


def _notice(pk: int, now: datetime) -> int:
    incident = Incident.objects.filter(pk=pk, status__in=ACTIVE_INCIDENT_STATES).first()
    if incident is None or incident.next_update_due_at is None:
        return 0
    due = incident.next_update_due_at
    kind = "overdue" if due <= now else "remind"
    owner = owner_of(incident)
    to = [owner] if kind == "remind" else commanders_of(incident)
    try:
        with transaction.atomic():
            CadenceNotice.objects.create(incident=incident, due_at=due, kind=kind, at=now,
                                         to=", ".join(to)[:150])  # fmt: skip
    except IntegrityError:
        return 0  # sent already, by this scheduler or another
    if kind == "overdue":
        events.record(kind="incident.update_overdue", actor="system", subject_type="incident",
                      subject_id=incident.public_id, public=False, owner=owner,
                      due_at=due.isoformat(), late_seconds=int((now - due).total_seconds()),
                      escalated_to=to)  # fmt: skip
    _send(incident, kind, owner, to)
    return 1


def _send(incident: Incident, kind: str, owner: str, usernames: list[str]) -> int:
    url = f"{get_settings().public_url}/console/incidents/{incident.public_id}"
    sent = 0
    for (channel, lang), targets in staff_targets(usernames).items():
        with translation.override(lang):
            title, status, text = _text(incident, kind, owner)
            try:
                rendered = channel_class(channel).render(
                    _view(lang=lang, title=title, text=text, status=status, url=url)
                )
            except KeyError:
                log.warning("cadence notice: no channel %r", channel)
                continue
        sent += _deliver("page", channel, lang, rendered, ((t, "") for t in targets))
    return sent


def _text(incident: Incident, kind: str, owner: str) -> tuple[str, str, str]:
    """The message's title, status line and text in the active language."""
    from tidings.comms.rules import when
    from tidings.core.text import pick

    values: dict[str, Any] = {
        "title": pick(incident.titles or {}, translation.get_language() or "en", "")
        or incident.title,
        "when": when(incident.next_update_due_at, get_settings().time_zone),
        "owner": owner,
    }
    if kind == "remind":
        return (
            values["title"],
            _("Update due by %(when)s") % values,
            _(
                "Customers were promised the next update on %(title)s by %(when)s. Post it in the "
                "console, or post “still working on it, no ETA yet” with one click."
            )
            % values,
        )
    return (
        values["title"],
        _("Update overdue since %(when)s") % values,
        _(
            "The update on %(title)s promised by %(when)s is late. Its owner is %(owner)s. "
            "Customers are waiting: post an update or “still working on it” now."
        )
        % values,
    )


def staff_targets(usernames: list[str]) -> dict[tuple[str, str], list[str]]:
    """(channel, language) -> targets of these staff members; no channel means email."""
    found: dict[tuple[str, str], list[str]] = {}
    users = get_user_model().objects.filter(username__in=usernames, is_active=True)
    for user in users.select_related("staff_profile"):
        profile = getattr(user, "staff_profile", None)
        lang = (profile.language if profile else "") or "en"
        for ch in (profile.channels if profile else None) or [{"channel": "email", "target": ""}]:
            target = ch.get("target") or (user.email if ch.get("channel") == "email" else "")
            if target:
                found.setdefault((str(ch["channel"]), lang), []).append(str(target))
    return found


def on_event(event: Event) -> None:
    """When an update comes after the time the one before it promised, record how late it
    came and whose promise it was (whether or not a scheduler was running to notice)."""
    if event.kind != "incident.update_posted":
        return
    # The posting step's own rows when it has them (the incident locked, the update before
    # read under that lock): no second read of either.
    posted = db.recalled(("posted", event.data.get("update_id")))
    if posted is not None:
        if posted.incident.kind != "incident":
            return
        incident, new = posted.incident, posted.update
        before = [posted.previous] if posted.previous is not None else []
    else:
        found = Incident.objects.filter(public_id=event.subject_id, kind="incident").first()
        if found is None:
            return
        incident = found
        new, *before = incident.updates.order_by("-created_at", "-id")[:2]
    due = before[0].next_update_due_at if before else None
    if due is None or new.created_at <= due:
        return
    events.record(kind="incident.update_late", actor=event.actor, subject_type="incident",
                  subject_id=incident.public_id, public=False, update_id=new.public_id,
                  owner=incident.comms_owner or before[0].author, due_at=due.isoformat(),
                  late_seconds=int((new.created_at - due).total_seconds()))  # fmt: skip


def connect() -> None:
    events.subscribe(on_event, in_transaction=True)
