"""Inspections at county scale (issue 9): the rectification board and a place's history.

太康县 (its real divisions, the demo's grids and departments), ``--places`` fireworks retailers and enterprises,
``--inspections`` inspections over 40 plans (a tenth of them covert, some not yet reported), ``--findings`` findings
spread over the inspections that found something, and one rectification per such inspection in every state
(open, due soon, overdue, reopened, closed). Set-up uses ``bulk_create`` (not measured).

Measured, each against the same answer from hand-written SQL on the driver's own cursor (the database floor):

- ``rectification_board`` (the five column counts) for a township officer, a department officer and a county
  leader;
- the board's first page (30 overdue rectifications) for the same users;
- ``place_history`` (every inspection, finding and rectification of a place) for random places, as a county leader.

Defaults are small (5,000 / 20,000 / 50,000); ``--insp-scale county`` is the issue's 50,000 places, 200,000 inspections
and 500,000 findings.
"""

import datetime as dt
import random
import time

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from bench.bench_cases import analyze, load_county, make_user
from bench.common import Report, compare, print_header, raw_cursor, raw_sql
from gridgov.core.roles import Role
from gridgov.inspections.defaults import ensure_default_checklists
from gridgov.inspections.models import Checklist, ChecklistItem, Finding, Inspection, Plan, Rectification
from gridgov.inspections.selectors import (
    DUE_SOON_DAYS,
    place_history,
    rectification_board,
    rectification_list,
)
from gridgov.registry.models import Place
from gridgov.territory.models import Level, Region, subtree_range

MODULE = "inspections"
SCALES = {"small": (5_000, 20_000, 50_000), "county": (50_000, 200_000, 500_000)}
BATCH = 5_000
PAGE = 30


def add_arguments(parser) -> None:
    group = parser.add_argument_group("inspections")
    group.add_argument(
        "--insp-scale",
        choices=sorted(SCALES),
        default="small",
        help="small (default) or county (50k/200k/500k)",
    )
    group.add_argument("--insp-places", type=int, default=None, metavar="N", help="places (5,000)")
    group.add_argument("--insp-inspections", type=int, default=None, metavar="N", help="inspections (20,000)")
    group.add_argument("--insp-findings", type=int, default=None, metavar="N", help="findings (50,000)")
    group.add_argument("--insp-history", type=int, default=200, metavar="N", help="places timed (200)")


# --- set-up ---------------------------------------------------------------------------------------------------
def _bulk(model, rows) -> list:
    out = []
    for i in range(0, len(rows), BATCH):
        out += model.objects.bulk_create(rows[i : i + BATCH])
    return out


