"""Who sees which registry rows through the API (ARCHITECTURE §8): the sibling township gets 404, the parent sees,
a grid worker only their grid, a department officer no people but places and licences, the leader reads only."""

import pytest

from gridgov.conftest import TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1
from gridgov.core.models import AuditLog
from gridgov.registry.models import Household, Licence, Place, Resident
from gridgov.registry.tests.api.conftest import (
    KINDS,
    assert_not_found,
    detail_url,
    ids,
    list_url,
    patch,
    post,
)
from gridgov.registry.tests.factories import make_id

PEOPLE = ("households", "residents")
MODELS = {"households": Household, "residents": Resident, "places": Place, "licences": Licence}


@pytest.mark.parametrize("kind", KINDS)
def test_county_admin_sees_every_township(registry, client_for, territory, kind):
    client = client_for(territory.user("admin"))
    assert ids(client.get(list_url(kind))) == {row.obj(kind).pk for row in registry.rows}
    for row in registry.rows:
        response = client.get(detail_url(kind, row.obj(kind).pk))
        assert response.status_code == 200, response.content
        assert response.json()["id"] == row.obj(kind).pk


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("username", "own", "foreign"), [("township_a", "a1", "b1"), ("township_b", "b1", "a1")]
)
def test_sibling_township_gets_404(registry, client_for, territory, kind, username, own, foreign):
    client = client_for(territory.user(username))
    own_obj, foreign_obj = getattr(registry, own).obj(kind), getattr(registry, foreign).obj(kind)
    listed = ids(client.get(list_url(kind)))
    assert own_obj.pk in listed
    assert foreign_obj.pk not in listed
    assert client.get(detail_url(kind, own_obj.pk)).status_code == 200
    out_of_scope = client.get(detail_url(kind, foreign_obj.pk))
    missing = client.get(detail_url(kind, 10**9))
    assert_not_found(out_of_scope)
    assert_not_found(missing)
    assert out_of_scope.content == missing.content
    # Nor can it be changed from there.
    assert_not_found(patch(client, detail_url(kind, foreign_obj.pk), {}))


@pytest.mark.parametrize("kind", KINDS)
def test_township_sees_every_grid_below_it(registry, client_for, territory, kind):
    client = client_for(territory.user("township_a"))
    assert ids(client.get(list_url(kind))) == {registry.a1.obj(kind).pk, registry.a2.obj(kind).pk}


@pytest.mark.parametrize("kind", KINDS)
def test_grid_worker_sees_only_their_grid(registry, client_for, territory, kind):
    client = client_for(territory.user("grid_a"))
    assert ids(client.get(list_url(kind))) == {registry.a1.obj(kind).pk}
    assert client.get(detail_url(kind, registry.a1.obj(kind).pk)).status_code == 200
    # The neighbouring grid of the same village is as foreign as the other township.
    assert_not_found(client.get(detail_url(kind, registry.a2.obj(kind).pk)))
    assert_not_found(client.get(detail_url(kind, registry.b1.obj(kind).pk)))


@pytest.mark.parametrize("kind", PEOPLE)
def test_department_officer_sees_no_people(registry, client_for, territory, kind):
    client = client_for(territory.user("officer"))
    assert ids(client.get(list_url(kind))) == set()
    for row in registry.rows:
        assert_not_found(client.get(detail_url(kind, row.obj(kind).pk)))


@pytest.mark.parametrize("kind", ["places", "licences"])
def test_department_officer_sees_places_and_licences(registry, client_for, territory, kind):
    client = client_for(territory.user("officer"))
    assert ids(client.get(list_url(kind))) == {row.obj(kind).pk for row in registry.rows}
    assert client.get(detail_url(kind, registry.b1.obj(kind).pk)).status_code == 200


@pytest.mark.parametrize("kind", KINDS)
def test_user_without_grant_sees_nothing(registry, client_for, territory, kind):
    client = client_for(territory.user("nobody"))
    assert client.get(list_url(kind)).json()["count"] == 0
    assert_not_found(client.get(detail_url(kind, registry.a1.obj(kind).pk)))


@pytest.mark.parametrize("kind", KINDS)
def test_no_credentials_is_401(registry, client, kind):
    for response in (
        client.get(list_url(kind)),
        client.get(detail_url(kind, registry.a1.obj(kind).pk)),
        post(client, list_url(kind), {}),
        patch(client, detail_url(kind, registry.a1.obj(kind).pk), {"name": "x"}),
    ):
        assert response.status_code == 401, response.content
        assert response.json()["code"] == "unauthenticated"


