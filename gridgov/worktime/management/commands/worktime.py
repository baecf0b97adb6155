"""``gridgov worktime``: look at and correct the working-time calendar, and work out deadlines.

gridgov worktime check 2027
gridgov worktime add 2027-02-06 holiday 春节
gridgov worktime remove 2027-02-06
gridgov worktime deadline "2026-02-12 10:00" --days 3
gridgov worktime deadline now --hours 4
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from gridgov.core.exceptions import InvalidInput
from gridgov.worktime.calendar import MAX_WALK_DAYS, WorkCalendar, get_calendar, year_is_known
from gridgov.worktime.models import CalendarOverride
from gridgov.worktime.selectors import (
    calendar_override_list,
    holidays_missing_message,
    years_needing_holidays,
)
from gridgov.worktime.services import calendar_override_delete, calendar_override_set


def _weekday(day: dt.date) -> str:
    return str(WEEKDAYS[day.weekday()])


def _format_moment(moment: dt.datetime) -> str:
    pattern = "%Y-%m-%d %H:%M:%S" if moment.second or moment.microsecond else "%Y-%m-%d %H:%M"
    return f"{moment.strftime(pattern)}（{_weekday(moment.date())}）"


def _parse_year(raw: str) -> int:
    try:
        year = int(raw)
    except ValueError:
        year = 0
    if not dt.MINYEAR <= year <= dt.MAXYEAR - 1:
        raise CommandError(_("参数 YEAR 必须是年份（如 2027），收到“%(value)s”。") % {"value": raw})
    return year


def _parse_day(raw: str) -> dt.date:
    try:
        day = parse_date(raw.strip())
    except ValueError:
        day = None
    if day is None:
        raise CommandError(_("参数 DATE 必须是 YYYY-MM-DD 格式的日期，收到“%(value)s”。") % {"value": raw})
    return day


def _parse_start(raw: str) -> dt.datetime:
    """``now``, an ISO date-time (naive means settings.TIME_ZONE) or a date (its midnight)."""
    text = raw.strip()
    if text.lower() == "now":
        return timezone.localtime()
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            moment = dt.datetime.combine(day, dt.time.min) if day is not None else None
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(
            _("参数 START 必须是日期时间，如“2026-02-12 10:00”或“now”，收到“%(value)s”。") % {"value": raw}
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return timezone.localtime(moment)


def _parse_days(raw: str) -> int:
    try:
        days = int(raw)
    except ValueError:
        days = -1
    if not 0 <= days <= MAX_WALK_DAYS:
        raise CommandError(
            _("参数 --days 必须是 0 到 %(max)s 之间的整数，收到“%(value)s”。")
            % {"max": MAX_WALK_DAYS, "value": raw}
        )
    return days


def _parse_hours(raw: str) -> Decimal:
    try:
        hours = Decimal(raw.strip())
    except InvalidOperation:
        hours = Decimal(-1)
    if not hours.is_finite() or hours < 0:
        raise CommandError(
            _("参数 --hours 必须是非负的小时数（如 4 或 1.5），收到“%(value)s”。") % {"value": raw}
        )
    return hours


class Command(BaseCommand):
    help = _("查看和调整工作日历（法定节假日、调休），计算工作日和工作时时限。")

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{check,add,remove,deadline}")

        check = actions.add_parser("check", help=_("某年是否已收录法定节假日，并列出本县的调整。"))
        check.add_argument("year", metavar="YEAR")

        add = actions.add_parser(
            "add", help=_("录入或修改一天的调整：放假（holiday）或调休上班（workday）。")
        )
        add.add_argument("date", metavar="DATE", help="YYYY-MM-DD")
        add.add_argument("kind", metavar="KIND", help="holiday | workday")
        add.add_argument("name", metavar="NAME", help=_("如：春节"))

        remove = actions.add_parser("remove", help=_("删除一天的调整。"))
        remove.add_argument("date", metavar="DATE", help="YYYY-MM-DD")

        deadline = actions.add_parser("deadline", help=_("从 START 起算的时限截止时间。"))
        deadline.add_argument("start", metavar="START", help=_("如“2026-02-12 10:00”或 now"))
        amount = deadline.add_mutually_exclusive_group(required=True)
        amount.add_argument("--days", metavar="N", help=_("工作日数"))
        amount.add_argument("--hours", metavar="H", help=_("工作时数"))

    def handle(self, *args: object, **options: object) -> None:
        action = options["action"]
        if action == "check":
            self._check(_parse_year(str(options["year"])))
        elif action == "add":
            self._add(str(options["date"]), str(options["kind"]), str(options["name"]))
        elif action == "remove":
            self._remove(str(options["date"]))
        elif action == "deadline":
            self._deadline(str(options["start"]), options["days"], options["hours"])

    def _check(self, year: int) -> None:
        calendar = get_calendar(start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))
        if year_is_known(year):
            self.stdout.write(
                _("%(year)s 年：chinese-calendar 已收录该年的法定节假日，本县的调整优先。") % {"year": year}
            )
        else:
            self.stdout.write(
                _("%(year)s 年：chinese-calendar 未收录该年，按周一至周五和本县录入的调整计算。")
                % {"year": year}
            )
            if year in years_needing_holidays(dt.date(year, 1, 1)):
                self.stdout.write(self.style.WARNING(holidays_missing_message(year)))
        working_days = sum(
            calendar.is_working_day(dt.date(year, 1, 1) + dt.timedelta(days=offset))
            for offset in range((dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1)
        )
        self.stdout.write(_("全年工作日：%(count)s 天。") % {"count": working_days})
        overrides = list(calendar_override_list(year=year))
        if not overrides:
            self.stdout.write(_("本县未录入该年的调整。"))
            return
        self.stdout.write(_("本县录入的调整（%(count)s 条）：") % {"count": len(overrides)})
        for override in overrides:
            self.stdout.write(
                f"  {override.date.isoformat()} {_weekday(override.date)}  "
                f"{override.get_kind_display()}  {override.name}"
            )

    def _add(self, raw_date: str, kind: str, name: str) -> None:
        day = _parse_day(raw_date)
        if kind not in CalendarOverride.Kind.values:
            raise CommandError(
                _("参数 KIND 必须是 holiday（放假）或 workday（调休上班），收到“%(value)s”。")
                % {"value": kind}
            )
        try:
            override = calendar_override_set(actor=None, date=day, kind=kind, name=name)
        except InvalidInput as exc:
            problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.fields.items())
            raise CommandError(_("无法保存：%(problems)s") % {"problems": problems}) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("已保存：%(date)s %(weekday)s %(kind)s %(name)s")
                % {
                    "date": override.date.isoformat(),
                    "weekday": _weekday(override.date),
                    "kind": override.get_kind_display(),
                    "name": override.name,
                }
            )
        )

    def _remove(self, raw_date: str) -> None:
        day = _parse_day(raw_date)
        if not calendar_override_delete(actor=None, date=day):
            raise CommandError(_("%(date)s 没有调整可删除。") % {"date": day.isoformat()})
        self.stdout.write(self.style.SUCCESS(_("已删除 %(date)s 的调整。") % {"date": day.isoformat()}))

    def _deadline(self, raw_start: str, raw_days: object, raw_hours: object) -> None:
        # Check every argument before touching the database.
        start = _parse_start(raw_start)
        days = _parse_days(str(raw_days)) if raw_days is not None else None
        hours = _parse_hours(str(raw_hours)) if raw_hours is not None else None
        calendar: WorkCalendar = get_calendar()
        try:
            if days is not None:
                deadline = calendar.add_working_days(start, days)
                amount = _("%(count)s 个工作日") % {"count": days}
            else:
                assert hours is not None  # argparse requires exactly one of --days and --hours
                deadline = calendar.add_working_hours(start, hours)
                amount = _("%(count)s 个工作时") % {"count": hours}
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(_("起算时间：%(moment)s") % {"moment": _format_moment(start)})
        self.stdout.write(_("时限：%(amount)s") % {"amount": amount})
        self.stdout.write(_("截止时间：%(moment)s") % {"moment": _format_moment(deadline)})
        for year in range(start.year, deadline.year + 1):
            if not year_is_known(year) and year in years_needing_holidays(dt.date(year, 1, 1)):
                self.stdout.write(self.style.WARNING(holidays_missing_message(year)))
