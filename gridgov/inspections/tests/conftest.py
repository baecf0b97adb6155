"""Fixtures of the inspections tests: the shipped checklists and categories, places in both townships, and one
overt plan of 应急管理局 (officer) and one covert plan of 环境攻坚办 (other_officer)."""

import datetime as dt
from dataclasses import dataclass

import pytest

from gridgov.cases.defaults import ensure_default_categories
from gridgov.cases.models import Category, CategoryGroup
from gridgov.inspections.defaults import ensure_default_checklists
from gridgov.inspections.models import Checklist, ChecklistItem, Inspection, Plan
from gridgov.inspections.services import carrying, plans
from gridgov.registry.models import Place
from gridgov.registry.services.records import place_save


@dataclass
class World:
    territory: object
    shop_a: Place
    shop_a2: Place
    shop_b: Place
    overt: Plan
    covert: Plan
    retail: Checklist
    township_list: Checklist


def make_place(grid, name, kind=Place.Kind.FIREWORKS_RETAIL, risk=Place.Risk.GENERAL, industry="fireworks"):
    return place_save(
        actor=None,
        data={
            "grid": grid,
            "kind": kind,
            "name": name,
            "address": f"{name}门前",
            "risk_level": risk,
            "industry": industry,
        },
    )


@pytest.fixture
def world(territory) -> World:
    ensure_default_categories(CategoryGroup, Category)
    ensure_default_checklists()
    t = territory
    retail = Checklist.objects.get(code="fireworks_retail")
    township_list = Checklist.objects.get(code="township_fireworks_ban")
    shop_a = make_place(t.grid_a1_1, "常营花炮店")
    shop_a2 = make_place(t.grid_a1_2, "东街花炮店")
    shop_b = make_place(t.grid_b1_1, "王集花炮店")
    overt = plans.plan_create(
        actor=t.user("officer"),
        name="春节前烟花爆竹零售点明查",
        mode=Plan.Mode.OVERT,
        department=t.department,
        checklist=retail,
        team_name="第一督导组",
        starts_on=dt.date(2026, 1, 5),
        ends_on=dt.date(2026, 2, 10),
        members=[t.user("officer")],
    )
    covert = plans.plan_create(
        actor=t.user("other_officer"),
        name="禁燃禁放暗访",
        mode=Plan.Mode.COVERT,
        department=t.other_department,
        checklist=township_list,
        team_name="暗访组",
        starts_on=dt.date(2026, 1, 5),
        ends_on=dt.date(2026, 2, 10),
        members=[t.user("other_officer")],
    )
    return World(t, shop_a, shop_a2, shop_b, overt, covert, retail, township_list)


def answer_all(actor, inspection: Inspection, *, fail=(), value="10"):
    """Answers every item: ``fail`` lists the item codes that fail."""
    for item in ChecklistItem.objects.filter(checklist_id=inspection.plan.checklist_id):
        failed = item.code in fail
        carrying.answer_save(
            actor=actor,
            inspection=inspection,
            item=item,
            result="fail" if failed else "pass",
            value=value if item.answer_type == "number" else "",
            note=f"{item.code} 不符合" if failed else "",
        )


def inspect(actor, inspection, *, fail=()):
    answer_all(actor, inspection, fail=fail)
    return carrying.inspection_submit(actor=actor, inspection=inspection)
