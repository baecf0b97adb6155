"""POST/PATCH /api/v1/registry/households: good input is stored (with an audit row), bad input is a 400 naming
the field and stores nothing; omitted personal numbers stay as they were."""

import pytest

from gridgov.accounts.services import api_token_create
from gridgov.conftest import VILLAGE_A1
from gridgov.core.crypto import blind_index, unseal
from gridgov.core.models import AuditLog
from gridgov.registry.models import Household
from gridgov.registry.tests.api.conftest import (
    API,
    assert_field_error,
    assert_not_found,
    items,
    patch,
    phone_number,
    post,
)
from gridgov.registry.tests.factories import make_id

URL = f"{API}/households"
HEAD_ID = make_id(birth="19850307", sequence="211")  # a 411627 ID of someone born in 1985: must be accepted
PHONE = "13812345678"


def body(territory, **changes):
    data = {
        "code": "HH-NEW-1",
        "grid": territory.grid_a1_1.code,
        "address": "常营镇常营西村 12 号",
        "head_name": "王建国",
        "head_id": HEAD_ID,
        "phone": PHONE,
        "members": 4,
        "tags": ["返乡", "独居老人"],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def test_create(registry, client_for, territory):
    client = client_for(territory.user("grid_a"))
    response = post(client, URL, body(territory))
    assert response.status_code == 201, response.content
    out = response.json()
    household = Household.objects.get(code="HH-NEW-1")
    assert out == {
        "id": household.pk,
        "code": "HH-NEW-1",
        "grid": {"code": territory.grid_a1_1.code, "name": territory.grid_a1_1.name},
        "address": "常营镇常营西村 12 号",
        "head_name": "王建国",
        "head_id_masked": "4116**********" + HEAD_ID[-4:],
        "phone_masked": "138****5678",
        "members": 4,
        "tags": ["独居老人", "返乡"],
        "is_active": True,
        "longitude": None,
        "latitude": None,
        "location_source": "",
        "location_at": None,
        "created_at": out["created_at"],
        "updated_at": out["updated_at"],
    }
    # Stored sealed, indexed and masked; the audit row names the actor and shows only masked numbers.
    assert unseal(household.head_id_sealed) == HEAD_ID
    assert household.head_id_index == blind_index("ric", HEAD_ID)
    assert unseal(household.phone_sealed) == PHONE
    audit = AuditLog.objects.get(action="household.create", object_id=str(household.pk))
    assert audit.actor == territory.user("grid_a")
    assert HEAD_ID not in str(audit.changes) and PHONE not in str(audit.changes)
    # And it is readable straight away.
    assert client.get(f"{URL}/{household.pk}").json() == out


def test_create_with_a_bearer_token(registry, client, territory):
    _token, plain = api_token_create(actor=None, user=territory.user("township_a"), name="t")
    response = client.post(
        URL,
        body(territory, code="HH-TOKEN"),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {plain}",
    )
    assert response.status_code == 201, response.content
    assert Household.objects.get(code="HH-TOKEN").grid == territory.grid_a1_1


def test_create_minimal(registry, client_for, territory):
    response = post(
        client_for(territory.user("admin")),
        URL,
        {"code": "HH-MIN", "grid": territory.grid_b1_1.code, "address": "王集村 1 号", "head_name": "赵六"},
    )
    assert response.status_code == 201, response.content
    out = response.json()
    assert (out["head_id_masked"], out["phone_masked"], out["members"], out["tags"]) == ("", "", 1, [])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"head_id": HEAD_ID[:-1] + ("0" if HEAD_ID[-1] != "0" else "1")}, "head_id"),  # checksum
        ({"head_id": "41162719851307123X"}, "head_id"),  # month 13
        ({"head_id": "4116271985"}, "head_id"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "电话"}, "phone"),
        ({"grid": "411627999999001"}, "grid"),  # no such grid
        ({"grid": VILLAGE_A1}, "grid"),  # a village, not a grid
        ({"grid": "4116271012010011"}, "grid"),  # 16 digits
        ({"grid": "abc"}, "grid"),
        ({"code": "TAKEN"}, "code"),  # unique in the county
        ({"code": ""}, "code"),
        ({"code": "has space"}, "code"),
        ({"code": "x" * 33}, "code"),
        ({"address": ""}, "address"),
        ({"address": "   "}, "address"),
        ({"address": ...}, "address"),
        ({"head_name": ...}, "head_name"),
        ({"head_name": "x" * 51}, "head_name"),
        ({"head_name": "王\x00五"}, "head_name"),
        ({"members": 100}, "members"),
        ({"members": -1}, "members"),
        ({"members": "many"}, "members"),
        ({"tags": ["a|b"]}, "tags.0"),
        ({"tags": "返乡"}, "tags"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
    ],
)
def test_create_bad_input_is_400_and_stores_nothing(registry, client_for, territory, changes, field):
    if changes.get("code") == "TAKEN":
        changes = {"code": registry.b1.household.code}
    client = client_for(territory.user("township_a"))
    before = (Household.objects.count(), AuditLog.objects.count())
    response = post(client, URL, body(territory, **changes))
    assert_field_error(response, field)
    assert (Household.objects.count(), AuditLog.objects.count()) == before


