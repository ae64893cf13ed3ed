"""Staff API for customers and their contacts, and their CSV import and export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile as DjangoUploadedFile
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import File, Router, Schema
from ninja import Query as NinjaQuery
from ninja.files import UploadedFile
from ninja.params.functions import Path
from pydantic import Field

from tidings.core import clock
from tidings.core.auth import actor_of
from tidings.core.outs import copied
from tidings.core.patches import patch_of
from tidings.customers import csvio, imports, jobs, services
from tidings.customers.models import Contact, Customer, disabled_channels

router = Router(tags=["customers"])

#: A contact's id in a path; a number the database cannot hold is a 422, not an overflow.
CONTACT_ID = Path(..., ge=1, le=2**53)
CSV_HINT = (
    "send the CSV as a multipart/form-data field named 'file', "
    "or as the request body with Content-Type: text/csv"
)


class ContactIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(default="", max_length=100)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40, description="E.164, e.g. +972501234567")
    language: str = "en"
    channels: list[str] = Field(default_factory=list, description='e.g. ["email", "sms"]')


@patch_of(ContactIn)
class ContactPatch(Schema):
    pass


class ContactOut(Schema):
    id: int
    name: str
    role: str
    email: str
    phone: str
    language: str
    channels: list[str]
    disabled: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description='channels stopped, and why: {"sms": {"at": ..., "reason": ..., "by": ...}}',
    )


class CustomerIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    plan: str = "standard"
    strategic: bool = False
    contract_ref: str = Field(default="", max_length=100)
    account_manager: str = Field(default="", description="a staff username")
    components: list[str] = Field(default_factory=list, description="component ids or names")


@patch_of(CustomerIn)
class CustomerPatch(Schema):
    pass


class CustomerOut(Schema):
    id: str
    name: str
    plan: str
    strategic: bool
    contract_ref: str
    account_manager: str
    components: list[str]
    contacts: list[ContactOut]
    created_at: datetime


class RowErrorOut(Schema):
    row: int = Field(description="as a spreadsheet numbers it: the header is row 1; 0 is the file")
    column: str
    message: str


class ImportOut(Schema):
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    rows: int
    dry_run: bool
    error_count: int
    errors: list[RowErrorOut]
    detail: str = ""


class ImportJobOut(Schema):
    id: str
    url: str = Field(description="poll this address for progress and, when done, the result")
    state: str = Field(description="queued, checking, writing, done or failed")
    dry_run: bool
    rows_total: int = Field(description="rows in the file (about, until done)")
    rows_done: int = Field(description="rows checked so far")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: ImportOut | None = Field(description="when done: what the import did or found")
    detail: str = ""


def _job_out(job: Any) -> ImportJobOut:
    result = None
    if job.report is not None:
        report = dict(job.report)
        n = report.get("error_count", 0)
        detail = "" if not n else f"{n} problem{'s' if n > 1 else ''} found; nothing was imported"
        result = ImportOut(**report, detail=detail)
    return ImportJobOut(
        id=job.public_id, url=f"/api/v1/customers/import/{job.public_id}", state=job.state,
        dry_run=job.dry_run, rows_total=job.rows_total, rows_done=job.rows_done,
        created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
        result=result, detail=job.error,
    )  # fmt: skip


def _contact_out(c: Contact) -> ContactOut:
    return copied(
        ContactOut, c, id=c.pk, channels=list(c.channels or []), disabled=disabled_channels(c)
    )


def _out(c: Customer) -> CustomerOut:
    return CustomerOut(
        id=c.public_id,
        name=c.name,
        plan=c.plan,
        strategic=c.strategic,
        contract_ref=c.contract_ref,
        account_manager=c.account_manager.get_username() if c.account_manager else "",
        components=[x.public_id for x in c.components.all()],
        contacts=[_contact_out(x) for x in c.contacts.all()],
        created_at=c.created_at,
    )


def _customers() -> Any:
    return Customer.objects.select_related("account_manager").prefetch_related(
        "components", Prefetch("contacts", queryset=Contact.objects.order_by("name", "id"))
    )


class CustomerQuery(Schema):
    q: str = Field(
        "", max_length=200,
        description="part of the name or contract, or of a contact's name, email or phone",
    )  # fmt: skip
    plan: str = ""
    strategic: bool | None = None
    manager: str = Field("", description="an account manager's username")
    component: str = Field("", description="a component id")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=10_000_000)


@router.get("/customers", response=list[CustomerOut])
def list_customers(request: HttpRequest, query: NinjaQuery[CustomerQuery]) -> list[CustomerOut]:
    """By name; the filters combine."""
    found = services.find_customers(
        services.CustomerFilters(**query.dict(exclude={"limit", "offset"}))
    )
    qs = found.prefetch_related(
        "components", Prefetch("contacts", queryset=Contact.objects.order_by("name", "id"))
    )
    return [_out(c) for c in qs[query.offset : query.offset + query.limit]]


@router.post("/customers", response={201: CustomerOut})
def create_customer(request: HttpRequest, payload: CustomerIn) -> tuple[int, CustomerOut]:
    with transaction.atomic():
        c = services.create_customer(actor=actor_of(request), **payload.dict())
    return 201, _out(_customers().get(pk=c.pk))


@router.post(
    "/customers/import",
    response={200: ImportOut, 202: ImportJobOut, 413: ImportOut, 422: ImportOut},
    summary="Import customers and contacts from CSV (all or nothing)",
)
def import_customers(
    request: HttpRequest, dry_run: bool = False, file: File[UploadedFile | None] = None
) -> tuple[int, ImportOut | ImportJobOut]:
    """One row per contact, columns `customer,plan,strategic,contract_ref,account_manager,
    components,contact_name,role,email,phone,language,channels` (`;` between several
    components or channels). Every row is checked first; with any error the answer is 422,
    lists each (row, column, message) and nothing is written. `dry_run=true` only checks and
    counts. A file of more than 2,000 rows (`TIDINGS_IMPORT_BACKGROUND_ROWS`) is imported by
    a background job: the answer is 202 with the job, whose `url` shows its progress and, once
    `state` is `done`, the same result."""
    try:
        data = read_upload(request, file)
        with transaction.atomic():
            result = jobs.submit(actor=actor_of(request), data=data, dry_run=dry_run)
    except UploadProblem as exc:
        return exc.status, _import_out(imports.ImportReport(dry_run=dry_run), exc.message)
    except csvio.CsvRejected as exc:
        status = 413 if exc.too_large else 422
        return status, _import_out(imports.ImportReport(dry_run=dry_run), exc.message)
    if not isinstance(result, imports.ImportReport):
        return 202, _job_out(result)
    report = result
    if report.too_large:
        return 413, _import_out(report, report.errors[0].message)
    if not report.ok:
        n = len(report.errors)
        whole_file = n == 1 and report.errors[0].row == 0
        return 422, _import_out(
            report,
            report.errors[0].message
            if whole_file
            else f"{n} problem{'s' if n > 1 else ''} found; nothing was imported",
        )
    return 200, _import_out(report, "")


class UploadProblem(Exception):
    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


_TOO_LARGE = f"the upload is larger than {csvio.MAX_BYTES // 1_048_576} MB: split the file"


def read_upload(request: HttpRequest, file: DjangoUploadedFile | None) -> bytes:
    """The CSV's bytes, from a multipart field (whatever its name) or the raw body;
    :class:`UploadProblem` saying what to send instead. Subscribers' imports use it too."""
    if file is None and request.FILES:
        file = request.FILES.get(next(iter(request.FILES)))
    if file is not None:
        if (file.size or 0) > csvio.MAX_BYTES:
            raise UploadProblem(_TOO_LARGE, 413)
        return bytes(file.read())
    if request.content_type == "multipart/form-data":
        raise UploadProblem(f"no file in the form: {CSV_HINT}")
    if request.content_type == "application/json":
        raise UploadProblem(f"this endpoint takes CSV, not JSON: {CSV_HINT}")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > csvio.MAX_BYTES:
        raise UploadProblem(_TOO_LARGE, 413)
    # read() rather than .body: .body refuses anything over DATA_UPLOAD_MAX_MEMORY_SIZE
    # (2.5 MB), and a CSV may be up to MAX_BYTES.
    data = request.read(csvio.MAX_BYTES + 1)
    if len(data) > csvio.MAX_BYTES:
        raise UploadProblem(_TOO_LARGE, 413)
    if not data.strip():
        raise UploadProblem(f"the request has no CSV: {CSV_HINT}")
    return data


