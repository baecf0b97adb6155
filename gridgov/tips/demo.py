"""The demo county's tip line: tips in various states, a reward waiting for the reward officer's decision, one
approved and waiting to be claimed online (tracking code DEMA-3467-AC, secret KEYPAYME), one paid, and a spam
tip voided. Everything goes through the services, as residents and staff would do it.

Idempotent: when the demo's claimable tip exists, nothing is added.
"""

import datetime as dt

from django.db import transaction

from gridgov.accounts.models import User
from gridgov.cases.defaults import ensure_default_categories
from gridgov.cases.models import Category, CategoryGroup
from gridgov.cases.services import loop
from gridgov.demo.accounts import CHANGYING_CODE, WANGJI_CODE
from gridgov.territory.models import Department, Level, Region
from gridgov.tips.defaults import ensure_default_reward_rules
from gridgov.tips.models import Reward, Tip
from gridgov.tips.services import (
    reward_approve,
    reward_claim,
    reward_record_payment,
    rewards_propose_for_case,
    tip_submit,
    tip_void_spam,
)
from gridgov.tips.services.codes import hash_secret

DEMO_CODE, DEMO_SECRET = "DEMA3467AC", "KEYPAYME"


def _village(township_code: str) -> Region:
    township = Region.objects.get(code=township_code)
    return (
        Region.objects.filter(parent=township, level=Level.VILLAGE, is_active=True).order_by("code").first()
        or township
    )


def _close(case, users, department):
    loop.case_register(actor=users["supervisor"], case=case, note="经核实属实，立案")
    loop.case_dispatch(actor=users["commander"], case=case, department=department)
    loop.case_accept(actor=users["yingji"], case=case)
    loop.case_resolve(actor=users["yingji"], case=case, note="已现场查处，查扣违法物品")
    return loop.case_close(actor=users["supervisor"], case=case, note="核查属实，结案").case


@transaction.atomic
def demo_load(*, today: dt.date, households: int) -> int:
    if Tip.objects.filter(tracking_code=DEMO_CODE).exists():
        return 0
    ensure_default_categories(CategoryGroup, Category)
    ensure_default_reward_rules()
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["supervisor", "commander", "yingji", "reward"])
    }
    department = Department.objects.get(code="yingji")
    cat = {c.code: c for c in Category.objects.filter(public=True)}
    changying, wangji = _village(CHANGYING_CODE), _village(WANGJI_CODE)
    before = Tip.objects.count() + Reward.objects.count()

    # 1. a named tip of an illegal sale, a second resident reporting the same shop, closed: reward proposed
    first = tip_submit(
        category=cat["fireworks_illegal_sale"],
        region=changying,
        address="常营镇中心街 25 号门市",
        description="中心街 25 号门市没有许可证，店里堆着好几箱鞭炮在卖。",
        reporter_name="张建国",
        reporter_phone="13903940001",
    )
    tip_submit(
        category=cat["fireworks_illegal_sale"],
        region=changying,
        address="常营镇中心街25号门市",
        description="中心街那家门市晚上偷偷卖烟花。",
        anonymous=True,
    )
    _close(first.tip.case, users, department)
    rewards_propose_for_case(case=first.tip.case)

    # 2. setting off fireworks in the banned area, anonymous: approved, claimed and paid
    paid = tip_submit(
        category=cat["fireworks_banned_area"],
        region=wangji,
        address="王集乡政府门口广场",
        description="晚上八点多有人在广场燃放礼花弹。",
        anonymous=True,
    )
    _close(paid.tip.case, users, department)
    reward = rewards_propose_for_case(case=paid.tip.case)[0]
    reward_approve(
        actor=users["reward"], reward=reward, amount=300, violation_confirmed=True, note="查证属实"
    )
    reward_claim(tracking_code=paid.tracking_code, secret=paid.secret, contact="13903940002")
    reward_record_payment(actor=users["reward"], reward=reward, method="wechat", reference="WX20260101001")

    # 3. illegal storage, approved and waiting for the reporter to claim online with the demo's code and secret
    waiting = tip_submit(
        category=cat["fireworks_illegal_storage"],
        region=wangji,
        address="王集村西头仓库",
        description="村西头的旧仓库里存放了大量烟花爆竹，附近就是民房。",
        reporter_phone="13903940003",
    )
    # a fixed code and secret, so that the README can show the claim (demo only; the service draws random ones)
    Tip.objects.filter(pk=waiting.tip.pk).update(tracking_code=DEMO_CODE, secret=hash_secret(DEMO_SECRET))
    _close(waiting.tip.case, users, department)
    reward = rewards_propose_for_case(case=waiting.tip.case)[0]
    reward_approve(
        actor=users["reward"], reward=reward, amount=2000, violation_confirmed=True, note="查扣 30 箱"
    )

    # 4. a burning field taken on the hotline, being handled
    burning = tip_submit(
        category=cat["air_open_burning"],
        region=changying,
        address="常营镇南地麦田",
        description="来电反映南地麦田有人焚烧秸秆，烟很大。",
        reporter_name="李秀英",
        reporter_phone="13903940004",
        channel=Tip.Channel.PHONE,
        actor=users["reward"],
    )
    loop.case_register(actor=users["supervisor"], case=burning.tip.case)
    loop.case_dispatch(actor=users["commander"], case=burning.tip.case, department=department)

    # 5. a fresh tip, and 6. a spam tip voided in one action
    tip_submit(
        category=cat["rural_piling"],
        region=wangji,
        address="李庄村路口",
        description="路口堆了很多建筑垃圾，影响通行。",
        anonymous=True,
    )
    spam = tip_submit(
        category=cat["safety_gas"],
        region=changying,
        description="测试测试测试测试",
        anonymous=True,
    )
    tip_void_spam(actor=users["supervisor"], tip=spam.tip, note="内容无实质信息，恶意举报")
    return Tip.objects.count() + Reward.objects.count() - before
