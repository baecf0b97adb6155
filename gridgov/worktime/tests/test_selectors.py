"""Selectors and get_calendar: what is read from the override table and the settings."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from gridgov.worktime.calendar import get_calendar
from gridgov.worktime.selectors import calendar_override_map, holidays_missing_message, years_needing_holidays
from gridgov.worktime.services import calendar_override_set
from gridgov.worktime.tests.helpers import FALLBACK_YEAR, at, weekday_in

pytestmark = pytest.mark.django_db


def test_years_needing_holidays_lists_unknown_years_without_holiday_overrides():
    year_before = dt.date(FALLBACK_YEAR - 1, 11, 29)  # the library knows this year, not the next
    assert years_needing_holidays(year_before) == [FALLBACK_YEAR]
    assert years_needing_holidays(dt.date(FALLBACK_YEAR, 3, 1)) == [FALLBACK_YEAR, FALLBACK_YEAR + 1]
    assert years_needing_holidays(dt.date(2025, 6, 1)) == []


def test_a_holiday_override_marks_the_year_as_entered_but_a_workday_override_does_not():
    today = dt.date(FALLBACK_YEAR - 1, 11, 29)
    calendar_override_set(actor=None, date=weekday_in(FALLBACK_YEAR, 2, 5), kind="workday", name="春节调休")
    assert years_needing_holidays(today) == [FALLBACK_YEAR]
    calendar_override_set(actor=None, date=dt.date(FALLBACK_YEAR, 1, 1), kind="holiday", name="元旦")
    assert years_needing_holidays(today) == []
    # A holiday entered for the year after does not count for this one.
    assert years_needing_holidays(dt.date(FALLBACK_YEAR, 3, 1)) == [FALLBACK_YEAR + 1]


def test_years_needing_holidays_uses_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        years_needing_holidays(dt.date(FALLBACK_YEAR, 3, 1))
    with django_assert_num_queries(0):
        years_needing_holidays(dt.date(2025, 6, 1))  # both years known: nothing to ask the database


def test_holidays_missing_message_names_the_year():
    assert f"{FALLBACK_YEAR} 年的法定节假日尚未录入" in holidays_missing_message(FALLBACK_YEAR)


def test_calendar_override_map_in_a_range():
    calendar_override_set(actor=None, date=dt.date(2026, 3, 9), kind="holiday", name="县庆")
    calendar_override_set(actor=None, date=dt.date(2026, 3, 14), kind="workday", name="补班")
    calendar_override_set(actor=None, date=dt.date(2026, 5, 1), kind="workday", name="补班")
    assert calendar_override_map(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31)) == {
        dt.date(2026, 3, 9): False,
        dt.date(2026, 3, 14): True,
    }
    assert len(calendar_override_map()) == 3


def test_get_calendar_reads_overrides_in_one_query(django_assert_num_queries):
    calendar_override_set(actor=None, date=dt.date(2026, 3, 3), kind="holiday", name="县庆")
    with django_assert_num_queries(1):
        cal = get_calendar()
    with django_assert_num_queries(0):
        # Mon 2 Mar 17:00 + 2 h: Tue 3 is the county's holiday, so Wed 4 at 09:30.
        assert cal.add_working_hours(at(2026, 3, 2, 17), 2) == at(2026, 3, 4, 9, 30)


def test_get_calendar_for_a_range_refuses_dates_outside_it():
    cal = get_calendar(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    assert cal.is_working_day(dt.date(2026, 3, 2))
    with pytest.raises(ValueError):
        cal.is_working_day(dt.date(2026, 4, 1))
    with pytest.raises(ValueError):
        get_calendar(start=dt.date(2026, 3, 1))


def test_get_calendar_uses_the_settings(settings):
    settings.GRIDGOV_OFFICE_HOURS = [("09:00", "17:00")]
    settings.TIME_ZONE = "UTC"
    cal = get_calendar()
    result = cal.add_working_hours(dt.datetime(2026, 3, 2, 16, tzinfo=dt.UTC), 2)
    assert result == dt.datetime(2026, 3, 3, 10, tzinfo=dt.UTC)
    assert result.utcoffset() == dt.timedelta(0)


def test_get_calendar_refuses_bad_office_hours(settings):
    settings.GRIDGOV_OFFICE_HOURS = [("08:30", "12:00"), ("11:30", "18:00")]
    with pytest.raises(ImproperlyConfigured, match="overlap"):
        get_calendar()
    del settings.GRIDGOV_OFFICE_HOURS
    with pytest.raises(ImproperlyConfigured, match="GRIDGOV_OFFICE_HOURS"):
        get_calendar()
