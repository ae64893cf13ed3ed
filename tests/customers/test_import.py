"""Dana loads the customer list from the sales spreadsheet, fixes it, exports it back."""

from __future__ import annotations

import pytest
from django.utils import translation

from tidings.components import services as components
from tidings.components.models import Component
from tidings.core.errors import InvalidInput
from tidings.customers import csvio, imports, services
from tidings.customers.models import Contact, Customer

HEADER = ",".join(csvio.COLUMNS)


def snapshot() -> list[tuple[object, ...]]:
    """Everything an import sets, in a comparable form."""
    out: list[tuple[object, ...]] = []
    for c in Customer.objects.order_by("name"):
        out.append(
            (
                c.name,
                c.plan,
                c.strategic,
                c.contract_ref,
                c.account_manager.username if c.account_manager else "",
                sorted(c.components.values_list("name", flat=True)),
                sorted(
                    (x.name, x.role, x.email, x.phone, x.language, tuple(x.channels))
                    for x in c.contacts.all()
                ),
            )
        )
    return out


def run(text: str | bytes, **kw) -> imports.ImportReport:
    return imports.import_customers(actor="dana", data=text, **kw)


@pytest.fixture
def sheet(dana, catalog) -> str:
    return (
        HEADER + "\n"
        "Globex Bank,enterprise,yes,MSA-1001,dana,API;Website,Noa Levi,CTO,noa@globex.example,"
        "+972 50-111-1111,he,email;sms\n"
        "Globex Bank,,,,,,Sam Carter,Head of support,sam@globex.example,,en,email\n"
        f"Initech,business,no,,,{catalog['Email']},Dana Cohen,Operations,,0044 20 7111 1111,en,sms\n"
        "Hooli,free,,,,,,,,,,\n"
    )


def test_a_spreadsheet_of_customers_and_contacts_is_imported(sheet, catalog):
    report = run(sheet)
    assert report.errors == []
    assert report.created.as_dict() == {"customers": 3, "contacts": 3}
    globex = Customer.objects.get(name="Globex Bank")
    assert (globex.plan, globex.strategic, globex.contract_ref) == ("enterprise", True, "MSA-1001")
    assert globex.account_manager.username == "dana"
    assert set(globex.components.values_list("public_id", flat=True)) == {
        catalog["API"],
        catalog["Website"],
    }
    noa = Contact.objects.get(email="noa@globex.example")
    assert (noa.phone, noa.language, noa.channels) == ("+972501111111", "he", ["email", "sms"])
    dana_cohen = Contact.objects.get(name="Dana Cohen")
    assert dana_cohen.phone == "+442071111111" and dana_cohen.email == ""
    assert not Customer.objects.get(name="Hooli").contacts.exists()


def test_importing_the_same_file_again_changes_nothing(sheet):
    run(sheet)
    before = snapshot()
    report = run(sheet)
    assert report.created.as_dict() == {"customers": 0, "contacts": 0}
    assert report.updated.as_dict() == {"customers": 0, "contacts": 0}
    assert report.unchanged.as_dict() == {"customers": 3, "contacts": 3}
    assert snapshot() == before


def test_customers_are_updated_by_name_and_contacts_by_email_or_name(sheet):
    run(sheet)
    report = run(
        "customer,plan,contact_name,role,email,phone\n"
        "GLOBEX BANK,business,Noa Levi-Cohen,CEO,NOA@globex.example,\n"  # same contact: email
        "Initech,,Dana Cohen,Head of operations,,+442071111111\n"  # same contact: name
        "Initech,,Avi,,avi@initech.example,\n"  # a new one
    )
    assert report.errors == []
    # Initech itself is as it was: only Globex counts as an updated customer
    assert report.updated.as_dict() == {"customers": 1, "contacts": 2}
    assert report.created.as_dict() == {"customers": 0, "contacts": 1}
    globex = Customer.objects.get(name="GLOBEX BANK")  # renamed to the spelling of the file
    assert globex.plan == "business" and globex.strategic  # a column not in the file is kept
    noa = globex.contacts.get(email__iexact="noa@globex.example")
    assert (noa.name, noa.role, noa.phone) == ("Noa Levi-Cohen", "CEO", "")
    assert noa.channels == ["email", "sms"]  # no channels column: left alone
    assert Contact.objects.filter(customer__name="Initech").count() == 2
    assert Contact.objects.get(name="Dana Cohen").role == "Head of operations"


