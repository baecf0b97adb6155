"""GET /api/v1/regions/{code} and /children: scope (404 outside it), ordering, counts, pagination, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.conftest import (
    COUNTY,
    GRID_A1_1,
    GRID_A1_2,
    GRID_B1_1,
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
)
from gridgov.core.roles import Role
from gridgov.territory.services import grant_add, grid_add, grid_retire

NOT_FOUND = {"detail": "未找到，或不在您的管辖范围内。", "code": "not_found"}


def detail(client, code):
    return client.get(f"/api/v1/regions/{code}")


def children(client, code, **params):
    return client.get(f"/api/v1/regions/{code}/children", params)


def child_codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


def assert_not_found(response):
    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


# --- who may see what ---------------------------------------------------------------------------------


def test_county_admin_sees_every_level(territory, client_for):
    client = client_for(territory.user("admin"))
    for code in (COUNTY, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1, VILLAGE_B1, GRID_A1_1, GRID_B1_1):
        response = detail(client, code)
        assert response.status_code == 200, (code, response.content)
        assert response.json()["code"] == code
    assert child_codes(children(client, COUNTY)) == [TOWNSHIP_A, TOWNSHIP_B]
    assert child_codes(children(client, VILLAGE_B1)) == [GRID_B1_1, VILLAGE_B1 + "002"]


def test_detail_body(territory, client_for):
    body = detail(client_for(territory.user("admin")), VILLAGE_A1).json()
    assert body == {
        "code": VILLAGE_A1,
        "name": "常营西村",
        "level": "village",
        "level_label": "村(社区)",
        "parent": {"code": TOWNSHIP_A, "name": "常营镇", "level": "township"},
        "child_count": 2,
        "is_active": True,
    }
    county = detail(client_for(territory.user("admin")), COUNTY).json()
    assert county["parent"] is None
    assert county["child_count"] == 2


@pytest.mark.parametrize(
    ("username", "own", "foreign"),
    [
        ("township_a", TOWNSHIP_A, TOWNSHIP_B),
        ("township_b", TOWNSHIP_B, TOWNSHIP_A),
    ],
)
def test_sibling_township_gets_404(territory, client_for, username, own, foreign):
    client = client_for(territory.user(username))
    assert detail(client, own).status_code == 200
    assert_not_found(detail(client, foreign))
    assert_not_found(children(client, foreign))
    # Nor anything below the other township, nor the county above its own.
    foreign_village = VILLAGE_B1 if foreign == TOWNSHIP_B else VILLAGE_A1
    assert_not_found(detail(client, foreign_village))
    assert_not_found(detail(client, COUNTY))
    assert_not_found(children(client, COUNTY))


def test_township_sees_its_whole_subtree(territory, client_for):
    client = client_for(territory.user("township_a"))
    assert child_codes(children(client, TOWNSHIP_A)) == [VILLAGE_A1, VILLAGE_A2]
    assert child_codes(children(client, VILLAGE_A1)) == [GRID_A1_1, GRID_A1_2]
    assert detail(client, GRID_A1_2).status_code == 200


def test_out_of_scope_and_missing_look_the_same(territory, client_for):
    client = client_for(territory.user("township_a"))
    out_of_scope = detail(client, TOWNSHIP_B)
    missing = detail(client, "411627999")
    assert_not_found(out_of_scope)
    assert_not_found(missing)
    assert out_of_scope.content == missing.content


def test_grid_worker_sees_only_their_grid(territory, client_for):
    client = client_for(territory.user("grid_a"))
    response = detail(client, GRID_A1_1)
    assert response.status_code == 200
    assert response.json()["parent"]["code"] == VILLAGE_A1
    assert children(client, GRID_A1_1).json() == {"count": 0, "page": 1, "page_size": 50, "items": []}
    assert_not_found(detail(client, VILLAGE_A1))
    assert_not_found(children(client, VILLAGE_A1))
    assert_not_found(detail(client, GRID_A1_2))
    assert_not_found(detail(client, TOWNSHIP_A))
    assert_not_found(detail(client, GRID_B1_1))


def test_user_without_grant_sees_nothing(territory, client_for):
    client = client_for(territory.user("nobody"))
    assert_not_found(detail(client, COUNTY))
    assert_not_found(children(client, COUNTY))


@pytest.mark.parametrize("username", ["leader", "supervisor", "commander", "officer", "reward"])
def test_county_level_roles_read_the_whole_county(territory, client_for, username):
    client = client_for(territory.user(username))
    assert detail(client, COUNTY).status_code == 200
    assert child_codes(children(client, COUNTY)) == [TOWNSHIP_A, TOWNSHIP_B]
    assert detail(client, GRID_B1_1).status_code == 200


# --- children: order, counts, pagination, retired -------------------------------------------------------


def test_children_in_code_order_with_child_counts(territory, client_for):
    grid_add(actor=None, village=territory.village_a2, name="新网格")
    client = client_for(territory.user("admin"))
    body = children(client, TOWNSHIP_A).json()
    assert body["count"] == 2
    assert [(item["code"], item["child_count"]) for item in body["items"]] == [
        (VILLAGE_A1, 2),
        (VILLAGE_A2, 3),
    ]
    assert {item["parent"]["code"] for item in body["items"]} == {TOWNSHIP_A}
    grids = children(client, VILLAGE_A2).json()["items"]
    assert [item["code"] for item in grids] == [VILLAGE_A2 + "001", VILLAGE_A2 + "002", VILLAGE_A2 + "003"]
    assert [item["child_count"] for item in grids] == [0, 0, 0]
    assert [item["level_label"] for item in grids] == ["网格"] * 3


def test_children_pagination(territory, client_for):
    for n in range(3):
        grid_add(actor=None, village=territory.village_a2, name=f"新网格{n}")
    client = client_for(territory.user("admin"))
    codes = [f"{VILLAGE_A2}{n:03d}" for n in range(1, 6)]

    first = children(client, VILLAGE_A2, page_size=2).json()
    assert first["count"] == 5
    assert (first["page"], first["page_size"]) == (1, 2)
    assert [item["code"] for item in first["items"]] == codes[:2]

    second = children(client, VILLAGE_A2, page_size=2, page=2).json()
    assert (second["count"], second["page"], second["page_size"]) == (5, 2, 2)
    assert [item["code"] for item in second["items"]] == codes[2:4]

    last = children(client, VILLAGE_A2, page_size=2, page=3).json()
    assert [item["code"] for item in last["items"]] == codes[4:]

    beyond = children(client, VILLAGE_A2, page_size=2, page=4).json()
    assert beyond == {"count": 5, "page": 4, "page_size": 2, "items": []}

    default = children(client, VILLAGE_A2).json()
    assert default["page_size"] == 50
    assert [item["code"] for item in default["items"]] == codes


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 10000}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
        ({"include_retired": "perhaps"}, "include_retired"),
    ],
)
def test_children_bad_query_is_400_with_fields(territory, client_for, params, field):
    response = children(client_for(territory.user("admin")), COUNTY, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [field]


def test_retired_grid_hidden_unless_include_retired(territory, client_for):
    retired_code = VILLAGE_A2 + "001"
    grid_retire(actor=None, grid=territory.village_a2.children.get(code=retired_code), reason="并入第2网格")
    client = client_for(territory.user("township_a"))

    assert child_codes(children(client, VILLAGE_A2)) == [VILLAGE_A2 + "002"]
    with_retired = children(client, VILLAGE_A2, include_retired="true").json()
    assert with_retired["count"] == 2
    assert [(item["code"], item["is_active"]) for item in with_retired["items"]] == [
        (retired_code, False),
        (VILLAGE_A2 + "002", True),
    ]
    assert child_codes(children(client, VILLAGE_A2, include_retired="false")) == [VILLAGE_A2 + "002"]
    # The village now counts one active grid; the retired grid itself stays readable.
    township = {item["code"]: item for item in children(client, TOWNSHIP_A).json()["items"]}
    assert township[VILLAGE_A2]["child_count"] == 1
    retired = detail(client, retired_code)
    assert retired.status_code == 200
    assert retired.json()["is_active"] is False
    # Retired grids stay out of other townships' reach too.
    assert_not_found(children(client_for(territory.user("township_b")), VILLAGE_A2, include_retired="true"))


# --- query counts -----------------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def test_children_query_count_does_not_grow_with_children(territory, client_for):
    client = client_for(territory.user("township_a"))
    url = f"/api/v1/regions/{VILLAGE_A2}/children"
    with_two = _count_queries(client, url)
    for n in range(22):
        grid_add(actor=None, village=territory.village_a2, name=f"加密网格{n}")
    client = client_for(territory.user("township_a"))  # a fresh request user, no cached scope
    assert len(client.get(url).json()["items"]) == 24
    with_many = _count_queries(client, url)
    assert with_many == with_two
    assert with_many <= 6  # session, user, grants, region, count, page


def test_detail_query_count(territory, client_for):
    client = client_for(territory.user("admin"))
    assert (
        _count_queries(client, f"/api/v1/regions/{VILLAGE_A1}") <= 5
    )  # session, user, grants, region, counts


def test_me_query_count_does_not_grow_with_grants(territory, client_for):
    user = territory.user("grid_b")
    client = client_for(user)
    with_one = _count_queries(client, "/api/v1/me")
    for region in (territory.grid_a1_1, territory.grid_a1_2, territory.village_a2, territory.village_b1):
        grant_add(actor=None, user=user, role=Role.GRID_WORKER, region=region)
    with_five = _count_queries(client, "/api/v1/me")
    assert with_five == with_one
    assert with_one <= 3  # session, user, grants
