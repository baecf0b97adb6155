"""The air API (/api/v1/air/): the AQI engine, bulk readings for station loggers, stations with their hours and
days, rankings, warning presets and warnings. Thin adapters over air.selectors and air.services."""

import datetime as dt
from typing import Annotated

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate

from gridgov.air import selectors
from gridgov.air.engine import POLLUTANTS, aqi_compute, pollutants_of_bits
from gridgov.air.models import WarningBasis, WarningPreset
from gridgov.air.policies import AirPolicy
from gridgov.air.schemas import (
    MAX_ID,
    AqiIn,
    AqiOut,
    Day,
    DayOut,
    HourOut,
    IngestOut,
    LiftIn,
    PresetOut,
    RankingOut,
    ReadingsIn,
    StationCode,
    StationIn,
    StationOut,
    WarningIn,
    WarningOut,
    WarningPreviewIn,
    WarningPreviewOut,
)
from gridgov.air.services import readings as reading_services
from gridgov.air.services import stations as station_services
from gridgov.air.services import warnings as warning_services
from gridgov.air.tables import aqi_table_for
from gridgov.api.pagination import PagePagination
from gridgov.api.schemas import ERRORS, ErrorOut
from gridgov.core.exceptions import InvalidInput, NotAllowed, NotFound
from gridgov.territory.selectors import access_region

router = Router(tags=["air"])

WRITE_ERRORS = {**ERRORS, 403: ErrorOut}
ACTION_ERRORS = {**WRITE_ERRORS, 409: ErrorOut}
MAX_HOURS_SPAN = dt.timedelta(days=31)
MAX_DAYS_SPAN = 366


def _viewer(request):
    if not AirPolicy.can_view(request.user):
        raise NotFound()
    return request.user


# --- the engine -------------------------------------------------------------------------------------------------
@router.post("/aqi", response={200: AqiOut, **ERRORS}, summary="AQI of one set of concentrations (HJ 633)")
def aqi(request, payload: AqiIn):
    values = {key: getattr(payload, key) for key in POLLUTANTS}
    if all(v is None for v in values.values()):
        raise InvalidInput(fields={"__all__": [_("请至少给出一项污染物浓度。")]})
    if payload.hourly and payload.o3_1h is not None:
        raise InvalidInput(
            fields={"o3_1h": [_("o3_1h（日最大1小时臭氧）只用于日 AQI，实时（hourly）请用 o3。")]}
        )
    if not payload.hourly and payload.so2_24h is not None:
        raise InvalidInput(
            fields={"so2_24h": [_("so2_24h（二氧化硫24小时滑动平均）只用于实时（hourly）AQI。")]}
        )
    table = aqi_table_for(payload.date)
    result = aqi_compute(table, values, hourly=payload.hourly, o3_1h=payload.o3_1h, so2_24h=payload.so2_24h)
    return {**result.as_dict(), "above_table": result.above_table}


# --- readings -------------------------------------------------------------------------------------------------
@router.post(
    "/readings", response={200: IngestOut, **WRITE_ERRORS}, summary="Hourly readings from station loggers"
)
def readings(request, payload: ReadingsIn):
    """Upsert per station and hour. Rows with errors are listed (``row`` counts from 1) and not stored; the others
    are. Needs the permission ``air.add_reading`` (a logger account with an API token)."""
    if not AirPolicy.can_ingest(request.user):
        raise NotAllowed(_("需要“上传空气质量数据”权限（air.add_reading）。"))
    rows = []
    for number, item in enumerate(payload.readings, start=1):
        moment = item.time
        if timezone.is_naive(moment) and 1970 <= moment.year <= 2100:
            moment = timezone.make_aware(moment)
        rows.append(
            reading_services.ReadingRow(
                row=number,
                station=item.station,
                observed_at=moment,
                values={key: getattr(item, key) for key in POLLUTANTS},
                valid={key: getattr(item.valid, key) for key in POLLUTANTS},
            )
        )
    report = reading_services.readings_ingest(actor=request.user, rows=rows, source="api")
    if report.errors and not report.stored:
        raise InvalidInput(
            _("没有一行数据可以保存。"),
            fields={f"readings.{e.row}.{e.field}": [e.message] for e in report.errors},
        )
    return {
        "received": report.received,
        "created": report.created,
        "updated": report.updated,
        "rejected": len(report.errors),
        "errors": [e.as_dict() for e in report.errors],
    }


