"""Plans, the random draw (双随机) and the covert plan's report."""

import datetime as dt

import pytest

from gridgov.cases.models import Case
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.inspections.models import Draw, Finding, Inspection, Plan, Rectification
from gridgov.inspections.services import plans
from gridgov.inspections.tests.conftest import inspect, make_place
from gridgov.registry.models import Place


def test_plan_create_names_every_bad_field(world):
    with pytest.raises(InvalidInput) as exc:
        plans.plan_create(
            actor=world.territory.user("officer"),
            name=" ",
            mode="secret",
            department=None,
            checklist=None,
            team_name="",
            starts_on=dt.date(2026, 2, 1),
            ends_on=dt.date(2026, 1, 1),
        )
    assert set(exc.value.fields) == {"name", "mode", "department", "checklist", "team_name", "ends_on"}


@pytest.mark.parametrize("name", ["leader", "township_a", "grid_a", "other_officer", "supervisor"])
def test_only_the_department_or_admin_organises(world, name):
    with pytest.raises(NotAllowed):
        plans.plan_create(
            actor=world.territory.user(name),
            name="x",
            mode="overt",
            department=world.territory.department,
            checklist=world.retail,
            team_name="组",
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 1, 2),
        )


def test_targets_must_fit_the_checklist(world):
    officer = world.territory.user("officer")
    with pytest.raises(InvalidInput) as exc:
        plans.plan_add_targets(actor=officer, plan=world.overt, townships=[world.territory.township_a])
    assert "townships" in exc.value.fields
    other = world.territory.user("other_officer")
    with pytest.raises(InvalidInput):
        plans.plan_add_targets(actor=other, plan=world.covert, places=[world.shop_a])
    created = plans.plan_add_targets(actor=officer, plan=world.overt, places=[world.shop_a, world.shop_b])
    again = plans.plan_add_targets(actor=officer, plan=world.overt, places=[world.shop_a])
    assert len(created) == 2 and again == []


@pytest.fixture
def population(world):
    t = world.territory
    shops = [make_place(t.grid_a1_1 if i % 2 else t.grid_b1_1, f"花炮店{i:02d}") for i in range(30)]
    make_place(t.grid_a1_1, "超市", kind=Place.Kind.SUPERMARKET, industry="")
    make_place(t.grid_a1_1, "高风险店", risk=Place.Risk.HIGH)
    return shops


def test_draw_is_recorded_reproducible_and_checkable(world, population):
    officer = world.territory.user("officer")
    draw = plans.plan_draw(
        actor=officer, plan=world.overt, count=5, kinds=["fireworks_retail"], risks=["general"], seed=20260101
    )
    # the population: the 30 shops and the 3 of the fixture, not the supermarket nor the high-risk shop
    assert draw.population_count == 33
    assert len(draw.result) == 5 and draw.result == sorted(draw.result)
    inspected = set(Inspection.objects.filter(plan=world.overt).values_list("place_id", flat=True))
    assert inspected == set(draw.result)
    assert (
        Place.objects.filter(pk__in=draw.result, risk_level="general", kind="fireworks_retail").count() == 5
    )
    # the same seed over the same population gives the same places; another seed gives others
    ids = sorted(
        Place.objects.filter(kind="fireworks_retail", risk_level="general").values_list("pk", flat=True)
    )
    assert plans.draw_sample(ids, 20260101, 5) == draw.result
    assert plans.draw_sample(ids, 20260102, 5) != draw.result
    assert plans.draw_verify(draw) == {
        "population_unchanged": True,
        "population_count_now": 33,
        "result_reproduced": True,
    }
    # a new shop changes the population: the check says so instead of pretending
    make_place(world.territory.grid_a1_2, "新开花炮店")
    assert plans.draw_verify(draw)["population_unchanged"] is False


def test_draw_by_region_and_tampered_record_is_detected(world, population):
    officer = world.territory.user("officer")
    draw = plans.plan_draw(
        actor=officer,
        plan=world.overt,
        count=50,
        region=world.territory.township_a,
        kinds=["fireworks_retail"],
    )
    in_a = Place.objects.filter(
        kind="fireworks_retail", grid__path__startswith=world.territory.township_a.path
    ).count()
    assert draw.population_count == in_a == len(draw.result)  # asked for more than there are: all of them
    Draw.objects.filter(pk=draw.pk).update(seed=draw.seed + 1, requested=3)
    draw.refresh_from_db()
    assert plans.draw_verify(draw)["result_reproduced"] is False


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": 5, "kinds": ["castle"]}, "kinds"),
        ({"count": 2, "seed": -1}, "seed"),
        ({"count": 2, "kinds": ["school"]}, "criteria"),
    ],
)
def test_bad_draws_name_the_field(world, population, kwargs, field):
    with pytest.raises(InvalidInput) as exc:
        plans.plan_draw(actor=world.territory.user("officer"), plan=world.overt, **kwargs)
    assert field in exc.value.fields
    assert not Draw.objects.exists()


def test_covert_findings_wait_for_the_report_then_count_against_the_township(world):
    t = world.territory
    other = t.user("other_officer")
    (visit,) = plans.plan_add_targets(actor=other, plan=world.covert, townships=[t.township_a])
    inspect(other, visit, fail=("no_shop_selling", "publicity_visible"))
    assert Finding.objects.filter(inspection=visit, covert=True, township=t.township_a).count() == 2
    # nothing reaches the township before the report: no rectification, no case
    assert not Rectification.objects.exists() and not Case.objects.exists()
    with pytest.raises(NotAllowed):
        plans.plan_report(actor=t.user("officer"), plan=world.covert)
    plan = plans.plan_report(actor=other, plan=world.covert, note="通报")
    assert plan.state == Plan.State.REPORTED and plan.reported_at
    rect = Rectification.objects.get(inspection=visit)
    assert rect.party_name == t.township_a.name and rect.department == t.other_department
    assert rect.case.unit_township == t.township_a and rect.case.unit_department is None
    with pytest.raises(Conflict):
        plans.plan_report(actor=other, plan=world.covert)
    with pytest.raises(Conflict):
        plans.plan_add_targets(actor=other, plan=world.covert, townships=[t.township_b])
