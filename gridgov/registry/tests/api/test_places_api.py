"""POST/PATCH /api/v1/registry/places and POST …/check (销售场所排查登记): choices as value and label, credit
code checks, key enterprises need an industry, filters."""

import pytest
from stdnum.cn import uscc

from gridgov.core.models import AuditLog
from gridgov.registry.models import Place
from gridgov.registry.tests.api.conftest import (
    API,
    assert_field_error,
    assert_not_found,
    items,
    patch,
    post,
)

URL = f"{API}/places"
CREDIT_CODE = "91411627MA40ABCD1" + uscc.calc_check_digit("91411627MA40ABCD1")
VILLAGE_COLLECTIVE = "N2411627MA40ABCD1" + uscc.calc_check_digit("N2411627MA40ABCD1")  # stdnum rejects; real


def body(territory, **changes):
    data = {
        "kind": "fireworks_retail",
        "name": "常营烟花爆竹零售点",
        "credit_code": CREDIT_CODE,
        "grid": territory.grid_a1_1.code,
        "address": "常营镇中心街 5 号",
        "person_in_charge": "刘强",
        "phone": "03948123456",
        "risk_level": "high",
        "sells_fireworks": True,
        "tags": ["春节重点"],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def test_create(registry, client_for, territory):
    response = post(client_for(territory.user("grid_a")), URL, body(territory))
    assert response.status_code == 201, response.content
    out = response.json()
    place = Place.objects.get(pk=out["id"])
    assert out == {
        "id": place.pk,
        "kind": "fireworks_retail",
        "kind_label": "烟花爆竹零售点",
        "industry": "",
        "industry_label": "",
        "name": "常营烟花爆竹零售点",
        "credit_code": CREDIT_CODE,
        "grid": {"code": territory.grid_a1_1.code, "name": territory.grid_a1_1.name},
        "address": "常营镇中心街 5 号",
        "person_in_charge": "刘强",
        "phone_masked": place.phone_masked,
        "risk_level": "high",
        "risk_level_label": "较大风险",
        "sells_fireworks": True,
        "registration_status": "unchecked",
        "registration_status_label": "未排查",
        "checked_by": None,
        "checked_at": None,
        "tags": ["春节重点"],
        "is_active": True,
        "longitude": None,
        "latitude": None,
        "location_source": "",
        "location_at": None,
        "created_at": out["created_at"],
        "updated_at": out["updated_at"],
    }
    assert place.phone_masked.startswith("0394") and "8123456" not in place.phone_masked


def test_department_officer_registers_a_key_enterprise(registry, client_for, territory):
    response = post(
        client_for(territory.user("officer")),
        URL,
        body(
            territory, kind="key_enterprise", industry="hazardous_chemicals", credit_code=VILLAGE_COLLECTIVE
        ),
    )
    assert response.status_code == 201, response.content
    assert (response.json()["industry"], response.json()["industry_label"]) == (
        "hazardous_chemicals",
        "危险化学品",
    )
    assert response.json()["credit_code"] == VILLAGE_COLLECTIVE


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "casino"}, "kind"),
        ({"kind": ...}, "kind"),
        ({"kind": "key_enterprise"}, "industry"),  # a key enterprise needs its industry
        ({"industry": "banking"}, "industry"),
        ({"risk_level": "extreme"}, "risk_level"),
        ({"credit_code": CREDIT_CODE[:-1] + ("0" if CREDIT_CODE[-1] != "0" else "1")}, "credit_code"),
        ({"credit_code": "123"}, "credit_code"),
        ({"credit_code": "91411627MA40ABCDIO"}, "credit_code"),
        ({"name": ""}, "name"),
        ({"address": ...}, "address"),
        ({"grid": ...}, "grid"),
        ({"grid": "411627202201001"}, "grid"),  # township B's grid, outside grid_a's scope
        ({"phone": "12"}, "phone"),
        ({"sells_fireworks": "sometimes"}, "sells_fireworks"),
    ],
)
def test_create_bad_input_is_400_and_stores_nothing(registry, client_for, territory, changes, field):
    before = (Place.objects.count(), AuditLog.objects.count())
    response = post(client_for(territory.user("grid_a")), URL, body(territory, **changes))
    assert_field_error(response, field)
    assert (Place.objects.count(), AuditLog.objects.count()) == before


def test_credit_code_is_registered_once(registry, client_for, territory):
    client = client_for(territory.user("admin"))
    assert post(client, URL, body(territory)).status_code == 201
    again = post(client, URL, body(territory, name="另一家", grid=territory.grid_b1_1.code))
    assert_field_error(again, "credit_code")
    assert Place.objects.filter(credit_code=CREDIT_CODE).count() == 1


