"""``__any``: the delivery worker's membership test for long lists of ids, one array on
PostgreSQL and ``IN`` elsewhere, must pick exactly the rows ``__in`` picks."""

import pytest

from tidings.components.models import Component
from tidings.components.services import create_component

pytestmark = pytest.mark.django_db


def test_any_picks_what_in_picks_for_reads_and_writes() -> None:
    made = [create_component(actor="t", name=f"C{i}") for i in range(12)]
    ids = [c.pk for c in made[::2]] + [10**9]  # an id nobody has is no harm
    assert (
        set(Component.objects.filter(id__any=ids).values_list("id", flat=True))
        == set(Component.objects.filter(id__in=ids).values_list("id", flat=True))
        == {c.pk for c in made[::2]}
    )
    assert Component.objects.filter(pk__any=set(ids)).update(description="half") == 6
    assert Component.objects.filter(description="half").count() == 6


def test_any_of_nothing_is_no_row_and_no_query_error() -> None:
    create_component(actor="t", name="Only")
    assert list(Component.objects.filter(id__any=[])) == []
    assert Component.objects.exclude(id__any=[]).count() == 1
