"""WorkCalendar: working days, deadlines in working days and hours, office time elapsed. No database."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.core.exceptions import ImproperlyConfigured

from gridgov.worktime.calendar import MAX_WALK_DAYS, WorkCalendar, parse_office_hours, year_is_known
from gridgov.worktime.tests.helpers import FALLBACK_YEAR, SHANGHAI, at, make_calendar, weekday_in

H = dt.timedelta(hours=1)


@pytest.fixture
def cal() -> WorkCalendar:
    return make_calendar()


def test_library_facts_for_spring_festival_2026():
    """Sanity check of the facts the other tests rely on, taken from chinese-calendar itself."""
    for day in range(15, 24):
        assert not chinese_calendar.is_workday(dt.date(2026, 2, day)), day
    make_up_days = [dt.date(2026, 2, 14), dt.date(2026, 2, 28)]
    for day in make_up_days:
        assert day.weekday() == 5  # a Saturday
        assert chinese_calendar.is_workday(day)
    assert chinese_calendar.is_workday(dt.date(2026, 2, 13))  # Friday before
    assert chinese_calendar.is_workday(dt.date(2026, 2, 24))  # Tuesday after
    assert not chinese_calendar.is_workday(dt.date(2026, 3, 7))  # an ordinary Saturday
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(dt.date(FALLBACK_YEAR, 3, 1))


def test_year_is_known():
    assert year_is_known(2004)
    assert year_is_known(2026)
    assert not year_is_known(2003)
    assert not year_is_known(FALLBACK_YEAR)
    assert not year_is_known(0)


# Working days -------------------------------------------------------------------------------------------


def test_spring_festival_days_and_make_up_saturday(cal):
    assert cal.is_working_day(dt.date(2026, 2, 13))
    assert cal.is_working_day(dt.date(2026, 2, 14))  # 调休 Saturday
    assert not cal.is_working_day(dt.date(2026, 2, 15))  # Sunday inside the holiday
    assert not cal.is_working_day(dt.date(2026, 2, 16))  # Monday inside the holiday
    assert not cal.is_working_day(dt.date(2026, 2, 23))
    assert cal.is_working_day(dt.date(2026, 2, 24))
    assert cal.is_working_day(dt.date(2026, 2, 28))  # 调休 Saturday
    assert not cal.is_working_day(dt.date(2026, 3, 1))
    assert not cal.is_working_day(dt.date(2026, 3, 7))


def test_is_working_day_refuses_a_datetime(cal):
    with pytest.raises(TypeError):
        cal.is_working_day(at(2026, 3, 2, 10))


def test_unknown_year_falls_back_to_weekends(cal):
    monday = weekday_in(FALLBACK_YEAR, 3, 0)
    days = [monday + dt.timedelta(days=offset) for offset in range(7)]
    assert [cal.is_working_day(day) for day in days] == [True] * 5 + [False] * 2
    # 1 January is a holiday in every year, but the library does not know this year and nobody entered it.
    assert cal.is_working_day(dt.date(FALLBACK_YEAR, 1, 1)) == (dt.date(FALLBACK_YEAR, 1, 1).weekday() < 5)


def test_override_wins_over_the_library():
    cal = make_calendar(
        {
            dt.date(2026, 2, 14): False,  # the make-up Saturday cancelled
            dt.date(2026, 2, 16): True,  # a holiday Monday worked
            dt.date(2026, 3, 7): True,  # an ordinary Saturday worked
            dt.date(2026, 3, 9): False,  # an ordinary Monday off
        }
    )
    assert not cal.is_working_day(dt.date(2026, 2, 14))
    assert cal.is_working_day(dt.date(2026, 2, 16))
    assert cal.is_working_day(dt.date(2026, 3, 7))
    assert not cal.is_working_day(dt.date(2026, 3, 9))
    assert cal.is_working_day(dt.date(2026, 3, 10))  # untouched days still follow the library
    # Thursday 12 Feb + 2 working days: Fri 13th, then (Sat 14th cancelled, holiday) Mon 16th worked.
    assert cal.add_working_days(at(2026, 2, 12, 10), 2) == at(2026, 2, 16, 18)


def test_override_holiday_in_unknown_year_is_skipped():
    thursday = weekday_in(FALLBACK_YEAR, 3, 3)
    friday, monday = thursday + dt.timedelta(days=1), thursday + dt.timedelta(days=4)
    cal = make_calendar({friday: False})
    assert not cal.is_working_day(friday)
    start = dt.datetime.combine(thursday, dt.time(17, 0), tzinfo=SHANGHAI)
    assert cal.add_working_hours(start, 2) == dt.datetime.combine(monday, dt.time(9, 30), tzinfo=SHANGHAI)
    assert cal.add_working_days(start, 1) == dt.datetime.combine(monday, dt.time(18, 0), tzinfo=SHANGHAI)


def test_override_workday_in_unknown_year_counts():
    saturday = weekday_in(FALLBACK_YEAR, 3, 5)
    cal = make_calendar({saturday: True})
    friday_evening = dt.datetime.combine(saturday - dt.timedelta(days=1), dt.time(19, 0), tzinfo=SHANGHAI)
    expected = dt.datetime.combine(saturday, dt.time(18), tzinfo=SHANGHAI)
    assert cal.add_working_days(friday_evening, 1) == expected


# Working days deadlines -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (1, at(2026, 2, 13, 18)),  # Friday
        (2, at(2026, 2, 14, 18)),  # the make-up Saturday counts
        (3, at(2026, 2, 24, 18)),  # then the holiday Feb 15-23 is skipped
        (5, at(2026, 2, 26, 18)),
        (7, at(2026, 2, 28, 18)),  # the second make-up Saturday
        (8, at(2026, 3, 2, 18)),  # Sunday Mar 1 is not
    ],
)
def test_add_working_days_across_spring_festival(cal, days, expected):
    result = cal.add_working_days(at(2026, 2, 12, 10), days)
    assert result == expected
    assert result.tzinfo == ZoneInfo("Asia/Shanghai")


def test_add_working_days_start_day_never_counts(cal):
    # Early morning or late evening on Monday: the first day counted is Tuesday.
    assert cal.add_working_days(at(2026, 3, 2, 0, 5), 1) == at(2026, 3, 3, 18)
    assert cal.add_working_days(at(2026, 3, 2, 23, 55), 1) == at(2026, 3, 3, 18)


def test_add_working_days_start_on_a_holiday(cal):
    assert cal.add_working_days(at(2026, 2, 17, 9), 1) == at(2026, 2, 24, 18)
    # Start on Sunday Feb 22 (holiday): the 2nd working day after is Wed 25th.
    assert cal.add_working_days(at(2026, 2, 22, 15), 2) == at(2026, 2, 25, 18)


def test_add_working_days_zero_means_same_working_day(cal):
    assert cal.add_working_days(at(2026, 3, 2, 10), 0) == at(2026, 3, 2, 18)
    assert cal.add_working_days(at(2026, 3, 2, 18, 0), 0) == at(2026, 3, 3, 18)  # office closed: next day
    assert cal.add_working_days(at(2026, 2, 17, 10), 0) == at(2026, 2, 24, 18)  # holiday: next working day


def test_add_working_days_accepts_any_time_zone(cal):
    # 2026-02-12 23:30 UTC is Friday 13th 07:30 in Shanghai: Friday does not count, Saturday 14th does.
    start = dt.datetime(2026, 2, 12, 23, 30, tzinfo=dt.UTC)
    result = cal.add_working_days(start, 1)
    assert result == at(2026, 2, 14, 18)
    assert result.utcoffset() == dt.timedelta(hours=8)


def test_add_working_days_rejects_bad_counts(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(at(2026, 3, 2, 10), -1)
    with pytest.raises(ValueError, match=str(MAX_WALK_DAYS)):
        cal.add_working_days(at(2026, 3, 2, 10), MAX_WALK_DAYS + 1)
    with pytest.raises(TypeError):
        cal.add_working_days(at(2026, 3, 2, 10), 1.5)
    with pytest.raises(ValueError):
        cal.add_working_days(dt.datetime(2026, 3, 2, 10), 1)  # naive


def test_a_calendar_without_working_days_stops_with_value_error():
    first = dt.date(2026, 3, 1)
    cal = make_calendar({first + dt.timedelta(days=n): False for n in range(MAX_WALK_DAYS + 10)})
    with pytest.raises(ValueError, match=str(MAX_WALK_DAYS)):
        cal.add_working_days(at(2026, 3, 1, 10), 1)
    with pytest.raises(ValueError, match=str(MAX_WALK_DAYS)):
        cal.add_working_hours(at(2026, 3, 1, 10), 1)


# Working hours deadlines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2026, 3, 2, 9), 2, at(2026, 3, 2, 11)),  # inside the morning span
        (at(2026, 3, 2, 11), 2, at(2026, 3, 2, 15, 30)),  # across lunch: 1 h + 1 h from 14:30
        (at(2026, 3, 2, 17), 2, at(2026, 3, 3, 9, 30)),  # overnight: 1 h + 1 h from 08:30
        (at(2026, 3, 6, 17), 2, at(2026, 3, 9, 9, 30)),  # Friday to Monday
        (at(2026, 3, 2, 8, 30), 7, at(2026, 3, 2, 18)),  # a whole day ends at 18:00, not next morning
        (at(2026, 3, 2, 8, 30), 3.5, at(2026, 3, 2, 12)),  # a whole span ends at its end
        (at(2026, 3, 2, 7), 1, at(2026, 3, 2, 9, 30)),  # before office hours
        (at(2026, 3, 2, 12, 30), 1, at(2026, 3, 2, 15, 30)),  # during lunch
        (at(2026, 3, 2, 12, 0), 1, at(2026, 3, 2, 15, 30)),  # exactly at the end of a span
        (at(2026, 3, 2, 20), 1, at(2026, 3, 3, 9, 30)),  # after office hours
        (at(2026, 3, 2, 10), 24, at(2026, 3, 5, 15, 30)),  # 5.5 Mon, 7 Tue, 7 Wed, then 3.5 + 1 on Thu
        (at(2026, 2, 17, 9), 4, at(2026, 2, 24, 15)),  # start on a holiday
        (at(2026, 2, 13, 17), 2, at(2026, 2, 14, 9, 30)),  # into the make-up Saturday
        (at(2026, 2, 14, 17), 2, at(2026, 2, 24, 9, 30)),  # over the whole Spring Festival
        (at(2026, 3, 2, 9), Decimal("0.25"), at(2026, 3, 2, 9, 15)),
        (at(2026, 3, 2, 9), dt.timedelta(minutes=200), at(2026, 3, 2, 14, 50)),
    ],
)
def test_add_working_hours(cal, start, hours, expected):
    result = cal.add_working_hours(start, hours)
    assert result == expected
    assert result.tzinfo == ZoneInfo("Asia/Shanghai")


def test_add_working_hours_in_unknown_year_skips_weekend(cal):
    friday = weekday_in(FALLBACK_YEAR, 3, 4)
    start = dt.datetime.combine(friday, dt.time(17), tzinfo=SHANGHAI)
    expected = dt.datetime.combine(friday + dt.timedelta(days=3), dt.time(9, 30), tzinfo=SHANGHAI)
    assert cal.add_working_hours(start, 2) == expected


def test_add_working_hours_from_another_time_zone(cal):
    start = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)  # 11:00 in Shanghai
    result = cal.add_working_hours(start, 2)
    assert result == at(2026, 3, 2, 15, 30)
    assert result.tzinfo == ZoneInfo("Asia/Shanghai")
    assert result.hour == 15


def test_add_working_hours_zero_returns_start(cal):
    start = dt.datetime(2026, 3, 2, 20, 0, tzinfo=dt.UTC)
    assert cal.add_working_hours(start, 0) == start
    assert cal.add_working_hours(start, 0).tzinfo == ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("hours", [-1, float("nan"), float("inf"), Decimal("NaN"), dt.timedelta(hours=-1)])
def test_add_working_hours_rejects_bad_amounts(cal, hours):
    with pytest.raises(ValueError):
        cal.add_working_hours(at(2026, 3, 2, 10), hours)


def test_add_working_hours_rejects_non_numbers_and_naive_starts(cal):
    with pytest.raises(TypeError):
        cal.add_working_hours(at(2026, 3, 2, 10), "4")
    with pytest.raises(TypeError):
        cal.add_working_hours(at(2026, 3, 2, 10), True)
    with pytest.raises(ValueError):
        cal.add_working_hours(dt.datetime(2026, 3, 2, 10), 1)
    with pytest.raises(TypeError):
        cal.add_working_hours(dt.date(2026, 3, 2), 1)


def test_add_working_hours_refuses_more_than_the_walk_limit(cal):
    with pytest.raises(ValueError, match=str(MAX_WALK_DAYS)):
        cal.add_working_hours(at(2026, 3, 2, 10), 7 * MAX_WALK_DAYS + 1)


# Office time elapsed ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(2026, 3, 2, 11), at(2026, 3, 3, 9, 30), 5.5 * H),  # 1 + 3.5 + 1
        (at(2026, 3, 2, 12, 10), at(2026, 3, 2, 14, 20), 0 * H),  # lunch only
        (at(2026, 3, 2, 0), at(2026, 3, 3, 0), 7 * H),
        (at(2026, 3, 6, 17), at(2026, 3, 9, 9), 1.5 * H),  # weekend not counted
        (at(2026, 2, 13, 17), at(2026, 2, 24, 9), 8.5 * H),  # 1 Fri + 7 make-up Sat + 0.5
        (at(2026, 3, 2, 10), at(2026, 3, 2, 9), 0 * H),  # end before start
        (at(2026, 3, 2, 10), at(2026, 3, 2, 10), 0 * H),
    ],
)
def test_working_time_between(cal, start, end, expected):
    assert cal.working_time_between(start, end) == expected


def test_working_time_between_mixed_time_zones(cal):
    start = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)  # 11:00 Shanghai
    end = at(2026, 3, 2, 15)
    assert cal.working_time_between(start, end) == 1.5 * H


def test_working_time_between_is_bounded(cal):
    with pytest.raises(ValueError, match=str(MAX_WALK_DAYS)):
        cal.working_time_between(at(2000, 1, 1), at(2026, 1, 1))


# Office hours -------------------------------------------------------------------------------------------


def test_custom_office_hours():
    cal = make_calendar(office_hours=[("13:00", "17:00"), ("09:00", "12:00")])  # any order
    assert [(s.start, s.end) for s in cal.spans] == [(dt.time(9), dt.time(12)), (dt.time(13), dt.time(17))]
    assert cal.office_time_per_day == 7 * H
    assert cal.add_working_hours(at(2026, 3, 2, 16), 2) == at(2026, 3, 3, 10)
    assert cal.add_working_days(at(2026, 3, 2, 10), 1) == at(2026, 3, 3, 17)


def test_single_span_office_hours():
    cal = make_calendar(office_hours=[("09:00", "17:00")])
    assert cal.add_working_hours(at(2026, 3, 2, 16), 2) == at(2026, 3, 3, 10)
    assert cal.working_time_between(at(2026, 3, 2, 0), at(2026, 3, 4, 0)) == 16 * H


def test_touching_spans_are_allowed():
    spans = parse_office_hours([("08:00", "12:00"), ("12:00", "13:00")])
    assert len(spans) == 2


@pytest.mark.parametrize(
    ("office_hours", "message"),
    [
        ([], "non-empty"),
        ("08:30-12:00", "non-empty"),
        (None, "non-empty"),
        ([("08:30", "12:00"), ("11:00", "18:00")], "overlap"),
        ([("08:30", "12:00"), ("08:30", "12:00")], "overlap"),
        ([("12:00", "08:30")], "end after"),
        ([("12:00", "12:00")], "end after"),
        ([("8h30", "12:00")], "HH:MM"),
        ([("08:30", "24:00")], "HH:MM"),
        ([("08:61", "12:00")], "HH:MM"),
        ([("08:30",)], "pair"),
        ([("08:30", "12:00", "13:00")], "pair"),
        (["08:30"], "pair"),
    ],
)
def test_invalid_office_hours_are_refused(office_hours, message):
    with pytest.raises(ImproperlyConfigured, match=message) as excinfo:
        make_calendar(office_hours=office_hours)
    assert "GRIDGOV_OFFICE_HOURS" in str(excinfo.value)


# A calendar loaded for a date range ----------------------------------------------------------------------


def test_calendar_refuses_dates_outside_the_loaded_range():
    cal = make_calendar(covers=(dt.date(2026, 3, 1), dt.date(2026, 3, 31)))
    assert cal.is_working_day(dt.date(2026, 3, 2))
    with pytest.raises(ValueError, match="2026-04-01"):
        cal.is_working_day(dt.date(2026, 4, 1))
    with pytest.raises(ValueError):
        cal.add_working_days(at(2026, 3, 30, 10), 5)
