"""The AQI engine of HJ 633: one scalar path and one NumPy path that agree exactly.

Both work in integer units (whole µg/m³; CO in 0.1 mg/m³) after the standard's rounding of concentrations, and take
IAQI = IAQI_lo + ceil((IAQI_hi − IAQI_lo) × (C − BP_lo) / (BP_hi − BP_lo)) in integer arithmetic, so that no float
rounding can make the two paths part. Concentrations are rounded half up; the float is first brought to a multiple
of 1e-6 (half-even, exactly as ``numpy.rint`` does), so 0.15 mg/m³ is 0.2 and not 0.1 because of its binary form.

Nothing raises on data: a missing, negative or non-finite value is missing (its IAQI is ``None``, -1 in arrays);
a value above the table follows the table's rule for that indicator, else it scores 500 and is flagged.
"""

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from gridgov.air.standards import IAQI_STEPS

POLLUTANTS = ("pm25", "pm10", "so2", "no2", "co", "o3")
#: The indicator each pollutant is scored with in a daily AQI (O3: the daily maximum 8-hour mean; the daily
#: maximum 1-hour value, when known, is scored too and the larger counts, as HJ 633's daily report lists both).
DAILY_INDICATORS = {
    "pm25": "pm25_24h",
    "pm10": "pm10_24h",
    "so2": "so2_24h",
    "no2": "no2_24h",
    "co": "co_24h",
    "o3": "o3_8h",
}
#: Real-time (hourly) AQI: 1-hour tables for SO2, NO2, CO and O3; PM has only 24-hour limits, which HJ 633's
#: real-time report applies to the hour's concentration.
HOURLY_INDICATORS = {
    "pm25": "pm25_24h",
    "pm10": "pm10_24h",
    "so2": "so2_1h",
    "no2": "no2_1h",
    "co": "co_1h",
    "o3": "o3_1h",
}
INDICATORS = (
    "so2_24h",
    "so2_1h",
    "no2_24h",
    "no2_1h",
    "pm10_24h",
    "pm25_24h",
    "co_24h",
    "co_1h",
    "o3_1h",
    "o3_8h",
)
MG_INDICATORS = frozenset({"co_24h", "co_1h"})

#: Upper bounds of each level (一级 0–50 … 六级 above 300), the standard's categories and colours (HJ 633 表2).
LEVEL_TOPS = (50, 100, 150, 200, 300)
CATEGORIES = ("优", "良", "轻度污染", "中度污染", "重度污染", "严重污染")
COLORS = ("#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#99004C", "#7E0023")
MISSING_COLOR = "#BFC5CD"

#: Larger inputs are treated as this much (far above every table) so that integer arithmetic cannot overflow.
INPUT_CEILING = 1e9
MISSING = -1


def scale_of(indicator: str) -> int:
    return 10 if indicator in MG_INDICATORS else 1


@dataclass(frozen=True)
class Table:
    """One version of the AQI table: breakpoints in integer units, the rules above the top, validity."""

    code: str
    name: str
    valid_from: date
    breakpoints: Mapping[str, tuple[int, ...]]
    above: Mapping[str, Mapping] = field(default_factory=dict)

    @classmethod
    def from_values(cls, *, code, name, valid_from, breakpoints, above=None) -> "Table":
        """Breakpoints as published (µg/m³, CO in mg/m³) → integer units. Raises ValueError on a value that is
        not a whole unit (µg, or 0.1 mg for CO) or a list that does not rise."""
        units = {}
        for indicator, values in breakpoints.items():
            scale = scale_of(indicator)
            converted = []
            for value in values:
                scaled = round(float(value) * scale, 6)
                if scaled != int(scaled):
                    raise ValueError(f"{indicator}: {value} is not a whole unit")
                converted.append(int(scaled))
            if (
                len(converted) < 2
                or converted[0] != 0
                or any(b <= a for a, b in itertools.pairwise(converted))
            ):
                raise ValueError(f"{indicator}: breakpoints must start at 0 and rise")
            if len(converted) > len(IAQI_STEPS):
                raise ValueError(f"{indicator}: at most {len(IAQI_STEPS)} breakpoints")
            units[indicator] = tuple(converted)
        if isinstance(valid_from, str):
            valid_from = date.fromisoformat(valid_from)
        return cls(code=code, name=name, valid_from=valid_from, breakpoints=units, above=dict(above or {}))