def test_a_column_left_blank_for_a_customer_clears_it_but_a_blank_plan_keeps_the_plan(sheet):
    run(sheet)
    report = run(
        "customer,plan,strategic,contract_ref,account_manager,components\nGlobex Bank,,,,,\n"
    )
    assert report.updated.as_dict() == {"customers": 1, "contacts": 0}
    globex = Customer.objects.get(name="Globex Bank")
    assert (globex.plan, globex.strategic, globex.contract_ref) == ("enterprise", False, "")
    assert globex.account_manager is None and not globex.components.exists()
    assert globex.contacts.count() == 2  # no contact columns: contacts untouched


def test_every_problem_is_reported_with_its_row_and_nothing_is_half_imported(dana, catalog):
    Customer.objects.create(name="Existing", plan="free")
    before = snapshot()
    text = (
        HEADER + "\n"
        "Fine Corp,standard,no,,,API,Ok Person,,ok@fine.example,,en,email\n"  # row 2: valid
        ",standard,no,,,,Nobody,,n@x.example,,en,email\n"  # 3
        "Acme,platinum,no,,,,A,,a@acme.example,,en,email\n"  # 4
        "Acme,,,,,Teleportation,B,,b@acme.example,,en,email\n"  # 5
        "Acme,,,,,,C,,c@@acme,,en,email\n"  # 6
        "Acme,,,,,,D,,d@acme.example,050-1234567,en,sms\n"  # 7
        "Acme,,,,,,E,,e@acme.example,,fr,email\n"  # 8
        "Acme,,,,,,F,,f@acme.example,,en,pigeon\n"  # 9
        "Acme,,,,bob,,G,,g@acme.example,,en,email\n"  # 10
        "Acme,,,,,,H,,A@ACME.example,,en,email\n"  # 11: same email as row 4
        "Existing,gold,maybe,,,,,,,,,\n"  # 12: two problems on one row
    )
    report = run(text)
    assert [(e.row, e.column) for e in report.errors] == [
        (3, "customer"),
        (4, "plan"),
        (5, "components"),
        (6, "email"),
        (7, "phone"),
        (8, "language"),
        (9, "channels"),
        (10, "account_manager"),
        (11, "email"),
        (12, "plan"),
        (12, "strategic"),
    ]
    messages = {e.row: e.message for e in report.errors}
    assert messages[3] == "missing customer name"
    assert "unknown plan 'platinum'" in messages[4]
    assert "unknown component 'Teleportation'" in messages[5]
    assert "not a valid email" in messages[6]
    assert "E.164" in messages[7]
    assert "unknown language 'fr'" in messages[8]
    assert "unknown channel 'pigeon'" in messages[9]
    assert "unknown account manager 'bob'" in messages[10]
    assert "duplicate contact email" in messages[11] and "row 4" in messages[11]
    assert report.created.as_dict() == {"customers": 0, "contacts": 0}
    assert snapshot() == before  # not even the valid row 2
    with translation.override("he"):  # staff reading the report in Hebrew
        hebrew = {e.row: e.message for e in run(text).errors}
    assert hebrew[4] == "תוכנית לא מוכרת 'platinum'; אפשר: business, enterprise, free, standard"
    assert hebrew[5] == "רכיב לא מוכר 'Teleportation'"
    assert hebrew[9].startswith("ערוץ לא מוכר 'pigeon'")
    assert "E.164" in hebrew[7] and "בינלאומית" in hebrew[7]


def test_a_dry_run_counts_but_writes_nothing(sheet):
    report = run(sheet, dry_run=True)
    assert report.ok and report.dry_run
    assert report.created.as_dict() == {"customers": 3, "contacts": 3}
    assert not Customer.objects.exists() and not Contact.objects.exists()


