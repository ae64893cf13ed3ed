"""Customers and their contacts as CSV, one row per contact. Pure: text in, the customers it
describes and a per-row error report out; the caller says what exists (:class:`Vocabulary`)
and does the writing.

Columns (the header names them; order is free, missing columns are left alone on update)::

    customer,plan,strategic,contract_ref,account_manager,components,
    contact_name,role,email,phone,language,channels

``components`` and ``channels`` hold several values separated by ``;``. A customer's own
columns may be repeated on each of its rows or given once; two different values are an error;
blank on every row of the customer clears the value (a blank plan keeps the plan). Rows are
numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

COLUMNS = (
    "customer", "plan", "strategic", "contract_ref", "account_manager", "components",
    "contact_name", "role", "email", "phone", "language", "channels",
)  # fmt: skip
CUSTOMER_COLUMNS = COLUMNS[1:6]
CONTACT_COLUMNS = COLUMNS[6:]
LIST_SEP = ";"
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_ERRORS = 1000  # a report longer than this helps nobody; the count says how many more
DEFAULT_PLAN = "standard"  # for a new customer whose file gives none
DEFAULT_LANGUAGE = "en"
# What a blank cell means on every row of a customer; a blank plan keeps the plan it has.
_CLEARED: dict[str, Any] = {
    "strategic": False,
    "contract_ref": "",
    "account_manager": "",
    "components": [],
}
_LIMITS = {"customer": 200, "contract_ref": 100, "contact_name": 200, "role": 100, "email": 254}
_TRUE = {"true", "yes", "y", "1", "x", "כן"}
_FALSE = {"false", "no", "n", "0", "לא", ""}
# A spreadsheet runs a cell that starts with one of these as a formula; exports quote them with
# a leading apostrophe, which an import takes off again.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Separators people type, and the invisible direction marks copying from Hebrew text adds; the
# same rule as the SMS and WhatsApp channels (notify/twilio.py), so an imported number sends.
_PHONE_JUNK = re.compile(r"[\s()\-./\u2010-\u2015\u2212\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_E164 = re.compile(r"\+[1-9]\d{7,14}")
_email = EmailValidator()


class CsvRejected(Exception):
    """The file as a whole cannot be read; ``message`` says why and what to do."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.too_large = too_large


class BadValue(ValueError):
    """One cell (or API field) holds a value that cannot be used; the message says why."""


@dataclass(frozen=True)
class RowError:
    row: int  # 1 is the header; 0 means the file as a whole
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class Vocabulary:
    """What a file may name: the caller reads these from the database."""

    plans: frozenset[str]
    languages: Mapping[str, str]  # lower-case code or name -> code
    channels: frozenset[str]
    components: Mapping[str, str]  # public id -> public id, and lower-case name -> public id
    ambiguous_components: frozenset[str] = frozenset()  # lower-case names several share
    managers: Mapping[str, str] = field(default_factory=dict)  # username and lower-case -> username


@dataclass
class ContactSpec:
    row: int
    values: dict[str, Any]  # contact columns the file has: name, role, email, ...

    @property
    def key(self) -> tuple[str, str]:
        """How a contact is recognised within its customer: by email, else by name."""
        email = str(self.values.get("email") or "")
        if email:
            return ("email", email.casefold())
        return ("name", str(self.values.get("name", "")).casefold())


@dataclass
class CustomerSpec:
    name: str
    rows: list[int]
    values: dict[str, Any]  # customer columns some row of the file gives a value for
    given: dict[str, int] = field(default_factory=dict)  # column -> the row that gave it
    contacts: list[ContactSpec] = field(default_factory=list)


@dataclass
class Parsed:
    columns: tuple[str, ...]
    customers: list[CustomerSpec]
    errors: list[RowError]
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


# --- single values (also used by the API) ------------------------------------------------


def clean_text(value: str, column: str) -> str:
    value = _unquote_formula(value.strip())
    limit = _LIMITS.get(column)
    if limit and len(value) > limit:
        raise BadValue(f"{column} is {len(value)} characters long; the limit is {limit}")
    if "\x00" in value:
        raise BadValue(f"{column} contains a NUL character")
    return value


def clean_email(value: str) -> str:
    value = clean_text(value, "email")
    if value:
        try:
            _email(value)
        except ValidationError:
            raise BadValue(f"{value!r} is not a valid email address") from None
    return value


