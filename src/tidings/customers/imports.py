"""Customers and contacts from and to CSV, one row per contact (format: :mod:`csvio`).

Import is all or nothing: every row is checked first and, if any has a problem, the report
lists them all and nothing is written. Customers are matched by name (ignoring case),
contacts by (customer, email) or, without an email, (customer, name). An import never
deletes; a column the file leaves out is left as it is. A large file is imported by a
background job (:mod:`tidings.customers.jobs`) that reports its progress.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Field

from tidings.components.models import Component
from tidings.core import events
from tidings.customers import csvio
from tidings.customers import fields as cells
from tidings.customers.csvreport import Report, RowError
from tidings.customers.models import Contact, Customer
from tidings.customers.services import former_manager_problem, vocabulary


@dataclass
class Counts:
    customers: int = 0
    contacts: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"customers": self.customers, "contacts": self.contacts}


@dataclass
class ImportReport(Report):
    created: Counts = field(default_factory=Counts)
    updated: Counts = field(default_factory=Counts)
    unchanged: Counts = field(default_factory=Counts)
    rows: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created.as_dict(),
            "updated": self.updated.as_dict(),
            "unchanged": self.unchanged.as_dict(),
            "rows": self.rows,
            "dry_run": self.dry_run,
            **self.errors_dict(),
        }


# --- CSV ----------------------------------------------------------------------------------


def import_customers(
    *,
    actor: str,
    data: bytes | str,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    before_write: Callable[[], None] | None = None,
) -> ImportReport:
    """Check every row of ``data``; write all of it, or nothing if any row has a problem.
    ``dry_run`` checks and counts what would change, then writes nothing. ``progress`` is told
    the number of rows checked now and then, ``before_write`` when checking is over."""
    report = ImportReport(dry_run=dry_run)
    try:
        text = csvio.decode(data) if isinstance(data, bytes) else data
        vocab = vocabulary()
        parsed = csvio.parse(text, vocab, progress=progress)
    except csvio.CsvRejected as exc:
        report.errors.append(RowError(0, "", exc.message))
        report.too_large = exc.too_large
        return report
    report.rows = parsed.rows
    report.errors = parsed.errors
    if not parsed.ok:
        return report
    if before_write is not None:
        before_write()
    try:
        with transaction.atomic():
            plan = _plan(parsed, report, vocab)
            if dry_run or not report.ok:
                return report
            plan.write()
            events.record(kind="customers.imported", actor=actor, subject_type="customer",
                          subject_id="", public=False, rows=report.rows,
                          created=report.created.as_dict(), updated=report.updated.as_dict())  # fmt: skip
    except IntegrityError as exc:  # a concurrent change: the transaction wrote nothing
        report.errors.append(RowError(0, "", f"the import conflicted with another change: {exc}"))
    return report


@dataclass
class _Writes:
    """What an import changes, worked out in memory and written in a few bulk statements:
    one query per row would take minutes for a file of 50,000."""

    new_customers: list[Customer] = field(default_factory=list)
    changed_customers: list[Customer] = field(default_factory=list)
    customer_fields: set[str] = field(default_factory=set)
    components: list[tuple[Customer, set[int], bool]] = field(default_factory=list)  # wanted pks
    new_contacts: list[Contact] = field(default_factory=list)
    changed_contacts: list[Contact] = field(default_factory=list)
    contact_fields: set[str] = field(default_factory=set)

    def write(self) -> None:
        Customer.objects.bulk_create(self.new_customers, batch_size=_BATCH)
        _update_rows(Customer, self.changed_customers, self.customer_fields)
        through = Customer.components.through
        relinked = [c.pk for c, _, created in self.components if not created]
        for start in range(0, len(relinked), _BATCH):  # their links are all written again
            through.objects.filter(customer_id__in=relinked[start : start + _BATCH]).delete()
        links = [
            through(customer_id=customer.pk, component_id=pk)
            for customer, wanted, _ in self.components
            for pk in wanted
        ]
        through.objects.bulk_create(links, batch_size=_BATCH)
        for contact in self.new_contacts:
            contact.customer_id = contact.customer.pk  # the customer may be new: now it has a pk
        Contact.objects.bulk_create(self.new_contacts, batch_size=_BATCH)
        _update_rows(Contact, self.changed_contacts, self.contact_fields)


def _update_rows(model: type[Customer | Contact], rows: list[Any], fields: set[str]) -> None:
    """One UPDATE statement run for many rows. Django's ``bulk_update`` builds a CASE per
    field and row and needs ~0.7 ms a row (35 s for 50,000 contacts); this takes a second."""
    if not rows or not fields:
        return
    meta = model._meta
    columns = [f for name in sorted(fields) if isinstance(f := meta.get_field(name), Field)]
    qn = connection.ops.quote_name
    sql = (  # names from the model's own metadata; values are parameters
        f"UPDATE {qn(meta.db_table)} SET "  # noqa: S608
        + ", ".join(f"{qn(c.column)} = %s" for c in columns)
        + f" WHERE {qn(meta.pk.column)} = %s"
    )
    params = [
        [c.get_db_prep_save(getattr(row, c.attname), connection) for c in columns] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(params), _BATCH):
            cursor.executemany(sql, params[start : start + _BATCH])


_BATCH = 500


def _plan(parsed: csvio.Parsed, report: ImportReport, vocab: cells.Vocabulary) -> _Writes:
    writes = _Writes()
    existing = {c.name.casefold(): c for c in Customer.objects.select_related("account_manager")}
    named = {
        s.values["account_manager"] for s in parsed.customers if s.values.get("account_manager")
    }
    users = dict(User.objects.filter(username__in=named).values_list("username", "id"))
    component_pks = dict(Component.objects.values_list("public_id", "id"))
    linked: dict[int, set[int]] = defaultdict(set)
    for customer_id, component_id in Customer.components.through.objects.values_list(
        "customer_id", "component_id"
    ):
        linked[customer_id].add(component_id)
    contacts: dict[int, list[Contact]] = defaultdict(list)
    for contact in Contact.objects.order_by("id"):
        contacts[contact.customer_id].append(contact)
    for spec in parsed.customers:
        customer = existing.get(spec.name.casefold())
        created = customer is None
        if customer is None:
            customer = Customer(plan=csvio.DEFAULT_PLAN)
            writes.new_customers.append(customer)
        manager = spec.values.get("account_manager") or ""
        if problem := former_manager_problem(customer, manager, vocab):
            row = spec.given.get("account_manager", spec.rows[0])
            report.errors.append(RowError(row, "account_manager", problem))
        changed = _set_fields(customer, {"name": spec.name, **spec.values}, users)
        if changed and not created:
            writes.changed_customers.append(customer)
            writes.customer_fields.update(changed)
        if "components" in spec.values:
            wanted = {component_pks[p] for p in spec.values["components"]}
            if wanted != (set() if created else linked[customer.pk]):
                writes.components.append((customer, wanted, created))
                changed.add("components")
        _tally(report, "customers", created=created, changed=bool(changed))
        _plan_contacts(
            customer, spec.contacts, [] if created else contacts[customer.pk], writes, report
        )
    return writes


def _set_fields(customer: Customer, values: dict[str, Any], users: dict[str, int]) -> set[str]:
    changed: set[str] = set()
    for key in ("name", "plan", "strategic", "contract_ref"):
        if key in values and getattr(customer, key) != values[key]:
            setattr(customer, key, values[key])
            changed.add(key)
    if "account_manager" in values:
        user_id = users.get(values["account_manager"])
        if customer.account_manager_id != user_id:
            customer.account_manager_id = user_id
            changed.add("account_manager")
    return changed


def _plan_contacts(
    customer: Customer,
    specs: list[csvio.ContactSpec],
    known: list[Contact],
    writes: _Writes,
    report: ImportReport,
) -> None:
    by_email: dict[str, Contact] = {}
    by_name: dict[str, Contact] = {}
    for c in known:
        if c.email:
            by_email.setdefault(c.email.casefold(), c)
        by_name.setdefault(c.name.casefold(), c)
    for spec in specs:
        kind, key = spec.key
        contact = by_email.get(key) if kind == "email" else by_name.get(key)
        if contact is None and kind == "email" and "name" in spec.values:
            # a contact we knew by name only, now given an email
            candidate = by_name.get(str(spec.values["name"]).casefold())
            if candidate is not None and not candidate.email:
                contact = candidate
        created = contact is None
        if contact is None:
            contact = Contact(customer=customer)
            writes.new_contacts.append(contact)
        changed = {k for k, v in spec.values.items() if getattr(contact, k) != v}
        for k in changed:
            setattr(contact, k, spec.values[k])
        if changed and not created:
            writes.changed_contacts.append(contact)
            writes.contact_fields.update(changed)
        _tally(report, "contacts", created=created, changed=bool(changed))


def _tally(report: ImportReport, what: str, *, created: bool, changed: bool) -> None:
    counts = report.created if created else report.updated if changed else report.unchanged
    setattr(counts, what, getattr(counts, what) + 1)


def export_rows() -> Iterator[dict[str, Any]]:
    """One row per contact, and one for each customer without contacts. A handful of queries
    whatever the number of customers."""
    comps = list(
        Component.objects.order_by("name", "public_id").values_list("id", "public_id", "name")
    )
    shared = Counter(name.casefold() for _, _, name in comps)
    order = {pk: i for i, (pk, _, _) in enumerate(comps)}
    # A name is written when it finds the component again; otherwise the id.
    refs = {
        pk: name
        if shared[name.casefold()] == 1 and cells.LIST_SEP not in name and name == name.strip()
        else pid
        for pk, pid, name in comps
    }
    linked: dict[int, list[int]] = defaultdict(list)
    for customer_id, component_id in Customer.components.through.objects.values_list(
        "customer_id", "component_id"
    ):
        linked[customer_id].append(component_id)
    people: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in Contact.objects.order_by("name", "id").values(
        "customer_id", "name", "role", "email", "phone", "language", "channels"
    ):
        people[row["customer_id"]].append(dict(row))
    customers = Customer.objects.order_by("name").values_list(
        "id", "name", "plan", "strategic", "contract_ref", "account_manager__username"
    )
    for pk, name, plan, strategic, contract_ref, manager in customers:
        base = {
            "customer": name,
            "plan": plan,
            "strategic": strategic,
            "contract_ref": contract_ref,
            "account_manager": manager or "",
            "components": [refs[c] for c in sorted(linked[pk], key=order.__getitem__)],
        }
        for contact in people[pk]:
            yield {
                **base,
                "contact_name": contact["name"],
                "role": contact["role"],
                "email": contact["email"],
                "phone": contact["phone"],
                "language": contact["language"],
                "channels": list(contact["channels"] or []),
            }
        if not people[pk]:
            yield base


def export_customers(*, bom: bool = True) -> str:
    return csvio.write(export_rows(), bom=bom)
