"""Staff API: alert sources (with their receiver URLs), monitors (with their last results),
alert groups waiting for a person (confirm, edit, dismiss) and staff event hooks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from tidings.core import clock
from tidings.core.auth import actor_of
from tidings.core.writes import as_actor
from tidings.monitors import checks, hooks, services
from tidings.monitors.kinds.registry import validate
from tidings.monitors.models import AlertGroup, AlertSource, CheckHour, EventHook, Monitor

router = Router(tags=["monitors"])
Status = Literal["degraded_performance", "partial_outage", "major_outage"]


class SourceIn(Schema):
    kind: Literal["alertmanager", "grafana", "pagerduty", "generic"]
    name: str = Field(max_length=100)
    components: list[str] = Field(
        default_factory=list, description="default components: slugs or ids"
    )
    publish_after: int | None = Field(
        default=None, ge=0, le=86_400, description="seconds; default 300, 0: at once"
    )
    label_names: list[str] = Field(
        default_factory=list, description='labels naming the component; default ["component"]'
    )
    severity_map: dict[str, Status] | None = Field(
        default=None, description='e.g. {"critical": "major_outage", "*": "degraded_performance"}'
    )


class SourceOut(Schema):
    id: str
    kind: str
    name: str
    receiver_url: str
    components: list[str]
    label_names: list[str]
    severity_map: dict[str, str]
    publish_after: int
    enabled: bool
    last_received_at: datetime | None


class MonitorIn(Schema):
    kind: Literal["http", "tcp", "dns", "heartbeat"]
    name: str = Field(max_length=100)
    target: str = Field(
        default="",
        max_length=2000,
        description="URL, host:port or host name; empty for a heartbeat",
    )
    component: str = Field(description="slug or id")
    interval: int = Field(default=60, ge=10, le=86_400)
    failures: int | None = Field(default=None, ge=1, le=100)
    successes: int = Field(default=2, ge=1, le=100)
    publish_after: int | None = Field(default=None, ge=0, le=86_400)
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="the kind's options: statuses, keyword, keyword_absent, max_latency_ms, tls_expiry_days, timeout, record, expect, server, grace, down_status",
    )


class MonitorPatch(Schema):
    enabled: bool | None = None


class HourOut(Schema):
    hour: datetime
    checks: int
    failures: int
    mean_latency_ms: int | None


class MonitorOut(Schema):
    id: str
    kind: str
    name: str
    target: str
    ping_url: str | None
    component: str
    interval: int
    failures: int
    successes: int
    publish_after: int
    config: dict[str, Any]
    enabled: bool
    state: str
    last_checked_at: datetime | None
    last_ok: bool | None
    last_latency_ms: int | None
    last_error: str
    hours: list[HourOut] = Field(default_factory=list, description="the last 24 hours of results")


class GroupOut(Schema):
    id: str
    source: str | None
    monitor: str | None
    label: str
    title: str
    firing: bool
    components: dict[str, str]
    publish_at: datetime | None
    dismissed: bool
    incident_id: str | None


class EditIn(Schema):
    title: str | dict[str, str] | None = None
    body: str | dict[str, str] | None = Field(
        default=None, description="empty: the investigating template"
    )


class HookIn(Schema):
    kind: Literal["slack", "teams", "webhook"]
    url: str = Field(max_length=2000)
    language: Literal["en", "he"] = "en"


class HookOut(Schema):
    id: str
    kind: str
    url: str
    language: str
    secret: str | None = Field(description="webhooks: the X-Tidings-Signature key")


def _source_out(s: AlertSource) -> SourceOut:
    last = s.receipts.order_by("-id").values_list("received_at", flat=True).first()
    return SourceOut(
        id=s.public_id, kind=s.kind, name=s.name, receiver_url=services.receiver_url(s),
        components=s.default_components, label_names=s.label_names, severity_map=s.severity_map,
        publish_after=s.publish_after, enabled=s.enabled, last_received_at=last,
    )  # fmt: skip


def _monitor_out(m: Monitor, hours: bool = False) -> MonitorOut:
    rows = []
    if hours:
        since = clock.now() - timedelta(hours=24)
        for h in CheckHour.objects.filter(monitor=m, hour__gte=since).order_by("hour"):
            ok = h.checks - h.failures
            rows.append(HourOut(hour=h.hour, checks=h.checks, failures=h.failures,
                                mean_latency_ms=round(h.latency_sum_ms / ok) if ok else None))  # fmt: skip
    return MonitorOut(
        id=m.public_id, kind=m.kind, name=m.name, target=m.target,
        ping_url=services.heartbeat_url(m) if m.kind == "heartbeat" else None,
        component=m.component.public_id, interval=m.interval, failures=m.failures,
        successes=m.successes, publish_after=m.publish_after, config=m.config, enabled=m.enabled,
        state=m.state, last_checked_at=m.last_checked_at, last_ok=m.last_ok,
        last_latency_ms=m.last_latency_ms, last_error=m.last_error, hours=rows,
    )  # fmt: skip


def _group_out(g: AlertGroup) -> GroupOut:
    return GroupOut(
        id=g.public_id, source=g.source.public_id if g.source else None,
        monitor=g.monitor.public_id if g.monitor else None, label=g.label, title=g.title,
        firing=g.firing, components=g.components, publish_at=g.publish_at, dismissed=g.dismissed,
        incident_id=g.incident.public_id if g.incident else None,
    )  # fmt: skip


def _hook_out(h: EventHook) -> HookOut:
    return HookOut(id=h.public_id, kind=h.kind, url=h.url, language=h.language,
                   secret=h.secret if h.kind == "webhook" else None)  # fmt: skip


@router.get("/alert-sources", response=list[SourceOut])
def list_sources(request: HttpRequest) -> list[SourceOut]:
    return [_source_out(s) for s in AlertSource.objects.all()]


@router.post("/alert-sources", response={201: SourceOut})
def create_source(request: HttpRequest, payload: SourceIn) -> tuple[int, SourceOut]:
    return 201, _source_out(as_actor(request, services.create_source, **payload.dict()))


@router.get("/alert-sources/{source_id}", response=SourceOut)
def get_source(request: HttpRequest, source_id: str) -> SourceOut:
    return _source_out(services.get_source(source_id))


@router.delete("/alert-sources/{source_id}", response={204: None})
def delete_source(request: HttpRequest, source_id: str) -> tuple[int, None]:
    as_actor(request, services.delete_source, source=services.get_source(source_id))
    return 204, None


@router.get("/monitors", response=list[MonitorOut])
def list_monitors(request: HttpRequest) -> list[MonitorOut]:
    return [_monitor_out(m) for m in Monitor.objects.select_related("component")]


@router.post("/monitors", response={201: MonitorOut})
def create_monitor(request: HttpRequest, payload: MonitorIn) -> tuple[int, MonitorOut]:
    m = as_actor(request, checks.create_monitor, validate=validate, **payload.dict())
    return 201, _monitor_out(m)


@router.get("/monitors/{monitor_id}", response=MonitorOut)
def get_monitor(request: HttpRequest, monitor_id: str) -> MonitorOut:
    return _monitor_out(checks.get_monitor(monitor_id), hours=True)


@router.patch("/monitors/{monitor_id}", response=MonitorOut)
def patch_monitor(request: HttpRequest, monitor_id: str, payload: MonitorPatch) -> MonitorOut:
    with transaction.atomic():
        m = checks.get_monitor(monitor_id)
        if payload.enabled is not None:
            checks.set_enabled(actor=actor_of(request), monitor=m, enabled=payload.enabled)
    return _monitor_out(m)


@router.delete("/monitors/{monitor_id}", response={204: None})
def delete_monitor(request: HttpRequest, monitor_id: str) -> tuple[int, None]:
    as_actor(request, checks.delete_monitor, monitor=checks.get_monitor(monitor_id))
    return 204, None


@router.get("/alert-groups", response=list[GroupOut])
def list_groups(request: HttpRequest, pending: bool = False, limit: int = 50) -> list[GroupOut]:
    qs = AlertGroup.objects.select_related("source", "monitor", "incident")
    if pending:
        qs = qs.filter(publish_at__isnull=False)
    return [_group_out(g) for g in qs[: max(1, min(limit, 500))]]


@router.post("/alert-groups/{group_id}/confirm", response=GroupOut)
def confirm(request: HttpRequest, group_id: str, payload: EditIn) -> GroupOut:
    """Post the waiting first update now: as composed (send ``{}``), or with your own title
    and body."""
    g = services.get_group(group_id)
    as_actor(request, services.confirm, group=g, title=payload.title, body=payload.body)
    return _group_out(g)


@router.post("/alert-groups/{group_id}/dismiss", response=GroupOut)
def dismiss(request: HttpRequest, group_id: str) -> GroupOut:
    g = services.get_group(group_id)
    as_actor(request, services.dismiss, group=g)
    return _group_out(g)


@router.get("/event-hooks", response=list[HookOut])
def list_hooks(request: HttpRequest) -> list[HookOut]:
    return [_hook_out(h) for h in EventHook.objects.all()]


@router.post("/event-hooks", response={201: HookOut})
def create_hook(request: HttpRequest, payload: HookIn) -> tuple[int, HookOut]:
    return 201, _hook_out(as_actor(request, hooks.create_hook, **payload.dict()))


@router.delete("/event-hooks/{hook_id}", response={204: None})
def delete_hook(request: HttpRequest, hook_id: str) -> tuple[int, None]:
    as_actor(request, hooks.delete_hook, public_id=hook_id)
    return 204, None
