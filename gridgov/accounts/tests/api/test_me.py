"""GET /api/v1/me: the signed-in user's roles, grants and scope roots."""

import pytest

from gridgov.accounts.services import api_token_create
from gridgov.conftest import COUNTY, GRID_A1_1, GRID_B1_1, TOWNSHIP_A, TOWNSHIP_B, make_user
from gridgov.core.roles import Role
from gridgov.territory.services import grant_add, grant_remove


def me(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 200, response.content
    return response.json()


def test_county_admin(territory, client_for):
    assert me(client_for(territory.user("admin"))) == {
        "username": "admin",
        "display_name": "admin",
        "roles": ["county_admin"],
        "read_only": False,
        "grants": [
            {
                "role": "county_admin",
                "role_label": "系统管理员",
                "region_code": COUNTY,
                "region_name": "太康县",
                "region_level": "county",
                "department": None,
            }
        ],
        "scope_roots": [COUNTY],
    }


def test_leader_is_read_only(territory, client_for):
    body = me(client_for(territory.user("leader")))
    assert body["roles"] == ["leader"]
    assert body["read_only"] is True
    assert body["scope_roots"] == [COUNTY]
    assert body["grants"][0]["role_label"] == "县领导"


@pytest.mark.parametrize(
    ("username", "role", "root"),
    [
        ("supervisor", "supervisor", COUNTY),
        ("commander", "commander", COUNTY),
        ("reward", "reward_officer", COUNTY),
        ("township_a", "township_officer", TOWNSHIP_A),
        ("township_b", "township_officer", TOWNSHIP_B),
        ("grid_a", "grid_worker", GRID_A1_1),
        ("grid_b", "grid_worker", GRID_B1_1),
    ],
)
def test_roles_and_scope_roots(territory, client_for, username, role, root):
    body = me(client_for(territory.user(username)))
    assert body["roles"] == [role]
    assert body["read_only"] is False
    assert body["scope_roots"] == [root]
    assert [(g["role"], g["region_code"]) for g in body["grants"]] == [(role, root)]


def test_grid_worker_grant_names_the_grid(territory, client_for):
    (grant,) = me(client_for(territory.user("grid_a")))["grants"]
    assert grant == {
        "role": "grid_worker",
        "role_label": "网格员",
        "region_code": GRID_A1_1,
        "region_name": "第1网格",
        "region_level": "grid",
        "department": None,
    }


def test_department_officer_names_the_department(territory, client_for):
    (grant,) = me(client_for(territory.user("officer")))["grants"]
    assert grant["role"] == "department_officer"
    assert grant["department"] == "县应急管理局"
    (other,) = me(client_for(territory.user("other_officer")))["grants"]
    assert other["department"] == "县环境攻坚办"


def test_user_without_grants(territory, client_for):
    body = me(client_for(territory.user("nobody")))
    assert body["username"] == "nobody"
    assert body["roles"] == []
    assert body["grants"] == []
    assert body["scope_roots"] == []
    assert body["read_only"] is False


def test_several_grants(territory, client_for):
    user = territory.user("township_a")
    grant_add(actor=None, user=user, role=Role.LEADER, region=territory.county)
    grant_add(actor=None, user=user, role=Role.GRID_WORKER, region=territory.grid_b1_1)
    body = me(client_for(user))
    assert body["roles"] == ["grid_worker", "leader", "township_officer"]
    # A leader grant alongside a working role does not make the user read-only.
    assert body["read_only"] is False
    assert sorted((g["role"], g["region_code"]) for g in body["grants"]) == [
        ("grid_worker", GRID_B1_1),
        ("leader", COUNTY),
        ("township_officer", TOWNSHIP_A),
    ]
    # The county grant covers the others: one root.
    assert body["scope_roots"] == [COUNTY]


def test_nested_grants_collapse_into_their_root(territory, client_for):
    user = territory.user("township_a")
    grant_add(actor=None, user=user, role=Role.GRID_WORKER, region=territory.grid_a1_1)
    grant_add(actor=None, user=user, role=Role.GRID_WORKER, region=territory.grid_b1_1)
    body = me(client_for(user))
    assert len(body["grants"]) == 3
    assert body["scope_roots"] == [TOWNSHIP_A, GRID_B1_1]


def test_removed_grant_is_gone(territory, client_for):
    user = territory.user("grid_a")
    grant_remove(actor=None, grant=user.grants.get())
    body = me(client_for(user))
    assert body["roles"] == []
    assert body["scope_roots"] == []


def test_display_name(territory, client_for):
    user = make_user("wangxm", display_name="王小明")
    grant_add(actor=None, user=user, role=Role.GRID_WORKER, region=territory.grid_a1_2)
    body = me(client_for(user))
    assert (body["username"], body["display_name"]) == ("wangxm", "王小明")
    assert body["scope_roots"] == [territory.grid_a1_2.code]


def test_me_with_bearer_token(territory, client):
    _token, plain = api_token_create(actor=None, user=territory.user("leader"), name="dashboard")
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 200
    assert response.json()["username"] == "leader"
    assert response.json()["read_only"] is True


def test_me_requires_credentials(territory, client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
