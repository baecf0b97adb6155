"""Writes of the air app: stations, readings (with derived and daily values), warnings."""

from gridgov.air.services.readings import IngestReport, ReadingRow, RowError, daily_refresh, readings_ingest
from gridgov.air.services.stations import station_create, station_update
from gridgov.air.services.warnings import warning_issue, warning_lift, warning_suggest

__all__ = [
    "IngestReport",
    "ReadingRow",
    "RowError",
    "daily_refresh",
    "readings_ingest",
    "station_create",
    "station_update",
    "warning_issue",
    "warning_lift",
    "warning_suggest",
]
