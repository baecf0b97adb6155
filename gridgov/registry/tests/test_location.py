"""Positions of households and places: 经度/纬度 in the ledgers (import and export), the edit form and the API,
always both or neither and inside China, with where they came from."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from python_calamine import CalamineWorkbook

from gridgov.registry.models import Household, LocationSource, Place
from gridgov.registry.services.exporting import registry_export
from gridgov.registry.services.importing import registry_import
from gridgov.registry.services.records import household_save
from gridgov.registry.tests.factories import table

pytestmark = pytest.mark.django_db

HEADER = "户编号,网格编码,地址,户主姓名,经度,纬度"


def households(territory, *rows) -> str:
    grid = territory.grid_a1_1.code
    return "\n".join(
        [HEADER, *(f"{code},{grid},常营西村{code}号,户主{code},{lng},{lat}" for code, lng, lat in rows)]
    )


def test_imported_positions_are_stored_with_their_source(territory):
    report = registry_import(
        actor=None,
        kind="households",
        table=table(households(territory, ("H1", "114.853216", "34.065127"), ("H2", "", ""))),
    )
    assert (report.created, report.rejected) == (2, 0)
    located = Household.objects.get(code="H1")
    assert (located.longitude, located.latitude) == (Decimal("114.853216"), Decimal("34.065127"))
    assert located.location_source == LocationSource.IMPORT and located.location_at is not None
    bare = Household.objects.get(code="H2")
    assert (bare.longitude, bare.latitude, bare.location_source, bare.location_at) == (None, None, "", None)


def test_imported_times_are_stored_as_the_orm_stores_them(territory):
    """The importer writes with a raw cursor: its date-times must be stored in the ORM's own form, or lookups and
    ordering by time treat imported rows differently from rows saved by a form."""
    from django.db import connection
    from django.utils import timezone

    registry_import(
        actor=None, kind="households", table=table(households(territory, ("H1", "114.853216", "34.065127")))
    )
    Household.objects.create(
        code="H9", grid=territory.grid_a1_1, address="x", head_name="户主", location_at=timezone.now()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code, CAST(location_at AS TEXT) FROM registry_household WHERE code IN ('H1', 'H9') ORDER BY code"
        )
        (_h1, imported), (_h9, saved) = cursor.fetchall()
    # the same textual form: SQLite compares these columns as text
    assert ("+" in imported) == ("+" in saved) and len(imported) == len(saved), (imported, saved)
    assert Household.objects.filter(location_at__lte=timezone.now()).count() == 2


@pytest.mark.parametrize(
    ("lng", "lat", "column", "message"),
    [
        ("200", "34.1", "经度", "经度须在 73–136 之间"),
        ("114.8", "60", "纬度", "纬度须在 3–54 之间"),
        ("114.8", "", "纬度", "经度和纬度须同时填写"),
        ("", "34.1", "经度", "经度和纬度须同时填写"),
        ("东经114", "34.1", "经度", "经度须为数字"),
        ("114.8", "NaN", "纬度", "纬度须为数字"),
    ],
)
def test_bad_positions_are_row_errors_naming_the_column(territory, lng, lat, column, message):
    report = registry_import(
        actor=None,
        kind="households",
        table=table(households(territory, ("H1", "114.85", "34.06"), ("H2", lng, lat))),
    )
    assert (report.created, report.rejected) == (1, 1)
    error = report.errors[0]
    assert (error.row, error.column) == (3, column)
    assert error.reason.startswith(message)
    assert not Household.objects.filter(code="H2").exists()


def test_english_aliases_and_places(territory):
    text = f"name,kind,grid,address,lng,lat\n王集超市,超市,{territory.grid_b1_1.code},王集路口,114.95,33.91"
    report = registry_import(actor=None, kind="places", table=table(text))
    assert (report.created, report.rejected) == (1, 0), report.errors
    place = Place.objects.get()
    assert (place.longitude, place.latitude, place.location_source) == (
        Decimal("114.95"),
        Decimal("33.91"),
        LocationSource.IMPORT,
    )


def test_reimport_keeps_positions_it_does_not_replace(territory):
    registry_import(
        actor=None,
        kind="households",
        table=table(households(territory, ("H1", "114.85", "34.06"), ("H2", "", ""))),
    )
    # a visit located H2 since; the same file again changes nothing, blanks keep the visit's position
    Household.objects.filter(code="H2").update(
        longitude=Decimal("114.9"), latitude=Decimal("34.1"), location_source=LocationSource.VISIT
    )
    stamped = Household.objects.get(code="H1").location_at
    again = registry_import(
        actor=None,
        kind="households",
        table=table(households(territory, ("H1", "114.85", "34.06"), ("H2", "", ""))),
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    h1, h2 = Household.objects.get(code="H1"), Household.objects.get(code="H2")
    assert h1.location_at == stamped and h1.location_source == LocationSource.IMPORT
    assert (h2.longitude, h2.location_source) == (Decimal("114.9"), LocationSource.VISIT)
    # a file without the columns leaves every position alone
    plain = f"户编号,网格编码,地址,户主姓名\nH2,{territory.grid_a1_1.code},常营西村H2号,户主H2改"
    assert registry_import(actor=None, kind="households", table=table(plain)).updated == 1
    h2 = Household.objects.get(code="H2")
    assert (h2.head_name, h2.longitude, h2.location_source) == ("户主H2改", Decimal("114.9"), "visit")
    # a new pair replaces the stored one, as an import
    moved = registry_import(
        actor=None, kind="households", table=table(households(territory, ("H2", "114.91", "34.11")))
    )
    assert moved.updated == 1
    h2 = Household.objects.get(code="H2")
    assert (h2.longitude, h2.location_source) == (Decimal("114.91"), LocationSource.IMPORT)


def test_export_carries_the_columns_and_imports_back(territory, tmp_path):
    registry_import(
        actor=None, kind="households", table=table(households(territory, ("H1", "114.853216", "34.065127")))
    )
    path = tmp_path / "households.xlsx"
    registry_export(actor=None, kind="households", region=territory.county, path=path)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header, row = rows[0], rows[1]
    assert header[-2:] == ["经度", "纬度"]
    assert [float(v) for v in row[-2:]] == [114.853216, 34.065127]


def test_the_database_refuses_half_a_position(territory):
    household = household_save(
        actor=None, data={"code": "H9", "grid": territory.grid_a1_1, "address": "x", "head_name": "y"}
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Household.objects.filter(pk=household.pk).update(longitude=Decimal("114.8"), location_source="edit")
    with pytest.raises(IntegrityError), transaction.atomic():
        Household.objects.filter(pk=household.pk).update(
            longitude=Decimal("14.8"), latitude=Decimal("34.1"), location_source="edit"
        )


def test_api_sets_checks_and_clears_a_position(territory, client_for):
    household = household_save(
        actor=None, data={"code": "H9", "grid": territory.grid_a1_1, "address": "x", "head_name": "y"}
    )
    client = client_for(territory.user("grid_a"))
    url = f"/api/v1/registry/households/{household.pk}"

    def patch(data):
        return client.patch(url, data, content_type="application/json")

    bad = patch({"longitude": 10.5, "latitude": 34.1})
    assert bad.status_code == 400 and bad.json()["fields"]["longitude"] == ["经度须在 73–136 之间"]
    half = patch({"latitude": 34.1})
    assert half.status_code == 400 and half.json()["fields"]["longitude"] == ["经度和纬度须同时填写"]
    household.refresh_from_db()
    assert household.longitude is None
    good = patch({"longitude": 114.8532169, "latitude": 34.065127})
    assert good.status_code == 200, good.content
    out = good.json()
    assert (out["longitude"], out["latitude"], out["location_source"]) == (114.853217, 34.065127, "edit")
    cleared = patch({"longitude": None, "latitude": None}).json()
    assert (cleared["longitude"], cleared["location_source"], cleared["location_at"]) == (None, "", None)
    # another township's worker cannot see it at all
    other = client_for(territory.user("grid_b")).patch(
        url, {"longitude": 114.8, "latitude": 34.0}, content_type="application/json"
    )
    assert other.status_code == 404


def test_edit_form_takes_both_or_neither(territory, client_for):
    household = household_save(
        actor=None,
        data={"code": "H9", "grid": territory.grid_a1_1, "address": "常营西村9号", "head_name": "王九"},
    )
    client = client_for(territory.user("grid_a"))
    url = f"/registry/households/{household.pk}/edit/"
    form = {
        "code": "H9",
        "grid": territory.grid_a1_1.code,
        "address": "常营西村9号",
        "head_name": "王九",
        "members": "2",
        "is_active": "on",
    }
    page = client.get(url)
    assert page.status_code == 200 and 'name="longitude"' in page.content.decode()
    response = client.post(url, {**form, "longitude": "114.8", "latitude": ""})
    assert response.status_code == 400 and "经度和纬度须同时填写" in response.content.decode()
    response = client.post(url, {**form, "longitude": "114.8", "latitude": "abc"})
    assert "纬度须为数字" in response.content.decode()
    household.refresh_from_db()
    assert household.longitude is None
    response = client.post(url, {**form, "longitude": "114.8", "latitude": "34.06"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert (household.longitude, household.latitude, household.location_source) == (
        Decimal("114.8"),
        Decimal("34.06"),
        LocationSource.EDIT,
    )
    detail = client.get(f"/registry/households/{household.pk}/").content.decode()
    assert "114.800000°E" in detail and "手工编辑" in detail
