"""Air fixtures: four stations in the shared county (two in each township) and helpers that feed hours through
the ingestion service, the way a logger would."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from gridgov.air.services import ReadingRow, readings_ingest, station_create


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def stations(territory):
    admin = territory.user("admin")
    specs = [
        ("A01", "常营镇政府", "county", "114.83", "34.06", territory.township_a),
        ("A02", "常营西村微站", "township", "114.80", "34.08", territory.grid_a1_1),
        ("B01", "王集乡政府", "county", "114.95", "34.15", territory.township_b),
        ("B02", "李庄微站", "township", "114.97", "34.12", territory.village_b2),
    ]
    return {
        code: station_create(
            actor=admin, code=code, name=name, level=level, longitude=lon, latitude=lat, region=region
        )
        for code, name, level, lon, lat, region in specs
    }


def hours_rows(
    code: str, day: dt.date, values: dict, *, hours=range(24), start_row: int = 1
) -> list[ReadingRow]:
    """One row per hour of ``day`` with the same ``values`` (a callable of the hour gives varying values)."""
    rows = []
    for i, hour in enumerate(hours):
        vals = values(hour) if callable(values) else values
        rows.append(ReadingRow(row=start_row + i, station=code, observed_at=at(day, hour), values=dict(vals)))
    return rows


@pytest.fixture
def ingest():
    def _ingest(rows, actor=None):
        return readings_ingest(actor=actor, rows=rows, source="test")

    return _ingest


@pytest.fixture
def logger_user(territory):
    """A station logger: no grant, only the permission to send readings."""
    from gridgov.conftest import make_user

    user = make_user("logger")
    user.user_permissions.add(Permission.objects.get(codename="add_reading", content_type__app_label="air"))
    return user