def test_grid_of_another_township_reads_as_missing(registry, client_for, territory):
    """A grid code outside the actor's scope is a field error like a code that does not exist: no leak."""
    client = client_for(territory.user("township_a"))
    foreign = post(client, URL, body(territory, grid=territory.grid_b1_1.code))
    missing = post(client, URL, body(territory, grid="411627202201009"))
    assert_field_error(foreign, "grid")
    assert foreign.json() == missing.json()
    assert foreign.json()["fields"]["grid"] == ["网格不存在或不在您的管辖范围内。"]
    assert not Household.objects.filter(code="HH-NEW-1").exists()


def test_grid_worker_cannot_register_in_the_neighbouring_grid(registry, client_for, territory):
    response = post(client_for(territory.user("grid_a")), URL, body(territory, grid=territory.grid_a1_2.code))
    assert_field_error(response, "grid")
    assert not Household.objects.filter(code="HH-NEW-1").exists()


def test_bad_json_is_400(registry, client_for, territory):
    client = client_for(territory.user("admin"))
    response = client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


# --- PATCH --------------------------------------------------------------------------------------------------


def test_patch_changes_only_what_is_sent(registry, client_for, territory):
    household = registry.a1.household
    sealed_id, sealed_phone = household.head_id_sealed, household.phone_sealed
    client = client_for(territory.user("grid_a"))
    response = patch(client, f"{URL}/{household.pk}", {"address": "新地址 8 号", "tags": ["返乡"]})
    assert response.status_code == 200, response.content
    out = response.json()
    assert (out["address"], out["tags"]) == ("新地址 8 号", ["返乡"])
    household.refresh_from_db()
    assert household.address == "新地址 8 号"
    assert household.head_name == "户主1"
    # Omitted personal numbers are unchanged, not cleared.
    assert (household.head_id_sealed, household.phone_sealed) == (sealed_id, sealed_phone)
    assert out["head_id_masked"] == household.head_id_masked != ""
    audit = AuditLog.objects.get(action="household.update", object_id=str(household.pk))
    assert set(audit.changes) == {"address", "tags"}


def test_patch_personal_numbers(registry, client_for, territory):
    household = registry.a1.household
    client = client_for(territory.user("township_a"))
    new_phone = phone_number(9999)
    response = patch(client, f"{URL}/{household.pk}", {"phone": new_phone, "head_id": HEAD_ID})
    assert response.status_code == 200, response.content
    household.refresh_from_db()
    assert unseal(household.phone_sealed) == new_phone
    assert unseal(household.head_id_sealed) == HEAD_ID
    assert response.json()["phone_masked"] == household.phone_masked == "139****9999"
    # An empty string or null clears.
    assert patch(client, f"{URL}/{household.pk}", {"phone": ""}).json()["phone_masked"] == ""
    assert patch(client, f"{URL}/{household.pk}", {"head_id": None}).json()["head_id_masked"] == ""
    household.refresh_from_db()
    assert (household.phone_sealed, household.head_id_sealed, household.head_id_index) == ("", "", "")


