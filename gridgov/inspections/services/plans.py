"""Plans (检查计划), their targets, the random draw (双随机) and the report that ends a covert plan's secrecy."""

import datetime as dt
import hashlib
import random
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.audit import audit_record
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.inspections.models import Checklist, Draw, Inspection, Plan
from gridgov.inspections.policies import InspectionPolicy
from gridgov.inspections.services.common import township_for
from gridgov.registry.models import Place
from gridgov.territory.models import Department, Level, Region, subtree_range

MAX_DRAW = 1000
MAX_SEED = 2**62


@transaction.atomic
def plan_create(
    *,
    actor,
    name: str,
    mode: str,
    department: Department | None,
    checklist: Checklist | None,
    team_name: str,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    members=(),
) -> Plan:
    """A plan of the organising department; its team's members carry it out."""
    errors: dict[str, list[str]] = {}
    name, team_name = (name or "").strip(), (team_name or "").strip()
    if not name:
        errors["name"] = [_("请填写计划名称。")]
    if mode not in Plan.Mode.values:
        errors["mode"] = [_("请选择明查或暗访。")]
    if department is None or not department.is_active:
        errors["department"] = [_("请选择在用的组织单位。")]
    if checklist is None or not checklist.is_active:
        errors["checklist"] = [_("请选择在用的检查表。")]
    if not team_name:
        errors["team_name"] = [_("请填写督导组名称。")]
    if starts_on is None:
        errors["starts_on"] = [_("请填写开始日期。")]
    if ends_on is None:
        errors["ends_on"] = [_("请填写结束日期。")]
    elif starts_on and ends_on < starts_on:
        errors["ends_on"] = [_("结束日期不能早于开始日期。")]
    if errors:
        raise InvalidInput(fields=errors)
    if not InspectionPolicy.can_organise(actor, department):
        raise NotAllowed(_("只有组织单位的工作人员可以制定该单位的检查计划。"))
    plan = Plan(
        name=name[:100],
        mode=mode,
        department=department,
        county=department.county,
        checklist=checklist,
        team_name=team_name[:100],
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor,
    )
    plan.full_clean()
    plan.save()
    members = list(members)
    if members:
        plan.members.set(members)
        for member in members:  # their cached list of plans (InspectionPolicy) is out of date now
            member.__dict__.pop("_gridgov_inspection_plans", None)
    audit_record(
        actor=actor,
        action="inspections.plan_create",
        obj=plan,
        changes={"mode": mode, "department": department.code, "members": [m.pk for m in members]},
    )
    return plan


def _require_manager(actor, plan: Plan) -> None:
    if not InspectionPolicy.can_manage(actor, plan):
        raise NotAllowed(_("只有组织单位可以调整该计划。"))


def _require_active(plan: Plan) -> None:
    # read the state from the database: the caller's copy may predate a report
    if not Plan.objects.filter(pk=plan.pk, state=Plan.State.ACTIVE).exists():
        raise Conflict(_("计划已通报，不能再调整。"), code="plan_reported")


def _new_place_inspections(plan: Plan, places) -> list[Inspection]:
    existing = set(
        Inspection.objects.filter(plan=plan, kind=Inspection.Kind.REGULAR, place__in=places).values_list(
            "place_id", flat=True
        )
    )
    townships: dict[str, Region] = {}
    rows = []
    for place in places:
        if place.pk in existing:
            continue
        township = township_for(place.grid, townships)
        rows.append(
            Inspection(
                plan=plan,
                place=place,
                region=place.grid,
                township=township,
                region_path=place.grid.path,
                scheduled_on=plan.starts_on,
            )
        )
    return Inspection.objects.bulk_create(rows)


@transaction.atomic
def plan_add_targets(*, actor, plan: Plan, places=(), townships=()) -> list[Inspection]:
    """Adds places (for a place checklist) or townships (for a township checklist) as targets; a target already in
    the plan is skipped."""
    _require_manager(actor, plan)
    _require_active(plan)
    places, townships = list(places), list(townships)
    subject = plan.checklist.subject
    if subject == Checklist.Subject.PLACE and townships:
        raise InvalidInput(fields={"townships": [_("该检查表针对场所，不能添加乡镇。")]})
    if subject == Checklist.Subject.TOWNSHIP and places:
        raise InvalidInput(fields={"places": [_("该检查表针对乡镇工作，不能添加场所。")]})
    if not places and not townships:
        raise InvalidInput(fields={"targets": [_("请至少选择一个检查对象。")]})
    low, high = subtree_range(plan.county.path)
    for place in places:
        if not place.is_active or not low <= place.grid.path < high:
            raise InvalidInput(
                fields={"places": [_("场所“%(name)s”不在本县或已注销。") % {"name": place.name}]}
            )
    for township in townships:
        if township.level != Level.TOWNSHIP or not township.is_active or not low <= township.path < high:
            raise InvalidInput(
                fields={"townships": [_("“%(name)s”不是本县在用的乡镇。") % {"name": township.name}]}
            )
    created = _new_place_inspections(plan, places)
    if townships:
        already = set(
            Inspection.objects.filter(
                plan=plan, kind=Inspection.Kind.REGULAR, place__isnull=True
            ).values_list("township_id", flat=True)
        )
        created += Inspection.objects.bulk_create(
            Inspection(
                plan=plan,
                region=t,
                township=t,
                region_path=t.path,
                scheduled_on=plan.starts_on,
            )
            for t in townships
            if t.pk not in already
        )
    audit_record(
        actor=actor,
        action="inspections.plan_add_targets",
        obj=plan,
        changes={"places": [p.pk for p in places], "townships": [t.code for t in townships]},
    )
    return created


