"""``gridgov aqi --date D --pm25 … [--hourly]``: the AQI of one set of concentrations, as one JSON object."""

import datetime as dt
import json
import math

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from gridgov.air.engine import POLLUTANTS, aqi_compute, table_for
from gridgov.air.tables import aqi_tables, shipped_tables


def _concentration(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"must be a finite number >= 0: {text!r}")
    return value


class Command(BaseCommand):
    help = (
        "Prints the AQI of HJ 633 for the given concentrations as one JSON object. Without --hourly the values are "
        "daily (24-hour means; --o3 the daily maximum 8-hour mean); with --hourly 1-hour values and --so2-24h the "
        "SO2 24-hour moving mean; µg/m³, CO in mg/m³."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="the day the values belong to (chooses the table)")
        for key in POLLUTANTS:
            parser.add_argument(f"--{key}", type=_concentration, default=None)
        parser.add_argument(
            "--o3-1h", dest="o3_1h", type=_concentration, default=None, help="daily max 1-hour O3"
        )
        parser.add_argument(
            "--so2-24h",
            dest="so2_24h",
            type=_concentration,
            default=None,
            help="with --hourly: the SO2 24-hour moving mean, which an SO2 1-hour value above 800 is scored with",
        )
        parser.add_argument("--hourly", action="store_true", help="1-hour values (real-time AQI)")

    def handle(self, *args, date, hourly, o3_1h, so2_24h, **options):
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            raise CommandError(f"--date: not a date (YYYY-MM-DD): {date!r}") from None
        if hourly and o3_1h is not None:
            raise CommandError(
                "--o3-1h is the daily maximum 1-hour O3 of a daily AQI; with --hourly give --o3"
            )
        if so2_24h is not None and not hourly:
            raise CommandError(
                "--so2-24h (the SO2 24-hour moving mean) belongs to an hourly AQI: add --hourly"
            )
        values = {key: options.get(key) for key in POLLUTANTS}
        if all(v is None for v in values.values()):
            raise CommandError("give at least one of --" + ", --".join(POLLUTANTS))
        try:
            tables = aqi_tables()
        except DatabaseError as exc:
            # A database not yet migrated (or unreachable) must not turn a calculation into a traceback: score
            # with the shipped tables and say so on stderr, so that stdout stays one JSON object.
            self.stderr.write(f"AQI tables not readable from the database ({exc}); using the shipped tables.")
            tables = shipped_tables()
        table = table_for(tables, day)
        result = aqi_compute(table, values, hourly=hourly, o3_1h=o3_1h, so2_24h=so2_24h)
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