def populate(rng: random.Random, n_places: int, n_inspections: int, n_findings: int, departments, county):
    now = timezone.now()
    grids = list(Region.objects.filter(level=Level.GRID).only("pk", "path").order_by("code"))
    townships = {r.code: r for r in Region.objects.filter(level=Level.TOWNSHIP)}
    kinds = [(Place.Kind.FIREWORKS_RETAIL, "fireworks")] * 3 + [(Place.Kind.KEY_ENTERPRISE, "industry_trade")]
    places = _bulk(
        Place,
        [
            Place(
                kind=(k := rng.choice(kinds))[0],
                industry=k[1],
                name=f"场所{i:06d}",
                grid=rng.choice(grids),
                address=f"地址{i}",
                risk_level=rng.choice(Place.Risk.values),
            )
            for i in range(n_places)
        ],
    )
    ensure_default_checklists()
    retail = Checklist.objects.get(code="fireworks_retail")
    items = list(ChecklistItem.objects.filter(checklist=retail).order_by("sort_order"))
    plans = []
    for i in range(40):
        covert = i % 10 == 0
        plans.append(
            Plan(
                name=f"计划{i:02d}",
                mode="covert" if covert else "overt",
                department=departments["huanbao" if covert else "yingji"],
                county=county,
                checklist=retail,
                team_name="督导组",
                starts_on=now.date() - dt.timedelta(days=300 - i * 7),
                ends_on=now.date() - dt.timedelta(days=290 - i * 7),
                state="active" if covert and i >= 30 else "reported",
                reported_at=None if covert and i >= 30 else now,
            )
        )
    plans = _bulk(Plan, plans)
    township_of = {}
    for grid in grids:
        code = next(c for c in grid.path.split("/") if len(c) == 9)
        township_of[grid.pk] = townships[code]
    inspections = []
    for i in range(n_inspections):
        place = places[i % len(places)] if i < len(places) else rng.choice(places)
        plan = plans[i % len(plans)]
        at = now - dt.timedelta(days=rng.randint(1, 365), minutes=rng.randint(0, 600))
        inspections.append(
            Inspection(
                plan=plan,
                place=place,
                region_id=place.grid_id,
                township=township_of[place.grid_id],
                region_path=place.grid.path,
                state="submitted",
                started_at=at,
                submitted_at=at,
            )
        )
    # one regular inspection per (plan, place): shift duplicates to re-inspections
    seen = set()
    for inspection in inspections:
        key = (inspection.plan_id, inspection.place_id)
        if key in seen:
            inspection.kind = "reinspection"
        seen.add(key)
    inspections = _bulk(Inspection, inspections)
    # findings: on about 40 % of the inspections, between 1 and several each
    with_findings = rng.sample(inspections, max(1, int(len(inspections) * 0.4)))
    per = [1] * len(with_findings)
    for _ in range(max(0, n_findings - len(with_findings))):
        per[rng.randrange(len(with_findings))] += 1
    rects = []
    for inspection, count in zip(with_findings, per, strict=True):
        if inspection.kind != "regular" or (
            inspection.plan.mode == "covert" and inspection.plan.state != "reported"
        ):
            continue  # a covert plan's rectifications are issued when it is reported
        issued = inspection.submitted_at
        state = rng.choices(["open", "reopened", "closed"], [3, 1, 6])[0]
        due = (
            now + dt.timedelta(days=rng.randint(-30, 20))
            if state != "closed"
            else issued + dt.timedelta(days=5)
        )
        rects.append(
            Rectification(
                number=f"ZGB{inspection.pk:09d}",
                inspection=inspection,
                plan_id=inspection.plan_id,
                place_id=inspection.place_id,
                party_name="单位",
                region_id=inspection.region_id,
                township_id=inspection.township_id,
                region_path=inspection.region_path,
                department=departments["yingji"],
                severity=rng.choice(["general", "major"]),
                state=state,
                issued_at=issued,
                due_at=due,
                closed_at=issued + dt.timedelta(days=4) if state == "closed" else None,
                fail_count=1 if state == "reopened" else 0,
            )
        )
        inspection.finding_count = min(count, len(items))
    rects = _bulk(Rectification, rects)
    rect_of = {r.inspection_id: r.pk for r in rects}
    findings = []
    for inspection, count in zip(with_findings, per, strict=True):
        for j in range(count):
            item = items[j % len(items)]
            findings.append(
                Finding(
                    inspection=inspection,
                    item=item,
                    severity=item.severity,
                    description="隐患",
                    place_id=inspection.place_id,
                    township_id=inspection.township_id,
                    region_path=inspection.region_path,
                    covert=inspection.plan.mode == "covert",
                    rectification_id=rect_of.get(inspection.pk),
                    created_at=inspection.submitted_at,
                )
            )
    # finding_one_per_item: repeated items on one inspection go to its re-inspections' rows instead
    unique, spill = [], []
    keys = set()
    for f in findings:
        (spill if (f.inspection_id, f.item_id) in keys else unique).append(f)
        keys.add((f.inspection_id, f.item_id))
    extra = [i for i in inspections if i.kind == "reinspection"] or inspections
    for n, f in enumerate(spill):
        target = extra[n % len(extra)]
        item = items[(n // len(extra)) % len(items)]
        if (target.pk, item.pk) in keys:
            continue
        keys.add((target.pk, item.pk))
        f.inspection, f.item, f.place_id = target, item, target.place_id
        f.township_id, f.region_path, f.rectification_id = target.township_id, target.region_path, None
        unique.append(f)
    _bulk(Finding, unique)
    return places, len(unique), len(rects)


# --- references -------------------------------------------------------------------------------------------------
def _visible_sql(path: str | None, department_id: int | None) -> tuple[str, list]:
    """The visibility of rectifications, hand-written: in the region, or the department's (as the responsible
    department or the organiser). Rectifications of unreported covert plans do not exist."""
    if department_id:
        sql = "(r.department_id = %s OR r.plan_id IN (SELECT id FROM inspections_plan WHERE department_id = %s))"
        return sql, [department_id, department_id]
    low, high = subtree_range(path)
    return "r.region_path >= %s AND r.region_path < %s", [low, high]


def board_reference(path, department_id, now):
    where, params = _visible_sql(path, department_id)
    soon = now + dt.timedelta(days=DUE_SOON_DAYS)
    sql = f"""
        SELECT
          SUM(CASE WHEN r.state <> 'closed' THEN 1 ELSE 0 END),
          SUM(CASE WHEN r.state <> 'closed' AND r.due_at >= %s AND r.due_at < %s THEN 1 ELSE 0 END),
          SUM(CASE WHEN r.state <> 'closed' AND r.due_at < %s THEN 1 ELSE 0 END),
          SUM(CASE WHEN r.state = 'reopened' THEN 1 ELSE 0 END),
          SUM(CASE WHEN r.state = 'closed' THEN 1 ELSE 0 END)
        FROM inspections_rectification r
        WHERE {where}"""
    cursor = raw_cursor()
    cursor.execute(raw_sql(sql), [_db(now), _db(soon), _db(now), *params])
    row = cursor.fetchone()
    return dict(
        zip(("open", "due_soon", "overdue", "reopened", "closed"), (v or 0 for v in row), strict=True)
    )


def page_reference(path, department_id, now):
    where, params = _visible_sql(path, department_id)
    sql = f"""
        SELECT r.id, r.number, r.party_name, r.due_at, t.name, d.name
        FROM inspections_rectification r
          JOIN territory_region t ON t.id = r.township_id JOIN territory_department d ON d.id = r.department_id
        WHERE {where} AND r.state <> 'closed' AND r.due_at < %s
        ORDER BY r.due_at, r.id LIMIT {PAGE}"""
    cursor = raw_cursor()
    cursor.execute(raw_sql(sql), [*params, _db(now)])
    return [row[0] for row in cursor.fetchall()]


def history_reference(place_id):
    cursor = raw_cursor()
    hidden = "NOT (p.mode = 'covert' AND p.state <> 'reported')"
    cursor.execute(
        raw_sql(
            f"""SELECT i.id, p.name FROM inspections_inspection i JOIN inspections_plan p ON p.id = i.plan_id
            WHERE i.place_id = %s AND {hidden} ORDER BY i.id DESC LIMIT 200"""
        ),
        [place_id],
    )
    inspections = [r[0] for r in cursor.fetchall()]
    cursor.execute(
        raw_sql(
            f"""SELECT f.id, c.text FROM inspections_finding f JOIN inspections_inspection i ON i.id = f.inspection_id
            JOIN inspections_plan p ON p.id = i.plan_id JOIN inspections_checklistitem c ON c.id = f.item_id
            WHERE f.place_id = %s AND {hidden} ORDER BY f.created_at DESC, f.id DESC LIMIT 200"""
        ),
        [place_id],
    )
    findings = [r[0] for r in cursor.fetchall()]
    cursor.execute(
        raw_sql(
            """SELECT r.id, d.name FROM inspections_rectification r
            JOIN territory_department d ON d.id = r.department_id
            WHERE r.place_id = %s ORDER BY r.issued_at DESC, r.id DESC LIMIT 200"""
        ),
        [place_id],
    )
    return inspections, findings, [r[0] for r in cursor.fetchall()]


def _db(value):
    """A datetime as the driver stores it (SQLite keeps UTC text without a zone)."""
    if connection.vendor == "sqlite":
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    return value


# --- the run ----------------------------------------------------------------------------------------------------
def run(args, report: Report) -> None:
    rng = random.Random(args.seed)
    n_places, n_inspections, n_findings = SCALES[args.insp_scale]
    n_places = args.insp_places or n_places
    n_inspections = args.insp_inspections or n_inspections
    n_findings = args.insp_findings or n_findings
    t0 = time.perf_counter()
    county, departments = load_county()
    places, findings, rects = populate(rng, n_places, n_inspections, n_findings, departments, county)
    analyze()
    print(
        f"\ninspections: {len(places):,} places, {Inspection.objects.count():,} inspections, {findings:,} findings, "
        f"{rects:,} rectifications set up in {time.perf_counter() - t0:.1f} s"
    )
    # the township with the most rectifications: the heaviest board a township officer opens
    busiest = (
        Rectification.objects.values("township_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "township_id")
        .first()
    )
    township = Region.objects.get(pk=busiest["township_id"])
    users = {
        "township": (make_user("bench_insp_township", Role.TOWNSHIP_OFFICER, township), township.path, None),
        "department": (
            make_user("bench_insp_officer", Role.DEPARTMENT_OFFICER, county, departments["yingji"]),
            None,
            departments["yingji"].pk,
        ),
        "leader": (make_user("bench_insp_leader", Role.LEADER, county), county.path, None),
    }
    now = timezone.now()
    print_header("inspections: the rectification board")
    for name, (user, path, department_id) in users.items():
        targets = [now] * 30
        compare(
            report,
            MODULE,
            f"board counts ({name})",
            targets,
            lambda t, user=user: rectification_board(user=user, now=t),
            lambda t, path=path, d=department_id: board_reference(path, d, t),
            same=lambda a, b: a == b,
            warmup=3,
        )
        compare(
            report,
            MODULE,
            f"board overdue page ({name})",
            targets,
            lambda t, user=user: [
                r.pk for r in rectification_list(user=user, bucket="overdue", now=t)[:PAGE]
            ],
            lambda t, path=path, d=department_id: page_reference(path, d, t),
            same=lambda a, b: a == b,
            warmup=3,
        )
    print_header("inspections: a place's history")
    leader = users["leader"][0]
    sample = rng.sample(places, min(args.insp_history, len(places)))

    def gridgov_history(place):
        history = place_history(user=leader, place=place)
        return (
            [i.pk for i in history["inspections"]],
            [f.pk for f in history["findings"]],
            [r.pk for r in history["rectifications"]],
        )

    compare(
        report,
        MODULE,
        "place history (leader)",
        sample,
        gridgov_history,
        lambda place: history_reference(place.pk),
        same=lambda a, b: a == b,
    )
