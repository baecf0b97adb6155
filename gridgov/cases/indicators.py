"""The standard indicators of the closed loop (受理数, 立案率, 派遣率, 应结案数, 结案率, 按期结案率, 返工率, 延期率,
平均处置时长) per township, responsible unit and period. docs/indicators.md defines every one of them.

Set-based: one grouped query per indicator family and grouping, whatever the number of townships or units,
plus one query for the row labels. Every query is limited to the cases the user may see (CasePolicy.visible_q).

Two families, each with its own period rule:

* intake (受理, 立案, 派遣): a case counts in the period in which the step happened (created_at,
  registered_at, dispatched_at in [start, end)).
* closure (应结案 and the rates over it): a case is 应结案 in a period when it was not yet closed at the
  period's start and, by the period's end, had been closed or reached its deadline. In SQL:
  ``due_at IS NOT NULL AND (due_at < end OR closed_at < end) AND (closed_at IS NULL OR closed_at >= start)``.
  So a case closed on time counts in the period it was closed in, a case not closed on time in the period its
  deadline fell in, and an overdue case stays in every later period's 应结案数 (往期应结未结) until it is closed.

Merged duplicates count nowhere (their reports live on the case that carries on); a case suspended (挂账) now
is left out of 应结案 (its clock is stopped and its deadline moves on resumption).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import BigIntegerField, Count, DurationField, ExpressionWrapper, F, Q, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import Case, CaseState
from gridgov.cases.policies import REGION_READERS, CasePolicy
from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.territory.models import PATH_SEPARATOR, Department, Level, Region

#: Groupings: where the problem is (the case's township), or who handles it (the responsible unit).
GROUP_TOWNSHIP = "township"
GROUP_DEPARTMENT = "department"
GROUP_UNIT_TOWNSHIP = "unit_township"
GROUP_FIELDS = {
    GROUP_TOWNSHIP: "township_id",
    GROUP_DEPARTMENT: "unit_department_id",
    GROUP_UNIT_TOWNSHIP: "unit_township_id",
}
#: 受理 and 立案 happen before a case has a responsible unit: per unit only 派遣数 of the intake family counts.
UNIT_GROUPS = frozenset({GROUP_DEPARTMENT, GROUP_UNIT_TOWNSHIP})

RATE_PLACES = Decimal("0.0001")
HOURS_PLACES = Decimal("0.1")


def ratio(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator to four places (half up), or None when there is nothing to divide by."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


# --- periods --------------------------------------------------------------------------------------------
PRESET_WEEK, PRESET_MONTH, PRESET_QUARTER, PRESET_YEAR = "week", "month", "quarter", "year"
PRESETS = {
    PRESET_WEEK: _("本周"),
    PRESET_MONTH: _("本月"),
    PRESET_QUARTER: _("本季度"),
    PRESET_YEAR: _("本年"),
}


@dataclass(frozen=True)
class Period:
    """Whole local days from ``first_day`` to ``last_day`` inclusive, i.e. [start, end) in aware datetimes."""

    first_day: dt.date
    last_day: dt.date

    def __post_init__(self):
        if self.last_day < self.first_day:
            raise ValueError("a period cannot end before it starts")

    @property
    def start(self) -> dt.datetime:
        return _local_midnight(self.first_day)

    @property
    def end(self) -> dt.datetime:
        return _local_midnight(self.last_day + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def period_preset(preset: str, today: dt.date | None = None) -> Period:
    """本周 (Monday to Sunday), 本月, 本季度 or 本年 around ``today`` (the local date by default)."""
    today = today or timezone.localdate()
    if preset == PRESET_WEEK:
        first = today - dt.timedelta(days=today.weekday())
        return Period(first, first + dt.timedelta(days=6))
    if preset == PRESET_MONTH:
        first = today.replace(day=1)
    elif preset == PRESET_QUARTER:
        first = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    elif preset == PRESET_YEAR:
        return Period(today.replace(month=1, day=1), today.replace(month=12, day=31))
    else:
        raise ValueError(f"unknown period preset {preset!r}")
    months = 3 if preset == PRESET_QUARTER else 1
    year, month = divmod(first.month - 1 + months, 12)
    following = first.replace(year=first.year + year, month=month + 1)
    return Period(first, following - dt.timedelta(days=1))


# --- rows -----------------------------------------------------------------------------------------------
@dataclass
class IndicatorRow:
    """The indicators of one township or unit (or the total) over one period.

    ``accepted`` and ``registered`` are None for unit groupings: a case has no responsible unit until it is
    dispatched."""

    key: int | None
    label: str
    code: str = ""
    accepted: int | None = 0  # 受理数
    registered: int | None = 0  # 立案数
    dispatched: int = 0  # 派遣数
    due: int = 0  # 应结案数
    closed: int = 0  # 结案数 (of 应结案)
    closed_on_time: int = 0  # 按期结案数
    reworked: int = 0  # 返工数: 应结案 with at least one rework
    extended: int = 0  # 延期数: 应结案 with at least one approved extension
    handled: int = 0  # closed cases with a dispatch time, the base of the average handling time
    handling_seconds: int = 0  # Σ (closed_at − dispatched_at) over them

    @property
    def register_rate(self) -> Decimal | None:  # 立案率
        return None if self.accepted is None else ratio(self.registered or 0, self.accepted)

    @property
    def dispatch_rate(self) -> Decimal | None:  # 派遣率
        return None if self.registered is None else ratio(self.dispatched, self.registered)

    @property
    def close_rate(self) -> Decimal | None:  # 结案率
        return ratio(self.closed, self.due)

    @property
    def on_time_rate(self) -> Decimal | None:  # 按期结案率
        return ratio(self.closed_on_time, self.due)

    @property
    def rework_rate(self) -> Decimal | None:  # 返工率
        return ratio(self.reworked, self.due)

    @property
    def extension_rate(self) -> Decimal | None:  # 延期率
        return ratio(self.extended, self.due)

    @property
    def open_due(self) -> int:  # 应结未结
        return self.due - self.closed

    @property
    def average_handling_hours(self) -> Decimal | None:  # 平均处置时长 (wall-clock hours)
        if not self.handled:
            return None
        hours = Decimal(self.handling_seconds) / Decimal(3600 * self.handled)
        return hours.quantize(HOURS_PLACES, rounding=ROUND_HALF_UP)

    def add(self, other: "IndicatorRow") -> None:
        for name in COUNT_FIELDS:
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine is not None and theirs is not None:
                setattr(self, name, mine + theirs)


COUNT_FIELDS = (
    "accepted",
    "registered",
    "dispatched",
    "due",
    "closed",
    "closed_on_time",
    "reworked",
    "extended",
    "handled",
    "handling_seconds",
)


@dataclass
class IndicatorTable:
    group: str
    period: Period
    rows: list[IndicatorRow] = field(default_factory=list)
    total: IndicatorRow | None = None


# --- the queries ----------------------------------------------------------------------------------------
def _in_period(column: str, start, end) -> Q:
    return Q(**{f"{column}__gte": start, f"{column}__lt": end})


def due_q(start, end) -> Q:
    """应结案 in [start, end): not closed before the start; by the end closed or past its deadline."""
    return (
        Q(due_at__isnull=False, is_suspended=False)
        & (Q(due_at__lt=end) | Q(closed_at__lt=end))
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=start))
    )


def visible_cases(user):
    """The cases the indicators count: those the user may see, without merged duplicates."""
    return Case.objects.filter(CasePolicy.visible_q(user)).exclude(state=CaseState.MERGED)


def _group_key(group: str):
    """The grouping column as an expression (``township_id + 0``), SQLite's way of saying "do not walk an index
    for this": without planner statistics (Django never runs ANALYZE) SQLite otherwise reads the whole table
    through the (township, created_at) or unit index to spare itself sorting a few dozen groups, a random row
    fetch per case, 4–5× slower at county scale than a plain scan (bench/bench_cases.py). PostgreSQL hashes the
    groups either way. Per unit, cases without a unit of that kind fall into the group None, dropped by the
    caller: filtering them out in SQL would tempt SQLite into the unit index again."""
    return ExpressionWrapper(F(GROUP_FIELDS[group]) + Value(0), output_field=BigIntegerField())


def intake_counts(user, group: str, start, end) -> dict[int, dict]:
    """受理数, 立案数, 派遣数 per group key, in one query (per unit: 派遣数 only)."""
    qs = visible_cases(user)
    dispatched = _in_period("dispatched_at", start, end)
    if group in UNIT_GROUPS:
        rows = qs.filter(dispatched).values(key=_group_key(group)).annotate(dispatched=Count("pk")).order_by()
    else:
        accepted = _in_period("created_at", start, end)
        registered = _in_period("registered_at", start, end)
        rows = (
            qs.filter(accepted | registered | dispatched)
            .values(key=_group_key(group))
            .annotate(
                accepted=Count("pk", filter=accepted),
                registered=Count("pk", filter=registered),
                dispatched=Count("pk", filter=dispatched),
            )
            .order_by()
        )
    return {key: row for row in rows if (key := row.pop("key")) is not None}


def closure_counts(user, group: str, start, end) -> dict[int, dict]:
    """应结案数 and the counts over it per group key, in one query."""
    closed = Q(closed_at__isnull=False, closed_at__lt=end)
    handled = closed & Q(dispatched_at__isnull=False)
    rows = (
        visible_cases(user)
        .filter(due_q(start, end))
        .values(key=_group_key(group))
        .annotate(
            due=Count("pk"),
            closed=Count("pk", filter=closed),
            closed_on_time=Count("pk", filter=closed & Q(closed_at__lte=F("due_at"))),
            reworked=Count("pk", filter=Q(rework_count__gt=0)),
            extended=Count("pk", filter=Q(extension_count__gt=0)),
            handled=Count("pk", filter=handled),
            handling=Sum(F("closed_at") - F("dispatched_at"), filter=handled, output_field=DurationField()),
        )
        .order_by()
    )
    out = {}
    for row in rows:
        handling = row.pop("handling")
        row["handling_seconds"] = round(handling.total_seconds()) if handling else 0
        if (key := row.pop("key")) is not None:
            out[key] = row
    return out


def _ancestor_codes(paths) -> set[str]:
    return {code for path in paths for code in path.split(PATH_SEPARATOR) if code}


def _labels(user, group: str, keys) -> list[tuple[int, str, str]]:
    """(id, name, code) of every township or department the table lists, in display order: those with counts,
    and those in the user's reach with none (a unit with nothing to show is news too). One query."""
    keys = [k for k in keys if k is not None]
    scope = scope_for(user)
    if group == GROUP_DEPARTMENT:
        reach = Q(pk__in=scope.department_ids(Role.DEPARTMENT_OFFICER))
        roots = scope.root_paths(REGION_READERS, acting=False)
        if roots:
            reach |= Q(county__code__in=_ancestor_codes(roots)) | scope.region_q(
                REGION_READERS, field="county__path", acting=False
            )
        rows = Department.objects.filter(Q(pk__in=keys) | (Q(is_active=True) & reach)).order_by(
            "sort_order", "code"
        )
        return [(d.pk, d.short_name or d.name, d.code) for d in rows.only("name", "short_name", "code")]
    reach = Q(level=Level.TOWNSHIP, is_active=True) & scope.region_q(REGION_READERS, acting=False)
    if group == GROUP_UNIT_TOWNSHIP:
        reach &= Q(pk__in=[])  # a township is listed as a unit only once something was dispatched to it
    rows = Region.objects.filter(Q(pk__in=keys) | reach).order_by("code").values_list("pk", "name", "code")
    return list(rows)


