"""The demo: idempotent, with rectifications in several states and a covert round the township cannot see."""

import datetime as dt

from gridgov.cases.defaults import ensure_default_categories
from gridgov.cases.models import Category, CategoryGroup
from gridgov.conftest import make_user
from gridgov.core.roles import Role
from gridgov.inspections import demo, selectors
from gridgov.inspections.models import Plan, Rectification
from gridgov.territory.services import grant_add


def test_demo_load_is_idempotent_and_varied(territory):
    ensure_default_categories(CategoryGroup, Category)
    t = territory
    for username, department in (("yingji", t.department), ("huanbao", t.other_department)):
        grant_add(
            actor=None,
            user=make_user(username),
            role=Role.DEPARTMENT_OFFICER,
            region=t.county,
            department=department,
        )
    created = demo.demo_load(today=dt.date(2026, 1, 20), households=0)
    assert created > 0
    assert demo.demo_load(today=dt.date(2026, 1, 20), households=0) == 0
    states = set(Rectification.objects.values_list("state", flat=True))
    assert states == {"open", "reopened", "closed"}
    assert Plan.objects.get(name=demo.COVERT_NAME).state == Plan.State.REPORTED
    hidden = Plan.objects.get(name=demo.COVERT_NEXT_NAME)
    assert hidden.is_hidden
    assert not selectors.plan_list(user=t.user("township_b")).filter(pk=hidden.pk).exists()
    assert selectors.plan_list(user=t.user("other_officer")).filter(pk=hidden.pk).exists()
    record = {
        row["township__code"]: row["finding_total"] for row in selectors.covert_record(user=t.user("leader"))
    }
    assert record == {t.township_a.code: 2, t.township_b.code: 1}
