"""Reads of air data, limited to the counties the user works in (AirPolicy), in a fixed number of queries."""

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.db.models import Avg, Count, OuterRef, Q, Subquery

from gridgov.air.engine import LEVEL_TOPS, aqi_array, color_of, level_of, pollutants_of_bits, table_for
from gridgov.air.models import AirWarning, DailyValue, Reading, Station, WarningPreset
from gridgov.air.policies import AirPolicy
from gridgov.air.tables import aqi_tables
from gridgov.core.exceptions import NotFound
from gridgov.territory.models import Level, Region

#: A day is 优良 (good) when its AQI is at most this (一级 and 二级).
GOOD_TOP = LEVEL_TOPS[1]


def station_list(*, user, township: Region | None = None, include_inactive: bool = False):
    """Stations the user may see, each with its latest hour (``latest_aqi``, ``latest_level``, ``latest_at``)."""
    qs = Station.objects.filter(AirPolicy.region_q(user)).select_related("region", "township")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if township is not None:
        qs = qs.filter(township=township)
    latest = Reading.objects.filter(station=OuterRef("pk")).order_by("-observed_at")
    return qs.annotate(
        latest_at=Subquery(latest.values("observed_at")[:1]),
        latest_aqi=Subquery(latest.values("aqi")[:1]),
        latest_level=Subquery(latest.values("level")[:1]),
        latest_pm25=Subquery(latest.values("pm25")[:1]),
    ).order_by("code")


def access_station(user, code: str) -> Station:
    station = (
        Station.objects.filter(AirPolicy.region_q(user), code=str(code))
        .select_related("region", "township")
        .first()
    )
    if station is None:
        raise NotFound()
    return station


def township_list(*, user):
    """Townships that have stations the user may see."""
    ids = Station.objects.filter(AirPolicy.region_q(user), is_active=True).values("township_id")
    return Region.objects.filter(pk__in=ids, level=Level.TOWNSHIP).order_by("code")


def station_hours(station: Station, *, start: dt.datetime, end: dt.datetime):
    return Reading.objects.filter(station=station, observed_at__gte=start, observed_at__lt=end).order_by(
        "observed_at"
    )


def station_days(station: Station, *, start: dt.date, end: dt.date):
    return DailyValue.objects.filter(station=station, date__gte=start, date__lte=end).order_by("date")


def preset_list():
    return WarningPreset.objects.filter(is_active=True)


def warning_list(*, user):
    """Warnings touching the counties the user works in, newest first, with townships and people loaded."""
    visible = AirPolicy.region_q(user, field="townships__code")
    ids = AirWarning.objects.filter(visible).values("pk")
    return (
        AirWarning.objects.filter(pk__in=ids)
        .select_related("preset", "issued_by", "lifted_by")
        .prefetch_related("townships")
    )


def access_warning(user, pk: int) -> AirWarning:
    warning = warning_list(user=user).filter(pk=pk).first()
    if warning is None:
        raise NotFound()
    return warning


# --- rankings -------------------------------------------------------------------------------------------------
@dataclass
class RankRow:
    rank: int
    key: str
    name: str
    aqi: float | None
    pm25: float | None
    good_days: int
    days: int
    good_ratio: float | None
    level: int | None
    color: str
    primary: list[str]
    last_year: "RankRow | None" = None

    @property
    def aqi_change(self):
        if self.last_year is None or self.last_year.aqi is None or self.aqi is None:
            return None
        return round(self.aqi - self.last_year.aqi, 1)

    @property
    def pm25_change_pct(self):
        if self.last_year is None or not self.last_year.pm25 or self.pm25 is None:
            return None
        return round((self.pm25 - self.last_year.pm25) / self.last_year.pm25 * 100, 1)

    @property
    def good_ratio_change(self):
        if self.last_year is None or self.last_year.good_ratio is None or self.good_ratio is None:
            return None
        return round(self.good_ratio - self.last_year.good_ratio, 1)


def period_range(period: str, on: dt.date) -> tuple[dt.date, dt.date]:
    if period == "month":
        return on.replace(day=1), on.replace(day=calendar.monthrange(on.year, on.month)[1])
    return on, on


def year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _station_stats(user, start, end) -> dict[str, dict]:
    rows = (
        DailyValue.objects.filter(AirPolicy.region_q(user, field="station__region__code"))
        .filter(date__gte=start, date__lte=end, station__is_active=True)
        .values("station__code", "station__name")
        .annotate(
            mean_aqi=Avg("aqi"),
            mean_pm25=Avg("pm25"),
            valid_days=Count("aqi"),
            good_days=Count("aqi", filter=Q(aqi__lte=GOOD_TOP)),
        )
        .order_by()
    )
    primaries: dict[str, int] = {}
    if start == end:
        primaries = dict(
            DailyValue.objects.filter(
                AirPolicy.region_q(user, field="station__region__code"), date=start
            ).values_list("station__code", "primary")
        )
    return {
        row["station__code"]: {
            "name": row["station__name"],
            "aqi": row["mean_aqi"],
            "pm25": row["mean_pm25"],
            "days": row["valid_days"],
            "good": row["good_days"],
            "primary": primaries.get(row["station__code"], 0),
        }
        for row in rows
    }


