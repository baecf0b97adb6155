"""Signing, visits across campaigns, the cases they open, and the counters against a recount."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.campaigns.models import Commitment, Finding, GridCounter, Visit, VisitEntry
from gridgov.campaigns.selectors import campaign_figures
from gridgov.campaigns.services.checks import transport_check_record, venue_check_record
from gridgov.campaigns.services.counters import campaign_counts, campaign_recount, counter_snapshot
from gridgov.campaigns.services.fieldwork import commitment_sign, visit_record
from gridgov.campaigns.tests.conftest import EPIDEMIC_OK, HOUSEHOLD_OK, photo
from gridgov.cases.models import Case, CaseSource, CaseState
from gridgov.cases.services import loop
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.registry.models import Licence, Place
from gridgov.registry.services.records import licence_save

pytestmark = pytest.mark.django_db


def sign(world, key, user="grid_a", kind="household"):
    target = world.households[key] if kind == "household" else world.places[key]
    return commitment_sign(
        actor=world.territory.user(user),
        campaign=world.fireworks,
        target=target,
        signer_name="户主",
        method=Commitment.Method.PAPER_PHOTO,
        evidence=photo(),
    )


def visit(world, key, user="grid_a", fireworks=None, epidemic=None):
    return visit_record(
        actor=world.territory.user(user),
        target=world.households[key],
        answers={
            world.fireworks.pk: {**HOUSEHOLD_OK, **(fireworks or {})},
            world.epidemic.pk: {**EPIDEMIC_OK, **(epidemic or {})},
        },
    )


def test_coverage_arithmetic_on_a_hand_computed_grid(world):
    """Grid A1-1: 4 households, 1 shop. Signed 3 households and the shop; visited 2 households (one twice)."""
    t = world.territory
    for key in ("a1", "a2", "a3"):
        sign(world, key)
    sign(world, "shop_a", kind="place")
    visit(world, "a1")
    visit(world, "a1")
    visit(world, "a2", fireworks={"stock_found": "yes"})
    sign(world, "c1", user="grid_a2")  # grid A1-2: 1 of 2

    grid = campaign_figures(campaign=world.fireworks, region=t.grid_a1_1).total
    assert (grid.household.targets, grid.household.signed) == (4, 3)
    assert grid.household.signed_rate == 0.75
    assert (grid.household.visited, grid.household.visits) == (2, 3)
    assert grid.household.visited_rate == 0.5
    assert (grid.place.targets, grid.place.signed) == (1, 1)
    assert grid.coverage == 0.8  # (3 + 1) / (4 + 1)
    assert (grid.problems, grid.cases_opened) == (1, 1)

    village = campaign_figures(campaign=world.fireworks, region=t.village_a1)
    by_code = {row.region.code: row for row in village.rows}
    assert by_code[t.grid_a1_2.code].coverage == 0.5
    assert village.total.signed == 5 and village.total.targets == 7  # 4 + 1 + 2 households/places
    county = campaign_figures(campaign=world.fireworks, region=t.county)
    rows = {row.region.code: row for row in county.rows}
    assert rows[t.township_a.code].coverage == round(5 / 7, 4)
    assert rows[t.township_b.code].coverage == 0.0  # 1 household + 1 supermarket, nothing signed
    assert county.total.targets == 9 and county.total.signed == 5
    assert county.county_coverage == round(5 / 9, 4)
    assert county.best.region == t.township_a and county.worst.region == t.township_b
    township_b = campaign_figures(campaign=world.fireworks, region=t.township_b)
    assert township_b.township_rank == 2 and township_b.county_coverage == round(5 / 9, 4)


def test_one_visit_fills_every_active_campaign_and_opens_the_right_cases(world):
    before = Case.objects.count()
    v = visit(
        world,
        "a3",
        fireworks={"stock_found": "yes"},
        epidemic={"returned": "yes", "returnee_unreported": "yes"},
    )
    entries = {e.campaign_id: e for e in v.entries.all()}
    assert set(entries) == {world.fireworks.pk, world.epidemic.pk}
    assert entries[world.fireworks.pk].answers["stock_found"] is True
    assert entries[world.epidemic.pk].problems == 1
    cases = Case.objects.order_by("id")[before:]
    assert [c.category.code for c in cases] == ["fireworks_illegal_storage", "epidemic_unreported_returnee"]
    assert all(c.source == CaseSource.VISIT and c.region == world.territory.grid_a1_1 for c in cases)
    assert "王" not in cases[0].title and world.fireworks.name in cases[0].title
    linked = Finding.objects.filter(visit_entry__visit=v).values_list("case__category__code", "campaign_id")
    assert set(linked) == {
        ("fireworks_illegal_storage", world.fireworks.pk),
        ("epidemic_unreported_returnee", world.epidemic.pk),
    }
    # a visit with no problem opens nothing
    visit(world, "a4")
    assert Case.objects.count() == before + 2


def test_visit_errors_name_the_campaign_and_question_and_store_nothing(world):
    with pytest.raises(InvalidInput) as exc:
        visit_record(
            actor=world.territory.user("grid_a"),
            target=world.households["a1"],
            answers={world.fireworks.pk: {"stock_found": "maybe"}, world.epidemic.pk: {"people_home": "-3"}},
        )
    fields = exc.value.fields
    fw, ep = world.fireworks.pk, world.epidemic.pk
    assert f"answers.{fw}.stock_found" in fields and f"answers.{fw}.letter_signed" in fields
    assert f"answers.{ep}.people_home" in fields and f"answers.{ep}.returned" in fields
    assert f"answers.{ep}.returnee_unreported" not in fields  # optional
    assert Visit.objects.count() == 0 and VisitEntry.objects.count() == 0


def test_scope_of_fieldwork(world):
    with pytest.raises(NotAllowed):
        visit(world, "b1", user="grid_a")  # sibling township's household
    with pytest.raises(NotAllowed):
        sign(world, "c1", user="grid_a")  # sibling grid
    with pytest.raises(NotAllowed):
        sign(world, "a1", user="leader")  # leaders read only
    sign(world, "c1", user="township_a")  # the township acts in its grids
    assert Commitment.objects.count() == 1


def test_signing_twice_is_a_conflict_and_needs_evidence(world):
    sign(world, "a1")
    with pytest.raises(Conflict):
        sign(world, "a1")
    with pytest.raises(InvalidInput) as exc:
        commitment_sign(
            actor=world.territory.user("grid_a"),
            campaign=world.fireworks,
            target=world.households["a2"],
            signer_name="",
            method="on_screen",
        )
    assert set(exc.value.fields) == {"signer_name", "evidence"}
    with pytest.raises(InvalidInput) as exc:
        commitment_sign(
            actor=world.territory.user("grid_a"),
            campaign=world.epidemic,  # no households' letter counted? it targets households, so allowed
            target=world.places["school_a"],
            signer_name="校长",
            method="paper_photo",
            evidence=photo(),
        )
    assert "target" in exc.value.fields


def test_venue_and_transport_checks(world):
    t = world.territory
    today = timezone.localdate()
    shop = world.places["shop_a"]
    licence_save(
        actor=None,
        data={
            "kind": Licence.Kind.FIREWORKS_RETAIL,
            "number": "YH-001",
            "holder_name": shop.name,
            "place": shop,
            "issuing_authority": "县应急管理局",
            "valid_from": today - dt.timedelta(days=30),
            "valid_to": today + dt.timedelta(days=30),
        },
    )
    permit = licence_save(
        actor=None,
        data={
            "kind": Licence.Kind.FIREWORKS_TRANSPORT,
            "number": "YS-9",
            "holder_name": "运输公司",
            "grid": t.grid_a1_1,
            "issuing_authority": "县公安局",
            "valid_from": today - dt.timedelta(days=60),
            "valid_to": today - dt.timedelta(days=1),
            "route": "县城—常营",
        },
    )
    officer = t.user("township_a")
    ok = venue_check_record(
        actor=officer,
        campaign=world.fireworks,
        place=shop,
        sells_fireworks=True,
        stock_found=True,
        licence_number="YH-001",
    )
    assert ok.result == "passed" and ok.finding is None
    shop.refresh_from_db()
    assert shop.registration_status == Place.Registration.REGISTERED
    bad = venue_check_record(
        actor=t.user("township_b"),
        campaign=world.fireworks,
        place=world.places["market_b"],
        sells_fireworks=False,
        stock_found=True,
    )
    assert bad.result == "problem" and bad.finding.case.category.code == "fireworks_illegal_storage"
    with pytest.raises(InvalidInput) as exc:
        venue_check_record(
            actor=officer,
            campaign=world.fireworks,
            place=world.places["school_a"],
            sells_fireworks=False,
            stock_found=False,
        )
    assert "place" in exc.value.fields
    with pytest.raises(NotAllowed):
        venue_check_record(
            actor=t.user("grid_a"),
            campaign=world.fireworks,
            place=world.places["market_b"],
            sells_fireworks=False,
            stock_found=False,
        )

    failed = transport_check_record(
        actor=t.user("officer"),
        campaign=world.fireworks,
        grid=t.grid_a1_1,
        vehicle_plate="豫p12345",
        driver_name="司机",
        permit_number=permit.number,
        route_matches=True,
        quantity_matches=True,
    )
    assert failed.result == "failed" and "过期" in failed.reasons
    assert failed.finding.case.category.code == "fireworks_illegal_transport"
    assert failed.finding.case.reported_by is None  # department officers do not file cases themselves
    assert failed.vehicle_plate == "豫P12345"
    with pytest.raises(InvalidInput) as exc:
        transport_check_record(
            actor=officer, campaign=world.fireworks, grid=t.village_a1, vehicle_plate="", driver_name=""
        )
    assert "grid" in exc.value.fields
    figures = campaign_figures(campaign=world.fireworks, region=t.county).total
    assert figures.place.checked == 2 and figures.vehicle.checked == 1
    assert figures.problems == 2 and figures.cases_opened == 2


def test_counters_equal_the_recount_after_a_mix_of_operations(world):
    t = world.territory
    sign(world, "a1")
    sign(world, "a2")
    sign(world, "shop_a", kind="place")
    sign(world, "b1", user="grid_b")
    visit(world, "a1", fireworks={"stock_found": "yes"})
    visit(world, "a1")
    visit(world, "b1", user="grid_b", epidemic={"unwell": "yes"})
    venue_check_record(
        actor=t.user("grid_b"),
        campaign=world.fireworks,
        place=world.places["market_b"],
        sells_fireworks=True,
        stock_found=False,
    )
    transport_check_record(
        actor=t.user("township_a"),
        campaign=world.fireworks,
        grid=t.grid_a1_2,
        vehicle_plate="豫P1",
        driver_name="甲",
    )
    for campaign in (world.fireworks, world.epidemic):
        live = counter_snapshot(campaign)
        truth = {k: v for k, v in campaign_counts(campaign).items() if any(v.values())}
        assert live == truth
        assert (
            campaign_recount(actor=None, campaign=campaign)
            == GridCounter.objects.filter(campaign=campaign).count()
        )
        assert counter_snapshot(campaign) == truth
    assert counter_snapshot(world.fireworks)[(t.grid_a1_1.pk, "household")]["visited"] == 1


def test_cases_closed_are_counted_from_the_linked_cases(world):
    t = world.territory
    visit(world, "a1", fireworks={"stock_found": "yes"})
    visit(world, "a2", fireworks={"stock_found": "yes"})
    assert campaign_figures(campaign=world.fireworks, region=t.county).total.cases_closed == 0
    case = Finding.objects.filter(campaign=world.fireworks).first().case
    loop.case_register(actor=t.user("supervisor"), case=case)
    loop.case_dispatch(actor=t.user("commander"), case=case, township=t.township_a)
    loop.case_accept(actor=t.user("township_a"), case=case)
    loop.case_resolve(actor=t.user("township_a"), case=case, note="已清理")
    loop.case_close(actor=t.user("supervisor"), case=case)
    assert Case.objects.get(pk=case.pk).state == CaseState.CLOSED
    figures = campaign_figures(campaign=world.fireworks, region=t.county)
    assert figures.total.cases_closed == 1 and figures.total.cases_opened == 2
    assert {r.region.code: r.cases_closed for r in figures.rows}[t.township_a.code] == 1


def test_resubmitted_visit_with_the_same_key_is_recorded_once(world):
    """A double tap or a retry on a bad network sends the same form twice: one visit, one case, counters right."""
    import uuid

    key = uuid.uuid4()
    user = world.territory.user("grid_a")
    answers = {
        world.fireworks.pk: {**HOUSEHOLD_OK, "stock_found": "yes"},
        world.epidemic.pk: EPIDEMIC_OK,
    }
    target = world.households["a1"]
    first = visit_record(actor=user, target=target, answers=answers, client_key=key)
    again = visit_record(actor=user, target=target, answers=answers, client_key=str(key))
    assert again.pk == first.pk and again.replayed and not first.replayed
    assert Visit.objects.count() == 1 and VisitEntry.objects.count() == 2
    assert Case.objects.filter(source=CaseSource.VISIT).count() == 1 and Finding.objects.count() == 1
    assert counter_snapshot(world.fireworks) == {
        k: v for k, v in campaign_counts(world.fireworks).items() if any(v.values())
    }
    # the key of one visit cannot be reused for another household or by another worker
    with pytest.raises(Conflict):
        visit_record(actor=user, target=world.households["a2"], answers=answers, client_key=key)
    with pytest.raises(Conflict):
        visit_record(actor=world.territory.user("township_a"), target=target, answers=answers, client_key=key)
    with pytest.raises(InvalidInput) as bad:
        visit_record(actor=user, target=target, answers=answers, client_key="not-a-uuid\x00")
    assert "client_key" in bad.value.fields
    # without a key every submission is a visit of its own (a second round), but "visited" counts the target once
    visit_record(actor=user, target=target, answers=answers)
    assert Visit.objects.count() == 2
    assert VisitEntry.objects.filter(first=True, campaign=world.fireworks).count() == 1


def test_nightly_recount_makes_targets_follow_registry_changes(world):
    """A household registered after the campaign started is a target once the scheduled recount has run."""
    from gridgov.campaigns.models import Campaign
    from gridgov.campaigns.tasks import campaigns_recount_task
    from gridgov.campaigns.tests.conftest import make_household

    sign(world, "a1")
    make_household("HA199", world.territory.grid_a1_1, "新户")
    live = {k: v for k, v in campaign_counts(world.fireworks).items() if any(v.values())}
    assert counter_snapshot(world.fireworks) != live  # the registry moved on; the counters did not yet
    active = Campaign.objects.filter(state=Campaign.State.ACTIVE).count()
    assert campaigns_recount_task.call() == active >= 2
    assert counter_snapshot(world.fireworks) == live
    grid = campaign_figures(campaign=world.fireworks, region=world.territory.grid_a1_1).total
    assert grid.household.targets == 5 and grid.household.signed == 1
