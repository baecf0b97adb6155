"""The working-time calendar (工作日历): every deadline in gridgov runs in working days or working hours.

Which days are working days
    1. A county override (:class:`~gridgov.worktime.models.CalendarOverride`) decides, for any date it names.
    2. Otherwise chinese-calendar decides, for the years it has the State Council's notices for.
    3. Otherwise (a year the library does not know, which raises ``NotImplementedError``) Monday to Friday
       are working days. The county must then enter that year's holidays and make-up days as overrides;
       :func:`gridgov.worktime.selectors.years_needing_holidays` says which years still need them.

Working time
    Only time inside the office-hour spans of a working day counts: setting ``GRIDGOV_OFFICE_HOURS``,
    wall-clock ``"HH:MM"`` pairs in ``settings.TIME_ZONE``. Every result is an aware datetime in
    ``settings.TIME_ZONE``; inputs may be aware datetimes in any zone, never naive ones.

The rule for ``add_working_days(start, n)`` (工作日时限)
    The day on which ``start`` falls does not count, whatever the time and whether or not it is a
    working day; counting begins on the next day, and the deadline is the close of office hours (the end
    of the last span) on the n-th working day after that date. This is the Civil Code's rule:
    《民法典》第二百零一条 (开始的当日不计入，自下一日开始计算) and 第二百零三条
    (最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日；
    有业务时间的，停止业务活动的时间为截止时间).
    Example: a case registered on Thursday 12 Feb 2026 with 3 working days is due at 18:00 on
    Tuesday 24 Feb 2026 (Fri 13th, the make-up Saturday 14th, then Tue 24th after 春节).

    ``n == 0`` means "the same working day": the close of office hours of the start day if that is a
    working day and office hours have not yet closed, otherwise the close of the next working day.

The rule for ``add_working_hours(start, h)`` (工作时时限)
    Office time is consumed from ``start``; a start outside office hours (night, lunch, weekend,
    holiday) begins at the next span. A deadline that uses up a span exactly ends at that span's end
    (18:00, not 08:30 the next working day). ``h == 0`` returns ``start`` itself.

Loops are bounded: a calculation that would walk more than :data:`MAX_WALK_DAYS` calendar days raises
``ValueError`` rather than spinning (a mistyped count, or a calendar in which no day works).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import chinese_calendar
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

MAX_WALK_DAYS = 3660
"""The most calendar days any single calculation may walk (about ten years)."""

OFFICE_HOURS_SETTING = "GRIDGOV_OFFICE_HOURS"

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
_ZERO = dt.timedelta(0)


@functools.cache
def year_is_known(year: int) -> bool:
    """Whether chinese-calendar has the national holidays and make-up days for ``year``."""
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        return False
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class OfficeSpan:
    """One span of office hours within a working day, as local wall-clock times."""

    start: dt.time
    end: dt.time

    @property
    def duration(self) -> dt.timedelta:
        return dt.datetime.combine(dt.date.min, self.end) - dt.datetime.combine(dt.date.min, self.start)


def _parse_clock(value: object, *, where: str) -> dt.time:
    if isinstance(value, dt.time):
        if value.tzinfo is not None:
            raise ImproperlyConfigured(
                f"{where}: {value!r} carries a time zone; give local wall-clock times."
            )
        return value
    if isinstance(value, str):
        match = _HHMM.match(value.strip())
        if match:
            hour, minute = int(match.group(1)), int(match.group(2))
            if hour <= 23 and minute <= 59:
                return dt.time(hour, minute)
    raise ImproperlyConfigured(f'{where}: {value!r} is not a time of day in "HH:MM" form (00:00 to 23:59).')


def parse_office_hours(raw: object, *, setting_name: str = OFFICE_HOURS_SETTING) -> tuple[OfficeSpan, ...]:
    """Validate office hours given as ``[("08:30", "12:00"), ("14:30", "18:00")]`` and return them sorted.

    Each item is a (start, end) pair of ``"HH:MM"`` strings (or ``datetime.time``, or an :class:`OfficeSpan`)
    with start before end; spans may come in any order but must not overlap (touching is allowed).
    Raises ``ImproperlyConfigured`` naming the setting and the offending item.
    """
    if isinstance(raw, str | bytes) or not isinstance(raw, Sequence) or len(raw) == 0:
        raise ImproperlyConfigured(
            f'{setting_name} must be a non-empty list of ("HH:MM", "HH:MM") pairs, got {raw!r}.'
        )
    spans: list[OfficeSpan] = []
    for index, item in enumerate(raw):
        where = f"{setting_name}[{index}]"
        if isinstance(item, OfficeSpan):
            start, end = item.start, item.end
        elif isinstance(item, Sequence) and not isinstance(item, str | bytes) and len(item) == 2:
            start = _parse_clock(item[0], where=where)
            end = _parse_clock(item[1], where=where)
        else:
            raise ImproperlyConfigured(f'{where} must be a ("HH:MM", "HH:MM") pair, got {item!r}.')
        if start >= end:
            raise ImproperlyConfigured(
                f"{where}: the span must end after it starts within one day, got {item!r}."
            )
        spans.append(OfficeSpan(start, end))
    spans.sort(key=lambda span: span.start)
    for earlier, later in itertools.pairwise(spans):
        if later.start < earlier.end:
            raise ImproperlyConfigured(
                f"{setting_name}: the spans {earlier.start:%H:%M}-{earlier.end:%H:%M} and "
                f"{later.start:%H:%M}-{later.end:%H:%M} overlap."
            )
    return tuple(spans)


def to_timedelta(hours: float | int | Decimal | dt.timedelta) -> dt.timedelta:
    """An amount of working time as a ``timedelta``: a number counts hours; rounded to the microsecond."""
    if isinstance(hours, dt.timedelta):
        amount = hours
    elif isinstance(hours, bool) or not isinstance(hours, int | float | Decimal):
        raise TypeError(_("工作时长必须是数字（小时）或 timedelta。"))
    elif isinstance(hours, Decimal):
        if not hours.is_finite():
            raise ValueError(_("工作时长必须是有限的数。"))
        try:
            micros = int((hours * 3_600_000_000).to_integral_value())
            amount = dt.timedelta(microseconds=micros)
        except (OverflowError, InvalidOperation) as exc:
            raise ValueError(_("工作时长过大。")) from exc
    else:
        if isinstance(hours, float) and not math.isfinite(hours):
            raise ValueError(_("工作时长必须是有限的数。"))
        try:
            amount = dt.timedelta(hours=hours)
        except OverflowError as exc:
            raise ValueError(_("工作时长过大。")) from exc
    if amount < _ZERO:
        raise ValueError(_("工作时长不能为负数。"))
    return amount


class WorkCalendar:
    """Working days and office hours, with the county's overrides loaded up front (no queries inside).

    ``overrides`` maps a date to whether it is a working day (True: 调休上班, False: 放假). If the
    overrides were loaded for a date range only, pass that range as ``covers``: asking about a date outside
    it then raises ``ValueError`` instead of silently ignoring overrides that were never loaded.
    """

    def __init__(
        self,
        *,
        office_hours: object,
        overrides: Mapping[dt.date, bool] | None = None,
        tz: dt.tzinfo | str | None = None,
        covers: tuple[dt.date, dt.date] | None = None,
    ) -> None:
        self.spans: tuple[OfficeSpan, ...] = parse_office_hours(office_hours)
        self.overrides: dict[dt.date, bool] = dict(overrides or {})
        if tz is None:
            from django.utils import timezone

            tz = timezone.get_default_timezone()
        self.tz: dt.tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz
        if covers is not None and covers[0] > covers[1]:
            raise ValueError(_("日期范围的开始晚于结束。"))
        self.covers = covers
        self.office_time_per_day: dt.timedelta = sum((span.duration for span in self.spans), _ZERO)

    def __repr__(self) -> str:
        spans = ", ".join(f"{s.start:%H:%M}-{s.end:%H:%M}" for s in self.spans)
        return f"<WorkCalendar {spans} tz={self.tz} overrides={len(self.overrides)}>"

    # Days ------------------------------------------------------------------------------------------------

    @staticmethod
    def year_is_known(year: int) -> bool:
        """Whether chinese-calendar knows ``year`` (see the module-level :func:`year_is_known`)."""
        return year_is_known(year)

    def is_working_day(self, day: dt.date) -> bool:
        """Override first, then chinese-calendar, then Monday to Friday for years the library lacks."""
        if isinstance(day, dt.datetime):
            # A datetime's date depends on its zone; make the caller say which local date is meant.
            raise TypeError(_("is_working_day 需要日期（date），不是日期时间（datetime）。"))
        self._check_covered(day)
        override = self.overrides.get(day)
        if override is not None:
            return override
        if year_is_known(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def office_spans(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The aware (start, end) office spans of ``day``; empty for a day that is not a working day."""
        if not self.is_working_day(day):
            return []
        return [(self._at(day, span.start), self._at(day, span.end)) for span in self.spans]

    def close_of_day(self, day: dt.date) -> dt.datetime:
        """When office hours end on ``day`` (the end of its last span)."""
        return self._at(day, self.spans[-1].end)

    # Deadlines -------------------------------------------------------------------------------------------

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The close of office hours on the ``days``-th working day after the start's local date.

        See the module docstring for the rule, including ``days == 0``.
        """
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError(_("工作日数必须是整数。"))
        if days < 0:
            raise ValueError(_("工作日数不能为负数。"))
        if days > MAX_WALK_DAYS:
            raise ValueError(self._too_far_message())
        local = self._localize(start)
        if days == 0:
            for day in self._walk(local.date()):
                if self.is_working_day(day) and self.close_of_day(day) > local:
                    return self.close_of_day(day)
        else:
            counted = 0
            # The start day never counts (民法典第二百零一条), so skip it.
            for day in itertools.islice(self._walk(local.date()), 1, None):
                if self.is_working_day(day):
                    counted += 1
                    if counted == days:
                        return self.close_of_day(day)
        raise ValueError(self._too_far_message())

    def add_working_hours(
        self, start: dt.datetime, hours: float | int | Decimal | dt.timedelta
    ) -> dt.datetime:
        """The moment at which ``hours`` of office time after ``start`` have passed."""
        remaining = to_timedelta(hours)
        local = self._localize(start)
        if remaining == _ZERO:
            return local
        if remaining > self.office_time_per_day * MAX_WALK_DAYS:
            raise ValueError(self._too_far_message())
        for day in self._walk(local.date()):
            for span_start, span_end in self.office_spans(day):
                begin = max(span_start, local)
                if begin >= span_end:
                    continue
                available = span_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        raise ValueError(self._too_far_message())

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Office time between ``start`` and ``end``; zero if ``end`` is not after ``start``."""
        local_start = self._localize(start, name="start")
        local_end = self._localize(end, name="end")
        if local_end <= local_start:
            return _ZERO
        if (local_end.date() - local_start.date()).days > MAX_WALK_DAYS:
            raise ValueError(self._too_far_message())
        total = _ZERO
        for day in self._walk(local_start.date()):
            if day > local_end.date():
                break
            for span_start, span_end in self.office_spans(day):
                begin, finish = max(span_start, local_start), min(span_end, local_end)
                if finish > begin:
                    total += finish - begin
        return total

    # Internals -------------------------------------------------------------------------------------------

    def _at(self, day: dt.date, clock: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, clock, tzinfo=self.tz)

    def _localize(self, value: dt.datetime, *, name: str = "start") -> dt.datetime:
        if not isinstance(value, dt.datetime):
            raise TypeError(_("%(name)s 必须是带时区的日期时间（datetime）。") % {"name": name})
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                _("%(name)s 必须带时区（aware datetime），收到的是不带时区的时间。") % {"name": name}
            )
        return value.astimezone(self.tz)

    def _walk(self, first: dt.date) -> Iterator[dt.date]:
        """``first`` and the days after it, at most MAX_WALK_DAYS + 1 of them."""
        for offset in range(MAX_WALK_DAYS + 1):
            try:
                day = first + dt.timedelta(days=offset)
            except OverflowError:  # past 9999-12-31: the caller reports that it ran out of calendar
                return
            yield day

    def _check_covered(self, day: dt.date) -> None:
        if self.covers is not None and not self.covers[0] <= day <= self.covers[1]:
            raise ValueError(
                _("工作日历只加载了 %(first)s 至 %(last)s 的日历调整，无法判断 %(day)s 是否为工作日。")
                % {
                    "first": self.covers[0].isoformat(),
                    "last": self.covers[1].isoformat(),
                    "day": day.isoformat(),
                }
            )

    @staticmethod
    def _too_far_message() -> str:
        return _("时限超出可计算范围：计算需要跨越 %(days)s 天以上的日历。") % {"days": MAX_WALK_DAYS}


def get_calendar(*, start: dt.date | None = None, end: dt.date | None = None) -> WorkCalendar:
    """A :class:`WorkCalendar` from the override table (one query) and the ``GRIDGOV_OFFICE_HOURS`` setting.

    With ``start`` and ``end``, only that range's overrides are loaded and the calendar refuses dates
    outside it. Build one calendar per request or batch and reuse it; it does not see overrides saved
    after it was built.
    """
    # Imported here so that this module stays importable (and testable) without the app registry.
    from django.conf import settings

    from gridgov.worktime.selectors import calendar_override_map

    if (start is None) != (end is None):
        raise ValueError(_("请同时给出开始和结束日期，或都不给。"))
    try:
        office_hours = getattr(settings, OFFICE_HOURS_SETTING)
    except AttributeError:
        raise ImproperlyConfigured(
            f"The {OFFICE_HOURS_SETTING} setting is missing: add a list of office-hour spans, "
            f'e.g. [("08:30", "12:00"), ("14:30", "18:00")].'
        ) from None
    covers = (start, end) if start is not None and end is not None else None
    return WorkCalendar(
        office_hours=office_hours,
        overrides=calendar_override_map(start=start, end=end),
        tz=settings.TIME_ZONE,
        covers=covers,
    )
