"""POST/PATCH /api/v1/registry/licences: the grid from the place (or given), dates in order, one number per kind,
and the licences about to expire or expired listed."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.core.models import AuditLog
from gridgov.registry.models import Licence
from gridgov.registry.tests.api.conftest import (
    API,
    assert_field_error,
    items,
    patch,
    post,
)

URL = f"{API}/licences"


def body(registry, **changes):
    data = {
        "kind": "fireworks_transport",
        "number": "豫公(运)2025-0001",
        "place_id": registry.a1.place.pk,
        "holder_name": "太康县鑫盛烟花爆竹有限公司",
        "issuing_authority": "太康县公安局",
        "valid_from": "2025-12-20",
        "valid_to": "2025-12-22",
        "product_types": "C级",
        "consignor": "浏阳市某烟花厂",
        "carrier": "太康县顺达运输公司",
        "origin": "湖南浏阳",
        "destination": "太康县常营镇",
        "route": "G4—G45—S213",
        "quantity": "200 箱",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def test_create_takes_the_grid_from_the_place(registry, client_for, territory):
    response = post(client_for(territory.user("officer")), URL, body(registry))
    assert response.status_code == 201, response.content
    out = response.json()
    licence = Licence.objects.get(pk=out["id"])
    assert licence.grid == territory.grid_a1_1
    assert out["grid"] == {"code": territory.grid_a1_1.code, "name": territory.grid_a1_1.name}
    assert out["place"] == {"id": registry.a1.place.pk, "name": registry.a1.place.name}
    assert (out["kind"], out["kind_label"]) == ("fireworks_transport", "烟花爆竹道路运输许可证")
    assert (out["valid_from"], out["valid_to"], out["route"]) == ("2025-12-20", "2025-12-22", "G4—G45—S213")
    assert out["is_revoked"] is False
    assert AuditLog.objects.filter(action="licence.create", object_id=str(licence.pk)).count() == 1


def test_create_without_place_needs_a_grid(registry, client_for, territory):
    client = client_for(territory.user("admin"))
    assert_field_error(post(client, URL, body(registry, place_id=None)), "grid")
    response = post(client, URL, body(registry, place_id=None, grid=territory.grid_b1_1.code))
    assert response.status_code == 201, response.content
    assert response.json()["place"] is None
    assert response.json()["grid"]["code"] == territory.grid_b1_1.code


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"valid_to": "2025-12-19"}, "valid_to"),  # before valid_from
        ({"valid_to": "2025-02-30"}, "valid_to"),
        ({"valid_from": ...}, "valid_from"),
        ({"kind": "driving"}, "kind"),
        ({"number": ""}, "number"),
        ({"number": "x" * 65}, "number"),
        ({"holder_name": ...}, "holder_name"),
        ({"place_id": 10**9}, "place_id"),
        ({"place_id": 0}, "place_id"),
        ({"place_id": "abc"}, "place_id"),
        ({"place_id": None, "grid": "411627999999001"}, "grid"),
        ({"quantity": "x" * 51}, "quantity"),
    ],
)
def test_create_bad_input_is_400_and_stores_nothing(registry, client_for, territory, changes, field):
    before = (Licence.objects.count(), AuditLog.objects.count())
    response = post(client_for(territory.user("admin")), URL, body(registry, **changes))
    assert_field_error(response, field)
    assert (Licence.objects.count(), AuditLog.objects.count()) == before


def test_place_outside_scope_reads_as_missing(registry, client_for, territory):
    client = client_for(territory.user("township_a"))
    foreign = post(client, URL, body(registry, place_id=registry.b1.place.pk))
    missing = post(client, URL, body(registry, place_id=10**9))
    assert_field_error(foreign, "place_id")
    assert foreign.json() == missing.json()


def test_township_officer_cannot_issue_licences(registry, client_for, territory):
    """Licences are the departments' and the admin's to keep (registry.policies.WRITE_ROLES)."""
    response = post(client_for(territory.user("township_a")), URL, body(registry))
    assert response.status_code == 403, response.content
    assert not Licence.objects.filter(number="豫公(运)2025-0001").exists()


def test_number_is_unique_per_kind(registry, client_for, territory):
    client = client_for(territory.user("admin"))
    assert post(client, URL, body(registry)).status_code == 201
    again = post(client, URL, body(registry))
    assert again.status_code == 400
    assert again.json()["fields"]
    assert Licence.objects.filter(number="豫公(运)2025-0001").count() == 1
    # The same number for another kind of licence is another licence.
    assert post(client, URL, body(registry, kind="work_safety")).status_code == 201


def test_patch(registry, client_for, territory):
    licence = registry.b1.licence
    client = client_for(territory.user("officer"))
    response = patch(client, f"{URL}/{licence.pk}", {"is_revoked": True, "max_storage": "500 箱"})
    assert response.status_code == 200, response.content
    assert (response.json()["is_revoked"], response.json()["max_storage"]) == (True, "500 箱")
    licence.refresh_from_db()
    assert (licence.is_revoked, licence.max_storage, licence.place) == (True, "500 箱", registry.b1.place)
    # Dates are checked against the stored ones.
    assert_field_error(
        patch(client, f"{URL}/{licence.pk}", {"valid_to": str(licence.valid_from - dt.timedelta(days=1))}),
        "valid_to",
    )
    assert_field_error(patch(client, f"{URL}/{licence.pk}", {"number": None}), "number")
    # null detaches the place; the grid stays.
    detached = patch(client, f"{URL}/{licence.pk}", {"place_id": None})
    assert detached.status_code == 200, detached.content
    assert detached.json()["place"] is None
    assert detached.json()["grid"]["code"] == territory.grid_b1_1.code


def test_expiry_filter_and_field(registry, client_for, territory):
    today = timezone.localdate()
    client = client_for(territory.user("admin"))
    expired = post(
        client,
        URL,
        body(
            registry,
            number="OLD-1",
            valid_from=str(today - dt.timedelta(days=400)),
            valid_to=str(today - dt.timedelta(days=1)),
        ),
    ).json()
    assert (expired["expiry"], expired["expiry_label"]) == ("expired", "已过期")

    def found(**params):
        return [item["id"] for item in items(client.get(URL, params))]

    # The fixture's licences run out in 10 days (A1-2) and 110 days (A1-1, B1-1); lists go by expiry date.
    later = [registry.a1.licence.pk, registry.b1.licence.pk]
    assert found(expiry="expired") == [expired["id"]]
    assert found(expiry="expiring") == [registry.a2.licence.pk]
    assert found(expiry="valid") == [registry.a2.licence.pk, *later]
    assert found() == [expired["id"], registry.a2.licence.pk, *later]
    by_id = {item["id"]: item for item in items(client.get(URL))}
    assert (by_id[registry.a2.licence.pk]["expiry"], by_id[registry.a2.licence.pk]["expiry_label"]) == (
        "expiring",
        "即将到期",
    )
    assert by_id[registry.a1.licence.pk]["expiry"] == "valid"
    assert found(kind="work_safety") == []
    assert found(q="YH[2025]00002") == [registry.a2.licence.pk]
    assert_field_error(client.get(URL, {"expiry": "soon"}), "expiry")
