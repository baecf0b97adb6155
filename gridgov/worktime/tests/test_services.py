"""calendar_override_set and calendar_override_delete."""

import datetime as dt

import pytest

from gridgov.core.exceptions import InvalidInput
from gridgov.worktime.models import CalendarOverride
from gridgov.worktime.services import calendar_override_delete, calendar_override_set

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 2, 8)


def test_set_creates_an_override():
    override = calendar_override_set(actor=None, date=DAY, kind="holiday", name="  春节 ")
    stored = CalendarOverride.objects.get(date=DAY)
    assert stored.pk == override.pk
    assert stored.kind == CalendarOverride.Kind.HOLIDAY
    assert stored.name == "春节"
    assert not stored.is_working_day


def test_set_updates_the_existing_override_for_the_date():
    first = calendar_override_set(actor=None, date=DAY, kind="holiday", name="春节")
    second = calendar_override_set(actor=None, date=DAY, kind="workday", name="春节调休")
    assert CalendarOverride.objects.count() == 1
    stored = CalendarOverride.objects.get()
    assert stored.pk == first.pk == second.pk
    assert (stored.kind, stored.name) == ("workday", "春节调休")
    assert stored.is_working_day
    assert stored.updated_at >= first.updated_at
    assert stored.created_at == first.created_at


def test_set_with_the_same_values_changes_nothing():
    calendar_override_set(actor=None, date=DAY, kind="holiday", name="春节")
    before = CalendarOverride.objects.get().updated_at
    calendar_override_set(actor=None, date=DAY, kind="holiday", name="春节")
    assert CalendarOverride.objects.get().updated_at == before


@pytest.mark.parametrize(
    ("kind", "name", "field"),
    [
        ("vacation", "春节", "kind"),
        ("holiday", "", "name"),
        ("holiday", "   ", "name"),
        ("holiday", "节" * 51, "name"),
    ],
)
def test_set_rejects_invalid_input_and_writes_nothing(kind, name, field):
    with pytest.raises(InvalidInput) as excinfo:
        calendar_override_set(actor=None, date=DAY, kind=kind, name=name)
    assert field in excinfo.value.fields
    assert not CalendarOverride.objects.exists()


def test_invalid_update_keeps_the_stored_row():
    calendar_override_set(actor=None, date=DAY, kind="holiday", name="春节")
    with pytest.raises(InvalidInput):
        calendar_override_set(actor=None, date=DAY, kind="nonsense", name="别的")
    stored = CalendarOverride.objects.get()
    assert (stored.kind, stored.name) == ("holiday", "春节")


def test_delete_removes_only_that_date():
    calendar_override_set(actor=None, date=DAY, kind="holiday", name="春节")
    calendar_override_set(actor=None, date=DAY + dt.timedelta(days=1), kind="holiday", name="春节")
    assert calendar_override_delete(actor=None, date=DAY) is True
    assert list(CalendarOverride.objects.values_list("date", flat=True)) == [DAY + dt.timedelta(days=1)]


def test_delete_of_a_missing_date_returns_false():
    assert calendar_override_delete(actor=None, date=DAY) is False


def test_services_take_the_actor_keyword_only():
    with pytest.raises(TypeError):
        calendar_override_set(None, DAY, "holiday", "春节")  # type: ignore[misc]
