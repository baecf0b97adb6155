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

from gridgov.cases.models import Case, CaseDayCount, CaseState
from gridgov.cases.policies import REGION_READERS, CasePolicy
from gridgov.cases.services.counts import DAY_COLUMNS
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


# --- from the day counters -------------------------------------------------------------------------------
#: A grant at or above a township covers whole townships: "the case's place lies in the user's regions" is then
#: "the case's township does", which the day counters (kept per township) can answer.
WHOLE_TOWNSHIP_LEVELS = frozenset({Level.PROVINCE, Level.CITY, Level.COUNTY, Level.TOWNSHIP})
COUNTER_KEYS = {
    GROUP_TOWNSHIP: "township_id",
    GROUP_DEPARTMENT: "department_key",
    GROUP_UNIT_TOWNSHIP: "unit_township_key",
}
#: Every state but closed and merged: the cases whose 应结案 is read live (a case has closed_at iff it is closed).
NOT_CLOSED = tuple(s for s in CaseState.values if s not in (CaseState.CLOSED, CaseState.MERGED))


def township_scope_q(user) -> Q | None:
    """``Q`` on ``township__path`` equal to the region part of CasePolicy.visible_q, or None when a grant lies
    below a township (a village or grid reader sees part of a township: the counters cannot say which part)."""
    scope = scope_for(user)
    roots = scope.root_paths(REGION_READERS, acting=False)
    levels = {g.path: g.region_level for g in scope.grants}
    if any(levels.get(root) not in WHOLE_TOWNSHIP_LEVELS for root in roots):
        return None
    return scope.region_q(REGION_READERS, field="township__path", acting=False)


def _counted(user, group: str, period: Period, townships: Q) -> dict[int, dict]:
    """The cases in the user's townships that the day counters hold: the intake family and closures in the
    period, and 往期应结未结 of cases closed late after it.

    The late cases due by the period's end and closed after it are Σ late_due − Σ late_closed over the days up
    to its last day; as every late case adds +1 to one and to the other, that is also Σ late_closed − Σ late_due
    over the days after it, which is what is summed here: for a recent period, a few days' rows instead of the
    whole history."""
    in_period = Q(day__lte=period.last_day)
    after = Q(day__gt=period.last_day)
    sums = {name: Sum(name, filter=in_period) for name in DAY_COLUMNS}
    rows = (
        CaseDayCount.objects.filter(townships, day__gte=period.first_day)
        .values(key=F(COUNTER_KEYS[group]))
        .annotate(
            **sums,
            carried=Sum(F("late_closed") - F("late_due"), filter=after),
            carried_reworked=Sum(F("late_closed_reworked") - F("late_due_reworked"), filter=after),
            carried_extended=Sum(F("late_closed_extended") - F("late_due_extended"), filter=after),
        )
        .order_by()
    )
    out = {}
    for row in rows:
        n = {name: int(value or 0) for name, value in row.items() if name != "key"}
        out[row["key"] or None] = {
            "accepted": n["accepted"],
            "registered": n["registered"],
            "dispatched": n["dispatched"],
            "due": n["closed"] + n["carried"],
            "closed": n["closed"],
            "closed_on_time": n["closed_on_time"],
            "reworked": n["closed_reworked"] + n["carried_reworked"],
            "extended": n["closed_extended"] + n["carried_extended"],
            "handled": n["handled"],
            "handling_us": n["handling_us"],
        }
    return out


LIVE_COLUMNS = (
    "accepted",
    "registered",
    "dispatched",
    "due",
    "closed",
    "closed_on_time",
    "reworked",
    "extended",
    "handled",
    "handling",
)


