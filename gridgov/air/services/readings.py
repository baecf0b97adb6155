"""Ingestion of hourly readings: validation row by row, upsert per station and hour, derived values, daily values.

One service behind the CSV import and the loggers' bulk API. A row with an error is reported with its row number
and reason and not stored; the other rows are. A re-sent station-hour replaces the stored one.
"""

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.air import daily as hj663
from gridgov.air.engine import POLLUTANTS, aqi_array, scale_of, table_for, to_units, to_units_array
from gridgov.air.models import DailyValue, Reading, Station
from gridgov.air.tables import aqi_tables
from gridgov.core.audit import audit_record

HOUR = dt.timedelta(hours=1)

#: Physically impossible above these (µg/m³; CO mg/m³). Dust storms have brought PM10 near 9,000 µg/m³, so the
#: ceilings are generous; a county may set GRIDGOV_AIR_LIMITS to its own.
DEFAULT_LIMITS = {"pm25": 3000.0, "pm10": 10000.0, "so2": 5000.0, "no2": 3000.0, "co": 150.0, "o3": 2000.0}
UNITS = {"pm25": "µg/m³", "pm10": "µg/m³", "so2": "µg/m³", "no2": "µg/m³", "co": "mg/m³", "o3": "µg/m³"}


def limits() -> dict[str, float]:
    return {**DEFAULT_LIMITS, **getattr(settings, "GRIDGOV_AIR_LIMITS", {})}


@dataclass
class ReadingRow:
    """One station-hour as received. ``values`` maps pollutant → number or None; ``valid`` pollutant → flag."""

    row: int
    station: str
    observed_at: dt.datetime | None
    values: dict[str, float | None]
    valid: dict[str, bool] = field(default_factory=dict)


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class IngestReport:
    received: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    days: int = 0

    @property
    def stored(self) -> int:
        return self.created + self.updated