# --- the leader reads and writes nothing -------------------------------------------------------------------

CREATE_BODIES = {
    "households": lambda t, r: {
        "code": "HH-LEADER",
        "grid": t.grid_a1_1.code,
        "address": "县城1号",
        "head_name": "张三",
    },
    "residents": lambda t, r: {
        "household": r.a1.household.code,
        "name": "李四",
        "id_number": make_id(sequence="777"),
    },
    "places": lambda t, r: {"kind": "shop", "name": "新店", "grid": t.grid_a1_1.code, "address": "县城2号"},
    "licences": lambda t, r: {
        "kind": "fireworks_retail",
        "number": "LEADER-1",
        "grid": t.grid_a1_1.code,
        "holder_name": "新店",
        "issuing_authority": "太康县应急管理局",
        "valid_from": "2025-01-01",
        "valid_to": "2026-12-31",
    },
}
PATCH_BODIES = {
    "households": {"address": "改了"},
    "residents": {"relation": "女"},
    "places": {"name": "改了"},
    "licences": {"holder_name": "改了"},
}


@pytest.mark.parametrize("kind", KINDS)
def test_leader_reads_everything_and_writes_nothing(registry, client_for, territory, kind):
    client = client_for(territory.user("leader"))
    assert ids(client.get(list_url(kind))) == {row.obj(kind).pk for row in registry.rows}
    obj = registry.b1.obj(kind)
    assert client.get(detail_url(kind, obj.pk)).status_code == 200
    model = MODELS[kind]
    before = (model.objects.count(), AuditLog.objects.count())

    created = post(client, list_url(kind), CREATE_BODIES[kind](territory, registry))
    assert created.status_code == 403, created.content
    assert created.json()["code"] == "forbidden"
    updated = patch(client, detail_url(kind, obj.pk), PATCH_BODIES[kind])
    assert updated.status_code == 403, updated.content
    assert updated.json()["code"] == "forbidden"

    assert (model.objects.count(), AuditLog.objects.count()) == before
    assert model.objects.get(pk=obj.pk).updated_at == obj.updated_at


def test_leader_cannot_check_a_place(registry, client_for, territory):
    client = client_for(territory.user("leader"))
    response = post(
        client, f"{detail_url('places', registry.a1.place.pk)}/check", {"registration_status": "registered"}
    )
    assert response.status_code == 403
    registry.a1.place.refresh_from_db()
    assert registry.a1.place.registration_status == Place.Registration.UNCHECKED
    assert registry.a1.place.checked_by is None


@pytest.mark.parametrize("kind", PEOPLE)
def test_department_officer_cannot_write_people(registry, client_for, territory, kind):
    client = client_for(territory.user("officer"))
    before = MODELS[kind].objects.count()
    response = post(client, list_url(kind), CREATE_BODIES[kind](territory, registry))
    # Households: the grid is visible to the officer but not writable; residents: the household is not even visible.
    assert response.status_code in (400, 403), response.content
    if kind == "households":
        assert response.status_code == 403
    else:
        assert list(response.json()["fields"]) == ["household"]
    assert MODELS[kind].objects.count() == before


# --- the region filter ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_region_filter_narrows_to_a_subtree(registry, client_for, territory, kind):
    client = client_for(territory.user("admin"))
    assert ids(client.get(list_url(kind), {"region": TOWNSHIP_B})) == {registry.b1.obj(kind).pk}
    assert ids(client.get(list_url(kind), {"region": VILLAGE_A1})) == {
        registry.a1.obj(kind).pk,
        registry.a2.obj(kind).pk,
    }
    assert ids(client.get(list_url(kind), {"region": territory.grid_a1_2.code})) == {registry.a2.obj(kind).pk}


@pytest.mark.parametrize("kind", KINDS)
def test_region_filter_outside_scope_is_404(registry, client_for, territory, kind):
    client = client_for(territory.user("township_a"))
    assert_not_found(client.get(list_url(kind), {"region": TOWNSHIP_B}))
    assert_not_found(client.get(list_url(kind), {"region": "411627999"}))
    assert ids(client.get(list_url(kind), {"region": TOWNSHIP_A})) == {
        registry.a1.obj(kind).pk,
        registry.a2.obj(kind).pk,
    }