def test_patch_moves_to_another_grid_in_scope(registry, client_for, territory):
    household = registry.a1.household
    client = client_for(territory.user("township_a"))
    response = patch(client, f"{URL}/{household.pk}", {"grid": territory.grid_a1_2.code})
    assert response.status_code == 200, response.content
    assert response.json()["grid"]["code"] == territory.grid_a1_2.code
    household.refresh_from_db()
    assert household.grid == territory.grid_a1_2
    # ... but not out of it, and the grid worker who had it no longer sees it.
    assert_field_error(patch(client, f"{URL}/{household.pk}", {"grid": territory.grid_b1_1.code}), "grid")
    assert_not_found(client_for(territory.user("grid_a")).get(f"{URL}/{household.pk}"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"address": None}, "address"),
        ({"address": ""}, "address"),
        ({"code": None}, "code"),
        ({"members": None}, "members"),
        ({"members": 100}, "members"),
        ({"head_id": "123"}, "head_id"),
        ({"phone": "0"}, "phone"),
        ({"grid": "411627999999001"}, "grid"),
        ({"is_active": "perhaps"}, "is_active"),
    ],
)
def test_patch_bad_input_is_400_and_changes_nothing(registry, client_for, territory, data, field):
    household = registry.a1.household
    before = Household.objects.values().get(pk=household.pk)
    audits = AuditLog.objects.count()
    response = patch(client_for(territory.user("admin")), f"{URL}/{household.pk}", data)
    assert_field_error(response, field)
    assert Household.objects.values().get(pk=household.pk) == before
    assert AuditLog.objects.count() == audits


def test_patch_to_a_taken_code_is_400(registry, client_for, territory):
    household = registry.a1.household
    response = patch(
        client_for(territory.user("admin")), f"{URL}/{household.pk}", {"code": registry.b1.household.code}
    )
    assert_field_error(response, "code")
    household.refresh_from_db()
    assert household.code != registry.b1.household.code


def test_deactivated_household_leaves_the_list_but_stays_readable(registry, client_for, territory):
    household = registry.a1.household
    client = client_for(territory.user("grid_a"))
    assert patch(client, f"{URL}/{household.pk}", {"is_active": False}).json()["is_active"] is False
    assert items(client.get(URL)) == []
    assert [item["id"] for item in items(client.get(URL, {"include_inactive": "true"}))] == [household.pk]
    assert client.get(f"{URL}/{household.pk}").status_code == 200


@pytest.mark.parametrize("bad_id", ["0", "-1", "abc", str(2**64)])
def test_bad_ids_are_400(registry, client_for, territory, bad_id):
    response = client_for(territory.user("admin")).get(f"{URL}/{bad_id}")
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == ["household_id"]


# --- filters --------------------------------------------------------------------------------------------------


def test_search_and_tag_filters(registry, client_for, territory):
    client = client_for(territory.user("admin"))

    def codes(**params):
        return [item["code"] for item in items(client.get(URL, params))]

    assert codes(q="户主2") == [registry.a2.household.code]
    # Codes are matched from the start: HH201001001 (A1-1) and HH201001003 (B1-1) share "HH201001".
    assert codes(q=registry.b1.household.code) == [registry.b1.household.code]
    assert codes(q="HH201001") == [registry.a1.household.code, registry.b1.household.code]
    assert codes(q="201001") == []
    assert codes(q=territory.grid_b1_1.name + "3号") == [registry.b1.household.code]
    assert codes(tag="独居老人") == [registry.a1.household.code, registry.b1.household.code]
    assert codes(tag="返乡") == [registry.a2.household.code]
    assert codes(tag="不存在的标签") == []
    assert_field_error(client.get(URL, {"tag": "a|b"}), "tag")
    assert_field_error(client.get(URL, {"q": "x" * 101}), "q")
