"""A small registry on the shared territory, set up through the services, for the page tests.

Households: HA1 (grid A1-1, township A), HA2 (grid A1-2, township A), HB1 (grid B1-1, township B), each with its
head as a resident. Places: 常营超市 (A1-1) and 王集烟花零售点 (B1-1). Licences: one expiring soon (A1-1), one
expired (B1-1), one valid (B1-1).
"""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.registry.models import Household, Licence, Place, Resident
from gridgov.registry.services.records import household_save, licence_save, place_save, resident_save
from gridgov.registry.tests.factories import make_id

PHONES = {"HA1": "13812345671", "HA2": "13812345672", "HB1": "13812345673"}
HEAD_IDS = {"HA1": make_id(sequence="011"), "HA2": make_id(sequence="021"), "HB1": make_id(sequence="031")}
MEMBER_ID = make_id(birth="20100705", sequence="042")  # a child of HA1


@dataclass
class Ledger:
    territory: object
    households: dict[str, Household]
    residents: dict[str, Resident]
    places: dict[str, Place]
    licences: dict[str, Licence]

    def user(self, name: str) -> User:
        return self.territory.user(name)


def with_unmask(user) -> User:
    user.user_permissions.add(Permission.objects.get(codename="unmask_personal_data"))
    return User.objects.get(pk=user.pk)  # a fresh instance: permissions are cached per instance


def add_household(code: str, grid, *, head_id: str = "", phone: str = "", tags=(), members: int = 3):
    return household_save(
        actor=None,
        data={
            "code": code,
            "grid": grid,
            "address": f"{grid.parent.name}{code}号",
            "head_name": f"户主{code}",
            "head_id": head_id,
            "phone": phone,
            "members": members,
            "tags": list(tags),
        },
    )


def add_resident(household, name: str, id_number: str, relation: str = "户主", phone: str = "", tags=()):
    return resident_save(
        actor=None,
        data={
            "household": household,
            "name": name,
            "id_number": id_number,
            "relation": relation,
            "phone": phone,
            "tags": list(tags),
        },
    )


def add_place(name: str, grid, kind: str = Place.Kind.SHOP, **extra):
    data = {"name": name, "kind": kind, "grid": grid, "address": f"{grid.parent.name}街{name}", **extra}
    return place_save(actor=None, data=data)


def add_licence(number: str, place, valid_to: dt.date, kind: str = Licence.Kind.FIREWORKS_RETAIL):
    return licence_save(
        actor=None,
        data={
            "kind": kind,
            "number": number,
            "holder_name": place.name,
            "place": place,
            "issuing_authority": "太康县应急管理局",
            "valid_from": valid_to - dt.timedelta(days=365),
            "valid_to": valid_to,
        },
    )


@pytest.fixture
def ledger(territory) -> Ledger:
    t = territory
    households = {
        "HA1": add_household(
            "HA1", t.grid_a1_1, head_id=HEAD_IDS["HA1"], phone=PHONES["HA1"], tags=["独居老人"]
        ),
        "HA2": add_household("HA2", t.grid_a1_2, head_id=HEAD_IDS["HA2"], phone=PHONES["HA2"]),
        "HB1": add_household("HB1", t.grid_b1_1, head_id=HEAD_IDS["HB1"], phone=PHONES["HB1"], tags=["返乡"]),
    }
    residents = {
        code: add_resident(h, f"户主{code}", HEAD_IDS[code], phone=PHONES[code])
        for code, h in households.items()
    }
    residents["child"] = add_resident(
        households["HA1"], "张小明", MEMBER_ID, relation="子", tags=["留守儿童"]
    )
    places = {
        "shop": add_place(
            "常营超市", t.grid_a1_1, Place.Kind.SUPERMARKET, phone="13900001111", person_in_charge="李四"
        ),
        "fireworks": add_place(
            "王集烟花零售点", t.grid_b1_1, Place.Kind.FIREWORKS_RETAIL, sells_fireworks=True
        ),
    }
    today = timezone.localdate()
    licences = {
        "expiring": add_licence("(豫)YH-0001", places["shop"], today + dt.timedelta(days=10)),
        "expired": add_licence("(豫)YH-0002", places["fireworks"], today - dt.timedelta(days=5)),
        "valid": add_licence("(豫)YH-0003", places["fireworks"], today + dt.timedelta(days=200)),
    }
    return Ledger(t, households, residents, places, licences)


@pytest.fixture
def media(settings, tmp_path):
    """Uploads and error reports go to a temporary folder, not the repository's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
