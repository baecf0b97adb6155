"""POST/PATCH /api/v1/registry/residents: the household by its code, gender and birth date from the ID, one
registration per ID number, field errors for bad input and nothing stored."""

import datetime as dt

import pytest

from gridgov.core.crypto import blind_index, unseal
from gridgov.core.models import AuditLog
from gridgov.registry.models import Resident
from gridgov.registry.tests.api.conftest import (
    API,
    assert_field_error,
    assert_not_found,
    items,
    patch,
    post,
)
from gridgov.registry.tests.factories import make_id

URL = f"{API}/residents"
ID_1985 = make_id(
    birth="19850312", county="411627", sequence="122"
)  # female (even 17th digit), Taikang, 1985


def body(registry, **changes):
    data = {
        "household": registry.a1.household.code,
        "name": "王秀英",
        "id_number": ID_1985,
        "relation": "妻",
        "phone": "13812345678",
        "tags": ["返乡"],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def test_create_derives_gender_and_birth_date(registry, client_for, territory):
    response = post(client_for(territory.user("grid_a")), URL, body(registry))
    assert response.status_code == 201, response.content
    out = response.json()
    resident = Resident.objects.get(pk=out["id"])
    assert out == {
        "id": resident.pk,
        "household": {"id": registry.a1.household.pk, "code": registry.a1.household.code},
        "grid": {"code": territory.grid_a1_1.code, "name": territory.grid_a1_1.name},
        "name": "王秀英",
        "id_number_masked": "4116**********" + ID_1985[-4:],
        "gender": "F",
        "gender_label": "女",
        "birth_date": "1985-03-12",
        "phone_masked": "138****5678",
        "relation": "妻",
        "tags": ["返乡"],
        "is_active": True,
        "created_at": out["created_at"],
        "updated_at": out["updated_at"],
    }
    assert resident.birth_date == dt.date(1985, 3, 12)
    assert unseal(resident.id_sealed) == ID_1985
    assert resident.id_index == blind_index("ric", ID_1985)
    assert AuditLog.objects.filter(action="resident.create", object_id=str(resident.pk)).count() == 1


def test_id_number_is_normalised(registry, client_for, territory):
    number = make_id(birth="19700101", sequence="099")
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    response = post(client_for(territory.user("admin")), URL, body(registry, id_number=spaced))
    assert response.status_code == 201, response.content
    assert unseal(Resident.objects.get(pk=response.json()["id"]).id_sealed) == number


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id_number": ID_1985[:-1] + ("1" if ID_1985[-1] != "1" else "2")}, "id_number"),
        ({"id_number": "411627185003120000"}, "id_number"),  # born 1850
        ({"id_number": ""}, "id_number"),
        ({"id_number": ...}, "id_number"),
        ({"name": ""}, "name"),
        ({"name": ...}, "name"),
        ({"household": "NO-SUCH-HOUSEHOLD"}, "household"),
        ({"household": ...}, "household"),
        ({"phone": "110"}, "phone"),
        ({"relation": "x" * 21}, "relation"),
        ({"tags": [None]}, "tags.0"),
    ],
)
def test_create_bad_input_is_400_and_stores_nothing(registry, client_for, territory, changes, field):
    before = (Resident.objects.count(), AuditLog.objects.count())
    response = post(client_for(territory.user("township_a")), URL, body(registry, **changes))
    assert_field_error(response, field)
    assert (Resident.objects.count(), AuditLog.objects.count()) == before


def test_an_id_number_is_registered_once(registry, client_for, territory):
    client = client_for(territory.user("admin"))
    clear_id = registry.b1.clear[2]  # the resident of B1-1
    response = post(client, URL, body(registry, id_number=clear_id))
    body_ = assert_field_error(response, "id_number")
    assert registry.b1.household.code in body_["fields"]["id_number"][0]
    assert clear_id not in response.content.decode()
    assert Resident.objects.filter(id_index=blind_index("ric", clear_id)).count() == 1


def test_household_of_another_township_reads_as_missing(registry, client_for, territory):
    client = client_for(territory.user("township_a"))
    foreign = post(client, URL, body(registry, household=registry.b1.household.code))
    missing = post(client, URL, body(registry, household="NO-SUCH-HOUSEHOLD"))
    assert_field_error(foreign, "household")
    assert foreign.json() == missing.json()
    assert not Resident.objects.filter(name="王秀英").exists()


def test_patch_keeps_omitted_numbers_and_moves_household(registry, client_for, territory):
    resident = registry.a1.resident
    sealed = (resident.id_sealed, resident.phone_sealed)
    client = client_for(territory.user("township_a"))
    response = patch(
        client, f"{URL}/{resident.pk}", {"household": registry.a2.household.code, "relation": "孙"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["household"]["code"] == registry.a2.household.code
    assert response.json()["grid"]["code"] == territory.grid_a1_2.code
    resident.refresh_from_db()
    assert (resident.household, resident.relation) == (registry.a2.household, "孙")
    assert (resident.id_sealed, resident.phone_sealed) == sealed


def test_patch_id_number_rederives_gender_and_birth(registry, client_for, territory):
    resident = registry.a1.resident
    response = patch(client_for(territory.user("admin")), f"{URL}/{resident.pk}", {"id_number": ID_1985})
    assert response.status_code == 200, response.content
    assert (response.json()["gender"], response.json()["birth_date"]) == ("F", "1985-03-12")
    # Its own number again is not a duplicate.
    assert (
        patch(client_for(territory.user("admin")), f"{URL}/{resident.pk}", {"id_number": ID_1985}).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"id_number": None}, "id_number"),
        ({"id_number": "123"}, "id_number"),
        ({"name": None}, "name"),
        ({"household": "B1"}, "household"),
    ],
)
def test_patch_bad_input_changes_nothing(registry, client_for, territory, data, field):
    if data.get("household") == "B1":
        data = {"household": registry.b1.household.code}  # outside township A
    resident = registry.a1.resident
    before = Resident.objects.values().get(pk=resident.pk)
    response = patch(client_for(territory.user("township_a")), f"{URL}/{resident.pk}", data)
    assert_field_error(response, field)
    assert Resident.objects.values().get(pk=resident.pk) == before


def test_grid_worker_cannot_patch_the_neighbours(registry, client_for, territory):
    assert_not_found(
        patch(client_for(territory.user("grid_a")), f"{URL}/{registry.a2.resident.pk}", {"name": "x"})
    )


def test_search(registry, client_for, territory):
    client = client_for(territory.user("admin"))

    def names(**params):
        return [item["name"] for item in items(client.get(URL, params))]

    assert names(q="居民2") == ["居民2"]
    assert names(q=registry.b1.household.code) == ["居民3"]
    # In household-code order: HH201001001 (A1-1), HH201001003 (B1-1), HH201002002 (A1-2).
    assert names(tag="外出务工") == ["居民1", "居民3", "居民2"]
    assert names(tag="返乡") == []