# --- the random draw (双随机) ---------------------------------------------------------------------------------


def _draw_population(criteria: dict) -> list[int]:
    """The ids of the places a draw chooses from, in id order: active places in the region, of the kinds, risk
    levels and industries asked for."""
    qs = Place.objects.filter(is_active=True)
    low, high = subtree_range(criteria["region_path"])
    qs = qs.filter(grid__path__gte=low, grid__path__lt=high)
    if criteria.get("kinds"):
        qs = qs.filter(kind__in=criteria["kinds"])
    if criteria.get("risks"):
        qs = qs.filter(risk_level__in=criteria["risks"])
    if criteria.get("industries"):
        qs = qs.filter(industry__in=criteria["industries"])
    return list(qs.order_by("pk").values_list("pk", flat=True))


def _digest(ids: list[int]) -> str:
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()


def draw_sample(population: list[int], seed: int, count: int) -> list[int]:
    """The places chosen from ``population`` (ids in ascending order) with ``seed``: Python's Mersenne Twister
    seeded with the integer, ``random.sample`` of ``count``, sorted. Anyone can repeat it with the recorded
    population and seed."""
    return sorted(random.Random(seed).sample(population, min(count, len(population))))


def _choices(values, allowed, field: str) -> list[str]:
    values = sorted({v for v in (values or []) if v})
    bad = [v for v in values if v not in allowed]
    if bad:
        raise InvalidInput(fields={field: [_("无效的取值：%(values)s") % {"values": "、".join(bad)}]})
    return values


@transaction.atomic
def plan_draw(
    *,
    actor,
    plan: Plan,
    count: int,
    region: Region | None = None,
    kinds=(),
    risks=(),
    industries=(),
    seed: int | None = None,
) -> Draw:
    """Draws ``count`` places at random from the registry and adds them as targets. The criteria, the population
    (its size and a SHA-256 of its ids), the seed and the result are recorded, so the draw can be checked later
    with :func:`draw_verify`."""
    _require_manager(actor, plan)
    _require_active(plan)
    if plan.checklist.subject != Checklist.Subject.PLACE:
        raise InvalidInput(fields={"checklist": [_("只有针对场所的计划可以随机抽取。")]})
    if not isinstance(count, int) or not 1 <= count <= MAX_DRAW:
        raise InvalidInput(fields={"count": [_("抽取数量须在 1 到 %(max)d 之间。") % {"max": MAX_DRAW}]})
    if seed is not None and not 0 <= seed < MAX_SEED:
        raise InvalidInput(fields={"seed": [_("随机种子须为非负整数。")]})
    region = region or plan.county
    if not region.path.startswith(plan.county.path):
        raise InvalidInput(fields={"region": [_("抽取范围须在本县之内。")]})
    criteria = {
        "region": region.code,
        "region_path": region.path,
        "kinds": _choices(kinds, Place.Kind.values, "kinds"),
        "risks": _choices(risks, Place.Risk.values, "risks"),
        "industries": _choices(industries, Place.Industry.values, "industries"),
    }
    population = _draw_population(criteria)
    if not population:
        raise InvalidInput(fields={"criteria": [_("没有符合条件的场所。")]})
    seed = secrets.randbelow(MAX_SEED) if seed is None else seed
    chosen = draw_sample(population, seed, count)
    draw = Draw(
        plan=plan,
        seed=seed,
        criteria=criteria,
        population_count=len(population),
        population_digest=_digest(population),
        requested=count,
        result=chosen,
        drawn_by=actor,
    )
    draw.full_clean()
    draw.save()
    places = list(Place.objects.filter(pk__in=chosen).select_related("grid"))
    _new_place_inspections(plan, places)
    audit_record(
        actor=actor,
        action="inspections.plan_draw",
        obj=plan,
        changes={"draw": draw.pk, "seed": seed, "population": len(population), "result": chosen},
    )
    return draw


def draw_verify(draw: Draw) -> dict:
    """Runs a recorded draw again: whether today's population is the recorded one, and whether the recorded seed
    over the recorded population gives the recorded result."""
    population = _draw_population(draw.criteria)
    same_population = (
        len(population) == draw.population_count and _digest(population) == draw.population_digest
    )
    replay = draw_sample(population, draw.seed, draw.requested) if same_population else None
    return {
        "population_unchanged": same_population,
        "population_count_now": len(population),
        "result_reproduced": replay == draw.result if replay is not None else None,
    }


@transaction.atomic
def plan_report(*, actor, plan: Plan, note: str = "") -> Plan:
    """通报: ends the plan. A covert plan becomes visible to everyone in scope, and the rectifications its visits
    called for are issued now (the township could not be told before)."""
    from gridgov.inspections.services.rectifying import rectification_issue

    _require_manager(actor, plan)
    locked = Plan.objects.select_for_update().get(pk=plan.pk)
    _require_active(locked)
    locked.state, locked.reported_at = Plan.State.REPORTED, timezone.now()
    locked.report_note = (note or "").strip()
    locked.full_clean()
    locked.save(update_fields=["state", "reported_at", "report_note", "updated_at"])
    pending = (
        Inspection.objects.filter(
            plan=locked, kind=Inspection.Kind.REGULAR, state=Inspection.State.SUBMITTED, finding_count__gt=0
        )
        .filter(rectification_order__isnull=True)
        .order_by("pk")
    )
    issued = [rectification_issue(actor=actor, inspection=inspection) for inspection in pending]
    audit_record(
        actor=actor, action="inspections.plan_report", obj=locked, changes={"rectifications": len(issued)}
    )
    return locked