# --- stations -------------------------------------------------------------------------------------------------
def station_out(station) -> dict:
    return {
        "code": station.code,
        "name": station.name,
        "level": station.level,
        "level_label": str(station.get_level_display()),
        "longitude": float(station.longitude),
        "latitude": float(station.latitude),
        "region": {"code": station.region.code, "name": station.region.name},
        "township": {"code": station.township.code, "name": station.township.name}
        if station.township
        else None,
        "is_active": station.is_active,
        "latest_at": getattr(station, "latest_at", None),
        "latest_aqi": getattr(station, "latest_aqi", None),
        "latest_level": getattr(station, "latest_level", None),
    }


class StationFilter(Schema):
    township: str | None = None


@router.get(
    "/stations", response={200: list[StationOut], **ERRORS}, summary="Stations with their latest hour"
)
@paginate(PagePagination)
def stations(request, filters: Query[StationFilter]):
    user = _viewer(request)
    township = None
    if filters.township:
        try:
            township = access_region(user, filters.township)
        except NotFound:
            raise InvalidInput(fields={"township": [_("乡镇不存在或不在您的范围内。")]}) from None
    return [station_out(s) for s in selectors.station_list(user=user, township=township)]


@router.post("/stations", response={201: StationOut, **ACTION_ERRORS}, summary="Add a station (county admin)")
def station_add(request, payload: StationIn):
    user = _viewer(request)
    try:
        region = access_region(user, payload.region, include_retired=False)
    except NotFound:
        raise InvalidInput(fields={"region": [_("区域不存在或不在您的范围内。")]}) from None
    station = station_services.station_create(
        actor=user,
        code=payload.code,
        name=payload.name,
        level=payload.level,
        longitude=payload.longitude,
        latitude=payload.latitude,
        region=region,
    )
    return Status(201, station_out(station))


@router.get("/stations/{code}", response={200: StationOut, **ERRORS}, summary="One station")
def station_detail(request, code: Path[StationCode]):
    user = _viewer(request)
    selectors.access_station(user, code)
    station = selectors.station_list(user=user, include_inactive=True).get(code=code)
    return station_out(station)


class HoursQuery(Schema):
    start: dt.datetime | None = None
    end: dt.datetime | None = None


def _aware(moment: dt.datetime, field: str) -> dt.datetime:
    if not 1970 <= moment.year <= 2100:
        raise InvalidInput(fields={field: [_("时间须在 1970–2100 年之间。")]})
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@router.get("/stations/{code}/hours", response={200: list[HourOut], **ERRORS}, summary="A station's hours")
def station_hours(request, code: Path[StationCode], query: Query[HoursQuery]):
    """Hourly readings in [start, end), at most 31 days; by default the last 72 hours."""
    station = selectors.access_station(_viewer(request), code)
    end = _aware(query.end, "end") if query.end else timezone.now()
    start = _aware(query.start, "start") if query.start else end - dt.timedelta(hours=72)
    if end <= start or end - start > MAX_HOURS_SPAN:
        raise InvalidInput(fields={"start": [_("时间段须在 31 天以内且开始早于结束。")]})
    return [
        {
            "time": r.observed_at,
            **{key: getattr(r, key) for key in POLLUTANTS},
            "o3_8h": r.o3_8h,
            "aqi": r.aqi,
            "level": r.level,
            "primary_pollutants": pollutants_of_bits(r.primary),
            "invalid": [key for key in POLLUTANTS if not getattr(r, f"{key}_valid")],
        }
        for r in selectors.station_hours(station, start=start, end=end)
    ]


class DaysQuery(Schema):
    start: Day | None = None
    end: Day | None = None