def _import_out(report: imports.ImportReport, detail: str) -> ImportOut:
    doc = report.as_dict()
    if detail and not report.errors:
        doc["errors"] = [{"row": 0, "column": "", "message": detail}]
        doc["error_count"] = 1
    return ImportOut(**doc, detail=detail)


@router.get(
    "/customers/import/{job_id}",
    response=ImportJobOut,
    summary="A background import's progress and result",
)
def import_job(request: HttpRequest, job_id: str) -> ImportJobOut:
    return _job_out(jobs.get(job_id))


@router.get(
    "/customers/export",
    response={200: str},
    summary="Every customer and contact as CSV (the import format)",
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}}}},
)
def export_customers(request: HttpRequest, bom: bool = True) -> HttpResponse:
    """One row per contact (a customer without contacts gets one row of its own). UTF-8 with a
    byte-order mark unless `bom=false`, so spreadsheets show Hebrew names correctly."""
    body = imports.export_customers(bom=bom)
    response = HttpResponse(body.encode(), content_type="text/csv; charset=utf-8")
    stamp = clock.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
    return response


@router.get("/customers/{customer_id}", response=CustomerOut)
def get_customer(request: HttpRequest, customer_id: str) -> CustomerOut:
    services.get_customer(customer_id)
    return _out(_customers().get(public_id=customer_id))


