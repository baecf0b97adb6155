"""Reads of the working-time calendar's data. The override table is county-wide: no per-user scope."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.worktime.calendar import year_is_known
from gridgov.worktime.models import CalendarOverride


def calendar_override_list(
    *, start: dt.date | None = None, end: dt.date | None = None, year: int | None = None
) -> QuerySet[CalendarOverride]:
    """Overrides in date order, optionally limited to ``start``..``end`` (inclusive) and/or one year."""
    queryset = CalendarOverride.objects.order_by("date")
    if start is not None:
        queryset = queryset.filter(date__gte=start)
    if end is not None:
        queryset = queryset.filter(date__lte=end)
    if year is not None:
        queryset = queryset.filter(date__range=(dt.date(year, 1, 1), dt.date(year, 12, 31)))
    return queryset


def calendar_override_map(*, start: dt.date | None = None, end: dt.date | None = None) -> dict[dt.date, bool]:
    """``{date: is_working_day}`` for every override (in ``start``..``end`` if given), in one query."""
    rows = calendar_override_list(start=start, end=end).values_list("date", "kind")
    return {day: kind == CalendarOverride.Kind.WORKDAY for day, kind in rows}


def years_needing_holidays(today: dt.date | None = None) -> list[int]:
    """This year and next year, where chinese-calendar does not know the year and the county has not entered
    a single holiday (放假) override in it yet: the admin must enter that year's holidays.

    The State Council publishes the next year's holidays late in the year, so next year shows up here in the
    autumn until the library is upgraded or the county enters the days.
    """
    if today is None:
        today = timezone.localdate()
    unknown = [year for year in (today.year, today.year + 1) if not year_is_known(year)]
    if not unknown:
        return []
    entered = set(
        CalendarOverride.objects.filter(
            kind=CalendarOverride.Kind.HOLIDAY,
            date__range=(dt.date(min(unknown), 1, 1), dt.date(max(unknown), 12, 31)),
        )
        .values_list("date__year", flat=True)
        .distinct()
    )
    return [year for year in unknown if year not in entered]


def holidays_missing_message(year: int) -> str:
    """What to tell the admin about a year from :func:`years_needing_holidays`."""
    return _(
        "%(year)s 年的法定节假日尚未录入：工作日历暂按周一至周五计算。"
        "请按国务院办公厅的放假通知录入该年的放假和调休上班日期。"
    ) % {"year": year}
