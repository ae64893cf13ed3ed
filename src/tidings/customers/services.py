"""Customers and contacts one by one: create, change, and the vocabulary a value is checked
against (shared with the CSV import, :mod:`tidings.customers.imports`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from tidings.components.models import Component
from tidings.core import db, events
from tidings.core.errors import InvalidInput, NotFound
from tidings.customers import csvio
from tidings.customers import fields as cells
from tidings.customers.models import CONTACT_CHANNELS, NO_CHANNEL, PLANS, Contact, Customer

CUSTOMER_FIELDS = ("plan", "strategic", "contract_ref", "account_manager", "components")
CONTACT_FIELDS = ("name", "role", "email", "phone", "language", "channels")


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
    return _(
        "%(username)s is no longer active staff: they stay only on the customers they "
        "already manage; choose another account manager"
    ) % {"username": repr(username)}


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
                raise InvalidInput(_("a customer needs a name"))
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
            raise InvalidInput(_("cannot set %(key)s on a customer") % {"key": repr(key)})
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
            raise InvalidInput(_("cannot set %(key)s on a contact") % {"key": repr(key)})
        default: Any = [] if key == "channels" else ""
        out[key] = _bad(cleaners[key], default if value is None else value)
    if "name" in out and not out["name"]:
        raise InvalidInput(_("a contact needs a name"))
    return out


# --- customers and contacts one by one ----------------------------------------------------


def get_customer(public_id: str) -> Customer:
    qs = Customer.objects.select_related("account_manager")
    return db.by_public_id(qs, public_id, "customer")


def get_contact(customer: Customer, contact_id: int) -> Contact:
    try:
        return Contact.objects.get(customer=customer, id=contact_id)
    except Contact.DoesNotExist:
        raise NotFound(
            _("customer %(customer)s has no contact %(contact)s")
            % {"customer": customer.public_id, "contact": contact_id}
        ) from None


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
        raise InvalidInput(
            _("a customer called %(name)s exists already") % {"name": repr(name)}, field="name"
        )
    if problem := former_manager_problem(customer, values.get("account_manager") or "", vocab):
        # The API field leads, untranslated: the console puts the message next to it by that.
        raise InvalidInput(f"account_manager: {problem}", field="account_manager")


def _recorded(kind: str, actor: str, customer: Customer, **data: Any) -> None:
    """An event about a customer or its contacts; never shown on the public page."""
    events.record(kind=kind, actor=actor, subject_type="customer",
                  subject_id=customer.public_id, public=False, **data)  # fmt: skip


def create_customer(*, actor: str, name: str, **fields: Any) -> Customer:
    vocab = vocabulary()
    values = _customer_values({"name": name, **fields}, vocab)
    customer = Customer(plan=csvio.DEFAULT_PLAN)
    _check_customer(customer, values, vocab)
    _apply_customer(customer, values)
    _recorded("customer.created", actor, customer, name=customer.name)
    return customer


def change_customer(*, actor: str, customer: Customer, **fields: Any) -> Customer:
    vocab = vocabulary()
    values = _customer_values(fields, vocab)
    _check_customer(customer, values, vocab)
    if _apply_customer(customer, values):
        _recorded("customer.changed", actor, customer, fields=sorted(values))
    return customer


def _check_contact(customer: Customer, contact: Contact, values: dict[str, Any]) -> None:
    email = values.get("email", contact.email)
    if email and (
        Contact.objects.filter(customer=customer, email__iexact=email)
        .exclude(pk=contact.pk)
        .exists()
    ):
        raise InvalidInput(
            _("customer %(customer)s has a contact with email %(email)s already")
            % {"customer": repr(customer.name), "email": repr(email)}
        )
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
    _recorded("contact.created", actor, customer, contact=contact.pk)
    return contact


def change_contact(*, actor: str, contact: Contact, **fields: Any) -> Contact:
    values = _contact_values(fields, vocabulary())
    _check_contact(contact.customer, contact, values)
    if _apply_contact(contact, values):
        _recorded(
            "contact.changed", actor, contact.customer, contact=contact.pk, fields=sorted(values)
        )
    return contact


# --- finding customers --------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerFilters:
    """What staff narrow the customer list with; every field optional."""

    q: str = ""  # the customer's name or contract, or a contact's name, email or phone
    plan: str = ""
    strategic: bool | None = None
    manager: str = ""  # an account manager's username
    component: str = ""  # a component's public id


def find_customers(f: CustomerFilters) -> QuerySet[Customer]:
    """Customers matching ``f``, by name."""
    qs = Customer.objects.select_related("account_manager").order_by("name")
    if f.plan:
        qs = qs.filter(plan=f.plan)
    if f.strategic is not None:
        qs = qs.filter(strategic=f.strategic)
    if f.manager:
        qs = qs.filter(account_manager__username=f.manager)
    if f.component:
        qs = qs.filter(
            Exists(Customer.components.through.objects.filter(
                customer_id=OuterRef("pk"), component__public_id=f.component))
        )  # fmt: skip
    q = f.q.strip()
    if q:
        contacts = Contact.objects.filter(customer_id=OuterRef("pk")).filter(
            Q(name__icontains=q) | Q(email__icontains=q) | phone_matching(q)
        )
        qs = qs.filter(Q(name__icontains=q) | Q(contract_ref__icontains=q) | Exists(contacts))
    return qs


def phone_matching(q: str, field: str = "phone") -> Q:
    """Digits typed as people say them (050-123 4567) against E.164 (+972501234567)."""
    digits = re.sub(r"\D", "", q)
    if len(digits) < 4 or not re.fullmatch(r"[\d\s()+\-.]+", q):
        return Q(pk__in=[])
    return Q(**{f"{field}__contains": digits}) | Q(**{f"{field}__contains": digits.lstrip("0")})
