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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tidings.customers.csvreport import RowError
from tidings.customers.fields import (
    FORMULA_START,
    LIST_SEP,
    BadValue,
    Vocabulary,
    check_channel_targets,
    clean_bool,
    clean_channels,
    clean_components,
    clean_email,
    clean_language,
    clean_manager,
    clean_plan,
    clean_text,
    normalise_phone,
    split_list,
)

COLUMNS = (
    "customer", "plan", "strategic", "contract_ref", "account_manager", "components",
    "contact_name", "role", "email", "phone", "language", "channels",
)  # fmt: skip
CUSTOMER_COLUMNS = COLUMNS[1:6]
CONTACT_COLUMNS = COLUMNS[6:]
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
DEFAULT_PLAN = "standard"  # for a new customer whose file gives none
# What a blank cell means on every row of a customer; a blank plan keeps the plan it has.
_CLEARED: dict[str, Any] = {
    "strategic": False,
    "contract_ref": "",
    "account_manager": "",
    "components": [],
}


class CsvRejected(Exception):
    """The file as a whole cannot be read; ``message`` says why and what to do."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.too_large = too_large


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
        line = data.count(b"\n", 0, exc.start) + 1
        raise CsvRejected(
            f"the file is not UTF-8 text: line {line} has a byte UTF-8 does not use "
            f"(0x{data[exc.start]:02x} at offset {exc.start}), as files saved in a legacy encoding "
            "such as Windows-1255 or ISO-8859-8 do; save it from the spreadsheet as 'CSV UTF-8'"
        ) from None


def _too_large(size: int) -> str:
    return (
        f"the file is {size / 1_048_576:.1f} MB; the limit is {MAX_BYTES // 1_048_576} MB "
        f"and {MAX_ROWS:,} rows: split it into smaller files"
    )


def header_name(raw: str) -> str:
    return re.sub(r"[\s\-]+", "_", raw.strip().strip("\ufeff").strip().casefold())


def _sniff(first_line: str, columns: tuple[str, ...] = COLUMNS) -> str:
    """The delimiter that makes the header name the most known columns."""
    best, best_hits = ",", 0
    for delimiter in (",", ";", "\t"):
        try:
            names = next(csv.reader([first_line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        hits = sum(1 for n in names if header_name(n) in columns)
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
        name = header_name(raw)
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


def records(text: str, columns: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """Each record of a CSV file that has a cell, numbered as a spreadsheet shows it, header
    first; :class:`CsvRejected` when the file cannot be read. For other files than customers
    (``columns`` decide the delimiter), with the same checks and messages."""
    text, delimiter = _prepare(text, columns)
    return _records(text, delimiter)


def _prepare(text: str, columns: tuple[str, ...] = COLUMNS) -> tuple[str, str]:
    """The text without a BOM, and its delimiter; or :class:`CsvRejected`."""
    text = text.removeprefix("\ufeff")
    problem = _not_csv(text)
    if problem:
        raise CsvRejected(problem)
    if len(text) > MAX_BYTES:
        raise CsvRejected(_too_large(len(text.encode())), too_large=True)
    first_line = text.lstrip("\r\n").splitlines()[0] if text.strip() else ""
    return text, _sniff(first_line, columns)


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0  # numbered as a spreadsheet shows the file: every record counts, blank ones too
    while True:
        first_line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise CsvRejected(
                    _open_quote(first_line, number + 1, "the end of the file")
                ) from None
            if reader.line_num > first_line:  # e.g. "field larger than field limit"
                until = f"line {reader.line_num} and beyond"
                raise CsvRejected(_open_quote(first_line, number + 1, until)) from None
            raise CsvRejected(
                f"the file is not valid CSV on line {reader.line_num}: {exc}"
            ) from None
        number += 1
        if reader.line_num > first_line and any("\n" in c or "\r" in c for c in record):
            # No column holds a line break: a quote was left open and closed lines later.
            raise CsvRejected(_open_quote(first_line, number, f"line {reader.line_num}"))
        if number > MAX_ROWS + 1:
            raise CsvRejected(
                f"the file has more than {MAX_ROWS:,} rows: split it into smaller files",
                too_large=True,
            )
        if any(cell.strip() for cell in record):
            yield number, record  # else a blank line, or empty cells a spreadsheet left


def _open_quote(line: int, row: int, until: str) -> str:
    return (
        f'the file is not valid CSV: a quote (") opened on line {line} (row {row}) runs to '
        f"{until}, so those lines would be read as one cell; check the quotes on line {line} "
        '(a quote inside a cell is written twice: "")'
    )


#: Rows between two progress reports of a long import.
PROGRESS_EVERY = 500


def parse(text: str, vocab: Vocabulary, progress: Callable[[int], None] | None = None) -> Parsed:
    """Read and check every row; the customers it describes and every problem found.
    ``progress`` hears the number of rows read every :data:`PROGRESS_EVERY`."""
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
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
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


_PHONE_NUMBER = re.compile(r"\+\d{6,15}")


def _cell(value: str, column: str) -> str:
    """A cell a spreadsheet will not run as a formula; a phone number (+972...) is safe."""
    if value.startswith(FORMULA_START) and not (
        column == "phone" or _PHONE_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def write(
    rows: Iterable[Mapping[str, Any]], *, bom: bool = True, columns: tuple[str, ...] = COLUMNS
) -> str:
    """The CSV of ``rows`` (column -> value; lists joined with ``;``), header first. The BOM
    makes spreadsheets read UTF-8 (Hebrew names) correctly; the importer skips it."""
    return "".join(write_lines(rows, bom=bom, columns=columns))


def write_lines(
    rows: Iterable[Mapping[str, Any]], *, bom: bool = True, columns: tuple[str, ...] = COLUMNS
) -> Iterator[str]:
    """:func:`write`, a line at a time, for a response that streams a large file."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    yield ("\ufeff" if bom else "") + out.getvalue()
    for r in rows:
        out.seek(0)
        out.truncate()
        cells = []
        for column in columns:
            value = r.get(column, "")
            if isinstance(value, bool):
                value = "yes" if value else "no"
            elif isinstance(value, list | tuple):
                value = LIST_SEP.join(value)
            cells.append(_cell(str(value or ""), column))
        writer.writerow(cells)
        yield out.getvalue()
