"""The demo: idempotent, with tips and rewards in the states the README points to."""

import datetime as dt

from gridgov.conftest import make_user
from gridgov.core.roles import Role
from gridgov.territory.services import grant_add
from gridgov.tips import demo
from gridgov.tips.models import Reward, Tip
from gridgov.tips.services import reward_claim, tip_by_tracking_code


def test_demo_load_is_idempotent_and_varied(territory, categories):
    grant_add(
        actor=None,
        user=make_user("yingji"),
        role=Role.DEPARTMENT_OFFICER,
        region=territory.county,
        department=territory.department,
    )
    created = demo.demo_load(today=dt.date(2026, 1, 20), households=0)
    assert created == Tip.objects.count() + Reward.objects.count() == 7 + 3
    assert demo.demo_load(today=dt.date(2026, 1, 20), households=0) == 0
    assert set(Reward.objects.values_list("state", flat=True)) == {"proposed", "approved", "paid"}
    assert Tip.objects.filter(is_spam=True).count() == 1 and Tip.objects.filter(attached=True).count() == 1
    assert set(Tip.objects.values_list("channel", flat=True)) == {"web", "phone"}
    tip = tip_by_tracking_code("dema-3467-ac")
    assert reward_claim(tracking_code=tip.tracking_code, secret=demo.DEMO_SECRET).state == "claimed"