def hour_key(moment: dt.datetime) -> int:
    """Hours since the epoch in local time (the hour a reading belongs to)."""
    local = timezone.localtime(moment).replace(tzinfo=None)
    return int((local - dt.datetime(1970, 1, 1)).total_seconds() // 3600)


class HourKeys:
    """``hour_key`` for many moments of one range: when the local offset is the same at both ends (always, in
    China), a constant offset replaces the per-row time-zone conversion."""

    def __init__(self, low: dt.datetime, high: dt.datetime):
        offsets = {timezone.localtime(low).utcoffset(), timezone.localtime(high).utcoffset()}
        self.offset = int(offsets.pop().total_seconds()) if len(offsets) == 1 else None

    def __call__(self, moment: dt.datetime) -> int:
        if self.offset is None:
            return hour_key(moment)
        return (int(moment.timestamp()) + self.offset) // 3600


def moment_of(key: int) -> dt.datetime:
    naive = dt.datetime(1970, 1, 1) + dt.timedelta(hours=key)
    return timezone.make_aware(naive)


def validate_rows(
    rows: list[ReadingRow], stations: dict[str, int]
) -> tuple[list[ReadingRow], list[RowError]]:
    """The rows that may be stored, and the errors of the others (one error per row: the first found)."""
    ceiling = limits()
    good, errors, seen = [], [], {}
    now = timezone.now()
    for row in rows:
        error = None
        if row.station not in stations:
            error = RowError(
                row.row,
                "station",
                _("站点编码 %(code)s 不存在或已停用。")
                % {"code": row.station if len(row.station) <= 40 else row.station[:40] + "…"},
            )
        elif row.observed_at is None:
            error = RowError(row.row, "time", _("缺少时间或时间格式不对。"))
        elif not 1970 <= row.observed_at.year <= 2100:
            error = RowError(row.row, "time", _("时间须在 1970–2100 年之间。"))
        elif timezone.is_naive(row.observed_at):
            error = RowError(row.row, "time", _("时间须带时区。"))
        elif row.observed_at.minute or row.observed_at.second or row.observed_at.microsecond:
            error = RowError(row.row, "time", _("时间须为整点（小时的开始）。"))
        elif row.observed_at > now + HOUR:
            error = RowError(row.row, "time", _("时间在未来。"))
        else:
            for key in POLLUTANTS:
                value = row.values.get(key)
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                    error = RowError(row.row, key, _("%(name)s 不是数字。") % {"name": key})
                elif value < 0:
                    error = RowError(
                        row.row,
                        key,
                        _("%(name)s 为负数（%(value)s），不可能。") % {"name": key, "value": value},
                    )
                elif value > ceiling[key]:
                    error = RowError(
                        row.row,
                        key,
                        _("%(name)s = %(value)s %(unit)s 超过物理上限 %(limit)s。")
                        % {"name": key, "value": value, "unit": UNITS[key], "limit": ceiling[key]},
                    )
                if error:
                    break
            if error is None and all(row.values.get(key) is None for key in POLLUTANTS):
                error = RowError(row.row, "values", _("没有任何污染物数据。"))
        if error is None:
            key = (row.station, hour_key(row.observed_at))
            if key in seen:
                # the same hour twice in one upload: the later row wins, as a re-sent hour would
                good[seen[key]] = None
            seen[key] = len(good)
            good.append(row)
        else:
            errors.append(error)
    return [row for row in good if row is not None], errors


def _hourly_aqi(tables, keys: list[int], columns: dict[str, np.ndarray], so2_24h: np.ndarray) -> dict:
    """Real-time AQI of rows (hour keys, pollutant columns and the SO2 24-hour moving means, NaN missing), each
    with its day's table."""
    n = len(keys)
    aqi = np.full(n, -1, dtype=np.int64)
    level = np.zeros(n, dtype=np.int64)
    primary = np.zeros(n, dtype=np.int64)
    days = np.asarray([k // 24 for k in keys], dtype=np.int64)
    epoch = dt.date(1970, 1, 1)
    for table in tables:
        index = [
            i for i, d in enumerate(days) if table_for(tables, epoch + dt.timedelta(days=int(d))) is table
        ]
        if not index:
            continue
        part = aqi_array(
            table, {key: columns[key][index] for key in POLLUTANTS}, hourly=True, so2_24h=so2_24h[index]
        )
        aqi[index], level[index], primary[index] = part["aqi"], part["level"], part["primary"]
    return {"aqi": aqi, "level": level, "primary": primary}


def _so2_above_rule(tables, key: int, so2: float) -> bool:
    """Whether an SO2 1-hour value of the hour ``key`` is above its table's 1-hour top under a "use" rule, i.e.
    whether its real-time AQI depends on the SO2 24-hour moving mean."""
    table = table_for(tables, dt.date(1970, 1, 1) + dt.timedelta(days=key // 24))
    if "use" not in table.above.get("so2_1h", {}):
        return False
    units = to_units(so2, scale_of("so2_1h"))
    return units is not None and units > table.breakpoints["so2_1h"][-1]


def so2_24h_derive(
    tables, batch: dict[tuple[int, int], float | None]
) -> tuple[dict[tuple[int, int], float], int]:
    """SO2 24-hour moving means for the rows about to be stored (``batch``: (station id, hour key) → valid SO2 or
    None), read together with the stored hours around them (one query). A batch hour changes the mean of the 23
    hours after it: a stored hour among them whose SO2 1-hour value is scored with that mean (above 800 under
    HJ 633—2012) gets its real-time AQI recomputed and updated here (one ``executemany`` when any changed). Returns
    the batch's means (NaN where fewer than 20 of the 24 hours are valid) and the number of stored hours updated."""
    if not batch:
        return {}, 0
    station_ids = {sid for sid, _key in batch}
    low = min(key for _sid, key in batch) - 23
    high = max(key for _sid, key in batch) + 23
    stored = Reading.objects.filter(
        station_id__in=station_ids, observed_at__gte=moment_of(low), observed_at__lte=moment_of(high)
    ).values_list(
        "pk",
        "station_id",
        "observed_at",
        *POLLUTANTS,
        *(f"{k}_valid" for k in POLLUTANTS),
        "aqi",
        "level",
        "primary",
    )
    width = len(POLLUTANTS)
    key_of = HourKeys(moment_of(low), moment_of(high))
    series_of: dict[int, dict[int, float | None]] = defaultdict(dict)
    stored_rows: dict[tuple[int, int], tuple] = {}
    for row in stored:
        station_id, key = row[1], key_of(row[2])
        so2, so2_ok = row[3 + POLLUTANTS.index("so2")], row[3 + width + POLLUTANTS.index("so2")]
        series_of[station_id][key] = so2 if so2_ok else None
        stored_rows[(station_id, key)] = row
    for (station_id, key), so2 in batch.items():
        series_of[station_id][key] = so2
    touched: dict[int, set[int]] = defaultdict(set)
    for station_id, key in batch:
        touched[station_id].add(key)
    means: dict[tuple[int, int], float] = {}
    later: list[tuple] = []  # stored hours after the batch whose AQI depends on the new means
    for station_id, values in series_of.items():
        base = min(values)
        series = np.full(max(values) - base + 1, np.nan)
        for key, so2 in values.items():
            if so2 is not None:
                series[key - base] = so2
        moving = hj663.moving_24h(series)
        for key in touched[station_id]:
            means[(station_id, key)] = float(moving[key - base])
        after = {h + d for h in touched[station_id] for d in range(1, 24)} - touched[station_id]
        for key in sorted(after):
            row = stored_rows.get((station_id, key))
            so2 = values.get(key)
            if row is not None and so2 is not None and _so2_above_rule(tables, key, so2):
                later.append((key, float(moving[key - base]), row))
    updated = 0
    if later:
        keys = [key for key, _mean, _row in later]
        columns = {
            name: np.asarray(
                [
                    np.nan if row[3 + j] is None or not row[3 + width + j] else float(row[3 + j])
                    for _key, _mean, row in later
                ]
            )
            for j, name in enumerate(POLLUTANTS)
        }
        derived = _hourly_aqi(tables, keys, columns, np.asarray([mean for _key, mean, _row in later]))
        changes = []
        for i, (_key, _mean, row) in enumerate(later):
            aqi = None if derived["aqi"][i] < 0 else int(derived["aqi"][i])
            level = None if derived["level"][i] == 0 else int(derived["level"][i])
            primary = int(derived["primary"][i])
            if (aqi, level, primary) != tuple(row[-3:]):
                changes.append((aqi, level, primary, row[0]))
        if changes:
            quote = connection.ops.quote_name
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {quote(Reading._meta.db_table)} SET {quote('aqi')} = %s, {quote('level')} = %s, "
                    f"{quote('primary')} = %s WHERE {quote('id')} = %s",
                    changes,
                )
            updated = len(changes)
    return means, updated


@transaction.atomic
def readings_ingest(*, actor, rows: list[ReadingRow], source: str = "api") -> IngestReport:
    """Validates and stores hourly readings (upsert per station and hour), then brings the derived values up to
    date: the real-time AQI (with the SO2 24-hour moving mean, also of the stored hours after the batch that
    depend on it), the O3 8-hour averages and the daily values of every touched station-day. Set-based: a
    bounded number of queries a call, whatever the number of rows."""
    report = IngestReport(received=len(rows))
    codes = {row.station for row in rows}
    stations = dict(Station.objects.filter(code__in=codes, is_active=True).values_list("code", "pk"))
    good, report.errors = validate_rows(rows, stations)
    if not good:
        return report
    tables = aqi_tables()
    keys = [hour_key(row.observed_at) for row in good]
    station_ids = [stations[row.station] for row in good]
    columns = {
        key: np.asarray(
            [
                np.nan if (v := row.values.get(key)) is None or not row.valid.get(key, True) else float(v)
                for row in good
            ]
        )
        for key in POLLUTANTS
    }
    so2_column = columns["so2"]
    so2_24h, _later = so2_24h_derive(
        tables,
        {
            (station_ids[i], keys[i]): (None if np.isnan(so2_column[i]) else float(so2_column[i]))
            for i in range(len(good))
        },
    )
    derived = _hourly_aqi(
        tables, keys, columns, np.asarray([so2_24h[(station_ids[i], keys[i])] for i in range(len(good))])
    )
    o3_column = columns["o3"]
    batch_o3 = {
        (station_ids[i], keys[i]): (None if np.isnan(o3_column[i]) else float(o3_column[i]))
        for i in range(len(good))
    }
    o3_8h, _updated = o3_8h_derive(batch_o3)
    existing = set(
        Reading.objects.filter(
            station_id__in=set(station_ids),
            observed_at__gte=moment_of(min(keys)),
            observed_at__lte=moment_of(max(keys)),
        ).values_list("station_id", "observed_at")
    )
    objects = []
    for i, row in enumerate(good):
        moment = moment_of(keys[i])
        if (station_ids[i], moment) in existing:
            report.updated += 1
        else:
            report.created += 1
        values = {key: row.values.get(key) for key in POLLUTANTS}
        flags = {f"{key}_valid": bool(row.valid.get(key, True)) for key in POLLUTANTS}
        objects.append(
            Reading(
                station_id=station_ids[i],
                observed_at=moment,
                **values,
                **flags,
                aqi=None if derived["aqi"][i] < 0 else int(derived["aqi"][i]),
                level=None if derived["level"][i] == 0 else int(derived["level"][i]),
                primary=int(derived["primary"][i]),
                o3_8h=o3_8h.get((station_ids[i], keys[i])),
            )
        )
    update_fields = [
        *POLLUTANTS,
        *(f"{k}_valid" for k in POLLUTANTS),
        "o3_8h",
        "aqi",
        "level",
        "primary",
        "received_at",
    ]
    Reading.objects.bulk_create(
        objects,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["station", "observed_at"],
        update_fields=update_fields,
    )
    touched: dict[int, set[int]] = defaultdict(set)
    for station_id, key in zip(station_ids, keys, strict=True):
        touched[station_id].add(key)
    report.days = daily_refresh(
        {sid: {k // 24 for k in hours} for sid, hours in touched.items()}, tables=tables
    )
    audit_record(
        actor=actor,
        action="air.readings_ingest",
        obj=Station.objects.get(pk=station_ids[0]),
        changes={
            "source": source,
            "received": report.received,
            "created": report.created,
            "updated": report.updated,
            "errors": len(report.errors),
            "stations": sorted(touched),
        },
    )
    return report


def o3_8h_derive(
    batch: dict[tuple[int, int], float | None],
) -> tuple[dict[tuple[int, int], float | None], int]:
    """O3 8-hour moving averages for the rows about to be stored (``batch``: (station id, hour key) → valid O3 or
    None), read together with the stored hours around them. Stored rows whose average the batch changes (the 7
    hours after each batch hour) are updated here; the batch's own averages are returned for its insert."""
    if not batch:
        return {}, 0
    station_ids = {sid for sid, _key in batch}
    low = min(key for _sid, key in batch) - 7
    high = max(key for _sid, key in batch) + 7
    stored = Reading.objects.filter(
        station_id__in=station_ids, observed_at__gte=moment_of(low), observed_at__lte=moment_of(high)
    ).values_list("pk", "station_id", "observed_at", "o3", "o3_valid", "o3_8h")
    hours: dict[int, dict[int, float | None]] = defaultdict(dict)
    existing: dict[tuple[int, int], tuple[int, float | None]] = {}
    for pk, station_id, observed_at, o3, ok, current in stored:
        key = hour_key(observed_at)
        hours[station_id][key] = o3 if ok else None
        existing[(station_id, key)] = (pk, current)
    for (station_id, key), o3 in batch.items():
        hours[station_id][key] = o3
    touched: dict[int, set[int]] = defaultdict(set)
    for station_id, key in batch:
        touched[station_id].add(key)
    derived: dict[tuple[int, int], float | None] = {}
    changed: list[tuple[float | None, int]] = []
    for station_id, values in hours.items():
        base = min(values)
        series = np.full(max(values) - base + 1, np.nan)
        for key, o3 in values.items():
            if o3 is not None:
                series[key - base] = o3
        averages = hj663.moving_8h(series)
        wanted = {h + d for h in touched[station_id] for d in range(8)}
        for key in wanted:
            if key not in values:
                continue
            value = averages[key - base]
            new = None if np.isnan(value) else round(float(value), 1)
            if (station_id, key) in batch:
                derived[(station_id, key)] = new
            elif existing[(station_id, key)][1] != new:
                changed.append((new, existing[(station_id, key)][0]))
    if changed:
        # A handful of rows (the hours just after the batch): one executemany, not an UPDATE … CASE per row.
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {Reading._meta.db_table} SET o3_8h = %s WHERE id = %s", changed)
    return derived, len(changed)


def daily_refresh(station_days: dict[int, set[int]], *, tables=None) -> int:
    """Recomputes the daily values of the given station-days (day keys: local days since the epoch) from the
    stored hours. Returns the number of station-days written."""
    if not station_days:
        return 0
    tables = tables if tables is not None else aqi_tables()
    first = min(min(d) for d in station_days.values())
    last = max(max(d) for d in station_days.values())
    low, high = moment_of(first * 24), moment_of((last + 1) * 24)
    key_of = HourKeys(low, high)
    rows = Reading.objects.filter(
        station_id__in=list(station_days),
        observed_at__gte=low,
        observed_at__lt=high,
    ).values_list("station_id", "observed_at", *POLLUTANTS, *(f"{k}_valid" for k in POLLUTANTS))
    slots = [(sid, day) for sid, days in sorted(station_days.items()) for day in sorted(days)]
    index = {slot: i for i, slot in enumerate(slots)}
    hours = {key: np.full((len(slots), 24), np.nan) for key in POLLUTANTS}
    present = np.zeros((len(slots), 24), dtype=bool)
    for row in rows:
        station_id, observed_at = row[0], row[1]
        key = key_of(observed_at)
        slot = index.get((station_id, key // 24))
        if slot is None:
            continue
        present[slot, key % 24] = True
        for j, name in enumerate(POLLUTANTS):
            value, ok = row[2 + j], row[2 + len(POLLUTANTS) + j]
            if value is not None and ok:
                hours[name][slot, key % 24] = value
    values = hj663.daily_values(hours)
    # HJ 663 rounds daily values (whole µg/m³, CO to 0.1 mg/m³) before they are scored or published.
    for key, column in values.items():
        scale = 10 if key == "co" else 1
        units = to_units_array(column, scale).astype(np.float64)
        values[key] = np.where(units < 0, np.nan, units / scale)
    epoch = dt.date(1970, 1, 1)
    dates = [epoch + dt.timedelta(days=day) for _sid, day in slots]
    aqi = np.full(len(slots), -1, dtype=np.int64)
    level = np.zeros(len(slots), dtype=np.int64)
    primary = np.zeros(len(slots), dtype=np.int64)
    table_names = [""] * len(slots)
    for table in tables:
        chosen = [i for i, d in enumerate(dates) if table_for(tables, d) is table]
        if not chosen:
            continue
        columns = {k: values[k][chosen] for k in ("pm25", "pm10", "so2", "no2", "co")}
        columns["o3"] = values["o3_8h"][chosen]
        part = aqi_array(table, columns, o3_1h=values["o3_1h"][chosen])
        aqi[chosen], level[chosen], primary[chosen] = part["aqi"], part["level"], part["primary"]
        for i in chosen:
            table_names[i] = table.name
    objects = []
    for i, (station_id, _day) in enumerate(slots):
        column = {k: (None if np.isnan(values[k][i]) else float(values[k][i])) for k in values}
        objects.append(
            DailyValue(
                station_id=station_id,
                date=dates[i],
                **column,
                hours=int(present[i].sum()),
                aqi=None if aqi[i] < 0 else int(aqi[i]),
                level=None if level[i] == 0 else int(level[i]),
                primary=int(primary[i]),
                table=table_names[i],
            )
        )
    DailyValue.objects.bulk_create(
        objects,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["station", "date"],
        update_fields=[*values.keys(), "hours", "aqi", "level", "primary", "table"],
    )
    return len(objects)