def _live(user, group: str, start, end, townships: Q) -> dict[int, dict]:
    """What the counters do not hold, in one query of two parts (UNION ALL, each planned on its own index):

    * open cases in the user's townships past their deadline by the period's end (应结案, not 结案): through
      the (state, due_at) index, as many rows as there are overdue open cases;
    * every indicator of the cases the user sees for another reason (their unit, assignee or reporter) outside
      those townships, as the scan would count them: index lookups by unit, assignee and reporter."""
    key = _group_key(group)
    accepted = _in_period("created_at", start, end)
    registered = _in_period("registered_at", start, end)
    dispatched = _in_period("dispatched_at", start, end)
    due = due_q(start, end)
    closed = due & Q(closed_at__isnull=False, closed_at__lt=end)
    handled = closed & Q(dispatched_at__isnull=False)
    others = (
        Case.objects.filter(CasePolicy.visible_beyond_regions_q(user))
        .exclude(townships)
        .exclude(state=CaseState.MERGED)
        .filter(accepted | registered | dispatched | due)
        .values(key=key)
        .annotate(
            accepted=Count("pk", filter=accepted),
            registered=Count("pk", filter=registered),
            dispatched=Count("pk", filter=dispatched),
            due=Count("pk", filter=due),
            closed=Count("pk", filter=closed),
            closed_on_time=Count("pk", filter=closed & Q(closed_at__lte=F("due_at"))),
            reworked=Count("pk", filter=due & Q(rework_count__gt=0)),
            extended=Count("pk", filter=due & Q(extension_count__gt=0)),
            handled=Count("pk", filter=handled),
            handling=Sum(F("closed_at") - F("dispatched_at"), filter=handled, output_field=DurationField()),
        )
        .order_by()
    )
    zero = Value(0)
    overdue_open = (
        Case.objects.filter(townships, state__in=NOT_CLOSED, due_at__lt=end, is_suspended=False)
        .values(key=key)
        .annotate(
            accepted=zero,
            registered=zero,
            dispatched=zero,
            due=Count("pk"),
            closed=zero,
            closed_on_time=zero,
            reworked=Count("pk", filter=Q(rework_count__gt=0)),
            extended=Count("pk", filter=Q(extension_count__gt=0)),
            handled=zero,
            handling=Value(None, output_field=DurationField()),
        )
        .order_by()
    )
    out: dict[int, dict] = {}
    for values in others.union(overdue_open, all=True).order_by().values_list("key", *LIVE_COLUMNS):
        key_, *counts = values
        handling = counts.pop()
        row = out.setdefault(key_, dict.fromkeys((*LIVE_COLUMNS[:-1], "handling_us"), 0))
        for name, value in zip(LIVE_COLUMNS[:-1], counts, strict=True):
            row[name] += int(value or 0)
        if handling:
            row["handling_us"] += (
                handling.days * 86400 + handling.seconds
            ) * 1_000_000 + handling.microseconds
    return out


def _from_counters(user, group: str, period: Period, townships: Q) -> tuple[dict, dict]:
    """The same numbers as intake_counts and closure_counts, from the day counters plus one bounded query."""
    merged: dict[int, dict] = {}
    for part in (
        _counted(user, group, period, townships),
        _live(user, group, period.start, period.end, townships),
    ):
        for key, counts in part.items():
            row = merged.setdefault(key, dict.fromkeys(counts, 0))
            for name, value in counts.items():
                row[name] += value
    merged.pop(None, None)
    # a key with nothing in the period (its counter rows all before it) is not one the scan would find
    merged = {key: row for key, row in merged.items() if any(row.values())}
    intake, closure = {}, {}
    intake_fields = ("dispatched",) if group in UNIT_GROUPS else ("accepted", "registered", "dispatched")
    for key, row in merged.items():
        intake[key] = {name: row[name] for name in intake_fields}
        closure[key] = {name: row[name] for name in CLOSURE_FIELDS}
        closure[key]["handling_seconds"] = round(row["handling_us"] / 1_000_000)
    return intake, closure


CLOSURE_FIELDS = ("due", "closed", "closed_on_time", "reworked", "extended", "handled")


def indicator_table(*, user, group: str, period: Period, counted: bool = True) -> IndicatorTable:
    """Every indicator per township (``GROUP_TOWNSHIP``), department or responsible township, with the total.

    Three queries whatever the number of rows: from the day counters (the counters, the live rest, labels) for
    users whose region grants cover whole townships; otherwise, and with ``counted=False``, by scanning the cases
    (intake, closure, labels)."""
    if group not in GROUP_FIELDS:
        raise ValueError(f"unknown grouping {group!r}")
    start, end = period.start, period.end
    townships = township_scope_q(user) if counted else None
    if townships is not None:
        intake, closure = _from_counters(user, group, period, townships)
    else:
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
