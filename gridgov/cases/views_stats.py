"""The statistics page (案件统计): the standard indicators by township and by department over a period, with the
worst rates marked so that units that only appear to work stand out. A thin adapter over gridgov.cases.indicators.
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.indicators import (
    PRESET_MONTH,
    PRESETS,
    IndicatorRow,
    IndicatorTable,
    Period,
    indicators_by_department,
    indicators_by_township,
    period_preset,
)
from gridgov.core.roles import Role
from gridgov.core.scope import scope_for

#: Who sees the page (the navigation shows it to the same roles); anyone else gets a 404.
STATS_ROLES = (Role.COUNTY_ADMIN, Role.SUPERVISOR, Role.COMMANDER, Role.LEADER)
#: Dates a period may start or end on: wide enough for any real report, and far from date.max.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class PeriodError(ValueError):
    pass


def parse_period(params, today: dt.date) -> tuple[Period, str]:
    """The period the query string asks for, and the preset it is ("" for custom dates). Raises PeriodError
    with a message for the user."""
    start, end = params.get("start", "").strip(), params.get("end", "").strip()
    if start or end:
        if not (start and end):
            raise PeriodError(_("请同时填写开始日期和结束日期。"))
        try:
            first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        except ValueError:
            raise PeriodError(_("日期无效：请按“年-月-日”填写，如 2026-03-01。")) from None
        if not (FIRST_YEAR <= first.year <= LAST_YEAR and FIRST_YEAR <= last.year <= LAST_YEAR):
            raise PeriodError(
                _("日期须在 %(first)d 年至 %(last)d 年之间。") % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        if last < first:
            raise PeriodError(_("开始日期不能晚于结束日期。"))
        return Period(first, last), ""
    preset = params.get("period", "").strip() or PRESET_MONTH
    if preset not in PRESETS:
        raise PeriodError(_("未知的统计区间：请选择本周、本月、本季度、本年或自定义日期。"))
    return period_preset(preset, today), preset


# --- table cells ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    attr: str
    label: object
    kind: str  # "count", "rate" or "hours"
    better: str = ""  # "high" or "low" for columns whose worst values are marked


TOWNSHIP_COLUMNS = (
    Column("accepted", gettext_lazy("受理数"), "count"),
    Column("registered", gettext_lazy("立案数"), "count"),
    Column("register_rate", gettext_lazy("立案率"), "rate", "high"),
    Column("dispatched", gettext_lazy("派遣数"), "count"),
    Column("dispatch_rate", gettext_lazy("派遣率"), "rate", "high"),
)
CLOSURE_COLUMNS = (
    Column("due", gettext_lazy("应结案数"), "count"),
    Column("closed", gettext_lazy("结案数"), "count"),
    Column("close_rate", gettext_lazy("结案率"), "rate", "high"),
    Column("closed_on_time", gettext_lazy("按期结案数"), "count"),
    Column("on_time_rate", gettext_lazy("按期结案率"), "rate", "high"),
    Column("rework_rate", gettext_lazy("返工率"), "rate", "low"),
    Column("extension_rate", gettext_lazy("延期率"), "rate", "low"),
    Column("open_due", gettext_lazy("应结未结"), "count"),
    Column("average_handling_hours", gettext_lazy("平均处置时长(时)"), "hours", "low"),
)
DEPARTMENT_COLUMNS = (Column("dispatched", gettext_lazy("派遣数"), "count"), *CLOSURE_COLUMNS)
TOWNSHIP_COLUMNS = (*TOWNSHIP_COLUMNS, *CLOSURE_COLUMNS)

BAD, WARN = "bad", "warn"


def display(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    return str(value)


def marks(rows: list[IndicatorRow], column: Column) -> dict[int, str]:
    """Row index → mark for one column: BAD for the worst value (ties included), WARN for the rest of the worst
    quarter. Nothing is marked when fewer than two rows have a value or all values are equal."""
    if not column.better:
        return {}
    values = [(i, getattr(row, column.attr)) for i, row in enumerate(rows)]
    values = [(i, v) for i, v in values if v is not None]
    if len(values) < 2 or len({v for _, v in values}) < 2:
        return {}
    values.sort(key=lambda item: item[1], reverse=column.better == "low")  # worst first
    worst = values[0][1]
    cutoff = values[max(1, math.ceil(len(values) / 4)) - 1][1]
    best = values[-1][1]
    out = {}
    for i, value in values:
        if value == worst:
            out[i] = BAD
        elif value != best and (value <= cutoff if column.better == "high" else value >= cutoff):
            out[i] = WARN
    return out


def table_context(table: IndicatorTable, columns) -> dict:
    column_marks = [marks(table.rows, column) for column in columns]
    rows = []
    for i, row in enumerate(table.rows):
        cells = [
            {"text": display(getattr(row, c.attr), c.kind), "mark": column_marks[j].get(i, "")}
            for j, c in enumerate(columns)
        ]
        rows.append({"label": row.label, "code": row.code, "cells": cells})
    total = [{"text": display(getattr(table.total, c.attr), c.kind), "mark": ""} for c in columns]
    return {"columns": columns, "rows": rows, "total": total}


def chart_data(table: IndicatorTable) -> dict:
    """结案率, 按期结案率 and 返工率 per row, in percent (null where there is nothing to divide by)."""

    def series(attr):
        return [None if (v := getattr(row, attr)) is None else float(round(v * 100, 1)) for row in table.rows]

    return {
        "labels": [row.label for row in table.rows],
        "series": [
            {"name": str(_("结案率")), "data": series("close_rate")},
            {"name": str(_("按期结案率")), "data": series("on_time_rate")},
            {"name": str(_("返工率")), "data": series("rework_rate")},
        ],
    }


@login_required
def statistics(request):
    if not scope_for(request.user).has_role(*STATS_ROLES):
        raise Http404
    today = timezone.localdate()
    context = {
        "presets": list(PRESETS.items()),
        "start": request.GET.get("start", ""),
        "end": request.GET.get("end", ""),
    }
    try:
        period, preset = parse_period(request.GET, today)
    except PeriodError as exc:
        context.update(error=str(exc), preset="")
        return render(request, "cases/stats.html", context, status=400)
    townships = indicators_by_township(user=request.user, period=period)
    departments = indicators_by_department(user=request.user, period=period)
    context.update(
        period=period,
        preset=preset,
        start=period.first_day.isoformat(),
        end=period.last_day.isoformat(),
        tables=[
            {
                "id": "stats-township",
                "title": _("按乡镇(街道)（案件发生地）"),
                "first_header": _("乡镇(街道)"),
                "table": table_context(townships, TOWNSHIP_COLUMNS),
            },
            {
                "id": "stats-department",
                "title": _("按责任部门"),
                "first_header": _("责任部门"),
                "table": table_context(departments, DEPARTMENT_COLUMNS),
            },
        ],
        chart={"township": chart_data(townships), "department": chart_data(departments)},
    )
    return render(request, "cases/stats.html", context)
