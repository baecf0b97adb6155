"""Shared helpers for the worktime tests."""

import datetime as dt
from zoneinfo import ZoneInfo

from gridgov.worktime.calendar import WorkCalendar, year_is_known

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE_HOURS = [("08:30", "12:00"), ("14:30", "18:00")]

# The first year after 2026 that chinese-calendar has no data for (2027 with chinese-calendar 1.11.0).
# Tests of the weekend fallback use it, so that they keep testing the fallback when the library learns 2027.
FALLBACK_YEAR = next(year for year in range(2027, 2200) if not year_is_known(year))


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, tz: dt.tzinfo = SHANGHAI
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


def weekday_in(year: int, month: int, weekday: int, nth: int = 1) -> dt.date:
    """The ``nth`` given weekday (0 = Monday) of a month."""
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def make_calendar(overrides: dict[dt.date, bool] | None = None, **kwargs: object) -> WorkCalendar:
    kwargs.setdefault("office_hours", OFFICE_HOURS)
    kwargs.setdefault("tz", SHANGHAI)
    return WorkCalendar(overrides=overrides, **kwargs)
