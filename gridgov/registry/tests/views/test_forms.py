"""Create and edit forms, and the 排查登记: good input is stored, bad input re-renders with errors and stores
nothing, and only users who may write get there."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.core.crypto import unseal
from gridgov.core.models import AuditLog
from gridgov.registry.models import Household, Licence, Place, Resident
from gridgov.registry.tests.factories import make_id
from gridgov.registry.tests.views.conftest import HEAD_IDS, PHONES


def household_post(grid, **extra) -> dict:
    data = {
        "code": "HN1",
        "grid": grid.code,
        "address": "常营西村新建路8号",
        "head_name": "王五",
        "head_id": make_id(birth="19850312", sequence="301"),
        "phone": "13700001234",
        "members": "4",
        "tags": "独居老人、返乡",
    }
    data.update(extra)
    return data


# --- households --------------------------------------------------------------------------------------------


def test_grid_worker_registers_a_household_in_their_grid(ledger, client_for):
    client = client_for(ledger.user("grid_a"))
    form = client.get("/registry/households/new/").content.decode()
    # A grid worker has one grid: it is offered in a select, not as a code to type.
    assert f'<option value="{ledger.territory.grid_a1_1.code}"' in form
    assert f'<option value="{ledger.territory.grid_a1_2.code}"' not in form
    response = client.post("/registry/households/new/", household_post(ledger.territory.grid_a1_1))
    household = Household.objects.get(code="HN1")
    assert response.status_code == 302
    assert response["Location"] == f"/registry/households/{household.pk}/"
    assert household.grid == ledger.territory.grid_a1_1
    assert household.tag_list == ["独居老人", "返乡"]
    assert household.members == 4
    assert unseal(household.head_id_sealed) == make_id(birth="19850312", sequence="301")
    assert household.phone_masked == "137****1234"
    assert AuditLog.objects.filter(action="household.create", object_id=str(household.pk)).exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": ""}, "code", "必填"),
        ({"head_id": "411627198503121230"}, "head_id", "校验位"),
        ({"phone": "12345"}, "phone", "电话号码"),
        ({"members": "0"}, "members", ""),
        ({"code": "HA1"}, "code", "已存在"),
    ],
)
def test_bad_household_input_is_shown_and_nothing_is_stored(ledger, client_for, changes, field, message):
    client = client_for(ledger.user("township_a"))
    before = Household.objects.count()
    response = client.post("/registry/households/new/", household_post(ledger.territory.grid_a1_1, **changes))
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert 'aria-invalid="true"' in response.content.decode()
    assert Household.objects.count() == before


def test_grid_out_of_scope_is_a_field_error(ledger, client_for):
    client = client_for(ledger.user("township_a"))
    response = client.post("/registry/households/new/", household_post(ledger.territory.grid_b1_1))
    assert response.status_code == 400
    assert "grid" in response.context["form"].errors
    response = client.post("/registry/households/new/", household_post(ledger.territory.village_a1))
    assert response.status_code == 400
    assert "不是在用的网格" in response.context["form"].errors["grid"][0]
    assert not Household.objects.filter(code="HN1").exists()


def test_county_admin_types_the_grid_code(ledger, client_for, monkeypatch):
    from gridgov.registry import forms

    monkeypatch.setattr(forms, "GRID_SELECT_MAX", 3)  # the test county has 8 grids; a real one thousands
    client = client_for(ledger.user("admin"))
    html = client.get("/registry/households/new/").content.decode()
    assert 'name="grid"' in html and 'inputmode="numeric"' in html
    response = client.post("/registry/households/new/", household_post(ledger.territory.grid_b1_1))
    assert response.status_code == 302
    unknown = {**household_post(ledger.territory.grid_b1_1, code="HN2"), "grid": "411627999999001"}
    response = client.post("/registry/households/new/", unknown)
    assert response.status_code == 400
    assert "不存在或不在您的管辖范围内" in response.context["form"].errors["grid"][0]


def test_edit_never_prefills_personal_numbers_and_keeps_them_when_left_empty(ledger, client_for):
    household = ledger.households["HA1"]
    client = client_for(ledger.user("grid_a"))
    html = client.get(f"/registry/households/{household.pk}/edit/").content.decode()
    assert HEAD_IDS["HA1"] not in html and PHONES["HA1"] not in html
    assert f"4116**********{HEAD_IDS['HA1'][-4:]}" in html  # shown as the current value, masked
    data = household_post(household.grid, code="HA1", head_id="", phone="", address="常营西村改名路1号")
    data["is_active"] = "on"
    response = client.post(f"/registry/households/{household.pk}/edit/", data)
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.address == "常营西村改名路1号"
    assert unseal(household.head_id_sealed) == HEAD_IDS["HA1"]
    assert unseal(household.phone_sealed) == PHONES["HA1"]
    assert household.is_active


def test_edit_can_clear_the_phone(ledger, client_for):
    household = ledger.households["HA2"]
    data = household_post(household.grid, code="HA2", head_id="", phone="", clear_phone="on", is_active="on")
    response = client_for(ledger.user("township_a")).post(f"/registry/households/{household.pk}/edit/", data)
    assert response.status_code == 302
    household.refresh_from_db()
    assert (household.phone_sealed, household.phone_masked) == ("", "")
    assert unseal(household.head_id_sealed) == HEAD_IDS["HA2"]


@pytest.mark.parametrize(
    ("username", "status"),
    [("leader", 403), ("supervisor", 403), ("township_b", 404), ("grid_a2", 404), ("officer", 404)],
)
def test_who_may_not_edit_a_household(ledger, client_for, username, status):
    household = ledger.households["HA1"]
    client = client_for(ledger.user(username))
    url = f"/registry/households/{household.pk}/edit/"
    assert client.get(url).status_code == status
    response = client.post(url, household_post(household.grid, code="HA1", address="被改了"))
    assert response.status_code == status
    household.refresh_from_db()
    assert household.address != "被改了"


@pytest.mark.parametrize(("username", "status"), [("leader", 403), ("supervisor", 403), ("officer", 404)])
def test_who_may_not_create_households(ledger, client_for, username, status):
    client = client_for(ledger.user(username))
    assert client.get("/registry/households/new/").status_code == status
    assert (
        client.post("/registry/households/new/", household_post(ledger.territory.grid_a1_1)).status_code
        == status
    )
    assert not Household.objects.filter(code="HN1").exists()


# --- residents ---------------------------------------------------------------------------------------------


def test_add_a_member_from_the_household_page(ledger, client_for):
    household = ledger.households["HA1"]
    client = client_for(ledger.user("grid_a"))
    html = client.get(f"/registry/residents/new/?household={household.pk}").content.decode()
    assert 'value="HA1"' in html
    number = make_id(birth="19900101", sequence="402")
    response = client.post(
        "/registry/residents/new/",
        {
            "household": "HA1",
            "name": "李梅",
            "id_number": number.lower(),
            "relation": "配偶",
            "tags": "外出务工",
        },
    )
    assert response.status_code == 302
    resident = Resident.objects.get(name="李梅")
    assert resident.household == household
    assert (resident.gender, resident.birth_date) == ("F", dt.date(1990, 1, 1))
    assert unseal(resident.id_sealed) == number


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"id_number": "411627198503121230"}, "id_number", "校验位"),
        ({"id_number": HEAD_IDS["HB1"]}, "id_number", "已登记在户 HB1"),
        ({"id_number": ""}, "id_number", ""),
        ({"household": "HB1"}, "household", "不存在或不在您的管辖范围内"),
        ({"household": "NOPE"}, "household", "不存在"),
    ],
)
def test_bad_resident_input(ledger, client_for, changes, field, message):
    data = {"household": "HA1", "name": "李梅", "id_number": make_id(sequence="402"), "relation": "配偶"}
    data.update(changes)
    before = Resident.objects.count()
    response = client_for(ledger.user("township_a")).post("/registry/residents/new/", data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert Resident.objects.count() == before


def test_edit_a_resident_keeps_the_id_when_left_empty(ledger, client_for):
    resident = ledger.residents["child"]
    client = client_for(ledger.user("township_a"))
    html = client.get(f"/registry/residents/{resident.pk}/edit/").content.decode()
    assert resident.id_masked in html
    response = client.post(
        f"/registry/residents/{resident.pk}/edit/",
        {
            "household": "HA1",
            "name": "张小明",
            "id_number": "",
            "relation": "子",
            "tags": "外出务工",
            "is_active": "",
        },
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.tag_list == ["外出务工"]
    assert not resident.is_active
    assert resident.id_masked.endswith(make_id(birth="20100705", sequence="042")[-4:])


# --- places and licences -----------------------------------------------------------------------------------


def place_post(grid, **extra) -> dict:
    data = {
        "name": "常营化工",
        "place_kind": Place.Kind.KEY_ENTERPRISE,
        "industry": Place.Industry.HAZARDOUS_CHEMICALS,
        "credit_code": "",
        "grid": grid.code,
        "address": "常营镇工业园1号",
        "person_in_charge": "赵六",
        "phone": "03948123456",
        "risk_level": Place.Risk.HIGH,
        "tags": "",
    }
    data.update(extra)
    return data


def test_department_registers_a_key_enterprise(ledger, client_for):
    client = client_for(ledger.user("officer"))
    response = client.post("/registry/places/new/", place_post(ledger.territory.grid_a1_1))
    assert response.status_code == 302
    place = Place.objects.get(name="常营化工")
    assert (place.kind, place.industry, place.risk_level) == ("key_enterprise", "hazardous_chemicals", "high")
    assert place.phone_masked.startswith("0394")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"industry": ""}, "industry"),
        ({"credit_code": "91411627MA12345678"}, "credit_code"),
        ({"place_kind": "spaceport"}, "place_kind"),
        ({"address": ""}, "address"),
    ],
)
def test_bad_place_input(ledger, client_for, changes, field):
    response = client_for(ledger.user("township_a")).post(
        "/registry/places/new/", place_post(ledger.territory.grid_a1_1, **changes)
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Place.objects.filter(name="常营化工").exists()


def test_licence_from_the_place_page_takes_the_places_grid(ledger, client_for):
    place = ledger.places["shop"]
    client = client_for(ledger.user("officer"))
    html = client.get(f"/registry/licences/new/?place={place.pk}").content.decode()
    assert "常营超市" in html
    today = timezone.localdate()
    data = {
        "licence_kind": Licence.Kind.FIREWORKS_RETAIL,
        "number": "(豫)YH-0099",
        "holder_name": "常营超市",
        "place": place.pk,
        "issuing_authority": "太康县应急管理局",
        "valid_from": today.isoformat(),
        "valid_to": (today + dt.timedelta(days=60)).isoformat(),
        "product_types": "C级、D级",
        "max_storage": "500箱",
    }
    response = client.post("/registry/licences/new/", data)
    assert response.status_code == 302
    licence = Licence.objects.get(number="(豫)YH-0099")
    assert (licence.place, licence.grid) == (place, place.grid)

    bad = {**data, "number": "(豫)YH-0100", "valid_to": (today - dt.timedelta(days=1)).isoformat()}
    response = client.post("/registry/licences/new/", bad)
    assert response.status_code == 400
    assert "valid_to" in response.context["form"].errors
    assert not Licence.objects.filter(number="(豫)YH-0100").exists()

    no_place = {**data, "number": "(豫)YH-0101", "place": ""}
    response = client.post("/registry/licences/new/", no_place)
    assert response.status_code == 400
    assert "grid" in response.context["form"].errors


def test_township_may_read_but_not_write_licences(ledger, client_for):
    client = client_for(ledger.user("township_a"))
    licence = ledger.licences["expiring"]
    assert client.get(f"/registry/licences/{licence.pk}/").status_code == 200
    assert client.get(f"/registry/licences/{licence.pk}/edit/").status_code == 403
    assert client.get("/registry/licences/new/").status_code == 403


# --- 排查登记 ----------------------------------------------------------------------------------------------


def test_grid_worker_records_a_check(ledger, client_for):
    place = ledger.places["shop"]
    client = client_for(ledger.user("grid_a"))
    response = client.post(
        f"/registry/places/{place.pk}/check/", {"registration_status": "no_fireworks"}, follow=True
    )
    assert response.status_code == 200
    assert "已记录排查登记：已排查·不售烟花" in response.content.decode()
    place.refresh_from_db()
    assert (place.registration_status, place.sells_fireworks) == ("no_fireworks", False)
    assert place.checked_by == ledger.user("grid_a")
    assert place.checked_at is not None


def test_contradictory_check_is_refused(ledger, client_for):
    place = ledger.places["shop"]
    response = client_for(ledger.user("grid_a")).post(
        f"/registry/places/{place.pk}/check/",
        {"registration_status": "no_fireworks", "sells_fireworks": "on"},
    )
    assert response.status_code == 400
    assert "sells_fireworks" in response.context["check_form"].errors
    place.refresh_from_db()
    assert place.registration_status == "unchecked" and place.checked_by is None


@pytest.mark.parametrize(("username", "status"), [("leader", 403), ("township_b", 404), ("grid_a2", 404)])
def test_who_may_not_record_a_check(ledger, client_for, username, status):
    place = ledger.places["shop"]
    response = client_for(ledger.user(username)).post(
        f"/registry/places/{place.pk}/check/", {"registration_status": "illegal"}
    )
    assert response.status_code == status
    place.refresh_from_db()
    assert place.registration_status == "unchecked"
