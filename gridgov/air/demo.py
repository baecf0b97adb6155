"""Demo air data for 太康县: ten stations across the townships, hourly readings with a winter pollution episode
(four weeks at every station, thirteen months at the two county-seat stations so that the calendar and the
year-on-year ranking have something to show), and one warning issued by the command centre on the episode."""

import datetime as dt
import math
import random

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.air.models import AirWarning, Station, WarningPreset
from gridgov.air.services import ReadingRow, readings_ingest, station_create, warning_issue
from gridgov.territory.models import Level, Region

COUNTY_CODE = "411627"
CENTRE = (114.85, 34.06)  # 太康县城
SHORT_DAYS = 28
LONG_DAYS = 396
#: days before today of the episode (heavy pollution peaking in the middle)
EPISODE = range(12, 7, -1)
EPISODE_PEAK = 10


def _positions(n: int, rng: random.Random):
    for i in range(n):
        angle = 2 * math.pi * i / n + rng.uniform(-0.2, 0.2)
        radius = rng.uniform(0.07, 0.16)
        yield CENTRE[0] + radius * math.cos(angle), CENTRE[1] + radius * 0.8 * math.sin(angle)


def _stations(rng: random.Random) -> list[Station]:
    townships = list(
        Region.objects.filter(level=Level.TOWNSHIP, code__startswith=COUNTY_CODE).order_by("code")
    )
    if not townships:
        return []
    seat = townships[0]
    created = [
        station_create(
            actor=None,
            code="TK-N01",
            name="县环保局",
            level="national",
            longitude="114.8530",
            latitude="34.0650",
            region=seat,
        ),
        station_create(
            actor=None,
            code="TK-P01",
            name="县第一高中",
            level="provincial",
            longitude="114.8720",
            latitude="34.0540",
            region=seat,
        ),
    ]
    others = townships[1:9]
    for i, (township, (lon, lat)) in enumerate(
        zip(others, _positions(len(others), rng), strict=False), start=1
    ):
        created.append(
            station_create(
                actor=None,
                code=f"TK-T{i:02d}",
                name=f"{township.name}微站",
                level="township" if i > 2 else "county",
                longitude=f"{lon:.4f}",
                latitude=f"{lat:.4f}",
                region=township,
            )
        )
    return created


def _hour_values(rng: random.Random, station_bias: float, days_ago: float, hour: int, season: float) -> dict:
    """A plausible hour: a diurnal cycle, a winter/summer season, weather noise and the episode."""
    episode = 0.0
    if EPISODE.stop < days_ago <= EPISODE.start + 1:
        episode = max(0.0, 1 - abs(days_ago - EPISODE_PEAK) / 3.2)
    diurnal = 1 + 0.25 * math.cos((hour - 21) / 24 * 2 * math.pi)
    pm25 = (25 + 55 * season) * station_bias * diurnal * rng.lognormvariate(0, 0.25) + 230 * episode * diurnal
    o3_peak = max(0.0, math.sin((hour - 7) / 12 * math.pi)) if 7 <= hour <= 19 else 0.0
    return {
        "pm25": round(pm25, 1),
        "pm10": round(pm25 * rng.uniform(1.35, 1.8), 1),
        "so2": round(rng.uniform(4, 14) * (1 + season), 1),
        "no2": round(rng.uniform(15, 40) * diurnal, 1),
        "co": round(0.5 + pm25 / 180 + rng.uniform(0, 0.3), 2),
        "o3": round(20 + (150 - 110 * season) * o3_peak * rng.uniform(0.8, 1.1), 1),
    }


def _rows(station: Station, days: int, now_local: dt.datetime, rng: random.Random, bias: float):
    first = (now_local - dt.timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    hours = int((now_local - first).total_seconds() // 3600)
    for i in range(hours):
        moment = first + dt.timedelta(hours=i)
        days_ago = (now_local - moment).total_seconds() / 86400
        season = (1 + math.cos((moment.timetuple().tm_yday - 15) / 365 * 2 * math.pi)) / 2  # 1 in January
        values = _hour_values(rng, bias, days_ago, moment.hour, season)
        if rng.random() < 0.015:  # an instrument gap now and then
            values["pm25"] = None
        yield ReadingRow(
            row=i + 1, station=station.code, observed_at=timezone.make_aware(moment), values=values
        )


@transaction.atomic
def demo_load(*, today: dt.date, households: int) -> int:
    if Station.objects.filter(code="TK-N01").exists():
        return 0
    rng = random.Random(2026)
    stations = _stations(rng)
    if not stations:
        return 0
    now_local = timezone.localtime().replace(tzinfo=None)
    if now_local.date() != today:
        now_local = dt.datetime.combine(today, dt.time(12))
    created = len(stations)
    for station in stations:
        days = LONG_DAYS if station.code in ("TK-N01", "TK-P01") else SHORT_DAYS
        rows = list(_rows(station, days, now_local, rng, rng.uniform(0.85, 1.2)))
        for start in range(0, len(rows), 5000):
            created += readings_ingest(actor=None, rows=rows[start : start + 5000], source="demo").created
    commander = User.objects.filter(username="commander").first()
    preset = WarningPreset.objects.filter(code="national-2024").first()
    if commander is not None and preset is not None:
        townships = sorted({s.township for s in stations if s.township}, key=lambda t: t.code)
        series = [
            {"date": today - dt.timedelta(days=d), "aqi": a}
            for d, a in zip(EPISODE, (180, 235, 320, 260, 190), strict=True)
        ]
        warning = warning_issue(
            actor=commander,
            preset=preset,
            townships=townships,
            series=series,
            basis="forecast",
            reason="市气象台预报静稳天气持续，叠加秸秆焚烧和燃放烟花，预计连续三天重度污染、一天严重污染。",
        )
        created += AirWarning.objects.filter(pk=warning.pk).count()
    return created
