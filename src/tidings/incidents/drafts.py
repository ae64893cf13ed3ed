"""Optional approval per severity: when a severity needs it, an update by someone who may not
approve (communications) is kept as a draft, checked but neither published nor delivered, until
the commander approves it (then it publishes through :mod:`publishing`, overrides kept) or
sends it back with a note. The caller owns the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from tidings.core import clock, db, events
from tidings.core.errors import InvalidInput, InvalidTransition
from tidings.incidents import eventlog, publishing, services, stored_settings
from tidings.incidents.models import Incident, IncidentUpdate, SeverityApproval, UpdateDraft
from tidings.incidents.rules import SEVERITIES
from tidings.staff.rules import can


def needs_approval(*, role: str | None, severity: str, required: set[str]) -> bool:
    """Pure: an update needs approval when its severity is listed and its author may not
    approve updates themselves."""
    return severity in required and not can(role or "viewer", "incidents.approve")


def required_severities() -> set[str]:
    return set(stored_settings.stored().approval)


def set_required(*, actor: str, severities: list[str]) -> list[str]:
    unknown = sorted(set(severities) - set(SEVERITIES))
    if unknown:
        raise InvalidInput(
            _("severities must be among %(severities)s; unknown: %(unknown)s")
            % {"severities": ", ".join(SEVERITIES), "unknown": ", ".join(unknown)},
            field="severities",
        )
    now = clock.now()
    for sev in SEVERITIES:
        SeverityApproval.objects.update_or_create(
            severity=sev,
            defaults={"required": sev in severities, "updated_at": now, "updated_by": actor},
        )
    stored_settings.changed()
    chosen = [s for s in SEVERITIES if s in severities]
    events.record(
        kind="incidents.approval_changed", actor=actor, subject_type="approval",
        subject_id="severity", severities=chosen, public=False,
    )  # fmt: skip
    return chosen


def _role(actor: str) -> str | None:
    from django.contrib.auth.models import User

    from tidings.staff.services import role_of

    user = User.objects.filter(username=actor).first()
    return role_of(user) if user is not None else None


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}


def submit_update(
    *,
    actor: str,
    incident: Incident,
    based_on: str | None = None,
    author: Any = None,
    **fields: Any,
) -> IncidentUpdate | UpdateDraft:
    """Publish an update, or keep it as a draft for approval when its severity needs one.
    ``author``: the user object of ``actor`` when the caller has it (the request's), so their
    role is not read again."""
    from tidings.staff.services import role_of

    role = role_of(author) if author is not None else _role(actor)
    if not needs_approval(role=role, severity=incident.severity, required=required_severities()):
        return publishing.publish_update(
            actor=actor, incident=incident, based_on=based_on, **fields
        )
    services.lock_for_update(incident)
    publishing.check_based_on(incident, based_on)
    kept = dict(fields)
    draft = publishing.checked(actor=actor, incident=incident, fields=dict(fields))
    p = publishing.prepare(incident=incident, **draft.fields)
    kept.update(body=p.bodies, overrides=draft.overridden, confidence=draft.confidence)
    kept.pop("template", None)  # the text is written; approval publishes it as it is
    kept.pop("template_values", None)
    row = UpdateDraft.objects.create(
        incident=incident, author=actor, fields=_plain(kept), bodies=p.bodies, status=p.status,
        created_at=clock.now(),
    )  # fmt: skip
    eventlog.record(
        "incident.draft_submitted", actor, incident, public=False, draft_id=row.public_id
    )
    return row


def get_draft(draft_id: str) -> UpdateDraft:
    return db.by_public_id(UpdateDraft.objects.select_related("incident"), draft_id, "draft")


def pending(incident: Incident) -> list[UpdateDraft]:
    return list(incident.drafts.filter(state="pending"))


def _lock(draft: UpdateDraft) -> UpdateDraft:
    services.lock_for_update(draft.incident)
    fresh = UpdateDraft.objects.select_for_update().get(pk=draft.pk)
    if fresh.state != "pending":
        done = {
            "approved": _("this draft was approved already"),
            "returned": _("this draft was sent back already"),
        }
        raise InvalidTransition(
            done.get(fresh.state)
            or _("this draft was %(state)s already") % {"state": fresh.get_state_display().lower()}
        )
    return fresh


def _fields(draft: UpdateDraft, now: datetime) -> dict[str, Any]:
    fields = dict(draft.fields)
    due = fields.get("next_update_due_at")
    if due:
        at = datetime.fromisoformat(due)
        # A promise that fell due while the draft waited becomes the severity's default.
        fields["next_update_due_at"] = at if at > now else None
    return fields


def approve(*, actor: str, draft: UpdateDraft) -> IncidentUpdate:
    """Publish the draft as its author wrote it; the checks run again (the incident may have
    moved on), the author's overrides still answer theirs."""
    draft = _lock(draft)
    now = clock.now()
    update = publishing.publish_update(
        actor=draft.author, incident=draft.incident, **_fields(draft, now)
    )
    draft.state, draft.decided_at, draft.decided_by, draft.update = "approved", now, actor, update
    draft.save()
    eventlog.record(
        "incident.draft_approved", actor, draft.incident, public=False,
        draft_id=draft.public_id, update_id=update.public_id, author=draft.author,
    )  # fmt: skip
    return update


def send_back(*, actor: str, draft: UpdateDraft, note: str) -> UpdateDraft:
    note = note.strip()
    if not note:
        raise InvalidInput(_("note: say what to change"), field="note")
    draft = _lock(draft)
    draft.state, draft.note, draft.decided_at, draft.decided_by = (
        "returned", note[:2000], clock.now(), actor,
    )  # fmt: skip
    draft.save()
    eventlog.record(
        "incident.draft_returned", actor, draft.incident, public=False,
        draft_id=draft.public_id, note=draft.note,
    )  # fmt: skip
    return draft
