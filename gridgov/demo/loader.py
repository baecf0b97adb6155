"""Loads the demo county: 太康县's real divisions, derived grids, departments, one account per role and a
synthetic registry (``gridgov.demo.registry``).

Idempotent: a second run finds everything in place and changes nothing.
"""

import datetime as dt
import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.registry.services.importing import ImportReport
from gridgov.territory.models import Level, Region
from gridgov.territory.services import (
    DivisionRow,
    department_upsert,
    divisions_import,
    grant_add,
    read_divisions_csv,
)

from .accounts import COUNTY_CODE, DEMO_ACCOUNTS, DEMO_DEPARTMENTS
from .registry import SCALES, DemoGrid, registry_load, short_village_name

DATA_DIR = Path(__file__).resolve().parent / "data"
DIVISIONS_FILE = DATA_DIR / "taikang-divisions-2023.csv"
GRID_NUMERALS = "一二三四五六七八九十"

#: Apps that add their own demo content after the county and its registry: each has a ``demo`` module with
#: ``demo_load(*, today: date, households: int) -> int`` that is idempotent and returns the rows it created.
DEMO_APPS = ("tips", "notices", "air", "campaigns", "inspections")


class DemoRefused(Exception):
    pass


@dataclass
class DemoReport:
    regions_created: int = 0
    grids_created: int = 0
    users_created: list[str] = field(default_factory=list)
    permissions_granted: list[str] = field(default_factory=list)  # "username: app_label.codename"
    registry: dict[str, ImportReport] = field(default_factory=dict)
    apps: dict[str, int] = field(default_factory=dict)  # app label -> rows its demo_load created

    @property
    def changed(self) -> bool:
        return bool(
            self.regions_created
            or self.grids_created
            or self.users_created
            or self.permissions_granted
            or any(r.created or r.updated for r in self.registry.values())
            or any(self.apps.values())
        )


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


def demo_grids() -> list[DemoGrid]:
    """The demo's grids as ``load_demo`` derives them from the divisions file, in code order. The registry is
    spread over this list rather than over what the database holds, so that it stays the same even after a grid
    is retired or split in the running demo."""
    rows = read_divisions_csv(DIVISIONS_FILE)
    names = {row.code: row.name for row in rows}
    grids = []
    for row in rows:
        if row.level != Level.VILLAGE:
            continue
        for seq in range(1, grids_for_village(row.code) + 1):
            grids.append(
                DemoGrid(f"{row.code}{seq:03d}", names[row.parent_code], short_village_name(row.name), seq)
            )
    return sorted(grids, key=lambda grid: grid.code)


def registry_households(scale: str | int) -> int:
    """Households for a ``--scale``: none, small, default, county, or a number."""
    if isinstance(scale, int) or str(scale).isdigit():
        return int(scale)
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: one of {', '.join(SCALES)} or a number of households")
    return SCALES[scale]


def load_demo(
    *,
    progress=None,
    scale: str | int = "default",
    registry_progress: Callable[[str, ImportReport], None] | None = None,
    today: dt.date | None = None,
) -> DemoReport:
    """Loads the county, then its registry at ``scale`` (see ``registry_households``).

    ``progress`` gets the divisions import's row counts; ``registry_progress(kind, report)`` each ledger's
    import report as it goes."""
    if getattr(settings, "GRIDGOV_ENV", "") == "production":
        raise DemoRefused("load_demo refuses to run under production settings")
    households = registry_households(scale)
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
            for name in account.permissions:
                app_label, codename = name.split(".", 1)
                permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
                if not user.user_permissions.filter(pk=permission.pk).exists():
                    user.user_permissions.add(permission)
                    report.permissions_granted.append(f"{account.username}: {name}")
            grant_add(
                actor=None,
                user=user,
                role=account.role,
                region=_demo_region(account.region),
                department=departments[account.department] if account.department else None,
            )
    # The registry is imported batch by batch, each batch in its own transaction (as any import is), outside
    # the county's transaction: an interrupted load is completed by running it again.
    if households:
        report.registry = registry_load(
            grids=demo_grids(), households=households, today=today, progress=registry_progress
        )
    for app in DEMO_APPS:
        module_name = f"gridgov.{app}.demo"
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        report.apps[app] = module.demo_load(today=today or timezone.localdate(), households=households)
    return report


def _demo_region(spec: str) -> Region:
    if spec.startswith("grid:"):
        township = Region.objects.get(code=spec[5:])
        return Region.objects.under(township).grids().active().order_by("code").first()
    return Region.objects.get(code=spec)
