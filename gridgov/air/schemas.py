"""Schemas of the air API (/api/v1/air/)."""

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from gridgov.air.models import StationLevel, WarningBasis, WarningLevel

StationCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[-\w]+$")
]
RegionCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{1,15}$")]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=r"^[^\x00]*$")
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[^\x00]*$")
]
#: A concentration (µg/m³, CO mg/m³); physically impossible values are refused by the services with the reason.
Concentration = Annotated[float, Field(ge=0, le=1e6)]
#: Readings are checked row by row by the ingestion service (negative, absurd): only the type is checked here.
RawValue = Annotated[float, Field(allow_inf_nan=False)]

MAX_READINGS = 5000
MAX_ID = 2**63 - 1
#: Dates the air data can have: bounded so that date arithmetic (a year before, the next day) cannot overflow.
Day = Annotated[dt.date, Field(ge=dt.date(1970, 1, 1), le=dt.date(2100, 12, 31))]


class AqiIn(Schema):
    date: Day
    hourly: bool = False
    pm25: Concentration | None = None
    pm10: Concentration | None = None
    so2: Concentration | None = None
    no2: Concentration | None = None
    co: Concentration | None = None
    o3: Concentration | None = Field(
        None, description="hourly: 1-hour O3; daily: the daily maximum 8-hour mean"
    )
    o3_1h: Concentration | None = Field(None, description="daily only: the daily maximum 1-hour O3, if known")
    so2_24h: Concentration | None = Field(
        None,
        description="hourly only: the station's SO2 24-hour moving mean ending with the hour; under HJ 633—2012 an "
        "SO2 1-hour value above 800 is scored with it (without it that IAQI is missing and listed in above_table)",
    )


class AqiOut(Schema):
    aqi: int | None
    iaqi: dict[str, int | None]
    primary_pollutants: list[str]
    level: int | None
    category: str | None
    color: str
    table: str
    above_table: list[str] = Field(
        description="pollutants above the top of their table and not scored by a rule of the table: scored 500, "
        "or missing (an hourly SO2 above 800 under HJ 633—2012 without so2_24h)"
    )


class ValidFlags(Schema):
    pm25: bool = True
    pm10: bool = True
    so2: bool = True
    no2: bool = True
    co: bool = True
    o3: bool = True


class ReadingIn(Schema):
    station: StationCode
    time: dt.datetime = Field(
        description="start of the hour; local time (Asia/Shanghai) unless an offset is given"
    )
    pm25: RawValue | None = None
    pm10: RawValue | None = None
    so2: RawValue | None = None
    no2: RawValue | None = None
    co: RawValue | None = None
    o3: RawValue | None = None
    valid: ValidFlags = Field(default_factory=ValidFlags)


class ReadingsIn(Schema):
    readings: list[ReadingIn] = Field(..., min_length=1, max_length=MAX_READINGS)


class RowErrorOut(Schema):
    row: int = Field(description="position in ``readings``, from 1")
    field: str
    message: str


class IngestOut(Schema):
    received: int
    created: int
    updated: int
    rejected: int
    errors: list[RowErrorOut]


class RegionOut(Schema):
    code: str
    name: str


class StationOut(Schema):
    code: str
    name: str
    level: str
    level_label: str
    longitude: float
    latitude: float
    region: RegionOut
    township: RegionOut | None
    is_active: bool
    latest_at: dt.datetime | None = None
    latest_aqi: int | None = None
    latest_level: int | None = None


class StationIn(Schema):
    code: StationCode
    name: Name
    level: Literal[tuple(StationLevel.values)]
    longitude: float = Field(ge=-180, le=180)
    latitude: float = Field(ge=-90, le=90)
    region: RegionCode


class HourOut(Schema):
    time: dt.datetime
    pm25: float | None
    pm10: float | None
    so2: float | None
    no2: float | None
    co: float | None
    o3: float | None
    o3_8h: float | None
    aqi: int | None
    level: int | None
    primary_pollutants: list[str]
    invalid: list[str]


class DayOut(Schema):
    date: dt.date
    pm25: float | None
    pm10: float | None
    so2: float | None
    no2: float | None
    co: float | None
    o3_8h: float | None
    o3_1h: float | None
    hours: int
    aqi: int | None
    level: int | None
    primary_pollutants: list[str]
    table: str


class RankPeriodOut(Schema):
    aqi: float | None
    pm25: float | None
    good_days: int
    days: int
    good_ratio: float | None


class RankOut(Schema):
    rank: int = Field(description="1 = cleanest; 0 = no valid day")
    code: str
    name: str
    aqi: float | None
    pm25: float | None
    good_days: int
    days: int
    good_ratio: float | None = Field(description="优良天数比例, %")
    level: int | None
    primary_pollutants: list[str]
    last_year: RankPeriodOut | None
    aqi_change: float | None
    pm25_change_pct: float | None
    good_ratio_change: float | None = Field(description="percentage points")


class RankingOut(Schema):
    of: str
    period: str
    start: dt.date
    end: dt.date
    items: list[RankOut]


class SeriesDay(Schema):
    date: Day
    aqi: int | None = Field(None, ge=0, le=500)


class WarningPreviewIn(Schema):
    preset: Annotated[str, StringConstraints(max_length=40, pattern=r"^[-\w]+$")]
    series: list[SeriesDay] = Field(..., min_length=1, max_length=30)


class WarningPreviewOut(Schema):
    preset: str
    level: str | None


class WarningIn(Schema):
    preset: Annotated[str, StringConstraints(max_length=40, pattern=r"^[-\w]+$")]
    townships: list[RegionCode] = Field(..., min_length=1, max_length=200)
    basis: Literal[tuple(WarningBasis.values)] = WarningBasis.FORECAST
    series: list[SeriesDay] | None = Field(
        None, max_length=30, description="forecast daily AQI; with basis=observed, omit and give start/end"
    )
    start: Day | None = None
    end: Day | None = None
    level: Literal[tuple(WarningLevel.values)] | None = None
    reason: Reason


class LiftIn(Schema):
    reason: Reason


class PresetOut(Schema):
    code: str
    name: str
    source: str
    rules: dict


class UserRef(Schema):
    username: str
    name: str


class WarningOut(Schema):
    id: int
    level: str
    level_label: str
    suggested_level: str
    state: str
    basis: str
    preset: str
    series: list[dict]
    reason: str
    starts_on: dt.date
    ends_on: dt.date
    townships: list[RegionOut]
    issued_by: UserRef
    issued_at: dt.datetime
    lifted_by: UserRef | None
    lifted_at: dt.datetime | None
    lift_reason: str
    notice_state: str
    notice_id: int | None
