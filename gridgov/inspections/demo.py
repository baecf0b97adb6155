"""The demo county's inspections: the shipped checklists; an overt plan of 县应急管理局 over fireworks retailers drawn
at random, with inspections, findings and rectifications in various states; a reported covert plan of
环境攻坚办 over two townships; and a second covert round not yet reported (invisible to the townships).

Idempotent: a plan that exists is left as it is. Everything goes through the services, as a person would do it.
"""

import datetime as dt

from django.db import transaction

from gridgov.accounts.models import User
from gridgov.demo.accounts import CHANGYING_CODE, COUNTY_CODE, WANGJI_CODE
from gridgov.inspections.defaults import ensure_default_checklists
from gridgov.inspections.models import (
    Answer,
    Checklist,
    ChecklistItem,
    Finding,
    Inspection,
    Plan,
    Rectification,
)
from gridgov.inspections.services import carrying, plans, rectifying
from gridgov.registry.models import Place
from gridgov.registry.services.records import place_save
from gridgov.territory.models import Department, Region

OVERT_NAME = "2026年春节前烟花爆竹零售点明查"
COVERT_NAME = "禁燃禁放工作暗访（第一轮）"
COVERT_NEXT_NAME = "禁燃禁放工作暗访（第二轮）"
DRAW_SEED = 20260101

#: Fireworks retailers the demo adds when the registry has none (``--scale none``).
FALLBACK_SHOPS = [
    (CHANGYING_CODE, "常营镇鑫旺烟花爆竹零售点", "常营镇中心街 18 号"),
    (CHANGYING_CODE, "常营镇福满堂花炮店", "常营镇南关 6 号"),
    (CHANGYING_CODE, "常营镇红火烟花爆竹店", "常营镇北街 102 号"),
    (WANGJI_CODE, "王集乡吉祥花炮店", "王集乡集贸街 3 号"),
    (WANGJI_CODE, "王集乡顺达烟花爆竹零售点", "王集乡王集村东口"),
    (WANGJI_CODE, "王集乡喜庆烟花店", "王集乡李庄村路口"),
]

#: Which items fail at each of the first inspected places, and what then happens to the rectification.
SCRIPT = [
    ((), None),
    (("extinguishers",), None),
    (("licence_displayed", "storage_separated"), "fail"),
    (("warning_signs",), "pass"),
]


def _count() -> int:
    return sum(m.objects.count() for m in (Plan, Inspection, Answer, Finding, Rectification, Place))


def _answer_all(actor, inspection, fail, notes=None):
    notes = notes or {}
    for item in ChecklistItem.objects.filter(checklist_id=inspection.plan.checklist_id).order_by(
        "sort_order"
    ):
        failed = item.code in fail
        carrying.answer_save(
            actor=actor,
            inspection=inspection,
            item=item,
            result="fail" if failed else "pass",
            value="8" if item.answer_type == "number" else "",
            note=notes.get(item.code, "现场检查发现：" + item.text) if failed else "",
        )
    return carrying.inspection_submit(actor=actor, inspection=inspection, note="督导组现场检查")


def _fallback_shops() -> None:
    if Place.objects.filter(kind=Place.Kind.FIREWORKS_RETAIL, is_active=True).exists():
        return
    for township_code, name, address in FALLBACK_SHOPS:
        township = Region.objects.get(code=township_code)
        grid = Region.objects.under(township).grids().active().order_by("code").first()
        if grid is None:
            continue
        place_save(
            actor=None,
            data={
                "grid": grid,
                "kind": Place.Kind.FIREWORKS_RETAIL,
                "industry": Place.Industry.FIREWORKS,
                "name": name,
                "address": address,
                "risk_level": Place.Risk.GENERAL,
                "sells_fireworks": True,
            },
        )


def _overt(today: dt.date) -> None:
    if Plan.objects.filter(name=OVERT_NAME).exists():
        return
    officer = User.objects.get(username="yingji")
    county = Region.objects.get(code=COUNTY_CODE)
    plan = plans.plan_create(
        actor=officer,
        name=OVERT_NAME,
        mode=Plan.Mode.OVERT,
        department=Department.objects.get(county=county, code="yingji"),
        checklist=Checklist.objects.get(code="fireworks_retail"),
        team_name="县应急管理局第一督导组",
        starts_on=today - dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=30),
        members=[officer],
    )
    plans.plan_draw(actor=officer, plan=plan, count=8, kinds=[Place.Kind.FIREWORKS_RETAIL], seed=DRAW_SEED)
    targets = list(Inspection.objects.filter(plan=plan).order_by("pk"))
    for inspection, (fail, then) in zip(targets, SCRIPT, strict=False):
        _answer_all(officer, inspection, fail)
        rect = Rectification.objects.filter(inspection=inspection).first()
        if rect is None or then is None:
            continue
        if then == "pass":
            rectifying.rectification_reinspect(
                actor=officer, rectification=rect, passed=True, note="已整改到位"
            )
        else:
            rectifying.rectification_reinspect(
                actor=officer, rectification=rect, passed=False, note="许可证仍未悬挂，库存仍与居住区连通"
            )


def _covert(today: dt.date) -> None:
    huanbao = User.objects.get(username="huanbao")
    county = Region.objects.get(code=COUNTY_CODE)
    department = Department.objects.get(county=county, code="huanbao")
    checklist = Checklist.objects.get(code="township_fireworks_ban")
    changying, wangji = Region.objects.get(code=CHANGYING_CODE), Region.objects.get(code=WANGJI_CODE)
    if not Plan.objects.filter(name=COVERT_NAME).exists():
        plan = plans.plan_create(
            actor=huanbao,
            name=COVERT_NAME,
            mode=Plan.Mode.COVERT,
            department=department,
            checklist=checklist,
            team_name="县环境攻坚办暗访组",
            starts_on=today - dt.timedelta(days=7),
            ends_on=today - dt.timedelta(days=1),
            members=[huanbao],
        )
        visits = plans.plan_add_targets(actor=huanbao, plan=plan, townships=[changying, wangji])
        _answer_all(
            huanbao,
            visits[0],
            ("no_shop_selling", "publicity_visible"),
            {
                "no_shop_selling": "集镇南关一家日杂店柜台下仍有鞭炮出售",
                "publicity_visible": "镇区主要路口未见禁放宣传",
            },
        )
        _answer_all(
            huanbao,
            visits[1],
            ("commitment_signed",),
            {"commitment_signed": "抽查 5 户，2 户不知道签过承诺书"},
        )
        plans.plan_report(actor=huanbao, plan=plan, note="第一轮暗访情况通报，提交县联席会议")
    if not Plan.objects.filter(name=COVERT_NEXT_NAME).exists():
        plan = plans.plan_create(
            actor=huanbao,
            name=COVERT_NEXT_NAME,
            mode=Plan.Mode.COVERT,
            department=department,
            checklist=checklist,
            team_name="县环境攻坚办暗访组",
            starts_on=today,
            ends_on=today + dt.timedelta(days=14),
            members=[huanbao],
        )
        plans.plan_add_targets(actor=huanbao, plan=plan, townships=[wangji])


def demo_load(*, today: dt.date, households: int) -> int:
    before = _count()
    with transaction.atomic():
        ensure_default_checklists()
        _fallback_shops()
        _overt(today)
        _covert(today)
    return _count() - before
