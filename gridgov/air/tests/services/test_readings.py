"""Ingestion: row errors with row number and reason, upsert per station and hour, derived O3 8-hour averages,
daily values kept up to date, and the CSV command."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from gridgov.air.models import DailyValue, Reading
from gridgov.air.services import ReadingRow
from gridgov.air.tests.conftest import at, hours_rows
from gridgov.core.models import AuditLog

DAY = dt.date(2025, 12, 1)
CLEAN = {"pm25": 80, "pm10": 100, "so2": 10, "no2": 30, "co": 0.8, "o3": 90}


def test_a_full_day_is_stored_with_its_hourly_and_daily_aqi(stations, ingest):
    report = ingest(hours_rows("A01", DAY, CLEAN))
    assert (report.created, report.updated, report.errors) == (24, 0, [])
    first = Reading.objects.get(station=stations["A01"], observed_at=at(DAY, 0))
    # hourly: PM on the 24-hour table (80 → 107), NO2 1h 30 → 15, O3 1h 90 → 29
    assert (first.aqi, first.level, first.primary) == (107, 3, 1)
    daily = DailyValue.objects.get(station=stations["A01"], date=DAY)
    assert (daily.aqi, daily.level, daily.pm25, daily.o3_8h, daily.hours) == (107, 3, 80, 90, 24)
    assert daily.table == "HJ 633—2012"
    assert AuditLog.objects.filter(action="air.readings_ingest").count() == 1


def test_a_resent_hour_replaces_never_duplicates(stations, ingest):
    ingest(hours_rows("A01", DAY, CLEAN))
    again = ingest(hours_rows("A01", DAY, {**CLEAN, "pm25": 200}, hours=[5]))
    assert (again.created, again.updated) == (0, 1)
    assert Reading.objects.filter(station=stations["A01"]).count() == 24
    assert Reading.objects.get(station=stations["A01"], observed_at=at(DAY, 5)).pm25 == 200
    daily = DailyValue.objects.get(station=stations["A01"], date=DAY)
    assert daily.pm25 == round((80 * 23 + 200) / 24)  # the day was recomputed from the stored hours
    # the same hour twice in one upload: the later row wins
    twice = ingest(
        [
            ReadingRow(row=1, station="A01", observed_at=at(DAY, 6), values={"pm25": 10}),
            ReadingRow(row=2, station="A01", observed_at=at(DAY, 6), values={"pm25": 20}),
        ]
    )
    assert (
        twice.updated == 1 and Reading.objects.get(station=stations["A01"], observed_at=at(DAY, 6)).pm25 == 20
    )


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (ReadingRow(1, "NOPE", at(DAY, 1), {"pm25": 1}), "station", "NOPE"),
        (ReadingRow(1, "A01", at(DAY, 1), {"pm25": -3}), "pm25", "负数"),
        (ReadingRow(1, "A01", at(DAY, 1), {"pm10": 25000}), "pm10", "物理上限"),
        (ReadingRow(1, "A01", at(DAY, 1), {"co": float("inf")}), "co", "不是数字"),
        (ReadingRow(1, "A01", at(DAY, 1).replace(minute=30), {"pm25": 1}), "time", "整点"),
        (ReadingRow(1, "A01", None, {"pm25": 1}), "time", "时间"),
        (ReadingRow(1, "A01", dt.datetime(2025, 1, 1, 3), {"pm25": 1}), "time", "时区"),
        (ReadingRow(1, "A01", at(dt.date.today() + dt.timedelta(days=3), 1), {"pm25": 1}), "time", "未来"),
        (ReadingRow(1, "A01", at(DAY, 1), {}), "values", "没有"),
    ],
)
def test_impossible_rows_are_rejected_with_row_and_reason_and_the_rest_stored(
    stations, ingest, row, field, words
):
    row.row = 7
    good = ReadingRow(row=8, station="A01", observed_at=at(DAY, 2), values={"pm25": 30})
    report = ingest([row, good])
    assert [(e.row, e.field) for e in report.errors] == [(7, field)]
    assert words in report.errors[0].message
    assert report.created == 1 and Reading.objects.count() == 1


def test_invalid_flags_keep_the_value_but_leave_it_out_of_the_means(stations, ingest):
    rows = hours_rows("A01", DAY, CLEAN)
    for r in rows[:5]:
        r.valid = {"pm25": False}
    ingest(rows)
    assert Reading.objects.filter(pm25_valid=False, pm25=80).count() == 5
    daily = DailyValue.objects.get(station=stations["A01"], date=DAY)
    assert daily.pm25 is None  # 19 valid hours: missing, not guessed
    assert daily.pm10 == 100 and daily.aqi == 75  # AQI from what is valid


def test_o3_8_hour_averages_follow_later_and_earlier_hours(stations, ingest):
    ingest(hours_rows("A01", DAY, {"o3": 100}, hours=range(8)))
    assert Reading.objects.get(observed_at=at(DAY, 7)).o3_8h == 100
    # an hour arriving late changes the averages of the hours after it, already stored
    ingest(hours_rows("A01", DAY, {"o3": 180}, hours=[3]))
    assert Reading.objects.get(observed_at=at(DAY, 7)).o3_8h == 110
    assert Reading.objects.get(observed_at=at(DAY, 2)).o3_8h is None  # 3 hours: fewer than 6


def hour_aqi(station, day, hour):
    reading = Reading.objects.get(station=station, observed_at=at(day, hour))
    return reading.aqi, reading.primary


def test_an_so2_hour_above_800_is_scored_with_the_24_hour_moving_mean(stations, ingest):
    # HJ 633—2012: SO2 1 h above 800 → the IAQI of the station's SO2 24-hour moving mean
    values = {"pm25": 10}
    rows = hours_rows("A01", DAY, lambda h: {**values, "so2": 900 if h == 23 else 100})
    ingest(rows)
    # mean of hours 0–23: (23 × 100 + 900)/24 = 133.3 → 133 → 50 + ⌈50 × 83/100⌉ = 92; SO2 is primary (bit 2)
    assert hour_aqi(stations["A01"], DAY, 23) == (92, 4)
    assert hour_aqi(stations["A01"], DAY, 22) == (34, 0)  # SO2 1 h 100 → 34, on the 1-hour table
    # the moving mean crosses midnight: the next day's hour 5 sees hours 6–23 before it and 0–5 of its own
    nxt = DAY + dt.timedelta(days=1)
    ingest(hours_rows("A01", nxt, lambda h: {**values, "so2": 1000 if h == 5 else 50}, hours=range(6)))
    # (17 × 100 + 900 + 5 × 50 + 1000)/24 = 160.4 → 160 → 100 + ⌈50 × 10/325⌉ = 102
    assert hour_aqi(stations["A01"], nxt, 5) == (102, 4)


def test_without_20_valid_hours_in_the_24_the_so2_iaqi_is_missing_not_guessed(stations, ingest):
    ingest(hours_rows("A01", DAY, lambda h: {"pm25": 40, "so2": 900 if h == 18 else 100}, hours=range(19)))
    # 19 hours: no 24-hour mean; SO2 is left out and the hour's AQI is PM2.5's (40 → 57), not 900 on any table
    assert hour_aqi(stations["A01"], DAY, 18) == (57, 1)


def test_a_late_hour_recomputes_the_stored_hours_that_use_the_mean_it_changes(stations, ingest):
    hours = [h for h in range(1, 21) if h != 10]
    ingest(hours_rows("A01", DAY, lambda h: {"pm25": 10, "so2": 1000 if h == 20 else 100}, hours=hours))
    assert hour_aqi(stations["A01"], DAY, 20) == (15, 0)  # 19 hours: SO2 missing; PM2.5 10 → ⌈14.3⌉ = 15
    # the missing hour 10 arrives: hour 20 now has 20 valid hours, its mean (18 × 100 + 1000 + 700)/20 = 175
    # → 100 + ⌈50 × 25/325⌉ = 104
    ingest(hours_rows("A01", DAY, {"pm25": 10, "so2": 700}, hours=[10]))
    assert hour_aqi(stations["A01"], DAY, 20) == (104, 4)
    # re-sent with a lower value: recomputed again, (18 × 100 + 1000 + 100)/20 = 145 → 50 + ⌈50 × 95/100⌉ = 98
    ingest(hours_rows("A01", DAY, {"pm25": 10, "so2": 100}, hours=[10]))
    assert hour_aqi(stations["A01"], DAY, 20) == (98, 4)
    # flagged invalid: back to 19 valid hours, SO2 missing again
    row = hours_rows("A01", DAY, {"pm25": 10, "so2": 100}, hours=[10])[0]
    row.valid = {"so2": False}
    ingest([row])
    assert hour_aqi(stations["A01"], DAY, 20) == (15, 0)


def test_under_hj_633_2026_an_so2_hour_above_800_scores_200(stations, ingest):
    day = dt.date(2026, 3, 1)
    ingest(hours_rows("B01", day, lambda h: {"so2": 900 if h == 3 else 20}, hours=range(4)))
    assert hour_aqi(stations["B01"], day, 3) == (200, 4)


def test_ingest_runs_the_same_queries_for_one_station_day_as_for_many(
    stations, ingest, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def so2(h):
        return {"pm25": 30, "so2": 900 if h % 5 == 0 else 100}

    # stored hours that depend on the batch's means, so that the recomputation runs in both calls
    ingest(hours_rows("A01", DAY, so2) + hours_rows("B01", DAY, so2, start_row=25))
    with CaptureQueriesContext(connection) as small:
        ingest(hours_rows("A01", DAY, {"pm25": 30, "so2": 400}, hours=[2]))
    assert any("UPDATE" in q["sql"] and "primary" in q["sql"] for q in small.captured_queries)
    assert len(small.captured_queries) <= 16
    nxt = DAY + dt.timedelta(days=1)
    many = []
    for code in stations:
        for d in range(3):
            many += hours_rows(code, nxt + dt.timedelta(days=d), so2, start_row=len(many) + 1)
    many += hours_rows("B01", DAY, {"pm25": 30, "so2": 400}, hours=[1, 2, 3], start_row=len(many) + 1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        report = ingest(many)
    assert report.stored == len(many) == 4 * 72 + 3


def test_days_on_both_sides_of_the_table_switch(stations, ingest):
    before, after = dt.date(2026, 2, 28), dt.date(2026, 3, 1)
    ingest(hours_rows("B01", before, {"pm25": 70}) + hours_rows("B01", after, {"pm25": 70}, start_row=25))
    values = dict(DailyValue.objects.filter(station=stations["B01"]).values_list("date", "aqi"))
    assert values == {before: 94, after: 110}
    tables = dict(DailyValue.objects.values_list("date", "table"))
    assert tables == {before: "HJ 633—2012", after: "HJ 633—2026"}


def test_air_import_command(stations, tmp_path):
    path = tmp_path / "hours.csv"
    lines = ["station,time,pm25,pm10,so2,no2,co,o3,pm25_valid"]
    lines += [f"A02,2025-12-01 {h:02d}:00,80,100,10,30,0.8,90,1" for h in range(24)]
    lines += [
        "A02,2025-12-02 00:00,-1,,,,,,",
        "A02,yesterday,10,,,,,,",
        "A02,2025-12-02 01:00,abc,,,,,,",
        "ZZZ,2025-12-02 02:00,10,,,,,,",
        "A02,2025-12-02 03:00,10,,,,,,2",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("air_import", str(path), stdout=out, stderr=err)
    assert "29 rows: 24 new, 0 replaced, 5 rejected" in out.getvalue()
    errors = err.getvalue().splitlines()
    assert [line.split(":")[0] for line in errors] == ["row 26", "row 27", "row 28", "row 29", "row 30"]
    assert "pm25" in errors[0] and "time" in errors[1] and "abc" in errors[2] and "ZZZ" in errors[3]
    assert DailyValue.objects.get(station=stations["A02"], date=DAY).aqi == 107
    # idempotent: importing again replaces
    out = io.StringIO()
    call_command("air_import", str(path), stdout=out, stderr=io.StringIO())
    assert "0 new, 24 replaced" in out.getvalue() and Reading.objects.count() == 24


def test_air_import_reports_nul_bytes_runaway_fields_and_long_values_and_keeps_the_good_rows(
    stations, tmp_path
):
    """A NUL in a cell is that row's error (PostgreSQL cannot even be asked about such a station code); a bad
    value is quoted shortly; a field the csv module refuses (above its 128 KiB limit) stops the import with a
    clear message after the rows before it are stored, not with a traceback."""
    path = tmp_path / "hours.csv"
    lines = ["station,time,pm25,pm10,so2,no2,co,o3"]
    lines += [f"A02,2025-12-01 {h:02d}:00,80,100,10,30,0.8,90" for h in range(24)]
    lines += ["A0\x002,2025-12-02 00:00,10,,,,,", "A02,2025-12-02 01:00," + "9" * 5000 + "x,,,,,"]
    lines += ['A02,2025-12-02 02:00,"' + "1" * 200_000 + '",,,,,', "A02,2025-12-02 03:00,10,,,,,"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="第 27 行之后"):
        call_command("air_import", str(path), stdout=out, stderr=err)
    assert "26 rows: 24 new, 0 replaced, 2 rejected" in out.getvalue()
    errors = err.getvalue().splitlines()
    assert errors[0].startswith("row 26: station:") and "NUL" in errors[0]
    assert errors[1].startswith("row 27: pm25:") and len(errors[1]) < 120
    assert Reading.objects.count() == 24


def test_air_import_refuses_a_file_without_the_columns(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="station"):
        call_command("air_import", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"missing\.csv"):
        call_command("air_import", str(tmp_path / "missing.csv"), stdout=io.StringIO())


def test_aqi_command_prints_one_json_object(db):
    out = io.StringIO()
    call_command(
        "aqi",
        "--date",
        "2025-06-01",
        "--pm25",
        "80",
        "--pm10",
        "100",
        "--so2",
        "10",
        "--no2",
        "30",
        "--co",
        "0.8",
        "--o3",
        "90",
        stdout=out,
    )
    assert json.loads(out.getvalue()) == {
        "aqi": 107,
        "iaqi": {"pm25": 107, "pm10": 75, "so2": 10, "no2": 38, "co": 20, "o3": 45},
        "primary_pollutants": ["pm25"],
        "level": 3,
        "category": "轻度污染",
        "color": "#FF7E00",
        "table": "HJ 633—2012",
    }
    out = io.StringIO()
    call_command("aqi", "--date", "2026-03-01", "--pm25", "60", "--hourly", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["aqi"], result["table"], result["primary_pollutants"]) == (100, "HJ 633—2026", ["pm25"])
    out = io.StringIO()
    call_command("aqi", "--date", "2025-06-01", "--so2", "900", "--so2-24h", "480", "--hourly", stdout=out)
    assert json.loads(out.getvalue())["iaqi"]["so2"] == 151  # the 24-hour mean 480 on the 24-hour table
    out = io.StringIO()
    call_command("aqi", "--date", "2025-06-01", "--so2", "900", "--pm25", "40", "--hourly", stdout=out)
    assert json.loads(out.getvalue())["iaqi"]["so2"] is None  # no 24-hour mean: missing, not guessed
    with pytest.raises(CommandError, match="--so2-24h"):
        call_command("aqi", "--date", "2025-06-01", "--so2", "900", "--so2-24h", "100", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--o3-1h"):
        call_command(
            "aqi", "--date", "2025-06-01", "--o3", "9", "--o3-1h", "9", "--hourly", stdout=io.StringIO()
        )
    with pytest.raises(CommandError, match="date"):
        call_command("aqi", "--date", "tomorrow", "--pm25", "1", stdout=io.StringIO())
    with pytest.raises(CommandError, match="at least one"):
        call_command("aqi", "--date", "2025-01-01", stdout=io.StringIO())


def test_aqi_command_prints_exactly_the_issue_line_even_without_a_migrated_database(monkeypatch):
    """No database access at all (``db`` not requested, and the table read fails as on an unmigrated database):
    the command still scores with the shipped tables, prints the issue's line byte for byte on stdout and a
    note on stderr, instead of a traceback."""
    from django.db import OperationalError

    import gridgov.air.management.commands.aqi as command

    def unmigrated():
        raise OperationalError("no such table: air_aqitable")

    monkeypatch.setattr(command, "aqi_tables", unmigrated)
    out, err = io.StringIO(), io.StringIO()
    args = ["--pm25", "80", "--pm10", "100", "--so2", "10", "--no2", "30", "--co", "0.8", "--o3", "90"]
    call_command("aqi", "--date", "2025-06-01", *args, stdout=out, stderr=err)
    assert out.getvalue() == (
        '{"aqi": 107, "iaqi": {"pm25": 107, "pm10": 75, "so2": 10, "no2": 38, "co": 20, "o3": 45}, '
        '"primary_pollutants": ["pm25"], "level": 3, "category": "轻度污染", "color": "#FF7E00", '
        '"table": "HJ 633—2012"}\n'
    )
    assert "shipped tables" in err.getvalue()
    out = io.StringIO()
    call_command("aqi", "--date", "2026-03-01", "--so2", "900", "--hourly", stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue())["iaqi"]["so2"] == 200  # HJ 633—2026: SO2 1 h above 800 scores 200


def test_a_county_can_correct_a_table_value_without_code(stations, ingest):
    from gridgov.air.models import AqiBreakpoint

    bp = AqiBreakpoint.objects.get(table__code="HJ633-2012", indicator="pm25_24h")
    bp.concentrations = [0, 35, 70, 115, 150, 250, 350, 500]
    bp.full_clean()
    bp.save()
    ingest(hours_rows("A01", DAY, {"pm25": 70}))
    assert DailyValue.objects.get(station=stations["A01"], date=DAY).aqi == 100
    bp.concentrations = [0, 35.5, 75]
    with pytest.raises(Exception, match="whole unit"):
        bp.full_clean()
