"""Components and groups are named per language and found by a stable slug."""

import pytest
from django.db import transaction

from tidings.components import services
from tidings.components.rules import check_slug, slug_for
from tidings.core.errors import InvalidInput, NotFound


def test_a_slug_is_made_from_the_name_and_kept_free():
    assert slug_for("Checkout API", [], fallback="component") == "checkout-api"
    assert slug_for("Checkout API", ["checkout-api"], fallback="component") == "checkout-api-2"
    assert slug_for("קופה", [], fallback="component") == "component"
    assert slug_for("קופה", ["component"], fallback="component") == "component-2"


@pytest.mark.parametrize("bad", ["", "Has Space", "under_score", "-edge", "a--b", "x" * 65])
def test_an_unusable_slug_is_refused(bad):
    with pytest.raises(ValueError, match="slug"):
        check_slug(bad)


def test_dana_names_a_component_in_both_languages_and_finds_it_by_slug(db, dana):
    with transaction.atomic():
        c = services.create_component(actor="dana", name={"en": "Checkout", "he": "קופה"})
    assert (c.name, c.names, c.slug) == ("Checkout", {"en": "Checkout", "he": "קופה"}, "checkout")
    assert services.find_component("checkout") == c
    assert services.find_component(c.public_id) == c
    with pytest.raises(NotFound, match="nope"):
        services.find_component("nope")


def test_a_taken_slug_or_a_name_with_a_line_break_is_refused(db):
    with transaction.atomic():
        services.create_component(actor="dana", name="Checkout")
    with pytest.raises(InvalidInput, match="taken"):
        services.create_component(actor="dana", name="Payments", slug="checkout")
    with pytest.raises(InvalidInput, match="single line"):
        services.create_component(actor="dana", name={"en": "Pay\r\nments"})
    with pytest.raises(InvalidInput, match="needs a name"):
        services.create_component(actor="dana", name="  ")


def test_renaming_a_group_keeps_names_unique(db):
    with transaction.atomic():
        core = services.create_group(actor="dana", name="Core")
        services.create_group(actor="dana", name="Extras")
        services.change_group(actor="dana", group=core, name={"en": "Platform", "he": "פלטפורמה"})
    core.refresh_from_db()
    assert (core.name, core.names["he"]) == ("Platform", "פלטפורמה")
    with pytest.raises(InvalidInput, match="exists already"):
        services.change_group(actor="dana", group=core, name="Extras")
