"""Staff API for subscribers: find, count, add, correct, import and export. Lists show targets
masked; one subscriber's own page shows it whole. Disabling, re-enabling and the delivery
history are with the other delivery paths (:mod:`tidings.notify.api`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest, StreamingHttpResponse
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from tidings.core import clock
from tidings.core.auth import actor_of
from tidings.customers.api import UploadProblem, read_upload
from tidings.customers.csvreport import RowError
from tidings.notify.rules import mask_target
from tidings.subscribers import directory, transfer
from tidings.subscribers.models import Subscriber

router = Router(tags=["subscribers"])


class SubscriberOut(Schema):
    id: str
    channel: str
    target: str = Field(description="masked in lists; whole on GET /subscribers/{id}")
    status: str = Field(description="pending, active, unsubscribed or disabled")
    language: str
    all_components: bool
    components: list[str]
    customer_id: str
    customer: str
    created_at: datetime
    confirmed_at: datetime | None
    disabled_at: datetime | None
    disabled_reason: str
    added_by: str = Field(description="the staff member who added them; empty: self-service")
    consent: str = Field(description="how they agreed, when staff added them")


class SubscriberPage(Schema):
    total: int
    items: list[SubscriberOut]


class SubscriberIn(Schema):
    channel: str
    target: str = Field(min_length=1, max_length=2000)
    consent: str = Field(
        min_length=1, max_length=directory.CONSENT_CHARS,
        description="how this person agreed to get updates, e.g. 'asked by phone, ticket 4411'",
    )  # fmt: skip
    language: str = "en"
    components: list[str] | None = Field(default=None, description="null: all components")
    customer_id: str = ""


class SubscriberPatch(Schema):
    target: str | None = Field(default=None, min_length=1, max_length=2000)
    language: str | None = None
    all_components: bool | None = None
    components: list[str] | None = None
    customer_id: str | None = None


class ComponentCountOut(Schema):
    id: str
    name: str
    chosen: int = Field(description="active subscribers who chose this component")
    told: int = Field(description="those and the ones subscribed to every component")


class CountsOut(Schema):
    by_status: dict[str, int]
    by_channel: dict[str, dict[str, int]]
    all_components: int
    by_component: list[ComponentCountOut]


class SubscriberImportOut(Schema):
    rows: int
    created: int
    updated: int
    unchanged: int
    kept_unsubscribed: int = Field(description="known targets that unsubscribed: left so")
    kept_disabled: int
    dry_run: bool
    error_count: int
    errors: list[dict[str, Any]]
    detail: str = ""


def subscriber_out(s: Subscriber, *, whole: bool = False) -> SubscriberOut:
    return SubscriberOut(
        id=s.public_id, channel=s.channel,
        target=s.target if whole else mask_target(s.channel, s.target), status=s.status,
        language=s.language, all_components=s.all_components,
        components=[] if s.all_components else sorted(c.public_id for c in s.components.all()),
        customer_id=s.customer.public_id if s.customer else "",
        customer=s.customer.name if s.customer else "", created_at=s.created_at,
        confirmed_at=s.confirmed_at, disabled_at=s.disabled_at,
        disabled_reason=s.disabled_reason, added_by=s.added_by, consent=s.consent,
    )  # fmt: skip


class SubscriberFilters(Schema):
    q: str = Field("", max_length=200, description="any part of the address, phone or id")
    channel: str = ""
    status: str = ""
    component: str = Field("", description="who hears about this component id")
    customer: str = Field("", description="a customer id")
    language: str = ""

    def filters(self) -> directory.Filters:
        return directory.Filters(**self.dict(exclude={"limit", "offset"}))


class SubscriberQuery(SubscriberFilters):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


@router.get("/subscribers", response=SubscriberPage, summary="Find subscribers")
def list_subscribers(request: HttpRequest, query: Query[SubscriberQuery]) -> SubscriberPage:
    """Newest first, targets masked."""
    qs = directory.find(query.filters())
    start = query.offset
    page = qs.prefetch_related("components")[start : start + query.limit]
    return SubscriberPage(total=qs.count(), items=[subscriber_out(s) for s in page])


@router.get("/subscribers/counts", response=CountsOut, summary="Subscribers counted")
def subscriber_counts(request: HttpRequest) -> CountsOut:
    """Per channel and status, and the active ones per component."""
    c = directory.counts()
    return CountsOut(
        by_status=c.by_status, by_channel=c.by_channel, all_components=c.all_components,
        by_component=[ComponentCountOut(id=x.id, name=x.name, chosen=x.chosen, told=x.told)
                      for x in c.by_component],
    )  # fmt: skip


@router.get(
    "/subscribers/export",
    response={200: str},
    summary="Subscribers as CSV (the import format, and more)",
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}}}},
)
def export_subscribers(
    request: HttpRequest, filters: Query[SubscriberFilters], bom: bool = True
) -> StreamingHttpResponse:
    """Every subscriber the filters select, with whole targets, streamed."""
    return csv_download(transfer.export_lines(directory.find(filters.filters()), bom=bom),
                        "subscribers")  # fmt: skip


def csv_download(lines: Iterable[str], name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (line.encode() for line in lines), content_type="text/csv; charset=utf-8"
    )
    stamp = clock.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


class ImportQuery(Schema):
    consent: str = Field(
        "", max_length=directory.CONSENT_CHARS,
        description="how the rows without a consent cell agreed",
    )  # fmt: skip
    dry_run: bool = False


@router.post(
    "/subscribers/import",
    response={200: SubscriberImportOut, 413: SubscriberImportOut, 422: SubscriberImportOut},
    summary="Import subscribers from CSV (all or nothing)",
)
def import_subscribers(
    request: HttpRequest,
    options: Query[ImportQuery],
    file: File[UploadedFile | None] = None,
) -> tuple[int, SubscriberImportOut]:
    """Columns `channel,target,language,components,customer,consent`; see the console's import
    page. Every row is checked first; with any problem the answer is 422 listing each and
    nothing is written. Someone who unsubscribed is never subscribed again by a file."""
    try:
        data = read_upload(request, file)
    except UploadProblem as exc:
        return exc.status, _import_out(transfer.Report(dry_run=options.dry_run), exc.message)
    with transaction.atomic():
        report = transfer.import_subscribers(
            actor=actor_of(request), data=data, consent=options.consent, dry_run=options.dry_run
        )
    if not report.ok:
        n = len(report.errors)
        whole = n == 1 and report.errors[0].row == 0
        detail = (
            report.errors[0].message if whole else f"{n} problem(s) found; nothing was imported"
        )
        return 413 if report.too_large else 422, _import_out(report, detail)
    return 200, _import_out(report, "")


def _import_out(report: transfer.Report, detail: str) -> SubscriberImportOut:
    doc = report.as_dict()
    if detail and not report.errors:
        doc.update(errors=[RowError(0, "", detail).as_dict()], error_count=1)
    return SubscriberImportOut(**doc, detail=detail)


@router.post("/subscribers", response={201: SubscriberOut}, summary="Add a subscriber")
def add_subscriber(request: HttpRequest, payload: SubscriberIn) -> tuple[int, SubscriberOut]:
    """A confirmed subscriber, added for someone who agreed (say how in `consent`)."""
    with transaction.atomic():
        sub = directory.add(
            actor=actor_of(request), channel=payload.channel, target=payload.target,
            consent=payload.consent, language=payload.language,
            component_ids=payload.components, customer_id=payload.customer_id,
        )  # fmt: skip
    return 201, subscriber_out(sub, whole=True)


@router.get("/subscribers/{subscriber_id}", response=SubscriberOut, summary="One subscriber")
def get_subscriber(request: HttpRequest, subscriber_id: str) -> SubscriberOut:
    return subscriber_out(directory.get(subscriber_id), whole=True)


@router.patch("/subscribers/{subscriber_id}", response=SubscriberOut, summary="Correct")
def patch_subscriber(
    request: HttpRequest, subscriber_id: str, payload: SubscriberPatch
) -> SubscriberOut:
    """A mistyped address, the language, the components (`all_components: true` for all),
    the customer (`""` for none)."""
    given = payload.dict(exclude_unset=True)
    kwargs: dict[str, Any] = {
        k: given[k] for k in ("target", "language", "customer_id") if given.get(k) is not None
    }
    if given.get("all_components"):
        kwargs["component_ids"] = None
    elif given.get("components") is not None:
        kwargs["component_ids"] = given["components"]
    with transaction.atomic():
        sub = directory.change(
            actor=actor_of(request), subscriber=directory.get(subscriber_id), **kwargs
        )
    return subscriber_out(sub, whole=True)
