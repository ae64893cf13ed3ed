"""Message templates: list, edit, reset, and compose an update's text from one.

The caller owns the transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from django.db.models import F
from django.utils.translation import gettext as _

from tidings.comms import rules
from tidings.comms.defaults import DEFAULTS
from tidings.comms.models import MessageTemplate
from tidings.comms.rules import Template
from tidings.components.models import Component
from tidings.config import get_settings
from tidings.core import clock, events
from tidings.core.errors import InvalidInput, NotFound
from tidings.core.text import check_localized, check_localized_line, pick
from tidings.incidents.models import Incident
from tidings.incidents.rules import INCIDENT_STATES, MAINTENANCE_STATES

LANGS = ("en", "he")


def _from_row(row: MessageTemplate) -> Template:
    shipped = DEFAULTS.get(row.key)
    return Template(
        key=row.key,
        kind=row.kind,
        status=row.status,
        names=dict(row.names),
        bodies=dict(row.bodies),
        builtin=shipped is not None,
        edited=True,
    )


def all_templates() -> list[Template]:
    """Shipped templates (as staff edited them) first, in phase order, then staff's own."""
    rows = {row.key: _from_row(row) for row in MessageTemplate.objects.all()}
    shipped = [rows.pop(key, t) for key, t in DEFAULTS.items()]
    return shipped + sorted(rows.values(), key=lambda t: t.key)


def get_template(key: str) -> Template:
    row = MessageTemplate.objects.filter(key=key).first()
    if row is not None:
        return _from_row(row)
    if key in DEFAULTS:
        return DEFAULTS[key]
    raise NotFound(
        _("no template %(key)s; known: %(known)s")
        % {"key": repr(key), "known": ", ".join(t.key for t in all_templates())}
    )


def save_template(
    *,
    actor: str,
    key: str,
    names: object,
    bodies: object,
    kind: str | None = None,
    status: str | None = None,
) -> Template:
    """Edit a shipped template or add a new one. A shipped one keeps its kind, its status and
    a text in each language it ships in (customers who read Hebrew keep getting Hebrew)."""
    key = key.strip().lower()
    if not key or len(key) > 64 or not key.replace("_", "").replace("-", "").isalnum():
        raise InvalidInput(
            _("A template key is lowercase letters, digits, “-” and “_”."), field="key"
        )
    shipped = DEFAULTS.get(key)
    kind = shipped.kind if shipped else (kind or "incident")
    status = shipped.status if shipped else (status or "")
    if kind not in ("incident", "maintenance"):
        raise InvalidInput(_("A template is for an incident or a maintenance."), field="kind")
    allowed = INCIDENT_STATES if kind == "incident" else MAINTENANCE_STATES
    if status and status not in allowed:
        raise InvalidInput(
            _("This status does not fit the template: use one of %(states)s, or none.")
            % {"states": ", ".join(allowed)},
            field="status",
        )
    clean_names = _checked(check_localized_line, names, field="names", max_chars=80)
    clean_bodies = _checked(
        check_localized, bodies, field="bodies", max_chars=get_settings().max_body_chars
    )
    if not clean_names:
        raise InvalidInput(_("Give the template a name."), field="name_en")
    needed = list(shipped.bodies) if shipped else [*clean_bodies][:1] or ["en"]
    for lang in dict.fromkeys([*needed, *clean_bodies]):
        problems = rules.check_body(clean_bodies.get(lang, ""))
        if problems:
            raise InvalidInput(f"bodies.{lang}: {'; '.join(problems)}", field=f"body_{lang}")
    MessageTemplate.objects.update_or_create(
        key=key,
        defaults={
            "kind": kind,
            "status": status,
            "names": clean_names,
            "bodies": clean_bodies,
            "updated_at": clock.now(),
            "updated_by": actor,
        },
    )
    events.record(
        kind="template.changed", actor=actor, subject_type="template", subject_id=key, public=False
    )
    return get_template(key)


def _checked(check: Any, value: object, *, field: str, max_chars: int) -> dict[str, str]:
    """A localized value checked by ``check``; a refusal names the input it is about
    (``bodies.he ...`` -> ``body_he``)."""
    try:
        return dict(check(value, field=field, max_chars=max_chars, required=False))
    except InvalidInput as exc:
        one = field[:-1]  # names -> name, bodies -> body
        lang = exc.message[len(field) + 1 :][:2] if exc.message.startswith(f"{field}.") else "en"
        raise InvalidInput(exc.message, field=f"{one}_{lang}") from None


def reset_template(*, actor: str, key: str) -> Template | None:
    """A shipped template returns to its shipped text; a template of staff's own is deleted."""
    get_template(key)  # NotFound for an unknown key
    MessageTemplate.objects.filter(key=key).delete()
    events.record(
        kind="template.reset", actor=actor, subject_type="template", subject_id=key, public=False
    )
    return DEFAULTS.get(key)


def _values(
    *,
    lang: str,
    title: dict[str, str],
    component_names: list[dict[str, str]],
    started_at: datetime,
    now: datetime,
    next_update_due_at: datetime | None,
    incident_id: str | None,
    resolved_at: datetime | None = None,
    scheduled_for: datetime | None = None,
    scheduled_until: datetime | None = None,
    eta: datetime | None = None,
) -> dict[str, str]:
    s = get_settings()
    zone = s.time_zone
    prefix = "" if lang == "en" else f"/{lang}"
    return {
        "title": pick(title, lang),
        "components": ", ".join(pick(n, lang) for n in component_names),
        "start_time": rules.when(started_at, zone),
        "end_time": rules.when(resolved_at or now, zone),
        "now_time": rules.when(now, zone),
        "next_update_time": rules.when(next_update_due_at, zone),
        "incident_url": f"{s.public_url}{prefix}/incidents/{incident_id}" if incident_id else "",
        "status_url": f"{s.public_url}{prefix}/",
        "scheduled_for": rules.when(scheduled_for, zone),
        "scheduled_until": rules.when(scheduled_until, zone),
        "eta": rules.when(eta, zone),
    }


