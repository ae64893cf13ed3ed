"""Subscribers from and to CSV, for staff. One row per subscriber::

    channel,target,language,components,customer,consent

``components`` holds component ids, slugs or names separated by ``;`` (blank: all of them);
``customer`` a customer's name or id (blank: none); ``consent`` how this person agreed (blank:
the statement given for the whole file). The export adds ``id``, ``status``, ``created_at``,
``confirmed_at``, ``added_by``, ``disabled_at`` and ``disabled_reason``, which an import of
the same file reads past.

The import is all or nothing, like the customers' (:mod:`tidings.customers.imports`): every
row is checked, and with any problem the report lists them all and nothing is written. New
targets become active subscribers with their consent recorded; a known one gets the file's
language, components and customer. Someone who unsubscribed or was disabled is left as they
are and counted: a list never overrides a person's "stop".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from tidings.core import clock, events
from tidings.core.errors import InvalidInput
from tidings.customers import csvio
from tidings.customers import fields as cells
from tidings.customers.csvreport import Report as CsvReport
from tidings.customers.csvreport import RowError
from tidings.customers.models import Customer
from tidings.customers.services import vocabulary
from tidings.subscribers.directory import consent_text
from tidings.subscribers.models import Subscriber
from tidings.subscribers.services import available_channels, normalise, target_key

COLUMNS = ("channel", "target", "language", "components", "customer", "consent")
EXPORT_COLUMNS = (
    "id", "channel", "target", "status", "language", "components", "customer", "consent",
    "added_by", "created_at", "confirmed_at", "disabled_at", "disabled_reason",
)  # fmt: skip
_READ_PAST = frozenset(EXPORT_COLUMNS) - frozenset(COLUMNS)
_BATCH = 500


@dataclass
class Report(CsvReport):
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_unsubscribed: int = 0
    kept_disabled: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "kept_unsubscribed": self.kept_unsubscribed,
            "kept_disabled": self.kept_disabled, "dry_run": self.dry_run, **self.errors_dict(),
        }  # fmt: skip


@dataclass
class _Row:
    row: int
    channel: str
    target: str
    language: str
    components: list[str] | None  # public ids; None: all
    customer: int | None
    consent: str


def import_subscribers(
    *, actor: str, data: bytes | str, consent: str = "", dry_run: bool = False
) -> Report:
    """Check every row; write all of them or, with any problem, nothing. ``consent`` stands
    for the rows that give none."""
    report = Report(dry_run=dry_run)
    try:
        text = csvio.decode(data) if isinstance(data, bytes) else data
        rows = _parse(text, consent, report)
    except csvio.CsvRejected as exc:
        report.errors.append(RowError(0, "", exc.message))
        report.too_large = exc.too_large
        return report
    if report.ok:
        _plan_and_write(actor, rows, report)
    return report


def _parse(text: str, consent: str, report: Report) -> list[_Row]:
    records = csvio.records(text, COLUMNS + tuple(sorted(_READ_PAST)))
    try:
        header_row, header = next(records)
    except StopIteration:
        raise csvio.CsvRejected("the file is empty: the first row must name the columns") from None
    names = [csvio.header_name(h) for h in header]
    for name, raw in zip(names, header, strict=True):
        if name not in COLUMNS and name not in _READ_PAST:
            report.errors.append(RowError(header_row, raw.strip(), (
                f"unknown column {raw.strip()!r}; the columns are {', '.join(COLUMNS)}")))  # fmt: skip
    if "channel" not in names or "target" not in names:
        raise csvio.CsvRejected(
            "this does not look like a subscribers CSV: the first row must name the columns "
            f"({', '.join(COLUMNS)}); channel and target are required"
        )
    if "consent" not in names and not consent.strip():
        raise csvio.CsvRejected(
            "say how these people agreed to get updates: give a consent statement for the "
            "file, or a consent column"
        )
    vocab = vocabulary()
    customers = _customers()
    seen: dict[tuple[str, str], int] = {}
    out: list[_Row] = []
    for number, record in records:
        report.rows += 1
        values = dict(zip(names, record + [""] * (len(names) - len(record)), strict=False))
        row = _row(number, values, vocab=vocab, customers=customers, consent=consent, report=report)
        if row is None:
            continue
        first = seen.setdefault((row.channel, row.target), number)
        if first != number:
            report.errors.append(RowError(
                number, "target", f"{row.target!r} is on row {first} already"))  # fmt: skip
            continue
        out.append(row)
    if not report.rows:
        report.errors.append(RowError(0, "", "the file has a header but no rows"))
    return out


def _customers() -> dict[str, int]:
    found: dict[str, int] = {}
    for pk, public_id, name in Customer.objects.values_list("id", "public_id", "name"):
        found[public_id] = pk
        found[name.casefold()] = pk
    return found


def _row(
    number: int,
    values: dict[str, str],
    *,
    vocab: cells.Vocabulary,
    customers: dict[str, int],
    consent: str,
    report: Report,
) -> _Row | None:
    errors = []

    def check(column: str, fn: Any) -> Any:
        try:
            return fn()
        except (cells.BadValue, InvalidInput) as exc:
            errors.append(RowError(number, column, str(exc)))
            return None

    channel = values.get("channel", "").strip().lower()
    if channel not in available_channels():
        report.errors.append(RowError(number, "channel", (
            f"unknown channel {channel!r}; use {', '.join(available_channels())}")))  # fmt: skip
        return None
    target = check("target", lambda: normalise(
        channel, cells.unquote_formula(values.get("target", "").strip()), public=False))  # fmt: skip
    language = check("language", lambda: cells.clean_language(values.get("language", ""), vocab))
    raw_components = cells.split_list(values.get("components", ""))
    components = check("components", lambda: cells.clean_components(raw_components, vocab))
    name = cells.unquote_formula(values.get("customer", "").strip())
    customer = customers.get(name) or customers.get(name.casefold()) if name else None
    if name and customer is None:
        errors.append(RowError(number, "customer", f"no customer {name!r}"))
    agreed = check("consent", lambda: consent_text(values.get("consent", "").strip() or consent))
    report.errors += errors
    if errors:
        return None
    return _Row(number, channel, target, language, components or None, customer, agreed)


def _plan_and_write(actor: str, rows: list[_Row], report: Report) -> None:
    known: dict[tuple[str, str], Subscriber] = {}
    by_channel: dict[str, list[str]] = {}
    for r in rows:
        by_channel.setdefault(r.channel, []).append(target_key(r.target))
    for channel, keys in by_channel.items():  # (channel, target_key) is the unique index
        for start in range(0, len(keys), _BATCH):
            batch = keys[start : start + _BATCH]
            for sub in Subscriber.objects.filter(channel=channel, target_key__in=batch):
                known[(sub.channel, sub.target_key)] = sub
    chosen = _chosen_now([s.pk for s in known.values()])
    now = clock.now()
    new: list[_Row] = []  # subscribers are made only to be written: a dry run counts rows
    changed: list[tuple[Subscriber, _Row]] = []
    for r in rows:
        found = known.get((r.channel, target_key(r.target)))
        if found is None:
            new.append(r)
        elif found.status == "unsubscribed":
            report.kept_unsubscribed += 1
        elif found.status == "disabled":
            report.kept_disabled += 1
        elif _differs(found, r, chosen.get(found.pk, set())) or found.status == "pending":
            changed.append((found, r))
        else:
            report.unchanged += 1
    report.created, report.updated = len(new), len(changed)
    if not report.dry_run and (new or changed):
        _write(actor, new, changed, now)


def _chosen_now(pks: list[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    through = Subscriber.components.through.objects
    for start in range(0, len(pks), _BATCH):
        for sid, cid in through.filter(subscriber_id__in=pks[start : start + _BATCH]).values_list(
            "subscriber_id", "component__public_id"
        ):
            out.setdefault(sid, set()).add(cid)
    return out


def _differs(sub: Subscriber, r: _Row, chosen: set[str]) -> bool:
    wanted = None if r.components is None else set(r.components)
    have = None if sub.all_components else chosen
    return sub.language != r.language or sub.customer_id != r.customer or wanted != have


def _write(actor: str, rows: list[_Row], changed: list[tuple[Subscriber, _Row]], now: Any) -> None:
    from tidings.components.models import Component

    new = [(Subscriber(
        channel=r.channel, target=r.target, target_key=target_key(r.target), language=r.language,
        all_components=r.components is None, customer_id=r.customer, status="active",
        created_at=now, confirmed_at=now, added_by=actor, consent=r.consent), r) for r in rows]  # fmt: skip
    Subscriber.objects.bulk_create([s for s, _ in new], batch_size=_BATCH)  # sets their pks
    for sub, r in changed:
        sub.language, sub.customer_id = r.language, r.customer
        sub.all_components = r.components is None
        if sub.status == "pending":
            sub.status, sub.confirmed_at, sub.added_by, sub.consent = (
                "active",
                now,
                actor,
                r.consent,
            )
    Subscriber.objects.bulk_update(
        [s for s, _ in changed],
        ["language", "customer", "all_components", "status", "confirmed_at", "added_by", "consent"],
        batch_size=_BATCH,
    )
    component_pks = dict(Component.objects.values_list("public_id", "id"))
    through = Subscriber.components.through
    relinked = [s.pk for s, _ in changed]
    for start in range(0, len(relinked), _BATCH):
        through.objects.filter(subscriber_id__in=relinked[start : start + _BATCH]).delete()
    links = [
        through(subscriber_id=s.pk, component_id=component_pks[c])
        for s, r in new + changed
        for c in r.components or []
    ]
    through.objects.bulk_create(links, batch_size=_BATCH)
    events.record(kind="subscribers.imported", actor=actor, subject_type="subscriber",
                  subject_id="", public=False, created=len(new), updated=len(changed))  # fmt: skip


# --- export -------------------------------------------------------------------------------


def export_lines(qs: QuerySet[Subscriber], *, bom: bool = True) -> Iterator[str]:
    """The CSV of ``qs``, a line at a time, full targets: an export is for staff who may
    manage subscribers (``subscribers.export``)."""
    return csvio.write_lines(_export_rows(qs), bom=bom, columns=EXPORT_COLUMNS)


def _export_rows(qs: QuerySet[Subscriber]) -> Iterator[dict[str, Any]]:
    rows = (
        qs.select_related("customer")
        .prefetch_related("components")
        .order_by("created_at", "id")
        .iterator(chunk_size=2000)
    )
    for s in rows:
        yield {
            "id": s.public_id, "channel": s.channel, "target": s.target, "status": s.status,
            "language": s.language,
            "components": [] if s.all_components else sorted(c.public_id for c in s.components.all()),
            "customer": s.customer.name if s.customer else "", "consent": s.consent,
            "added_by": s.added_by, "created_at": _iso(s.created_at),
            "confirmed_at": _iso(s.confirmed_at), "disabled_at": _iso(s.disabled_at),
            "disabled_reason": s.disabled_reason,
        }  # fmt: skip


def _iso(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value else ""
