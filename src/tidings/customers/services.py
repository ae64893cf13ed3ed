"""Customers and contacts: create, change, import from and export to CSV.

Import is all or nothing: every row is checked first and, if any has a problem, the report
lists them all and nothing is written. Customers are matched by name (ignoring case),
contacts by (customer, email) or, without an email, (customer, name). An import never
deletes; a column the file leaves out is left as it is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Field

from tidings.components.models import Component
from tidings.core import events
from tidings.core.errors import InvalidInput, NotFound
from tidings.customers import csvio
from tidings.customers import fields as cells
from tidings.customers.models import CONTACT_CHANNELS, NO_CHANNEL, PLANS, Contact, Customer

CUSTOMER_FIELDS = ("plan", "strategic", "contract_ref", "account_manager", "components")
CONTACT_FIELDS = ("name", "role", "email", "phone", "language", "channels")


@dataclass
class Counts:
    customers: int = 0
    contacts: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"customers": self.customers, "contacts": self.contacts}


@dataclass
class ImportReport:
    created: Counts = field(default_factory=Counts)
    updated: Counts = field(default_factory=Counts)
    unchanged: Counts = field(default_factory=Counts)
    errors: list[csvio.RowError] = field(default_factory=list)
    rows: int = 0
    dry_run: bool = False
    too_large: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created.as_dict(),
            "updated": self.updated.as_dict(),
            "unchanged": self.unchanged.as_dict(),
            "rows": self.rows,
            "dry_run": self.dry_run,
            "error_count": len(self.errors),
            "errors": [e.as_dict() for e in self.errors[: csvio.MAX_ERRORS]],
        }


# --- vocabulary and single values ---------------------------------------------------------


def vocabulary() -> cells.Vocabulary:
    comps: dict[str, str] = {}
    names: dict[str, int] = {}
    for pid, name, slug in Component.objects.values_list("public_id", "name", "slug"):
        comps[pid] = pid
        key = name.strip().casefold()
        names[key] = names.get(key, 0) + 1
        comps.setdefault(key, pid)
        comps.setdefault(slug, pid)
    languages = {}
    for code, label in Contact.LANGUAGES:
        languages[code] = code
        languages[str(label).casefold()] = code
    languages.update({"iw": "he", "עברית": "he", "english": "en"})
    managers: dict[str, str] = {}
    staff = set(
        User.objects.filter(is_staff=True, is_active=True).values_list("username", flat=True)
    )
    current = set(
        Customer.objects.filter(account_manager__isnull=False).values_list(
            "account_manager__username", flat=True
        )
    )
    for username in sorted(staff) + sorted(current - staff):
        managers[username] = username
        managers.setdefault(username.casefold(), username)
    return cells.Vocabulary(
        plans=frozenset(PLANS),
        languages=languages,
        channels=frozenset((*CONTACT_CHANNELS, NO_CHANNEL)),
        components=comps,
        ambiguous_components=frozenset(k for k, n in names.items() if n > 1),
        managers=managers,
        former_managers=frozenset(current - staff),
    )


def former_manager_problem(customer: Customer, username: str, vocab: cells.Vocabulary) -> str:
    """Why ``username`` cannot become this customer's account manager, or ``""``."""
    if username not in vocab.former_managers:
        return ""
    current = customer.account_manager.get_username() if customer.account_manager else ""
    if customer.pk is not None and current == username:
        return ""
    return (
        f"{username!r} is no longer active staff: they stay only on the customers they "
        "already manage; choose another account manager"
    )


