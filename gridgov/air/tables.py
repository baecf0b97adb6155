"""The AQI tables as the engine uses them, read from the database (two queries)."""

from datetime import date

from gridgov.air.engine import Table, table_for
from gridgov.air.models import AqiTable
from gridgov.air.standards import AQI_TABLES


def aqi_tables() -> list[Table]:
    """Every table version, oldest first, with its breakpoints in engine units."""
    tables = []
    for row in AqiTable.objects.prefetch_related("breakpoints").order_by("valid_from"):
        breakpoints, above = {}, {}
        for bp in row.breakpoints.all():
            breakpoints[bp.indicator] = bp.concentrations
            if bp.above_use:
                above[bp.indicator] = {"use": bp.above_use}
            elif bp.above_iaqi is not None:
                above[bp.indicator] = {"iaqi": bp.above_iaqi}
        tables.append(
            Table.from_values(
                code=row.code, name=row.name, valid_from=row.valid_from, breakpoints=breakpoints, above=above
            )
        )
    if not tables:
        # No rows (a flushed test database): the shipped constants, so that scoring never fails.
        tables = shipped_tables()
    return tables


def shipped_tables() -> list[Table]:
    """The tables as shipped in ``standards.py`` (what the data migration seeds), oldest first."""
    return [
        Table.from_values(
            code=spec["code"],
            name=spec["name"],
            valid_from=spec["valid_from"],
            breakpoints=spec["breakpoints"],
            above=spec["above"],
        )
        for spec in AQI_TABLES
    ]


def aqi_table_for(day: date, tables: list[Table] | None = None) -> Table:
    return table_for(tables if tables is not None else aqi_tables(), day)
