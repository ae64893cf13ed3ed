"""The CSV format on its own: no database, just text in and rows or problems out."""

from __future__ import annotations

import codecs

import pytest

from tidings.customers import csvio, fields

VOCAB = fields.Vocabulary(
    plans=frozenset({"free", "standard", "business", "enterprise"}),
    languages={"en": "en", "he": "he", "english": "en", "hebrew": "he"},
    channels=frozenset({"email", "sms", "whatsapp", "slack"}),
    components={"cmpapi000001": "cmpapi000001", "api": "cmpapi000001", "web": "cmpweb000001"},
    ambiguous_components=frozenset({"search"}),
    managers={"dana": "dana"},
)
HEADER = ",".join(csvio.COLUMNS)


def parse(text: str) -> csvio.Parsed:
    return csvio.parse(text, VOCAB)


def test_a_customer_with_two_contacts_becomes_one_customer_spec():
    p = parse(
        HEADER + "\n"
        "Globex,enterprise,yes,MSA-1,dana,API;Web,Noa,CTO,noa@globex.example,+972 50-111-1111,he,email;sms\n"
        "Globex,,,,,,Sam,Support,sam@globex.example,,en,email\n"
    )
    assert p.errors == []
    [g] = p.customers
    assert g.values == {
        "plan": "enterprise",
        "strategic": True,
        "contract_ref": "MSA-1",
        "account_manager": "dana",
        "components": ["cmpapi000001", "cmpweb000001"],
    }
    noa, sam = g.contacts
    assert noa.row == 2 and sam.row == 3
    assert noa.values["phone"] == "+972501111111"
    assert noa.values["channels"] == ["email", "sms"] and noa.values["language"] == "he"


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("+972 50-111-1111", "+972501111111"),
        ("00972501111111", "+972501111111"),
        ("+1 (212) 555-0100", "+12125550100"),
        ("\u200e+44 20 7111 1111", "+442071111111"),  # a left-to-right mark pasted from a page
    ],
)
def test_phones_are_normalised_to_e164(typed, e164):
    assert fields.normalise_phone(typed) == e164


@pytest.mark.parametrize("typed", ["050-1111111", "+0123456789", "+97250abc", "+1234"])
def test_phones_that_are_not_e164_are_refused(typed):
    with pytest.raises(fields.BadValue, match=r"E\.164"):
        fields.normalise_phone(typed)


def test_a_semicolon_file_with_a_bom_and_windows_line_endings_is_read():
    text = (
        "\ufeff" + ";".join(csvio.COLUMNS) + "\r\n"
        'גלובקס;business;no;;;"API;Web";נועה לוי;;noa@globex.example;+972 50 111 1111;he;"email;sms"\r\n'
        "\r\n"
    )
    data = text.encode("utf-8")
    p = parse(csvio.decode(data))
    assert p.errors == []
    [c] = p.customers
    assert c.name == "גלובקס"
    assert c.values["components"] == ["cmpapi000001", "cmpweb000001"]
    assert c.contacts[0].values["name"] == "נועה לוי"


def test_utf16_with_a_bom_and_tabs_is_read():
    text = "\t".join(csvio.COLUMNS) + "\r\nGlobex\tfree" + "\t" * 10 + "\r\n"
    p = parse(csvio.decode(codecs.BOM_UTF16_LE + text.encode("utf-16-le")))
    assert p.errors == [] and p.customers[0].values["plan"] == "free"


def test_several_values_unquoted_in_a_semicolon_file_get_a_hint():
    text = ";".join(csvio.COLUMNS) + "\nGlobex;free;;;;API;Web;N;;n@x.example;;en;email\n"
    [e] = parse(text).errors
    assert e.row == 2 and "in quotes" in e.message


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"%PDF-1.7\n", "PDF"),
        ("שלום".encode("cp1255"), "not UTF-8"),
        (b'{"customers": []}', "JSON"),
        (b"<html><body>hi</body></html>", "HTML"),
        (b"just some notes\nabout customers\n", "first row must name the columns"),
        (b"", "empty"),
        (b"\x00\x01\x02binary", "binary"),
    ],
)
def test_a_file_that_is_not_a_customers_csv_is_refused_with_a_reason(data, says):
    with pytest.raises(csvio.CsvRejected) as exc:
        parse(csvio.decode(data))
    assert says in exc.value.message


def test_a_header_without_rows_and_unknown_columns_are_reported():
    assert [e.message for e in parse(HEADER + "\n").errors] == ["the file has a header but no rows"]
    errors = parse("customer,plan,colour\nGlobex,free,red\n").errors
    assert [(e.row, e.column) for e in errors] == [(1, "colour")]


def test_too_many_rows_is_refused_before_anything_is_checked():
    text = "customer\n" + "".join(f"c{i}\n" for i in range(csvio.MAX_ROWS + 1))
    with pytest.raises(csvio.CsvRejected) as exc:
        parse(text)
    assert exc.value.too_large and "50,000 rows" in exc.value.message
    most = "customer\n" + "".join(f"c{i}\n" for i in range(csvio.MAX_ROWS))
    assert len(parse(most).customers) == csvio.MAX_ROWS


def test_too_many_bytes_is_refused():
    with pytest.raises(csvio.CsvRejected) as exc:
        csvio.decode(b"customer\n" + b"x" * csvio.MAX_BYTES)
    assert exc.value.too_large and "the limit is 5 MB" in exc.value.message


def test_one_customer_cannot_have_two_plans_but_may_give_it_once():
    p = parse(
        "customer,plan,contact_name,email\n"
        "Globex,business,Noa,noa@x.example\n"
        "Globex,,Sam,sam@x.example\n"
        "globex,enterprise,Lee,lee@x.example\n"
    )
    [e] = p.errors
    assert (e.row, e.column) == (4, "plan")
    assert "differs from row 2" in e.message


def test_components_named_by_a_name_several_share_must_be_named_by_id():
    [e] = parse("customer,components\nGlobex,Search\n").errors
    assert e.column == "components" and "use the id" in e.message


def test_a_channel_needs_its_target():
    errors = parse("customer,contact_name,email,phone,channels\nGlobex,Noa,,,email;sms\n").errors
    assert [(e.column, e.message) for e in errors] == [
        ("channels", "channel 'email' needs an email address")
    ]


def test_export_quotes_cells_a_spreadsheet_would_run_as_formulas_and_import_undoes_it():
    text = csvio.write(
        [{"customer": "=HYPERLINK(1)", "contact_name": "@Noa", "phone": "+972501111111"}]
    )
    assert "'=HYPERLINK(1)" in text and "'@Noa" in text and ",+972501111111," in text
    p = parse(text)
    assert p.errors == []
    assert p.customers[0].name == "=HYPERLINK(1)"
    assert p.customers[0].contacts[0].values["name"] == "@Noa"
