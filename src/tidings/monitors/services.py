"""Alert sources and alert groups: how a firing alert or a failing monitor becomes an
incident, and how its resolve returns the component. The caller owns the transaction.

A group opens when its first alert fires. With ``publish_after`` 0 the incident is declared
at once with the "investigating" template, in every language, to the affected audience; with
N seconds the group waits (``publish_at``) for a person to confirm, edit or dismiss it, and the
``alert_auto_posts`` job posts it when nobody did. Components change with that first public
update, so a flapping alert that resolves during the wait leaves the page untouched. When every
alert of the group resolves, its components return to operational with a "monitoring" update;
people resolve the incident."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tidings.components.models import Component
from tidings.components.rules import COMPONENT_STATUSES
from tidings.components.services import find_component
from tidings.config import get_settings
from tidings.core import clock, events
from tidings.core.errors import InvalidInput, InvalidTransition, NotFound
from tidings.incidents import services as incidents
from tidings.incidents.rules import is_closed
from tidings.monitors import outbound, rules
from tidings.monitors.models import AlertGroup, AlertSource, Monitor

log = logging.getLogger(__name__)
FAILING_STATUSES = tuple(
    s for s in COMPONENT_STATUSES if s not in ("operational", "under_maintenance")
)


def component_index() -> dict[str, str]:
    """Slug, name and every translated name (lowercase) -> component id."""
    index: dict[str, str] = {}
    for pid, slug, name, names in Component.objects.values_list(
        "public_id", "slug", "name", "names"
    ):
        index[slug.lower()] = pid
        for text in [name, *(names or {}).values()]:
            index.setdefault(str(text).strip().lower(), pid)
    return index


def check_name(name: str) -> str:
    name = rules.one_line(name, 100)
    if not name:
        raise InvalidInput(_("a name is required"), field="name")
    return name


def check_publish_after(value: int | None) -> int:
    seconds = get_settings().alert_publish_after if value is None else value
    if not 0 <= seconds <= 86_400:
        raise InvalidInput(_("publish_after is between 0 and 86400 seconds"), field="publish_after")
    return seconds


def check_severity_map(mapping: dict[str, str] | None) -> dict[str, str]:
    result = dict(rules.DEFAULT_SEVERITY_MAP) if mapping is None else {}
    for key, status in (mapping or {}).items():
        if status not in FAILING_STATUSES:
            raise InvalidInput(
                _("severity %(key)s: the status must be one of %(statuses)s")
                % {"key": repr(key), "statuses": ", ".join(FAILING_STATUSES)}
            )
        result[str(key).strip().lower()] = status
    return result


def component_ids(refs: list[str]) -> list[str]:
    return [known_component(ref).public_id for ref in refs]


def known_component(ref: str) -> Component:
    """:func:`find_component`, its refusal marked as about the component field (the console
    cannot find that from a translated message)."""
    try:
        return find_component(ref)
    except NotFound as exc:
        raise NotFound(exc.message, field="component") from None


def create_source(
    *,
    actor: str,
    kind: str,
    name: str,
    components: list[str] | None = None,
    publish_after: int | None = None,
    label_names: list[str] | None = None,
    severity_map: dict[str, str] | None = None,
) -> AlertSource:
    if kind not in rules.SOURCE_KINDS:
        raise InvalidInput(
            _("unknown alert source kind %(kind)s; use one of %(kinds)s")
            % {"kind": repr(kind), "kinds": ", ".join(rules.SOURCE_KINDS)},
            field="kind",
        )
    name = check_name(name)
    if AlertSource.objects.filter(name=name).exists():
        raise InvalidInput(
            _("an alert source named %(name)s exists already") % {"name": repr(name)},
            field="name",
        )
    labels = [rules.one_line(n, 100) for n in (label_names or rules.DEFAULT_LABELS)]
    source = AlertSource.objects.create(
        kind=kind, name=name, default_components=component_ids(components or []),
        label_names=[n for n in labels if n], severity_map=check_severity_map(severity_map),
        publish_after=check_publish_after(publish_after), created_at=clock.now(),
    )  # fmt: skip
    events.record(kind="alert_source.created", actor=actor, subject_type="alert_source",
                  subject_id=source.public_id, public=False, name=name, source_kind=kind)  # fmt: skip
    return source


def get_source(ref: str) -> AlertSource:
    found = (
        AlertSource.objects.filter(public_id=ref).first()
        or AlertSource.objects.filter(name=ref).first()
    )
    if found is None:
        raise NotFound(_("no alert source with id or name %(ref)s") % {"ref": repr(ref)})
    return found


def delete_source(*, actor: str, source: AlertSource) -> None:
    events.record(kind="alert_source.deleted", actor=actor, subject_type="alert_source",
                  subject_id=source.public_id, public=False, name=source.name)  # fmt: skip
    source.delete()


def receiver_url(source: AlertSource) -> str:
    return f"{get_settings().public_url}/hooks/alerts/{source.secret}"


def heartbeat_url(monitor: Monitor) -> str:
    return f"{get_settings().public_url}/hooks/heartbeat/{monitor.secret}"


# --- alert groups ----------------------------------------------------------------------


def _group(
    *, source: AlertSource | None, monitor: Monitor | None, plan: rules.Plan, now: datetime
) -> AlertGroup:
    """The group row, locked: concurrent processors of one group take turns on it."""
    owner: dict[str, Any] = {"source": source} if source else {"monitor": monitor}
    qs = AlertGroup.objects.select_for_update()
    group = qs.filter(key=plan.key, **owner).first()
    if group is not None:
        return group
    try:
        with transaction.atomic():
            return AlertGroup.objects.create(
                key=plan.key, label=plan.label, created_at=now, updated_at=now, **owner
            )
    except IntegrityError:  # another processor created it a moment ago
        return qs.get(key=plan.key, **owner)


def apply_plan(
    *,
    source: AlertSource | None = None,
    monitor: Monitor | None = None,
    plan: rules.Plan,
    received: datetime,
) -> AlertGroup:
    """Fold one notification's events for one group into it; open or resolve as they say.
    Repeats and late re-sends change nothing."""
    now = clock.now()
    group = _group(source=source, monitor=monitor, plan=plan, now=now)
    change = rules.apply_events(group.alerts, plan.events, received)
    if not change.changed:
        return group
    group.alerts, group.firing = change.alerts, change.is_firing
    if change.opened:
        group.components = dict(plan.components)
        group.title = rules.one_line(plan.title) or rules.one_line(plan.label)
        group.description, group.url = plan.description[:5000], plan.url[:2000]
    worse: dict[str, str] = {}
    if change.is_firing and not change.opened:
        for cid, status in plan.components.items():
            merged = rules.worst_status([group.components.get(cid, status), status])
            if merged != group.components.get(cid):
                worse[cid] = group.components[cid] = merged
    group.updated_at = now
    actor = f"alert:{source.name}" if source else f"monitor:{monitor.name if monitor else ''}"
    if worse and group.publish_at is None and not group.dismissed:
        _worsened(group, actor=actor, components=worse)
    if change.opened:
        publish_after = (
            source.publish_after if source else (monitor.publish_after if monitor else 0)
        )
        _opened(group, actor=actor, publish_after=publish_after, now=now)
    elif change.resolved:
        _resolved(group, actor=actor)
    group.save()
    return group


def _open_incident(group: AlertGroup) -> Any:
    incident = group.incident
    return incident if incident is not None and not is_closed(incident.status) else None


def _opened(group: AlertGroup, *, actor: str, publish_after: int, now: datetime) -> None:
    events.record(kind="alert_group.firing", actor=actor, subject_type="alert_group",
                  subject_id=group.public_id, public=False, components=group.components)  # fmt: skip
    group.dismissed = False
    incident = _open_incident(group)
    if incident is not None:  # fired again while people still hold the incident open
        incidents.post_update(actor=actor, incident=incident, template="investigating",
                              components=group.components)  # fmt: skip
        outbound.page_on_call(group=group, what="again")
        return
    group.incident = None
    if publish_after == 0:
        publish(group, actor=actor)
        outbound.page_on_call(group=group, what="posted")
    else:
        group.publish_at = now + timedelta(seconds=publish_after)
        outbound.page_on_call(group=group, what="pending")


def _worsened(group: AlertGroup, *, actor: str, components: dict[str, str]) -> None:
    """More of the group fires, or fires worse (a warning turned critical): the page says so
    at once, since the incident is public already."""
    incident = _open_incident(group)
    if incident is not None:
        incidents.post_update(actor=actor, incident=incident, template="investigating",
                              components=components)  # fmt: skip


def _resolved(group: AlertGroup, *, actor: str) -> None:
    events.record(kind="alert_group.resolved", actor=actor, subject_type="alert_group",
                  subject_id=group.public_id, public=False)  # fmt: skip
    if group.publish_at is not None:
        group.publish_at = None
        outbound.page_on_call(group=group, what="resolved_unposted")
        return
    incident = _open_incident(group)
    if incident is None or group.dismissed:
        return
    incidents.post_update(actor=actor, incident=incident, template="monitoring",
                          components=dict.fromkeys(group.components, "operational"))  # fmt: skip


def publish(group: AlertGroup, *, actor: str, title: object = None, body: object = None) -> Any:
    """Declare the group's incident with its first public update: the "investigating"
    template, or a person's own title and words."""
    statuses = group.components.values()
    incident = incidents.create_incident(
        actor=actor,
        title=title or group.title or _("Alert: %(name)s") % {"name": group.label[:150]},
        body=body,
        template=None if body else "investigating",
        severity=rules.incident_severity(rules.worst_status(statuses)),
        components=dict(group.components) or None,
        audience="affected",
    )
    group.incident, group.publish_at = incident, None
    return incident