def _author_values(values: dict[str, object] | None) -> dict[str, dict[str, str]]:
    """The author's words for the slots: ``{"cause": "..."}`` for every language, or
    ``{"cause": {"en": "...", "he": "..."}}``."""
    out: dict[str, dict[str, str]] = {}
    for name, value in (values or {}).items():
        if not isinstance(name, str) or name in rules.KNOWN:
            raise InvalidInput(
                _("template_values: %(name)s is filled by Tidings, not by hand")
                % {"name": repr(name)}
            )
        text = check_localized(
            value, field=f"template_values.{name}", max_chars=2000, required=False
        )
        if isinstance(value, str):
            text = dict.fromkeys(LANGS, value.strip())
        out[name] = text
    return out


def compose(
    *,
    template: Template,
    title: dict[str, str],
    component_ids: list[str],
    started_at: datetime,
    next_update_due_at: datetime | None,
    incident_id: str | None = None,
    resolved_at: datetime | None = None,
    scheduled_for: datetime | None = None,
    scheduled_until: datetime | None = None,
    eta: datetime | None = None,
    values: dict[str, object] | None = None,
) -> dict[str, str]:
    """The template's text per language, filled from the incident and the author's values.
    Slots nobody filled stay visible as ``{slot}``: see :func:`missing`."""
    now = clock.now()
    comps = {c.public_id: c for c in Component.objects.filter(public_id__in=component_ids)}
    names = [comps[cid].names or {"en": comps[cid].name} for cid in component_ids if cid in comps]
    author = _author_values(values)
    bodies = {}
    for lang, text in template.bodies.items():
        known = _values(
            lang=lang, title=title, component_names=names, started_at=started_at, now=now,
            next_update_due_at=next_update_due_at, incident_id=incident_id,
            resolved_at=resolved_at, scheduled_for=scheduled_for,
            scheduled_until=scheduled_until, eta=eta,
        )  # fmt: skip
        mine = {k: pick(v, lang) for k, v in author.items() if v}
        bodies[lang] = rules.fill(text, {**known, **mine})
    return bodies


def compose_for(
    *,
    template: Template,
    incident: Incident,
    status: str,
    next_update_due_at: datetime | None,
    values: dict[str, object] | None = None,
    component_ids: list[str] | None = None,
) -> dict[str, str]:
    """The template filled for an update of an existing incident."""
    ids = component_ids or [
        i.component.public_id for i in incident.impacts.select_related("component")
    ]
    eta = incident.eta_at if incident.eta_confidence == "high" else None
    return compose(
        template=template, title=incident.titles or {"en": incident.title}, component_ids=ids,
        started_at=incident.started_at, next_update_due_at=next_update_due_at,
        incident_id=incident.public_id,
        resolved_at=incident.resolved_at if status == incident.status else None,
        scheduled_for=incident.scheduled_for, scheduled_until=incident.scheduled_until, eta=eta,
        values=values,
    )  # fmt: skip


def missing(bodies: dict[str, str]) -> dict[str, list[str]]:
    """Slots still unfilled, per language."""
    return {lang: slots for lang, text in bodies.items() if (slots := rules.unfilled(text))}


def check_complete(bodies: dict[str, str]) -> dict[str, str]:
    """Refuse to publish a text with an unfilled slot, naming each."""
    gaps = missing(bodies)
    if gaps:
        names = sorted({slot for slots in gaps.values() for slot in slots})
        # The field said outright: the console found it by the English words, which a
        # translation no longer starts with.
        raise InvalidInput(
            _("fill in %(slots)s (template_values, or write the body yourself)")
            % {"slots": ", ".join(f"{{{n}}}" for n in names)},
            field="body",
        )
    return bodies


def status_for(template: Template, current: str) -> str:
    return template.status or current


def with_status(template: Template, status: str) -> Template:
    return replace(template, status=status)


#: The made-up incident a template is tried on before any real one exists.
SAMPLE_TITLE = {"en": "Checkout fails for card payments", "he": "התשלום בכרטיס אשראי נכשל"}


def try_on(*, template: Template, incident: Incident | None = None) -> dict[str, str]:
    """What ``template`` (saved or not) says when used now: on ``incident``, else on a sample
    incident that started 25 minutes ago and holds the first two components. Nothing is
    written; slots stay visible for the author."""
    from datetime import timedelta

    from tidings.incidents.posting import promised_next_update

    now = clock.now()
    if incident is not None:
        status = status_for(template, incident.status)
        due = promised_next_update(status=status, severity=incident.severity, at=now,
                                   started_at=incident.started_at)  # fmt: skip
        return compose_for(template=template, incident=incident, status=status,
                           next_update_due_at=due)  # fmt: skip
    status = template.status or ("scheduled" if template.kind == "maintenance" else "investigating")
    maintenance = template.kind == "maintenance"
    start = now + timedelta(days=1) if maintenance else now - timedelta(minutes=25)
    return compose(
        template=template, title=SAMPLE_TITLE,
        component_ids=list(
            Component.objects.order_by(  # the first two as the page shows them
                F("group__position").asc(nulls_last=True), "position", "name"
            ).values_list("public_id", flat=True)[:2]
        ),
        started_at=start,
        next_update_due_at=promised_next_update(status=status, severity="SEV2", at=now),
        incident_id="sample", resolved_at=now if status == "resolved" else None,
        scheduled_for=start if maintenance else None,
        scheduled_until=start + timedelta(hours=2) if maintenance else None,
    )  # fmt: skip