def level_of(aqi: int | None) -> int | None:
    if aqi is None or aqi < 0:
        return None
    for level, top in enumerate(LEVEL_TOPS, start=1):
        if aqi <= top:
            return level
    return 6


def category_of(level: int | None) -> str | None:
    return None if level is None else CATEGORIES[level - 1]


def color_of(level: int | None) -> str:
    return MISSING_COLOR if level is None else COLORS[level - 1]


# --- scalar ---------------------------------------------------------------------------------------------------
def to_units(value, scale: int) -> int | None:
    """A concentration rounded half up to whole units (µg/m³, or 0.1 mg/m³ with ``scale`` 10); None if missing."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or number < 0:
        return None
    number = min(number, INPUT_CEILING)
    micro = round(number * scale * 1e6)  # half-even on the float, as numpy.rint
    return (micro + 500_000) // 1_000_000


def _interpolate(bps: tuple[int, ...], units: int) -> int | None:
    """IAQI within the table, or None above its top."""
    if units > bps[-1]:
        return None
    for i in range(1, len(bps)):
        if units <= bps[i]:
            lo, hi = bps[i - 1], bps[i]
            i_lo, i_hi = IAQI_STEPS[i - 1], IAQI_STEPS[i]
            return i_lo + -((-(i_hi - i_lo) * (units - lo)) // (hi - lo))
    return None  # pragma: no cover - the loop always returns


def averaging_hours(indicator: str) -> int:
    """The averaging period of an indicator in hours (``so2_24h`` → 24, ``o3_8h`` → 8, ``co_1h`` → 1)."""
    return int(indicator.rsplit("_", 1)[1].rstrip("h"))


def may_stand_in(indicator: str, use: str) -> bool:
    """Whether, for a "use" rule without the concentration it names, the indicator's own concentration may be
    scored on the ``use`` table instead: only when ``use`` averages over no longer a period. An O3 8-hour mean above
    800 implies 1-hour values at least as high, so the 8-hour value on the 1-hour table is a lower bound; an SO2
    1-hour value says nothing about the 24-hour mean, so without that mean the IAQI is missing."""
    return averaging_hours(use) <= averaging_hours(indicator)


def _absent(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def iaqi(table: Table, indicator: str, value, *, alternate=None) -> tuple[int | None, bool]:
    """(IAQI, above_table) of one concentration. ``alternate`` is the concentration a "use" rule scores instead
    (the O3 daily maximum 1-hour value for an O3 8-hour value above 800; the SO2 24-hour moving mean for an SO2
    1-hour value above 800). Without it the same concentration is used when ``may_stand_in`` allows, else the IAQI
    is missing and flagged above the table."""
    units = to_units(value, scale_of(indicator))
    if units is None:
        return None, False
    bps = table.breakpoints[indicator]
    result = _interpolate(bps, units)
    if result is not None:
        return result, False
    rule = table.above.get(indicator, {})
    if "iaqi" in rule:
        return int(rule["iaqi"]), False
    if "use" in rule:
        other = rule["use"]
        if not _absent(alternate):
            source = alternate
        elif may_stand_in(indicator, other):
            source = value
        else:
            source = None
        score, flagged = iaqi(table, other, source)
        return (None, True) if score is None else (score, flagged)
    return IAQI_STEPS[len(bps) - 1], True


@dataclass
class AqiResult:
    aqi: int | None
    iaqi: dict[str, int | None]
    primary_pollutants: list[str]
    level: int | None
    category: str | None
    color: str
    table: str
    above_table: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The form ``gridgov aqi`` prints and ``POST /api/v1/air/aqi`` answers."""
        return {
            "aqi": self.aqi,
            "iaqi": self.iaqi,
            "primary_pollutants": self.primary_pollutants,
            "level": self.level,
            "category": self.category,
            "color": self.color,
            "table": self.table,
        }


def primary_of(values: Mapping[str, int | None], aqi: int | None) -> list[str]:
    """The pollutants whose IAQI is the AQI, in the standard's order, only when the AQI is above 50."""
    if aqi is None or aqi <= 50:
        return []
    return [key for key in POLLUTANTS if values.get(key) == aqi]


def _alternates(hourly: bool, o3_1h, so2_24h) -> dict[str, object]:
    """The concentration each pollutant's "use" rule scores instead of its own, by pollutant."""
    if hourly:
        if o3_1h is not None:
            raise ValueError("o3_1h (the daily maximum 1-hour O3) belongs to a daily AQI, not an hourly one")
        return {"so2": so2_24h}
    if so2_24h is not None:
        raise ValueError("so2_24h (the SO2 24-hour moving mean) belongs to an hourly AQI, not a daily one")
    return {"o3": o3_1h}