def township_daily(user, start: dt.date, end: dt.date) -> dict[tuple[str, dt.date], dict]:
    """Each township-day: the mean of its stations' daily concentrations, scored as one AQI (the way a city's
    AQI is the mean of its stations'). One grouped query, then the vectorised engine."""
    rows = list(
        DailyValue.objects.filter(AirPolicy.region_q(user, field="station__region__code"))
        .filter(date__gte=start, date__lte=end, station__is_active=True, station__township__isnull=False)
        .values("station__township__code", "station__township__name", "date")
        .annotate(
            mean_pm25=Avg("pm25"),
            mean_pm10=Avg("pm10"),
            mean_so2=Avg("so2"),
            mean_no2=Avg("no2"),
            mean_co=Avg("co"),
            mean_o3=Avg("o3_8h"),
        )
        .order_by()
    )
    if not rows:
        return {}
    tables = aqi_tables()
    out: dict[tuple[str, dt.date], dict] = {}
    by_table = defaultdict(list)
    for row in rows:
        by_table[table_for(tables, row["date"]).code].append(row)
    for table in tables:
        part = by_table.get(table.code)
        if not part:
            continue
        columns = {
            key: np.asarray(
                [np.nan if r[f"mean_{key}"] is None else r[f"mean_{key}"] for r in part], dtype=float
            )
            for key in ("pm25", "pm10", "so2", "no2", "co", "o3")
        }
        result = aqi_array(table, columns)
        for i, row in enumerate(part):
            aqi = int(result["aqi"][i])
            out[(row["station__township__code"], row["date"])] = {
                "name": row["station__township__name"],
                "aqi": None if aqi < 0 else aqi,
                "pm25": row["mean_pm25"],
                "primary": int(result["primary"][i]),
            }
    return out


def _township_stats(user, start, end) -> dict[str, dict]:
    stats: dict[str, dict] = {}
    for (code, _day), value in township_daily(user, start, end).items():
        entry = stats.setdefault(code, {"name": value["name"], "aqis": [], "pm25s": [], "primary": 0})
        if value["aqi"] is not None:
            entry["aqis"].append(value["aqi"])
        if value["pm25"] is not None:
            entry["pm25s"].append(value["pm25"])
        entry["primary"] = value["primary"] if start == end else 0
    return {
        code: {
            "name": e["name"],
            "aqi": (sum(e["aqis"]) / len(e["aqis"])) if e["aqis"] else None,
            "pm25": (sum(e["pm25s"]) / len(e["pm25s"])) if e["pm25s"] else None,
            "days": len(e["aqis"]),
            "good": sum(1 for a in e["aqis"] if a <= GOOD_TOP),
            "primary": e["primary"],
        }
        for code, e in stats.items()
    }


def _rows(stats: dict[str, dict]) -> list[RankRow]:
    rows = []
    for key, s in stats.items():
        aqi = None if s["aqi"] is None else round(float(s["aqi"]), 1)
        level = level_of(None if aqi is None else int(np.ceil(aqi)))
        rows.append(
            RankRow(
                rank=0,
                key=key,
                name=s["name"],
                aqi=aqi,
                pm25=None if s["pm25"] is None else round(float(s["pm25"]), 1),
                good_days=s["good"],
                days=s["days"],
                good_ratio=round(s["good"] / s["days"] * 100, 1) if s["days"] else None,
                level=level,
                color=color_of(level),
                primary=pollutants_of_bits(s["primary"]),
            )
        )
    rows.sort(key=lambda r: (r.aqi is None, r.aqi or 0, r.pm25 or 0, r.key))
    for i, row in enumerate(rows, start=1):
        row.rank = i if row.aqi is not None else 0
    return rows


def ranking(*, user, of: str = "township", period: str = "day", on: dt.date) -> list[RankRow]:
    """Townships or stations ranked by mean daily AQI over the day or month containing ``on`` (best first), with
    PM2.5, the share of good days (优良天数比例) and the same period a year before."""
    start, end = period_range(period, on)
    last_start, last_end = year_before(start), year_before(end)
    if period == "month":
        last_start, last_end = period_range("month", year_before(on))
    stats = _township_stats if of == "township" else _station_stats
    rows = _rows(stats(user, start, end))
    before = {row.key: row for row in _rows(stats(user, last_start, last_end))}
    for row in rows:
        row.last_year = before.get(row.key)
    return rows


def county_series(user, *, start: dt.date, end: dt.date) -> list[tuple[dt.date, int | None]]:
    """The county's daily AQI (mean of its townships' daily AQI, rounded up), for warnings from observed data."""
    by_day: dict[dt.date, list[int]] = defaultdict(list)
    for (_code, day), value in township_daily(user, start, end).items():
        if value["aqi"] is not None:
            by_day[day].append(value["aqi"])
    days = (end - start).days + 1
    out = []
    for i in range(days):
        day = start + dt.timedelta(days=i)
        values = by_day.get(day)
        out.append((day, int(np.ceil(sum(values) / len(values))) if values else None))
    return out