def test_a_semicolon_file_from_excel_with_bom_and_crlf_is_imported(dana, catalog):
    data = (
        "\ufeff" + ";".join(csvio.COLUMNS) + "\r\n"
        'בנק גלובקס;enterprise;כן;;dana;"API;Website";נועה לוי;מנכ"לית;noa@globex.example;'
        '+972501111111;עברית;"email;whatsapp"\r\n'
    ).encode()
    report = run(data)
    assert report.errors == []
    c = Customer.objects.get(name="בנק גלובקס")
    assert c.strategic and c.components.count() == 2
    noa = c.contacts.get()
    assert (noa.role, noa.language, noa.channels) == ('מנכ"לית', "he", ["email", "whatsapp"])


def test_a_file_that_is_not_csv_is_one_clear_error(dana):
    report = run(b"PK\x03\x04\x14\x00\x06\x00 workbook")
    [e] = report.errors
    assert (e.row, e.column) == (0, "")
    assert "Excel workbook" in e.message and "CSV UTF-8" in e.message
    assert not Customer.objects.exists()


def test_export_then_import_gives_back_the_same_data(sheet, catalog):
    run(sheet)
    Customer.objects.create(name='Quotes, "commas" & =formulas', plan="free")
    components.create_component(actor="dana", name="Search;Index")  # exported by id
    odd = Customer.objects.get(name="Hooli")
    odd.components.set(Component.objects.filter(name="Search;Index"))
    Contact.objects.create(
        customer=odd, name="נועה \u200f(QA)", role="-lead", email="", phone="", channels=[]
    )
    before = snapshot()
    exported = imports.export_customers()
    assert exported.startswith("\ufeff" + HEADER + "\r\n")

    Customer.objects.all().delete()
    report = run(exported.encode())
    assert report.errors == []
    assert report.created.as_dict() == {"customers": 4, "contacts": 4}
    assert snapshot() == before
    assert imports.export_customers() == exported

    again = run(exported)
    assert again.unchanged.as_dict() == {"customers": 4, "contacts": 4}
    assert again.updated.as_dict() == {"customers": 0, "contacts": 0}


def test_the_size_limit_is_a_clear_error(dana):
    report = run(b"customer\n" + b"x" * (csvio.MAX_BYTES + 1))
    assert report.too_large
    assert "the limit is 5 MB" in report.errors[0].message


def test_a_manager_who_left_stays_on_their_customers_but_takes_no_new_one(sheet):
    run(sheet)
    dana = Customer.objects.get(name="Globex Bank").account_manager
    dana.is_active = False  # Dana left the company; Globex is still hers until reassigned
    dana.save()
    exported = imports.export_customers()

    again = run(exported)  # the exported file re-imports as it is
    assert again.errors == []
    assert again.unchanged.as_dict() == {"customers": 3, "contacts": 3}

    moved = exported.replace("\r\nHooli,free,no,,,", "\r\nHooli,free,no,,dana,")
    assert moved != exported
    report = run(moved)
    [error] = report.errors
    assert error.column == "account_manager" and "no longer active staff" in error.message
    assert Customer.objects.get(name="Hooli").account_manager is None  # nothing written

    with pytest.raises(InvalidInput, match="no longer active staff"):
        services.change_customer(
            actor="erez", customer=Customer.objects.get(name="Initech"), account_manager="dana"
        )


def test_a_contact_is_only_given_channels_that_can_reach_them(dana, catalog):
    report = run(HEADER + "\nGlobex Bank,,,,,,Noa Levi,CTO,noa@globex.example,,en,email;telegram\n")
    [error] = report.errors
    assert error.column == "channels"
    assert "unknown channel 'telegram'; use email, none, sms, whatsapp" in error.message
    assert not Customer.objects.exists()

    # A contact who turned every channel off exports as "none" and re-imports as such.
    assert run(HEADER + "\nGlobex Bank,,,,,,Noa Levi,CTO,noa@globex.example,,en,none\n").ok
    assert Contact.objects.get().channels == ["none"]
    assert run(imports.export_customers()).unchanged.as_dict() == {"customers": 1, "contacts": 1}
    run(HEADER + "\nGlobex Bank,,,,,,Noa Levi,CTO,noa@globex.example,,en,none;email\n")
    assert Contact.objects.get().channels == ["email"]