def test_patch(registry, client_for, territory):
    place = registry.a1.place
    sealed = place.phone_sealed
    client = client_for(territory.user("township_a"))
    response = patch(
        client,
        f"{URL}/{place.pk}",
        {"kind": "supermarket", "risk_level": "general", "credit_code": CREDIT_CODE},
    )
    assert response.status_code == 200, response.content
    out = response.json()
    assert (out["kind"], out["kind_label"], out["risk_level_label"]) == ("supermarket", "超市", "一般风险")
    place.refresh_from_db()
    assert (place.kind, place.credit_code, place.phone_sealed) == ("supermarket", CREDIT_CODE, sealed)
    assert_field_error(patch(client, f"{URL}/{place.pk}", {"kind": "key_enterprise"}), "industry")
    assert_field_error(patch(client, f"{URL}/{place.pk}", {"name": None}), "name")
    place.refresh_from_db()
    assert place.kind == "supermarket"


# --- 排查登记 -------------------------------------------------------------------------------------------------


def test_check_records_status_who_and_when(registry, client_for, territory):
    place = registry.a1.place
    user = territory.user("grid_a")
    response = post(
        client_for(user),
        f"{URL}/{place.pk}/check",
        {"registration_status": "registered", "sells_fireworks": True},
    )
    assert response.status_code == 200, response.content
    out = response.json()
    assert (out["registration_status"], out["registration_status_label"]) == ("registered", "已登记")
    assert out["sells_fireworks"] is True
    assert out["checked_by"] == {"id": user.pk, "display_name": user.display_name}
    place.refresh_from_db()
    assert (place.registration_status, place.checked_by, place.sells_fireworks) == ("registered", user, True)
    assert place.checked_at is not None
    assert AuditLog.objects.filter(action="place.check", object_id=str(place.pk), actor=user).count() == 1
    # Omitting sells_fireworks leaves it as it is.
    again = post(client_for(user), f"{URL}/{place.pk}/check", {"registration_status": "illegal"}).json()
    assert (again["registration_status"], again["sells_fireworks"]) == ("illegal", True)
    # The list shows who checked, too.
    listed = items(client_for(user).get(URL, {"registration": "illegal"}))
    assert [(item["id"], item["checked_by"]["id"]) for item in listed] == [(place.pk, user.pk)]


@pytest.mark.parametrize("data", [{"registration_status": "done"}, {}, {"registration_status": None}])
def test_check_bad_status_is_400(registry, client_for, territory, data):
    place = registry.a1.place
    response = post(client_for(territory.user("grid_a")), f"{URL}/{place.pk}/check", data)
    assert_field_error(response, "registration_status")
    place.refresh_from_db()
    assert place.checked_at is None


def test_check_outside_scope_is_404(registry, client_for, territory):
    place = registry.a2.place
    assert_not_found(
        post(
            client_for(territory.user("grid_a")),
            f"{URL}/{place.pk}/check",
            {"registration_status": "registered"},
        )
    )
    place.refresh_from_db()
    assert place.checked_at is None


# --- filters --------------------------------------------------------------------------------------------------


def test_filters(registry, client_for, territory):
    client = client_for(territory.user("admin"))
    supermarket = post(
        client, URL, body(territory, kind="supermarket", credit_code="", sells_fireworks=False, tags=["商超"])
    )
    assert supermarket.status_code == 201
    new_id = supermarket.json()["id"]
    post(client, f"{URL}/{registry.b1.place.pk}/check", {"registration_status": "no_fireworks"})

    def found(**params):
        return {item["id"] for item in items(client.get(URL, params))}

    shops = {row.place.pk for row in registry.rows}
    assert found(kind="shop") == shops
    assert found(kind="supermarket") == {new_id}
    assert found(registration="no_fireworks") == {registry.b1.place.pk}
    assert found(registration="unchecked") == shops - {registry.b1.place.pk} | {new_id}
    assert found(tag="商超") == {new_id}
    assert found(q="便民超市2") == {registry.a2.place.pk}
    assert found(sells_fireworks="false") == shops | {new_id}
    assert found(sells_fireworks="true") == set()
    assert found(kind="shop", region=territory.township_b.code) == {registry.b1.place.pk}
    assert_field_error(client.get(URL, {"kind": "casino"}), "kind")
    assert_field_error(client.get(URL, {"registration": "maybe"}), "registration")
