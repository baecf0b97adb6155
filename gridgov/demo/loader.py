"""Loads the demo county: 太康县's real divisions, derived grids, departments and one account per role.

Idempotent: a second run finds everything in place and changes nothing.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from gridgov.accounts.models import User
from gridgov.territory.models import Level, Region
from gridgov.territory.services import (
    DivisionRow,
    department_upsert,
    divisions_import,
    grant_add,
    read_divisions_csv,
)

from .accounts import COUNTY_CODE, DEMO_ACCOUNTS, DEMO_DEPARTMENTS

DATA_DIR = Path(__file__).resolve().parent / "data"
DIVISIONS_FILE = DATA_DIR / "taikang-divisions-2023.csv"
GRID_NUMERALS = "一二三四五六七八九十"


class DemoRefused(Exception):
    pass


@dataclass
class DemoReport:
    regions_created: int = 0
    grids_created: int = 0
    users_created: list[str] = field(default_factory=list)


def grids_for_village(code: str) -> int:
    """2–5 grids, derived from the code so that every run gives the same county."""
    return 2 + int(code) % 4


def demo_grid_rows(villages: list[tuple[str, str]]) -> list[DivisionRow]:
    rows = []
    for code, _name in villages:
        for seq in range(1, grids_for_village(code) + 1):
            rows.append(
                DivisionRow(0, f"{code}{seq:03d}", f"第{GRID_NUMERALS[seq - 1]}网格", Level.GRID, code)
            )
    return rows


def load_demo(*, progress=None) -> DemoReport:
    if getattr(settings, "GRIDGOV_ENV", "") == "production":
        raise DemoRefused("load_demo refuses to run under production settings")
    report = DemoReport()
    with transaction.atomic():
        result = divisions_import(actor=None, rows=read_divisions_csv(DIVISIONS_FILE), progress=progress)
        report.regions_created = result.created
        villages = list(
            Region.objects.filter(level=Level.VILLAGE, code__startswith=COUNTY_CODE)
            .exclude(children__level=Level.GRID)
            .values_list("code", "name")
        )
        if villages:
            report.grids_created = divisions_import(actor=None, rows=demo_grid_rows(villages)).created
        county = Region.objects.get(code=COUNTY_CODE)
        departments = {
            code: department_upsert(
                actor=None, county=county, code=code, name=name, short_name=short, sort_order=i
            )
            for i, (code, name, short) in enumerate(DEMO_DEPARTMENTS, start=1)
        }
        for account in DEMO_ACCOUNTS:
            user = User.objects.filter(username=account.username).first()
            if user is None:
                user = User(username=account.username, display_name=account.display_name)
                user.set_password(settings.GRIDGOV_DEMO_PASSWORD)
                user.is_staff = user.is_superuser = account.username == "admin"
                user.save()
                report.users_created.append(account.username)
            grant_add(
                actor=None,
                user=user,
                role=account.role,
                region=_demo_region(account.region),
                department=departments[account.department] if account.department else None,
            )
    return report


def _demo_region(spec: str) -> Region:
    if spec.startswith("grid:"):
        township = Region.objects.get(code=spec[5:])
        return Region.objects.under(township).grids().active().order_by("code").first()
    return Region.objects.get(code=spec)