@router.patch("/customers/{customer_id}", response=CustomerOut)
def patch_customer(request: HttpRequest, customer_id: str, payload: CustomerPatch) -> CustomerOut:
    with transaction.atomic():
        c = services.get_customer(customer_id)
        services.change_customer(
            actor=actor_of(request), customer=c, **payload.dict(exclude_unset=True)
        )
    return _out(_customers().get(pk=c.pk))


@router.get("/customers/{customer_id}/contacts", response=list[ContactOut])
def list_contacts(request: HttpRequest, customer_id: str) -> list[ContactOut]:
    c = services.get_customer(customer_id)
    return [_contact_out(x) for x in c.contacts.order_by("name", "id")]


@router.post("/customers/{customer_id}/contacts", response={201: ContactOut})
def add_contact(
    request: HttpRequest, customer_id: str, payload: ContactIn
) -> tuple[int, ContactOut]:
    with transaction.atomic():
        c = services.get_customer(customer_id)
        contact = services.add_contact(actor=actor_of(request), customer=c, **payload.dict())
    return 201, _contact_out(contact)


@router.get("/customers/{customer_id}/contacts/{contact_id}", response=ContactOut)
def get_contact(request: HttpRequest, customer_id: str, contact_id: int = CONTACT_ID) -> ContactOut:
    return _contact_out(services.get_contact(services.get_customer(customer_id), contact_id))


@router.patch("/customers/{customer_id}/contacts/{contact_id}", response=ContactOut)
def patch_contact(
    request: HttpRequest, customer_id: str, payload: ContactPatch, contact_id: int = CONTACT_ID
) -> ContactOut:
    with transaction.atomic():
        contact = services.get_contact(services.get_customer(customer_id), contact_id)
        services.change_contact(
            actor=actor_of(request), contact=contact, **payload.dict(exclude_unset=True)
        )
    return _contact_out(contact)