def pending() -> list[AlertGroup]:
    return list(
        AlertGroup.objects.filter(publish_at__isnull=False)
        .select_related("source", "monitor")
        .order_by("publish_at")
    )


def get_group(public_id: str) -> AlertGroup:
    found = AlertGroup.objects.select_for_update().filter(public_id=public_id).first()
    if found is None:
        raise NotFound(_("no alert group with id %(id)s") % {"id": repr(public_id)})
    return found


def _take_pending(group: AlertGroup) -> None:
    """Claim the waiting post, so a person and the job never both post it."""
    if group.publish_at is None or not AlertGroup.objects.filter(
        pk=group.pk, publish_at=group.publish_at
    ).update(publish_at=None):
        raise InvalidTransition(
            _("nothing is waiting to be posted for this alert (posted or dismissed already)")
        )


def confirm(*, actor: str, group: AlertGroup, title: object = None, body: object = None) -> Any:
    """Post now: as composed, or with a person's title and body (the "edit")."""
    _take_pending(group)
    incident = publish(group, actor=actor, title=title or None, body=body or None)
    group.save()
    return incident


def dismiss(*, actor: str, group: AlertGroup) -> None:
    """Nothing is posted for this firing; the next firing after a resolve starts again."""
    _take_pending(group)
    group.publish_at, group.dismissed = None, True
    group.save()
    events.record(kind="alert_group.dismissed", actor=actor, subject_type="alert_group",
                  subject_id=group.public_id, public=False)  # fmt: skip


def post_due(now: datetime | None = None) -> int:
    """Post every waiting first update whose time has come (the ``alert_auto_posts`` job)."""
    now = now or clock.now()
    posted = 0
    for gid in AlertGroup.objects.filter(publish_at__lte=now).values_list("id", flat=True)[:200]:
        try:
            with transaction.atomic():
                # PostgreSQL locks no row of an outer join's nullable side: lock the group only.
                group = (
                    AlertGroup.objects.select_for_update(of=("self",))
                    .select_related("source", "monitor")
                    .get(id=gid)
                )
                if group.publish_at is None or group.publish_at > now:
                    continue
                owner = (
                    group.source.name
                    if group.source
                    else (group.monitor.name if group.monitor else "")
                )
                _take_pending(group)
                publish(group, actor=f"alert:{owner}" if group.source else f"monitor:{owner}")
                group.save()
                outbound.page_on_call(group=group, what="posted")
                posted += 1
        except Exception:  # one bad group must not hold back the others; it is retried next run
            log.exception("posting the waiting update of alert group %s failed", gid)
    return posted