def normalise_phone(value: str) -> str:
    """E.164 from what people type: spaces, dashes, dots, brackets and a leading 00 go."""
    raw = value.strip()
    if not raw:
        return ""
    digits = _PHONE_JUNK.sub("", _unquote_formula(raw))
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not _E164.fullmatch(digits):
        raise BadValue(
            f"phone {raw!r} is not in international (E.164) form: "
            "a + and the country code, e.g. +972501234567"
        )
    return digits


def clean_language(value: str, vocab: Vocabulary) -> str:
    v = value.strip()
    if not v:
        return DEFAULT_LANGUAGE
    code = vocab.languages.get(v.casefold())
    if code is None:
        raise BadValue(
            f"unknown language {v!r}; use {', '.join(sorted(set(vocab.languages.values())))}"
        )
    return code


def clean_channels(values: Iterable[str], vocab: Vocabulary) -> list[str]:
    out: list[str] = []
    unknown: list[str] = []
    for v in values:
        ch = v.strip().casefold()
        if not ch or ch in out:
            continue
        (out if ch in vocab.channels else unknown).append(ch)
    if unknown:
        raise BadValue(
            f"unknown channel{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"use {', '.join(sorted(vocab.channels))}"
        )
    return out


def check_channel_targets(channels: Sequence[str], *, email: str, phone: str) -> None:
    """The channels a contact is reached on need the address they send to."""
    if "email" in channels and not email:
        raise BadValue("channel 'email' needs an email address")
    for ch in ("sms", "whatsapp"):
        if ch in channels and not phone:
            raise BadValue(f"channel {ch!r} needs a phone number")


def clean_plan(value: str, vocab: Vocabulary) -> str:
    v = value.strip().casefold()
    if v not in vocab.plans:
        raise BadValue(f"unknown plan {value.strip()!r}; use {', '.join(sorted(vocab.plans))}")
    return v


def clean_bool(value: str, column: str) -> bool:
    v = value.strip().casefold()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise BadValue(f"{column} must be yes or no (true/false, 1/0), not {value.strip()!r}")


def clean_manager(value: str, vocab: Vocabulary) -> str:
    v = _unquote_formula(value.strip())
    if not v:
        return ""
    found = vocab.managers.get(v) or vocab.managers.get(v.casefold())
    if found is None:
        raise BadValue(f"unknown account manager {v!r}: no active staff user has that username")
    return found


def clean_components(values: Iterable[str], vocab: Vocabulary) -> list[str]:
    out: list[str] = []
    unknown: list[str] = []
    ambiguous: list[str] = []
    for v in values:
        name = _unquote_formula(v.strip())
        if not name:
            continue
        if name in vocab.components:
            cid = vocab.components[name]
        elif name.casefold() in vocab.ambiguous_components:
            ambiguous.append(name)
            continue
        elif name.casefold() in vocab.components:
            cid = vocab.components[name.casefold()]
        else:
            unknown.append(name)
            continue
        if cid not in out:
            out.append(cid)
    if unknown:
        raise BadValue(
            f"unknown component{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}"
        )
    if ambiguous:
        raise BadValue(
            f"several components are called {', '.join(map(repr, ambiguous))}; use the id"
        )
    return out


def split_list(value: str) -> list[str]:
    return [v for v in (p.strip() for p in value.split(LIST_SEP)) if v]


def _unquote_formula(value: str) -> str:
    if value.startswith("'") and value[1:2] and value[1] in _FORMULA_START:
        return value[1:]
    return value


# --- the file -----------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """Text from an uploaded file: UTF-8 with or without a BOM, or UTF-16 with one."""
    if len(data) > MAX_BYTES:
        raise CsvRejected(_too_large(len(data)), too_large=True)
    if data.startswith(b"PK\x03\x04"):
        raise CsvRejected(
            "this is an Excel workbook (or another zip file), not CSV: "
            "save it from the spreadsheet as 'CSV UTF-8' and upload that"
        )
    if data.startswith(b"%PDF"):
        raise CsvRejected("this is a PDF, not CSV")
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CsvRejected(
            f"the file is not UTF-8 text (undecodable byte at offset {exc.start}): "
            "save it from the spreadsheet as 'CSV UTF-8'"
        ) from None


def _too_large(size: int) -> str:
    return (
        f"the file is {size / 1_048_576:.1f} MB; the limit is {MAX_BYTES // 1_048_576} MB "
        f"and {MAX_ROWS:,} rows: split it into smaller files"
    )


def _header_name(raw: str) -> str:
    return re.sub(r"[\s\-]+", "_", raw.strip().strip("\ufeff").strip().casefold())


