"""Shared test fixtures: one small county with users at every level, set up through services."""

from dataclasses import dataclass

import pytest

from gridgov.accounts.models import User
from gridgov.core.roles import Role
from gridgov.territory.models import Department, Region
from gridgov.territory.services import DivisionRow, department_upsert, divisions_import, grant_add

PASSWORD = "correct-horse-battery"

# 示范县: two townships, two villages each, two grids a village (codes follow ARCHITECTURE §6).
COUNTY = "411627"
TOWNSHIP_A, TOWNSHIP_B = "411627101", "411627202"
VILLAGE_A1, VILLAGE_A2 = "411627101201", "411627101202"
VILLAGE_B1, VILLAGE_B2 = "411627202201", "411627202202"
GRID_A1_1, GRID_A1_2 = VILLAGE_A1 + "001", VILLAGE_A1 + "002"
GRID_B1_1 = VILLAGE_B1 + "001"

TEST_DIVISIONS = [
    (COUNTY, "太康县", "county", "411600"),
    (TOWNSHIP_A, "常营镇", "township", COUNTY),
    (TOWNSHIP_B, "王集乡", "township", COUNTY),
    (VILLAGE_A1, "常营西村", "village", TOWNSHIP_A),
    (VILLAGE_A2, "常营东村", "village", TOWNSHIP_A),
    (VILLAGE_B1, "王集村", "village", TOWNSHIP_B),
    (VILLAGE_B2, "李庄村", "village", TOWNSHIP_B),
]


@dataclass
class Territory:
    county: Region
    township_a: Region
    township_b: Region
    village_a1: Region
    village_a2: Region
    village_b1: Region
    village_b2: Region
    grid_a1_1: Region
    grid_a1_2: Region
    grid_b1_1: Region
    department: Department
    other_department: Department
    users: dict[str, User]

    def user(self, name: str) -> User:
        return self.users[name]


def make_user(username: str, **extra) -> User:
    user = User(username=username, display_name=extra.pop("display_name", username), **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def build_territory() -> Territory:
    rows = [DivisionRow(i + 2, *row) for i, row in enumerate(TEST_DIVISIONS)]
    for village in (VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, VILLAGE_B2):
        rows += [DivisionRow(0, f"{village}{n:03d}", f"第{n}网格", "grid", village) for n in (1, 2)]
    divisions_import(actor=None, rows=rows)
    regions = {r.code: r for r in Region.objects.all()}
    county = regions[COUNTY]
    department = department_upsert(actor=None, county=county, code="yingji", name="县应急管理局")
    other_department = department_upsert(actor=None, county=county, code="huanbao", name="县环境攻坚办")
    spec = {
        "admin": (Role.COUNTY_ADMIN, COUNTY, None),
        "supervisor": (Role.SUPERVISOR, COUNTY, None),
        "commander": (Role.COMMANDER, COUNTY, None),
        "leader": (Role.LEADER, COUNTY, None),
        "reward": (Role.REWARD_OFFICER, COUNTY, None),
        "officer": (Role.DEPARTMENT_OFFICER, COUNTY, department),
        "other_officer": (Role.DEPARTMENT_OFFICER, COUNTY, other_department),
        "township_a": (Role.TOWNSHIP_OFFICER, TOWNSHIP_A, None),
        "township_b": (Role.TOWNSHIP_OFFICER, TOWNSHIP_B, None),
        "grid_a": (Role.GRID_WORKER, GRID_A1_1, None),
        "grid_a2": (Role.GRID_WORKER, GRID_A1_2, None),
        "grid_b": (Role.GRID_WORKER, GRID_B1_1, None),
    }
    users = {}
    for username, (role, code, dept) in spec.items():
        users[username] = make_user(username)
        grant_add(actor=None, user=users[username], role=role, region=regions[code], department=dept)
    users["nobody"] = make_user("nobody")
    return Territory(
        county=county,
        township_a=regions[TOWNSHIP_A],
        township_b=regions[TOWNSHIP_B],
        village_a1=regions[VILLAGE_A1],
        village_a2=regions[VILLAGE_A2],
        village_b1=regions[VILLAGE_B1],
        village_b2=regions[VILLAGE_B2],
        grid_a1_1=regions[GRID_A1_1],
        grid_a1_2=regions[GRID_A1_2],
        grid_b1_1=regions[GRID_B1_1],
        department=department,
        other_department=other_department,
        users=users,
    )


@pytest.fixture
def territory(db) -> Territory:
    """The shared county: 太康县 with townships A (常营镇) and B (王集乡), users at every level.

    Users: admin, supervisor, commander, leader, reward, officer (应急管理局), other_officer (环境攻坚办),
    township_a, township_b, grid_a (grid A1-1), grid_a2 (grid A1-2), grid_b (grid B1-1), nobody (no grant).
    All share the password ``PASSWORD``.
    """
    return build_territory()


@pytest.fixture
def client_for(client):
    """``client_for(user)`` returns the test client signed in as ``user``."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