@router.get(
    "/stations/{code}/days", response={200: list[DayOut], **ERRORS}, summary="A station's daily values"
)
def station_days(request, code: Path[StationCode], query: Query[DaysQuery]):
    """Daily values (HJ 663) in [start, end], at most 366 days; by default the last 30 days."""
    station = selectors.access_station(_viewer(request), code)
    end = query.end or timezone.localdate()
    start = query.start or end - dt.timedelta(days=29)
    if end < start or (end - start).days >= MAX_DAYS_SPAN:
        raise InvalidInput(fields={"start": [_("日期段须在 366 天以内且开始不晚于结束。")]})
    return [
        {
            "date": d.date,
            "pm25": d.pm25,
            "pm10": d.pm10,
            "so2": d.so2,
            "no2": d.no2,
            "co": d.co,
            "o3_8h": d.o3_8h,
            "o3_1h": d.o3_1h,
            "hours": d.hours,
            "aqi": d.aqi,
            "level": d.level,
            "primary_pollutants": pollutants_of_bits(d.primary),
            "table": d.table,
        }
        for d in selectors.station_days(station, start=start, end=end)
    ]


# --- rankings -------------------------------------------------------------------------------------------------
class RankingQuery(Schema):
    of: str = "township"
    period: str = "day"
    date: Day | None = None


def ranking_items(rows) -> list[dict]:
    items = []
    for row in rows:
        last = row.last_year
        items.append(
            {
                "rank": row.rank,
                "code": row.key,
                "name": row.name,
                "aqi": row.aqi,
                "pm25": row.pm25,
                "good_days": row.good_days,
                "days": row.days,
                "good_ratio": row.good_ratio,
                "level": row.level,
                "primary_pollutants": row.primary,
                "last_year": None
                if last is None
                else {
                    "aqi": last.aqi,
                    "pm25": last.pm25,
                    "good_days": last.good_days,
                    "days": last.days,
                    "good_ratio": last.good_ratio,
                },
                "aqi_change": row.aqi_change,
                "pm25_change_pct": row.pm25_change_pct,
                "good_ratio_change": row.good_ratio_change,
            }
        )
    return items


@router.get("/rankings", response={200: RankingOut, **ERRORS}, summary="Rankings of townships or stations")
def rankings(request, query: Query[RankingQuery]):
    """``of`` township|station, ``period`` day|month, ``date`` (default yesterday): ranked by mean daily AQI,
    cleanest first, with PM2.5, 优良天数比例 and the same period a year before."""
    user = _viewer(request)
    errors = {}
    if query.of not in ("township", "station"):
        errors["of"] = [_("须为 township 或 station。")]
    if query.period not in ("day", "month"):
        errors["period"] = [_("须为 day 或 month。")]
    if errors:
        raise InvalidInput(fields=errors)
    on = query.date or timezone.localdate() - dt.timedelta(days=1)
    start, end = selectors.period_range(query.period, on)
    rows = selectors.ranking(user=user, of=query.of, period=query.period, on=on)
    return {"of": query.of, "period": query.period, "start": start, "end": end, "items": ranking_items(rows)}


# --- warnings -------------------------------------------------------------------------------------------------
def _preset(code: str, field: str = "preset") -> WarningPreset:
    preset = selectors.preset_list().filter(code=code).first()
    if preset is None:
        raise InvalidInput(fields={field: [_("分级方案不存在或已停用。")]})
    return preset


@router.get("/warning-presets", response={200: list[PresetOut], **ERRORS}, summary="Warning rule presets")
def presets(request):
    _viewer(request)
    return [
        {"code": p.code, "name": p.name, "source": p.source, "rules": p.rules}
        for p in selectors.preset_list()
    ]


@router.post(
    "/warnings/preview", response={200: WarningPreviewOut, **ERRORS}, summary="Level a series reaches"
)
def warning_preview(request, payload: WarningPreviewIn):
    _viewer(request)
    preset = _preset(payload.preset)
    series = warning_services.clean_series([{"date": d.date, "aqi": d.aqi} for d in payload.series])
    return {"preset": preset.code, "level": warning_services.warning_suggest(preset=preset, series=series)}