def _bad(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except cells.BadValue as exc:
        raise InvalidInput(str(exc)) from None


def _customer_values(fields: dict[str, Any], vocab: cells.Vocabulary) -> dict[str, Any]:
    """Check API input with the same rules as a CSV cell."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "name":
            out[key] = _bad(cells.clean_text, value or "", "customer")
            if not out[key]:
                raise InvalidInput("a customer needs a name")
        elif key == "plan":
            out[key] = _bad(cells.clean_plan, value or "", vocab)
        elif key == "strategic":
            out[key] = bool(value)
        elif key == "contract_ref":
            out[key] = _bad(cells.clean_text, value or "", "contract_ref")
        elif key == "account_manager":
            out[key] = _bad(cells.clean_manager, value or "", vocab)
        elif key == "components":
            out[key] = _bad(cells.clean_components, value or [], vocab)
        else:
            raise InvalidInput(f"cannot set {key!r} on a customer")
    return out


def _contact_values(fields: dict[str, Any], vocab: cells.Vocabulary) -> dict[str, Any]:
    cleaners: dict[str, Any] = {
        "name": lambda v: cells.clean_text(v, "contact_name"),
        "role": lambda v: cells.clean_text(v, "role"),
        "email": cells.clean_email,
        "phone": cells.normalise_phone,
        "language": lambda v: cells.clean_language(v, vocab),
        "channels": lambda v: cells.clean_channels(v, vocab),
    }
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in cleaners:
            raise InvalidInput(f"cannot set {key!r} on a contact")
        default: Any = [] if key == "channels" else ""
        out[key] = _bad(cleaners[key], default if value is None else value)
    if "name" in out and not out["name"]:
        raise InvalidInput("a contact needs a name")
    return out


# --- customers and contacts one by one ----------------------------------------------------


def get_customer(public_id: str) -> Customer:
    try:
        return Customer.objects.select_related("account_manager").get(public_id=public_id)
    except Customer.DoesNotExist:
        raise NotFound(f"no customer with id {public_id!r}") from None


def get_contact(customer: Customer, contact_id: int) -> Contact:
    try:
        return Contact.objects.get(customer=customer, id=contact_id)
    except Contact.DoesNotExist:
        raise NotFound(f"customer {customer.public_id} has no contact {contact_id}") from None


def _staff(username: str) -> User:
    return User.objects.get(username=username)


def _apply_customer(customer: Customer, values: dict[str, Any]) -> bool:
    """Set ``values`` on ``customer`` (saved or not); whether anything changed. Saves."""
    new = customer.pk is None
    changed = new
    for key in ("name", "plan", "strategic", "contract_ref"):
        if key in values and getattr(customer, key) != values[key]:
            setattr(customer, key, values[key])
            changed = True
    if "account_manager" in values:
        username = values["account_manager"]
        current = customer.account_manager.get_username() if customer.account_manager else ""
        if username != current:
            customer.account_manager = _staff(username) if username else None
            changed = True
    if changed:
        customer.save()
    if "components" in values:
        wanted = set(values["components"])
        have = set() if new else set(customer.components.values_list("public_id", flat=True))
        if wanted != have:
            customer.components.set(Component.objects.filter(public_id__in=wanted))
            changed = True
    return changed


def _apply_contact(contact: Contact, values: dict[str, Any]) -> bool:
    changed = contact.pk is None
    for key, value in values.items():
        if getattr(contact, key) != value:
            setattr(contact, key, value)
            changed = True
    if changed:
        contact.save()
    return changed


def _check_customer(customer: Customer, values: dict[str, Any], vocab: cells.Vocabulary) -> None:
    """What single values cannot show: a name another customer has, a manager who left."""
    name = values.get("name")
    if name and Customer.objects.filter(name__iexact=name).exclude(pk=customer.pk).exists():
        raise InvalidInput(f"a customer called {name!r} exists already")
    if problem := former_manager_problem(customer, values.get("account_manager") or "", vocab):
        raise InvalidInput(f"account_manager: {problem}")


def create_customer(*, actor: str, name: str, **fields: Any) -> Customer:
    vocab = vocabulary()
    values = _customer_values({"name": name, **fields}, vocab)
    customer = Customer(plan=csvio.DEFAULT_PLAN)
    _check_customer(customer, values, vocab)
    _apply_customer(customer, values)
    events.record(kind="customer.created", actor=actor, subject_type="customer",
                  subject_id=customer.public_id, public=False, name=customer.name)  # fmt: skip
    return customer


def change_customer(*, actor: str, customer: Customer, **fields: Any) -> Customer:
    vocab = vocabulary()
    values = _customer_values(fields, vocab)
    _check_customer(customer, values, vocab)
    if _apply_customer(customer, values):
        events.record(kind="customer.changed", actor=actor, subject_type="customer",
                      subject_id=customer.public_id, public=False, fields=sorted(values))  # fmt: skip
    return customer


def _check_contact(customer: Customer, contact: Contact, values: dict[str, Any]) -> None:
    email = values.get("email", contact.email)
    if email and (
        Contact.objects.filter(customer=customer, email__iexact=email)
        .exclude(pk=contact.pk)
        .exists()
    ):
        raise InvalidInput(f"customer {customer.name!r} has a contact with email {email!r} already")
    try:
        cells.check_channel_targets(
            values.get("channels", contact.channels or []),
            email=email,
            phone=values.get("phone", contact.phone),
        )
    except cells.BadValue as exc:
        raise InvalidInput(str(exc)) from None


def add_contact(*, actor: str, customer: Customer, name: str, **fields: Any) -> Contact:
    values = _contact_values({"name": name, **fields}, vocabulary())
    contact = Contact(customer=customer)
    _check_contact(customer, contact, values)
    _apply_contact(contact, values)
    events.record(kind="contact.created", actor=actor, subject_type="customer",
                  subject_id=customer.public_id, public=False, contact=contact.pk)  # fmt: skip
    return contact


def change_contact(*, actor: str, contact: Contact, **fields: Any) -> Contact:
    values = _contact_values(fields, vocabulary())
    _check_contact(contact.customer, contact, values)
    if _apply_contact(contact, values):
        events.record(kind="contact.changed", actor=actor, subject_type="customer",
                      subject_id=contact.customer.public_id, public=False, contact=contact.pk,
                      fields=sorted(values))  # fmt: skip
    return contact


# --- CSV ----------------------------------------------------------------------------------


def import_customers(*, actor: str, data: bytes | str, dry_run: bool = False) -> ImportReport:
    """Check every row of ``data``; write all of it, or nothing if any row has a problem.
    ``dry_run`` checks and counts what would change, then writes nothing."""
    report = ImportReport(dry_run=dry_run)
    try:
        text = csvio.decode(data) if isinstance(data, bytes) else data
        vocab = vocabulary()
        parsed = csvio.parse(text, vocab)
    except csvio.CsvRejected as exc:
        report.errors.append(csvio.RowError(0, "", exc.message))
        report.too_large = exc.too_large
        return report
    report.rows = parsed.rows
    report.errors = parsed.errors
    if not parsed.ok:
        return report
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
        report.errors.append(
            csvio.RowError(0, "", f"the import conflicted with another change: {exc}")
        )
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
            report.errors.append(csvio.RowError(row, "account_manager", problem))
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