def indicator_table(*, user, group: str, period: Period) -> IndicatorTable:
    """Every indicator per township (``GROUP_TOWNSHIP``), department or responsible township, with the total.

    Three queries (intake, closure, labels) whatever the number of rows."""
    if group not in GROUP_FIELDS:
        raise ValueError(f"unknown grouping {group!r}")
    start, end = period.start, period.end
    intake = intake_counts(user, group, start, end)
    closure = closure_counts(user, group, start, end)
    unit = group in UNIT_GROUPS
    rows = []
    for key, name, code in _labels(user, group, set(intake) | set(closure)):
        row = IndicatorRow(key=key, label=name, code=code)
        if unit:
            row.accepted = row.registered = None
        for counts in (intake.get(key), closure.get(key)):
            for name_, value in (counts or {}).items():
                setattr(row, name_, value)
        rows.append(row)
    total = IndicatorRow(key=None, label=str(_("合计")))
    if unit:
        total.accepted = total.registered = None
    for row in rows:
        total.add(row)
    return IndicatorTable(group=group, period=period, rows=rows, total=total)


def indicators_by_township(*, user, period: Period) -> IndicatorTable:
    return indicator_table(user=user, group=GROUP_TOWNSHIP, period=period)


def indicators_by_department(*, user, period: Period) -> IndicatorTable:
    return indicator_table(user=user, group=GROUP_DEPARTMENT, period=period)


def indicators_by_unit_township(*, user, period: Period) -> IndicatorTable:
    return indicator_table(user=user, group=GROUP_UNIT_TOWNSHIP, period=period)