def aqi_compute(
    table: Table, values: Mapping[str, object], *, hourly: bool = False, o3_1h=None, so2_24h=None
) -> AqiResult:
    """The AQI of one set of concentrations (keys pm25, pm10, so2, no2, co, o3; missing keys are missing).

    Daily (default): 24-hour means and ``o3`` the daily maximum 8-hour mean; ``o3_1h`` the daily maximum 1-hour
    value if known. Hourly (real-time): 1-hour concentrations; ``so2_24h`` the station's SO2 24-hour moving mean
    ending with the hour, which an SO2 1-hour value above the table is scored with (HJ 633—2012 表1 注2).
    Raises ValueError for ``o3_1h`` with ``hourly`` or ``so2_24h`` without it (a caller's mistake, not data).
    """
    indicators = HOURLY_INDICATORS if hourly else DAILY_INDICATORS
    alternates = _alternates(hourly, o3_1h, so2_24h)
    scores: dict[str, int | None] = {}
    above: list[str] = []
    for key in POLLUTANTS:
        value = values.get(key)
        score, is_above = iaqi(table, indicators[key], value, alternate=alternates.get(key))
        if key == "o3" and not hourly and not _absent(o3_1h):
            one_hour, one_above = iaqi(table, "o3_1h", o3_1h)
            if one_hour is not None and (score is None or one_hour > score):
                score, is_above = one_hour, one_above
        scores[key] = score
        if is_above:
            above.append(key)
    present = [s for s in scores.values() if s is not None]
    aqi = max(present) if present else None
    level = level_of(aqi)
    return AqiResult(
        aqi=aqi,
        iaqi=scores,
        primary_pollutants=primary_of(scores, aqi),
        level=level,
        category=category_of(level),
        color=color_of(level),
        table=table.name,
        above_table=above,
    )


def table_for(tables: list[Table], day: date) -> Table:
    """The table in force on ``day``: the latest whose validity starts on or before it (the oldest before all)."""
    ordered = sorted(tables, key=lambda t: t.valid_from)
    chosen = ordered[0]
    for table in ordered:
        if table.valid_from <= day:
            chosen = table
    return chosen


# --- vectorised -----------------------------------------------------------------------------------------------
STEPS = np.asarray(IAQI_STEPS, dtype=np.int64)


def to_units_array(values, scale: int) -> np.ndarray:
    """``to_units`` over an array: int64 units, -1 where missing (NaN, negative)."""
    x = np.asarray(values, dtype=np.float64)
    bad = ~(x >= 0)  # NaN and negatives
    x = np.where(bad, 0.0, np.minimum(x, INPUT_CEILING))
    micro = np.rint(x * scale * 1e6).astype(np.int64)
    units = (micro + 500_000) // 1_000_000
    units[bad] = MISSING
    return units