def _sniff(first_line: str) -> str:
    """The delimiter that makes the header name the most known columns."""
    best, best_hits = ",", 0
    for delimiter in (",", ";", "\t"):
        try:
            names = next(csv.reader([first_line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        hits = sum(1 for n in names if _header_name(n) in COLUMNS)
        if hits > best_hits:
            best, best_hits = delimiter, hits
    return best


def _not_csv(text: str) -> str | None:
    start = text.lstrip()[:1]
    if "\x00" in text[:4096]:
        return "this is a binary file, not CSV text"
    if start in ("{", "["):
        return "this looks like JSON, not CSV"
    if start == "<":
        return "this looks like HTML or XML, not CSV"
    return None


def _check_header(names: list[str], row: int) -> tuple[tuple[str, ...], list[RowError]]:
    errors: list[RowError] = []
    seen: list[str] = []
    for raw in names:
        name = _header_name(raw)
        if name in seen:
            errors.append(RowError(row, name, f"the column {name!r} appears twice"))
        elif name not in COLUMNS:
            errors.append(
                RowError(
                    row,
                    raw.strip(),
                    f"unknown column {raw.strip()!r}; the columns are {', '.join(COLUMNS)}",
                )
            )
        seen.append(name)
    if "customer" not in seen:
        found = ", ".join(repr(n.strip()) for n in names[:6])
        raise CsvRejected(
            "this does not look like a customers CSV: the first row must name the columns "
            f"({', '.join(COLUMNS)}); it has {found or 'nothing'}"
        )
    if any(c in seen for c in CONTACT_COLUMNS) and "contact_name" not in seen:
        errors.append(RowError(row, "contact_name", "contact columns need a contact_name column"))
    return tuple(seen), errors


def _prepare(text: str) -> tuple[str, str]:
    """The text without a BOM, and its delimiter; or :class:`CsvRejected`."""
    text = text.removeprefix("\ufeff")
    problem = _not_csv(text)
    if problem:
        raise CsvRejected(problem)
    if len(text) > MAX_BYTES:
        raise CsvRejected(_too_large(len(text.encode())), too_large=True)
    first_line = text.lstrip("\r\n").splitlines()[0] if text.strip() else ""
    return text, _sniff(first_line)


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        # Numbered as a spreadsheet shows the file: every record counts, blank ones too.
        for number, record in enumerate(reader, start=1):
            if number > MAX_ROWS + 1:
                raise CsvRejected(
                    f"the file has more than {MAX_ROWS:,} rows: split it into smaller files",
                    too_large=True,
                )
            if any(cell.strip() for cell in record):
                yield number, record  # else a blank line, or empty cells a spreadsheet left
    except csv.Error as exc:
        raise CsvRejected(f"the file is not valid CSV near line {reader.line_num}: {exc}") from None


def parse(text: str, vocab: Vocabulary) -> Parsed:
    """Read and check every row; the customers it describes and every problem found."""
    text, delimiter = _prepare(text)
    records = _records(text, delimiter)
    try:
        header_row, header = next(records)
    except StopIteration:
        raise CsvRejected("the file is empty: the first row must name the columns") from None
    columns, errors = _check_header(header, header_row)
    by_name: dict[str, CustomerSpec] = {}
    count = 0
    for row, record in records:
        count += 1
        if len(record) > len(columns):
            hint = (
                f"; in a {delimiter!r}-separated file, put a cell with several values in quotes"
                if delimiter == LIST_SEP
                else ""
            )
            errors.append(
                RowError(
                    row,
                    "",
                    f"the row has {len(record)} cells; the header names {len(columns)}{hint}",
                )
            )
            continue
        cells = dict(zip(columns, record + [""] * (len(columns) - len(record)), strict=True))
        errors += _take_row(row, cells, vocab, by_name)
    if not count:
        errors.append(RowError(0, "", "the file has a header but no rows"))
    for spec in by_name.values():  # a column left blank on every row of a customer clears it
        for column in CUSTOMER_COLUMNS:
            if column in columns and column in _CLEARED and column not in spec.values:
                spec.values[column] = _CLEARED[column]
    return Parsed(columns=columns, customers=list(by_name.values()), errors=errors, rows=count)


def _take_row(
    row: int, cells: dict[str, str], vocab: Vocabulary, by_name: dict[str, CustomerSpec]
) -> list[RowError]:
    errors: list[RowError] = []
    try:
        name = clean_text(cells["customer"], "customer")
    except BadValue as exc:
        return [RowError(row, "customer", str(exc))]
    if not name:
        return [RowError(row, "customer", "missing customer name")]
    values: dict[str, Any] = {}
    for column, raw in cells.items():
        if column not in CUSTOMER_COLUMNS or not raw.strip():
            continue
        try:
            values[column] = _customer_value(column, raw, vocab)
        except BadValue as exc:
            errors.append(RowError(row, column, str(exc)))
    spec = by_name.setdefault(name.casefold(), CustomerSpec(name=name, rows=[], values={}))
    spec.rows.append(row)
    errors += _merge(spec, values, row)
    contact, contact_errors = _contact(row, cells, vocab)
    errors += contact_errors
    if contact is not None:
        first = next((c for c in spec.contacts if c.key == contact.key), None)
        if first is not None:
            what = "email" if contact.key[0] == "email" else "contact_name"
            shown = contact.values["email"] if what == "email" else contact.values["name"]
            errors.append(
                RowError(
                    row,
                    what,
                    f"duplicate contact {'email' if what == 'email' else 'name'} {shown!r} "
                    f"for customer {spec.name!r} (first on row {first.row})",
                )
            )
        else:
            spec.contacts.append(contact)
    return errors


def _customer_value(column: str, raw: str, vocab: Vocabulary) -> Any:
    if column == "plan":
        return clean_plan(raw, vocab)
    if column == "strategic":
        return clean_bool(raw, column)
    if column == "account_manager":
        return clean_manager(raw, vocab)
    if column == "components":
        return clean_components(split_list(raw), vocab)
    return clean_text(raw, column)


def _merge(spec: CustomerSpec, values: dict[str, Any], row: int) -> list[RowError]:
    errors: list[RowError] = []
    for column, value in values.items():
        if column not in spec.values:
            spec.values[column] = value
            spec.given[column] = row
            continue
        old = spec.values[column]
        same = set(old) == set(value) if column == "components" else old == value
        if not same:
            errors.append(
                RowError(
                    row,
                    column,
                    f"{column} differs from row {spec.given[column]} of the same customer "
                    f"({_show(value)} here, {_show(old)} there)",
                )
            )
    return errors


def _show(value: Any) -> str:
    if isinstance(value, list):
        return repr(LIST_SEP.join(value))
    return repr(value)


def _contact(
    row: int, cells: dict[str, str], vocab: Vocabulary
) -> tuple[ContactSpec | None, list[RowError]]:
    present = [c for c in CONTACT_COLUMNS if c in cells]
    if not any(cells[c].strip() for c in present):
        return None, []  # a customer without contacts
    errors: list[RowError] = []
    values: dict[str, Any] = {}
    for column in present:
        try:
            values[column] = _contact_value(column, cells[column], vocab)
        except BadValue as exc:
            errors.append(RowError(row, column, str(exc)))
    if "contact_name" in values and not values["contact_name"]:
        errors.append(RowError(row, "contact_name", "missing contact name"))
    if "channels" in values and not errors:
        try:
            check_channel_targets(
                values["channels"], email=values.get("email", ""), phone=values.get("phone", "")
            )
        except BadValue as exc:
            errors.append(RowError(row, "channels", str(exc)))
    if "contact_name" in values:
        values["name"] = values.pop("contact_name")
    return ContactSpec(row=row, values=values), errors


def _contact_value(column: str, raw: str, vocab: Vocabulary) -> Any:
    if column == "email":
        return clean_email(raw)
    if column == "phone":
        return normalise_phone(raw)
    if column == "language":
        return clean_language(raw, vocab)
    if column == "channels":
        return clean_channels(split_list(raw), vocab)
    return clean_text(raw, column)


# --- writing ------------------------------------------------------------------------------


def _cell(value: str, column: str) -> str:
    if column != "phone" and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write(rows: Iterable[Mapping[str, Any]], *, bom: bool = True) -> str:
    """The CSV of ``rows`` (column -> value; lists joined with ``;``), header first. The BOM
    makes spreadsheets read UTF-8 (Hebrew names) correctly; the importer skips it."""
    out = io.StringIO(newline="")
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        cells = []
        for column in COLUMNS:
            value = r.get(column, "")
            if isinstance(value, bool):
                value = "yes" if value else "no"
            elif isinstance(value, list | tuple):
                value = LIST_SEP.join(value)
            cells.append(_cell(str(value or ""), column))
        writer.writerow(cells)
    return out.getvalue()