def warning_out(w) -> dict:
    def person(user):
        if user is None:
            return None
        return {"username": user.username, "name": str(getattr(user, "display_name", "") or user.username)}

    return {
        "id": w.pk,
        "level": w.level,
        "level_label": str(w.get_level_display()),
        "suggested_level": w.suggested_level,
        "state": w.state,
        "basis": w.basis,
        "preset": w.preset.code,
        "series": w.series,
        "reason": w.reason,
        "starts_on": w.starts_on,
        "ends_on": w.ends_on,
        "townships": [{"code": t.code, "name": t.name} for t in w.townships.all()],
        "issued_by": person(w.issued_by),
        "issued_at": w.issued_at,
        "lifted_by": person(w.lifted_by),
        "lifted_at": w.lifted_at,
        "lift_reason": w.lift_reason,
        "notice_state": w.notice_state,
        "notice_id": w.notice_id,
    }


@router.get("/warnings", response={200: list[WarningOut], **ERRORS}, summary="Warnings, newest first")
@paginate(PagePagination)
def warnings(request):
    return [warning_out(w) for w in selectors.warning_list(user=_viewer(request))]


@router.get("/warnings/{warning_id}", response={200: WarningOut, **ERRORS}, summary="One warning")
def warning_detail(request, warning_id: Path[Annotated[int, Field(ge=1, le=MAX_ID)]]):
    return warning_out(selectors.access_warning(_viewer(request), warning_id))


def observed_series(user, townships, start: dt.date, end: dt.date) -> list[dict]:
    """Each day's worst township AQI among ``townships`` (observed daily values)."""
    if (end - start).days >= 30 or end < start:
        raise InvalidInput(fields={"start": [_("实测序列须在 30 天以内且开始不晚于结束。")]})
    codes = {t.code for t in townships}
    values = selectors.township_daily(user, start, end)
    out = []
    for i in range((end - start).days + 1):
        day = start + dt.timedelta(days=i)
        found = [
            v["aqi"] for (code, d), v in values.items() if d == day and code in codes and v["aqi"] is not None
        ]
        out.append({"date": day, "aqi": max(found) if found else None})
    return out


@router.post("/warnings", response={201: WarningOut, **ACTION_ERRORS}, summary="Issue a warning")
def warning_issue(request, payload: WarningIn):
    """County admins and the command centre issue; the notice reaches every grid of the townships."""
    user = _viewer(request)
    if not AirPolicy.can_issue_warnings(user):
        raise NotAllowed(_("只有县级管理员和指挥中心可以发布重污染天气预警。"))
    preset = _preset(payload.preset)
    townships = []
    for code in payload.townships:
        try:
            townships.append(access_region(user, code, include_retired=False))
        except NotFound:
            raise InvalidInput(
                fields={"townships": [_("乡镇 %(code)s 不存在或不在您的范围内。") % {"code": code}]}
            ) from None
    if payload.basis == WarningBasis.OBSERVED and payload.series is None:
        if payload.start is None or payload.end is None:
            raise InvalidInput(fields={"start": [_("实测依据须给出开始和结束日期。")]})
        series = observed_series(user, townships, payload.start, payload.end)
    else:
        if not payload.series:
            raise InvalidInput(fields={"series": [_("请给出日 AQI 序列。")]})
        series = [{"date": d.date, "aqi": d.aqi} for d in payload.series]
    warning = warning_services.warning_issue(
        actor=user,
        preset=preset,
        townships=townships,
        series=series,
        basis=payload.basis,
        reason=payload.reason,
        level=payload.level,
    )
    return Status(201, warning_out(selectors.access_warning(user, warning.pk)))


@router.post(
    "/warnings/{warning_id}/lift", response={200: WarningOut, **ACTION_ERRORS}, summary="Lift a warning"
)
def warning_lift(request, warning_id: Path[Annotated[int, Field(ge=1, le=MAX_ID)]], payload: LiftIn):
    user = _viewer(request)
    warning = selectors.access_warning(user, warning_id)
    warning_services.warning_lift(actor=user, warning=warning, reason=payload.reason)
    return warning_out(selectors.access_warning(user, warning_id))