def _interpolate_array(bps: tuple[int, ...], units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(IAQI with -1 where missing or above, mask of above-the-table)."""
    edges = np.asarray(bps, dtype=np.int64)
    top = len(edges) - 1
    missing = units < 0
    above = (units > edges[-1]) & ~missing
    idx = np.clip(np.searchsorted(edges, units, side="left"), 1, top)
    lo, hi = edges[idx - 1], edges[idx]
    i_lo, i_hi = STEPS[idx - 1], STEPS[idx]
    numerator = (i_hi - i_lo) * (units - lo)
    result = i_lo + -((-numerator) // (hi - lo))
    result[missing | above] = MISSING
    return result, above


def iaqi_array(table: Table, indicator: str, values, *, alternate=None) -> tuple[np.ndarray, np.ndarray]:
    """``iaqi`` over an array: (IAQI int64 with -1 where missing, above-the-table mask)."""
    units = to_units_array(values, scale_of(indicator))
    result, above = _interpolate_array(table.breakpoints[indicator], units)
    if not above.any():
        return result, above
    rule = table.above.get(indicator, {})
    if "iaqi" in rule:
        result[above] = int(rule["iaqi"])
        return result, np.zeros_like(above)
    if "use" in rule:
        other_indicator = rule["use"]
        if may_stand_in(indicator, other_indicator):
            source = np.asarray(values, dtype=np.float64)
        else:
            source = np.full(len(units), np.nan)
        if alternate is not None:
            alt = np.asarray(alternate, dtype=np.float64)
            source = np.where(np.isnan(alt), source, alt)  # the scalar path: the alternate when it is given
        other, other_above = iaqi_array(table, other_indicator, source)
        result[above] = other[above]
        flagged = np.zeros_like(above)
        flagged[above] = other_above[above] | (other[above] < 0)
        return result, flagged
    result[above] = IAQI_STEPS[len(table.breakpoints[indicator]) - 1]
    return result, above


#: Rows scored at a time: the temporaries of a block stay in the CPU cache, which makes millions of rows several
#: times faster than one pass over whole columns.
BLOCK = 65_536


def aqi_array(
    table: Table, values: Mapping[str, object], *, hourly: bool = False, o3_1h=None, so2_24h=None
) -> dict:
    """``aqi_compute`` over columns of equal length (``o3_1h``, ``so2_24h``: columns too, NaN where unknown).
    Returns int64 arrays: ``aqi`` (-1 missing), ``level`` (0 missing), ``iaqi`` {pollutant: array}, ``primary``
    (bit i set for POLLUTANTS[i]) and ``above`` (same bits)."""
    _alternates(hourly, o3_1h, so2_24h)  # the same misuse errors as the scalar path
    columns = {
        key: (None if column is None else np.asarray(column, dtype=np.float64))
        for key, column in values.items()
    }
    extra = {
        name: np.asarray(column, dtype=np.float64)
        for name, column in (("o3_1h", o3_1h), ("so2_24h", so2_24h))
        if column is not None
    }
    lengths = [len(c) for c in columns.values() if c is not None] + [len(c) for c in extra.values()]
    n = lengths[0] if lengths else 0
    if n <= BLOCK:
        return _aqi_block(table, columns, hourly=hourly, extra=extra, n=n)
    parts = [
        _aqi_block(
            table,
            {k: (None if c is None else c[i : i + BLOCK]) for k, c in columns.items()},
            hourly=hourly,
            extra={k: c[i : i + BLOCK] for k, c in extra.items()},
            n=min(BLOCK, n - i),
        )
        for i in range(0, n, BLOCK)
    ]
    return {
        "aqi": np.concatenate([p["aqi"] for p in parts]),
        "level": np.concatenate([p["level"] for p in parts]),
        "iaqi": {key: np.concatenate([p["iaqi"][key] for p in parts]) for key in POLLUTANTS},
        "primary": np.concatenate([p["primary"] for p in parts]),
        "above": np.concatenate([p["above"] for p in parts]),
    }


def _aqi_block(
    table: Table, values: Mapping[str, object], *, hourly: bool, extra: Mapping[str, np.ndarray], n: int
) -> dict:
    indicators = HOURLY_INDICATORS if hourly else DAILY_INDICATORS
    o3_1h = extra.get("o3_1h")
    alternates = {"so2": extra.get("so2_24h")} if hourly else {"o3": o3_1h}
    nan = np.full(n, np.nan)
    scores: dict[str, np.ndarray] = {}
    above_bits = np.zeros(n, dtype=np.int64)
    for bit, key in enumerate(POLLUTANTS):
        column = values.get(key)
        column = nan if column is None else column
        score, above = iaqi_array(table, indicators[key], column, alternate=alternates.get(key))
        if key == "o3" and not hourly and o3_1h is not None:
            one_hour, one_above = iaqi_array(table, "o3_1h", o3_1h)
            better = one_hour > score
            score = np.where(better, one_hour, score)
            above = np.where(better, one_above, above)
        scores[key] = score
        above_bits |= above.astype(np.int64) << bit
    stacked = (
        np.vstack([scores[key] for key in POLLUTANTS]) if n else np.zeros((len(POLLUTANTS), 0), np.int64)
    )
    aqi = stacked.max(axis=0) if n else np.zeros(0, dtype=np.int64)
    primary = np.zeros(n, dtype=np.int64)
    polluted = aqi > 50
    for bit, key in enumerate(POLLUTANTS):
        primary |= ((scores[key] == aqi) & polluted).astype(np.int64) << bit
    level = np.where(aqi < 0, 0, np.searchsorted(np.asarray(LEVEL_TOPS), aqi, side="left") + 1)
    return {"aqi": aqi, "level": level, "iaqi": scores, "primary": primary, "above": above_bits}


def pollutants_of_bits(bits: int) -> list[str]:
    return [key for i, key in enumerate(POLLUTANTS) if bits >> i & 1]
