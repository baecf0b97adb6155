"""A small registry in the shared county, set up through the services: one household, resident, place and licence
in each of grids A1-1 and A1-2 (township A) and B1-1 (township B)."""

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.registry.models import Household, Licence, Place, Resident
from gridgov.registry.services.records import household_save, licence_save, place_save, resident_save
from gridgov.registry.tests.factories import make_id

API = "/api/v1/registry"
KINDS = ("households", "residents", "places", "licences")
NOT_FOUND = {"detail": "未找到，或不在您的管辖范围内。", "code": "not_found"}


def phone_number(n: int) -> str:
    return f"1390394{n:04d}"


@dataclass
class Row:
    """One grid's records, and the clear numbers they were given."""

    household: Household
    resident: Resident
    place: Place
    licence: Licence
    clear: list[str] = field(default_factory=list)

    def obj(self, kind: str):
        return {
            "households": self.household,
            "residents": self.resident,
            "places": self.place,
            "licences": self.licence,
        }[kind]


@dataclass
class Registry:
    a1: Row  # grid A1-1, township A (grid_a's grid)
    a2: Row  # grid A1-2, township A
    b1: Row  # grid B1-1, township B

    @property
    def rows(self) -> list[Row]:
        return [self.a1, self.a2, self.b1]

    @property
    def clear_numbers(self) -> list[str]:
        return [number for row in self.rows for number in row.clear]


def make_row(grid, n: int, *, today: dt.date | None = None) -> Row:
    """Records for one grid; ``n`` keeps codes and numbers apart."""
    today = today or timezone.localdate()
    head_id, head_phone = make_id(birth="19850307", sequence=f"{n:03d}"), phone_number(n)
    resident_id, resident_phone = make_id(birth="19900101", sequence=f"{n + 500:03d}"), phone_number(n + 500)
    place_phone = phone_number(n + 1000)
    household = household_save(
        actor=None,
        data={
            "code": f"HH{grid.code[-6:]}{n:03d}",
            "grid": grid,
            "address": f"{grid.name}{n}号",
            "head_name": f"户主{n}",
            "head_id": head_id,
            "phone": head_phone,
            "members": 3,
            "tags": ["独居老人"] if n % 2 else ["返乡"],
        },
    )
    resident = resident_save(
        actor=None,
        data={
            "household": household,
            "name": f"居民{n}",
            "id_number": resident_id,
            "relation": "子",
            "phone": resident_phone,
            "tags": ["外出务工"],
        },
    )
    place = place_save(
        actor=None,
        data={
            "kind": Place.Kind.SHOP,
            "name": f"便民超市{n}",
            "grid": grid,
            "address": f"{grid.name}商业街{n}号",
            "person_in_charge": f"店主{n}",
            "phone": place_phone,
            "tags": ["沿街"],
        },
    )
    licence = licence_save(
        actor=None,
        data={
            "kind": Licence.Kind.FIREWORKS_RETAIL,
            "number": f"(豫)YH[2025]{n:05d}",
            "place": place,
            "holder_name": place.name,
            "issuing_authority": "太康县应急管理局",
            "valid_from": today - dt.timedelta(days=300),
            "valid_to": today + dt.timedelta(days=10 + 100 * (n % 2)),
            "product_types": "C级、D级",
        },
    )
    return Row(
        household, resident, place, licence, [head_id, head_phone, resident_id, resident_phone, place_phone]
    )


@pytest.fixture
def registry(territory) -> Registry:
    return Registry(
        a1=make_row(territory.grid_a1_1, 1),
        a2=make_row(territory.grid_a1_2, 2),
        b1=make_row(territory.grid_b1_1, 3),
    )


def with_unmask(user) -> User:
    user.user_permissions.add(Permission.objects.get(codename="unmask_personal_data"))
    return User.objects.get(pk=user.pk)


def list_url(kind: str) -> str:
    return f"{API}/{kind}"


def detail_url(kind: str, pk: int) -> str:
    return f"{API}/{kind}/{pk}"


def items(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["items"]


def ids(response) -> set[int]:
    return {item["id"] for item in items(response)}


def assert_not_found(response):
    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


def assert_field_error(response, field_name: str):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid", body
    assert field_name in body["fields"], body
    assert all(isinstance(m, str) and m for m in body["fields"][field_name]), body
    return body


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")
