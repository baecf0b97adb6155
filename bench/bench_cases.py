"""The closed loop at county scale (issue 4): intake over HTTP, the inbox and the indicators.

1. County-scale reads. 太康县 (its real divisions, 2–5 grids a village, the demo's departments) and ``--cases``
   cases (default 200,000: a year of a busy county) spread over a year, across townships, categories, units and
   every state, with timestamps that follow the loop (registration, dispatch, deadline, extension, rework,
   closure; some units slower than others, some cases left overdue). They are inserted with raw ``executemany``
   (set-up, not measured). Then, each against hand-written SQL on the driver's own cursor:

   - ``case_inbox`` (first page of 50) for a supervisor, a commander and a department officer;
   - ``indicator_table`` for a month, by township and by department, for a county leader.

   Goal (issue 4): each under 300 ms. EXPLAIN of the SQL gridgov ran follows.

2. Intake over HTTP. gunicorn (gthread, 2 workers × 4 threads, as production runs it) on 127.0.0.1 and a free port,
   on the same database (``bench.floor_settings``), and ``--clients`` threads with httpx sending ``--requests``
   requests a run: ``POST /api/v1/cases`` with a grid worker's bearer token, beside the framework floor
   ``POST /bench/floor`` (``bench.floor_urls``: the same token check, one row inserted). Runs alternate floor and
   intake (``--rounds`` each). Goal: intake at least half the floor's rate.
"""

import datetime as dt
import math
import random
import statistics
import time
from collections import Counter

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from bench.common import (
    Report,
    Server,
    captured_sql,
    compare,
    count_arg,
    explain,
    load,
    plan_verdict,
    print_header,
    raw_cursor,
    raw_sql,
)
from bench.floor_urls import FLOOR_TABLE
from gridgov.accounts.models import User
from gridgov.accounts.services import api_token_create
from gridgov.cases.indicators import GROUP_DEPARTMENT, GROUP_TOWNSHIP, Period, indicator_table
from gridgov.cases.models import CLOCK_STATES, Case, CaseCounter, CaseState, Category, ExtensionRequest
from gridgov.cases.selectors import case_inbox
from gridgov.cases.services.counts import counts_rebuild
from gridgov.core.roles import Role
from gridgov.core.scope import forget_scope
from gridgov.demo.accounts import COUNTY_CODE, DEMO_DEPARTMENTS
from gridgov.demo.loader import DIVISIONS_FILE, demo_grid_rows
from gridgov.territory.models import Level, Region, subtree_range
from gridgov.territory.services import department_upsert, divisions_import, grant_add, read_divisions_csv

MODULE = "cases"
GOAL_MS = 300
INBOX_PAGE = 50
HOUR = dt.timedelta(hours=1)


def add_arguments(parser) -> None:
    group = parser.add_argument_group("cases")
    group.add_argument(
        "--cases",
        type=count_arg(100, 2_000_000),
        default=200_000,
        metavar="N",
        help="cases at county scale (200000)",
    )
    group.add_argument(
        "--clients", type=count_arg(1, 64), default=8, metavar="N", help="HTTP client threads (8)"
    )
    group.add_argument(
        "--requests",
        type=count_arg(10, 100_000),
        default=1000,
        metavar="N",
        help="requests in each HTTP run (1000)",
    )
    group.add_argument(
        "--rounds", type=count_arg(1, 10), default=2, metavar="N", help="floor/intake runs each (2)"
    )
    group.add_argument("--no-http", action="store_true", help="skip the HTTP intake part")


# --- the county -----------------------------------------------------------------------------------------
def load_county() -> tuple[Region, dict[str, object]]:
    rows = read_divisions_csv(DIVISIONS_FILE)
    divisions_import(actor=None, rows=rows)
    villages = list(Region.objects.filter(level=Level.VILLAGE).values_list("code", "name"))
    divisions_import(actor=None, rows=demo_grid_rows(villages))
    county = Region.objects.get(code=COUNTY_CODE)
    departments = {
        code: department_upsert(
            actor=None, county=county, code=code, name=name, short_name=short, sort_order=i
        )
        for i, (code, name, short) in enumerate(DEMO_DEPARTMENTS, start=1)
    }
    return county, departments


def make_user(username: str, role: str, region: Region, department=None) -> User:
    user = User.objects.create_user(username=username, password=None)
    grant_add(actor=None, user=user, role=role, region=region, department=department)
    return user


# --- 200,000 cases ----------------------------------------------------------------------------------------
def wall_hours(value: int, unit: str) -> float:
    """A category's time limit in wall-clock hours, roughly: 7 office hours a working day, 5 working days a week."""
    return value * 24 / 7 if unit == "hours" else value * 24 * 7 / 5


def generate_cases(rng: random.Random, n: int, now: dt.datetime, departments, reporter_id: int):
    """Rows for cases_case (dicts by column), oldest first, with the loop's timestamps in order."""
    categories = list(
        Category.objects.filter(is_active=True).values_list(
            "id", "default_department_code", "deadline_value", "deadline_unit"
        )
    )
    grids = list(Region.objects.filter(level=Level.GRID, is_active=True).values_list("id", "code"))
    townships = dict(Region.objects.filter(level=Level.TOWNSHIP).values_list("code", "id"))
    department_ids = {code: d.pk for code, d in departments.items()}
    # Some units are slower than others (and some leave cases lying): the indicators should show it.
    slowness = {("d", i): rng.lognormvariate(0, 0.45) for i in department_ids.values()}
    slowness |= {("t", i): rng.lognormvariate(0, 0.45) for i in townships.values()}
    year = dt.timedelta(days=365).total_seconds()
    created = sorted(now - dt.timedelta(seconds=rng.random() * year) for _ in range(n))
    sequence: Counter = Counter()
    local = timezone.get_default_timezone()
    rows = []
    for created_at in created:
        category_id, dept_code, limit_value, limit_unit = rng.choice(categories)
        grid_id, grid_code = rng.choice(grids)
        township_id = townships[grid_code[:9]]
        day = created_at.astimezone(local).date()
        sequence[day] += 1
        row = {
            "number": f"{day:%Y%m%d}{sequence[day]:05d}",
            "category_id": category_id,
            "region_id": grid_id,
            "township_id": township_id,
            "source": "grid_report",
            "title": "网格巡查发现问题",
            "description": "现场发现问题，已拍照上报",
            "address": "",
            "latitude": None,
            "longitude": None,
            "state": CaseState.REPORTED,
            "reported_by_id": reporter_id,
            "unit_department_id": None,
            "unit_township_id": None,
            "assignee_id": None,
            "registered_at": None,
            "dispatched_at": None,
            "due_at": None,
            "accepted_at": None,
            "resolved_at": None,
            "closed_at": None,
            "voided_at": None,
            "is_suspended": False,
            "suspended_at": None,
            "is_overdue": False,
            "escalated_at": None,
            "rework_count": 0,
            "extension_count": 0,
            "return_count": 0,
            "merged_into_id": None,
            "created_at": created_at,
            "updated_at": created_at,
        }
        rows.append(row)
        fate = rng.random()
        if fate < 0.06:  # 不予立案
            voided = created_at + rng.uniform(0.1, 4) * HOUR
            if voided <= now:
                row.update(state=CaseState.VOIDED, voided_at=voided, updated_at=voided)
            continue
        if fate < 0.08:  # a duplicate, merged (its target is not modelled: merged cases count nowhere)
            row.update(state=CaseState.MERGED)
            continue
        registered = created_at + rng.uniform(0.1, 8) * HOUR
        if registered > now:
            continue
        row.update(state=CaseState.REGISTERED, registered_at=registered, updated_at=registered)
        dispatched = registered + rng.uniform(0.1, 6) * HOUR
        if dispatched > now:
            continue
        if dept_code and dept_code in department_ids and rng.random() < 0.85:
            unit = ("d", department_ids[dept_code])
            row["unit_department_id"] = unit[1]
        else:
            unit = ("t", township_id)
            row["unit_township_id"] = township_id
        limit = wall_hours(limit_value, limit_unit) * HOUR
        due = dispatched + limit
        if rng.random() < 0.05:
            row["extension_count"] = 1
            due += limit
        if rng.random() < 0.03:
            row["return_count"] = 1
        slow = slowness[unit]
        handling = limit * (rng.lognormvariate(-0.6, 0.7) * slow)
        accepted = dispatched + min(handling * 0.1, 2 * HOUR)
        resolved = dispatched + handling
        if rng.random() < 0.07:
            row["rework_count"] = 1
            resolved += limit * 0.3
        closed = resolved + rng.uniform(0.5, 24) * HOUR
        stuck = rng.random() < 0.015 * slow  # left lying: handling for ever
        row.update(state=CaseState.DISPATCHED, dispatched_at=dispatched, due_at=due, updated_at=dispatched)
        if accepted <= now:
            row.update(state=CaseState.HANDLING, accepted_at=accepted, updated_at=accepted)
        if not stuck and resolved <= now:
            row.update(state=CaseState.RESOLVED, resolved_at=resolved, updated_at=resolved)
            if closed <= now:
                row.update(state=CaseState.CLOSED, closed_at=closed, updated_at=closed)
        if row["state"] in CLOCK_STATES:
            if rng.random() < 0.01:
                row.update(is_suspended=True, suspended_at=min(now, dispatched + HOUR))
            elif due < now:
                row.update(is_overdue=True, escalated_at=due + HOUR)
    return rows


def insert_cases(rows: list[dict]) -> float:
    """Raw executemany of the rows, and each day's last case number (as next_case_number keeps it)."""
    columns = [f.column for f in Case._meta.concrete_fields if f.column != "id"]
    sql = raw_sql(
        f"INSERT INTO cases_case ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    )
    adapt = connection.ops.adapt_datetimefield_value
    datetime_columns = {c for c in columns if c.endswith("_at")}
    t0 = time.perf_counter()
    with transaction.atomic():
        cursor = raw_cursor()
        for i in range(0, len(rows), 5000):
            cursor.executemany(
                sql,
                [
                    tuple(
                        adapt(row[c]) if c in datetime_columns and row[c] is not None else row[c]
                        for c in columns
                    )
                    for row in rows[i : i + 5000]
                ],
            )
        last: dict[dt.date, int] = {}
        for row in rows:
            day = dt.date(int(row["number"][:4]), int(row["number"][4:6]), int(row["number"][6:8]))
            last[day] = max(last.get(day, 0), int(row["number"][8:]))
        CaseCounter.objects.bulk_create([CaseCounter(day=day, last=n) for day, n in last.items()])
    return time.perf_counter() - t0


def add_pending_extensions(rng: random.Random, officer: User) -> int:
    """A pending extension request on some open cases, so that the commander's inbox has that branch to look at."""
    ids = list(Case.objects.filter(state__in=CLOCK_STATES, is_suspended=False).values_list("pk", flat=True))
    chosen = rng.sample(ids, min(len(ids), max(1, len(ids) // 20)))
    ExtensionRequest.objects.bulk_create(
        [
            ExtensionRequest(
                case_id=pk, requested_by=officer, reason="需协调", extra_value=2, extra_unit="days"
            )
            for pk in chosen
        ],
        batch_size=2000,
    )
    return len(chosen)


def analyze() -> None:
    """Planner statistics on PostgreSQL, as autovacuum gathers them soon after a bulk load. SQLite is left as a
    gridgov deployment runs it: Django never runs ANALYZE there."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def state_summary() -> str:
    counts = dict(Case.objects.order_by().values_list("state").annotate(n=Count("pk")))
    return ", ".join(f"{state} {counts.get(state, 0):,}" for state in CaseState.values)


# --- the references: the same reads in hand-written SQL -------------------------------------------------------
RELATED_JOINS = """
JOIN cases_category cat ON cat.id = c.category_id
JOIN cases_categorygroup grp ON grp.id = cat.group_id
JOIN territory_region reg ON reg.id = c.region_id
JOIN territory_region tws ON tws.id = c.township_id
LEFT JOIN territory_department dep ON dep.id = c.unit_department_id
LEFT JOIN territory_region utw ON utw.id = c.unit_township_id
LEFT JOIN accounts_user asg ON asg.id = c.assignee_id
"""
INBOX_SELECT = (
    "SELECT c.*, cat.name, grp.name, reg.name, tws.name, dep.name, utw.name, asg.username FROM cases_case c"
)
INBOX_ORDER = " ORDER BY CASE WHEN c.is_overdue THEN 0 ELSE 1 END, c.due_at, c.created_at LIMIT 50"
INBOX_SQL = {
    "supervisor": INBOX_SELECT
    + RELATED_JOINS
    + "WHERE c.state IN ('reported', 'resolved') AND reg.path >= %s AND reg.path < %s AND NOT c.is_suspended"
    + INBOX_ORDER,
    "commander": INBOX_SELECT
    + RELATED_JOINS
    + """WHERE c.state IN ('registered', 'dispatched', 'handling')
  AND (c.state = 'registered' OR c.is_overdue
       OR c.id IN (SELECT e.case_id FROM cases_extensionrequest e WHERE e.state = 'pending'))
  AND reg.path >= %s AND reg.path < %s AND NOT c.is_suspended"""
    + INBOX_ORDER,
    "department": INBOX_SELECT
    + RELATED_JOINS
    + """WHERE c.state IN ('dispatched', 'handling') AND (c.assignee_id = %s OR c.unit_department_id = %s)
  AND NOT c.is_suspended"""
    + INBOX_ORDER,
}

VISIBLE = """JOIN territory_region reg ON reg.id = c.region_id
WHERE ((reg.path >= %s AND reg.path < %s) OR c.assignee_id = %s OR c.reported_by_id = %s) AND c.state <> 'merged'"""


def _in(column: str) -> str:
    return f"({column} >= %s AND {column} < %s)"


def _seconds(later: str, earlier: str) -> str:
    if connection.vendor == "sqlite":
        return f"(julianday({later}) - julianday({earlier})) * 86400.0"
    return f"EXTRACT(EPOCH FROM {later} - {earlier})"


def intake_sql(column: str, unit: bool) -> str:
    if unit:
        return (
            f"SELECT c.{column} + 0, 0, 0, COUNT(*) FROM cases_case c {VISIBLE} "
            f"AND {_in('c.dispatched_at')} GROUP BY c.{column} + 0"
        )
    created, registered, dispatched = _in("c.created_at"), _in("c.registered_at"), _in("c.dispatched_at")
    return f"""SELECT c.{column} + 0,
  SUM(CASE WHEN {created} THEN 1 ELSE 0 END), SUM(CASE WHEN {registered} THEN 1 ELSE 0 END),
  SUM(CASE WHEN {dispatched} THEN 1 ELSE 0 END)
FROM cases_case c {VISIBLE} AND ({created} OR {registered} OR {dispatched})
GROUP BY c.{column} + 0"""


def closure_sql(column: str) -> str:
    closed = "(c.closed_at IS NOT NULL AND c.closed_at < %s)"
    handled = f"({closed} AND c.dispatched_at IS NOT NULL)"
    return f"""SELECT c.{column} + 0, COUNT(*),
  SUM(CASE WHEN {closed} THEN 1 ELSE 0 END),
  SUM(CASE WHEN {closed} AND c.closed_at <= c.due_at THEN 1 ELSE 0 END),
  SUM(CASE WHEN c.rework_count > 0 THEN 1 ELSE 0 END),
  SUM(CASE WHEN c.extension_count > 0 THEN 1 ELSE 0 END),
  SUM(CASE WHEN {handled} THEN 1 ELSE 0 END),
  SUM(CASE WHEN {handled} THEN {_seconds("c.closed_at", "c.dispatched_at")} ELSE 0 END)
FROM cases_case c {VISIBLE}
  AND c.due_at IS NOT NULL AND NOT c.is_suspended
  AND (c.due_at < %s OR c.closed_at < %s) AND (c.closed_at IS NULL OR c.closed_at >= %s)
GROUP BY c.{column} + 0"""


class Raw:
    def __init__(self, county: Region):
        self.cursor = raw_cursor()
        self.county = county
        self.low, self.high = subtree_range(county.path)
        self.adapt = connection.ops.adapt_datetimefield_value

    def inbox(self, kind: str, user: User, department_id: int | None = None) -> list[int]:
        params = [user.pk, department_id] if kind == "department" else [self.low, self.high]
        self.cursor.execute(raw_sql(INBOX_SQL[kind]), params)
        return [row[0] for row in self.cursor.fetchall()]

    def indicators(self, user: User, group: str, period: Period) -> dict:
        column = {GROUP_TOWNSHIP: "township_id", GROUP_DEPARTMENT: "unit_department_id"}[group]
        unit = group == GROUP_DEPARTMENT
        start, end = self.adapt(period.start), self.adapt(period.end)
        visible = [self.low, self.high, user.pk, user.pk]
        c = self.cursor
        if unit:
            c.execute(raw_sql(intake_sql(column, True)), [*visible, start, end])
        else:
            c.execute(raw_sql(intake_sql(column, False)), [start, end] * 3 + visible + [start, end] * 3)
        out = {
            key: [None if unit else a, None if unit else r, d, 0, 0, 0, 0, 0, 0, 0]
            for key, a, r, d in c.fetchall()
        }
        c.execute(raw_sql(closure_sql(column)), [end] * 4 + visible + [end, end, start])
        for key, *counts in c.fetchall():
            row = out.setdefault(key, [None if unit else 0, None if unit else 0, 0, 0, 0, 0, 0, 0, 0, 0])
            row[3:] = [int(x or 0) for x in counts[:6]] + [float(counts[6] or 0)]
        # the labels, as gridgov lists them: every township (department) in reach, with those that had cases
        keys = [k for k in out if k is not None] or [0]
        marks = ", ".join(["%s"] * len(keys))
        if unit:
            c.execute(
                raw_sql(
                    f"SELECT id, code FROM territory_department WHERE id IN ({marks}) OR (is_active AND county_id = %s) "
                    "ORDER BY sort_order, code"
                ),
                [*keys, self.county.pk],
            )
        else:
            c.execute(
                raw_sql(
                    f"SELECT id, code FROM territory_region WHERE id IN ({marks}) OR (level = 'township' AND is_active "
                    "AND path >= %s AND path < %s) ORDER BY code"
                ),
                [*keys, self.low, self.high],
            )
        empty = [None if unit else 0, None if unit else 0, 0, 0, 0, 0, 0, 0, 0, 0]
        return {key: out.get(key, empty) for key, _code in c.fetchall()}


def gridgov_indicators(user: User, group: str, period: Period) -> dict:
    table = indicator_table(user=user, group=group, period=period)
    return {
        row.key: [
            row.accepted,
            row.registered,
            row.dispatched,
            row.due,
            row.closed,
            row.closed_on_time,
            row.reworked,
            row.extended,
            row.handled,
            row.handling_seconds,
        ]
        for row in table.rows
    }


def same_indicators(g: dict, r: dict) -> bool:
    if list(g) != list(r):
        return False
    for key, mine in g.items():
        theirs = r[key]
        if mine[:9] != theirs[:9]:
            return False
        if abs(mine[9] - theirs[9]) > 1 + mine[8]:  # seconds summed from rounded intervals
            return False
    return True


def months_before(today: dt.date, n: int) -> list[Period]:
    periods, first = [], today.replace(day=1)
    for _ in range(n):
        last = first - dt.timedelta(days=1)
        first = last.replace(day=1)
        periods.append(Period(first, last))
    return periods


def reads(args, report: Report, county: Region, users: dict[str, User], department) -> None:
    reps = args.reps

    def n(fraction: float, floor: int = 5) -> int:
        return max(floor, int(reps * fraction))

    raw = Raw(county)
    print_header(f"cases: reads at county scale (µs per call; goal < {GOAL_MS} ms; q = queries)")
    results = []
    for kind, user in (
        ("supervisor", users["supervisor"]),
        ("commander", users["commander"]),
        ("department", users["officer"]),
    ):
        scope_user = user
        forget_scope(scope_user)
        list(case_inbox(user=scope_user)[:1])  # the scope, cached on the user as in a request
        dept_id = department.pk if kind == "department" else None
        results.append(
            compare(
                report,
                MODULE,
                f"case_inbox first {INBOX_PAGE} ({kind})",
                [scope_user] * n(0.05),
                lambda u: [c.pk for c in case_inbox(user=u)[:INBOX_PAGE]],
                lambda u, kind=kind, dept_id=dept_id: raw.inbox(kind, u, dept_id),
                same=list.__eq__,
                warmup=3,
            )
        )
    leader = users["leader"]
    forget_scope(leader)
    months = months_before(timezone.localdate(), 6)
    targets = [months[i % len(months)] for i in range(n(0.02))]
    for group, label in ((GROUP_TOWNSHIP, "township"), (GROUP_DEPARTMENT, "department")):
        gridgov_indicators(leader, group, months[0])
        results.append(
            compare(
                report,
                MODULE,
                f"indicator_table, a month by {label}",
                targets,
                lambda p, group=group: gridgov_indicators(leader, group, p),
                lambda p, group=group: raw.indicators(leader, group, p),
                same=same_indicators,
                warmup=2,
            )
        )
    print()
    for r in results:
        verdict = "met" if r.gridgov_median_us < GOAL_MS * 1000 else "MISSED"
        print(
            f"  goal < {GOAL_MS} ms: {r.op:<42} median {r.gridgov_median_us / 1000:7.1f} ms  p95 {r.gridgov_p95_us / 1000:7.1f} ms  {verdict}"
        )
        report.figures.append(
            {
                "module": MODULE,
                "figure": f"goal {r.op}",
                "median_ms": round(r.gridgov_median_us / 1000, 1),
                "goal_ms": GOAL_MS,
                "met": r.gridgov_median_us < GOAL_MS * 1000,
            }
        )
    sample = months[0]
    table = indicator_table(user=leader, group=GROUP_TOWNSHIP, period=sample)
    t = table.total
    print(
        f"\n  {sample.first_day:%Y-%m}, county: 受理 {t.accepted:,} 立案 {t.registered:,} 派遣 {t.dispatched:,} "
        f"应结案 {t.due:,} 结案 {t.closed:,} ({t.close_rate}) 按期 {t.on_time_rate} 返工 {t.rework_rate} "
        f"延期 {t.extension_rate} 平均 {t.average_handling_hours} h over {len(table.rows)} townships"
    )
    plans(report, users, leader, sample)


def plans(report: Report, users: dict[str, User], leader: User, period: Period) -> None:
    backend = "SQLite" if connection.vendor == "sqlite" else "PostgreSQL"
    print(f"\ncases: query plans on {backend}")
    cases = [
        ("case_inbox (supervisor)", lambda: list(case_inbox(user=users["supervisor"])[:INBOX_PAGE])),
        ("case_inbox (commander)", lambda: list(case_inbox(user=users["commander"])[:INBOX_PAGE])),
        ("case_inbox (department)", lambda: list(case_inbox(user=users["officer"])[:INBOX_PAGE])),
        ("indicators by township", lambda: indicator_table(user=leader, group=GROUP_TOWNSHIP, period=period)),
        (
            "indicators by department",
            lambda: indicator_table(user=leader, group=GROUP_DEPARTMENT, period=period),
        ),
    ]
    for label, fn in cases:
        for i, sql in enumerate(captured_sql(fn), start=1):
            lines = explain(sql)
            verdict = plan_verdict(lines)
            report.plans.append(
                {"module": MODULE, "query": f"{label} #{i}", "verdict": verdict, "plan": lines}
            )
            print(f"- {label} query {i}: {verdict}")
            for line in lines:
                print(f"    {line}")


# --- intake over HTTP -----------------------------------------------------------------------------------------
def create_floor_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TABLE {FLOOR_TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, "
                "user_id INTEGER NOT NULL, title VARCHAR(100) NOT NULL)"
            )
        else:
            cursor.execute(
                f"CREATE TABLE {FLOOR_TABLE} (id BIGSERIAL PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL, "
                "user_id BIGINT NOT NULL, title VARCHAR(100) NOT NULL)"
            )


def post_load(url: str, clients: list[dict], total: int) -> dict:
    """``total`` POSTs to ``url``, one thread per client (each with its own token and body maker)."""
    import httpx

    return load(
        lambda http, i, k: http.post(url, json=clients[k]["body"](i)).status_code,
        total,
        len(clients),
        ok=201,
        connect=lambda k: httpx.Client(
            timeout=15, headers={"Authorization": f"Bearer {clients[k]['token']}"}
        ),
    )


def http_intake(args, report: Report, workers: list[tuple[User, Region]]) -> None:
    import httpx

    codes = list(
        Category.objects.filter(is_active=True, group__is_active=True).values_list("code", flat=True)
    )
    clients_floor, clients_intake = [], []
    for i in range(args.clients):
        user, grid = workers[i % len(workers)]
        _token, plain = api_token_create(actor=None, user=user, name="bench")
        rng = random.Random(args.seed + i)

        def intake_body(n, grid=grid, rng=rng):
            return {
                "category": rng.choice(codes),
                "region": grid.code,
                "title": f"巡查发现问题 {n}",
                "description": "现场发现问题，已拍照上报。",
            }

        clients_intake.append({"token": plain, "body": intake_body})
        clients_floor.append({"token": plain, "body": lambda n: {"title": f"巡查发现问题 {n}"}})
    create_floor_table()
    connection.close()  # nothing of ours holds the database while the server writes

    print(
        f"\ncases: intake over HTTP, gunicorn gthread 2 workers × 4 threads on 127.0.0.1; {args.clients} client threads, "
        f"{args.requests} requests a run, {args.rounds} runs each, alternating"
    )
    with Server("cases") as server:
        probe = httpx.post(
            f"{server.base}/api/v1/cases",
            json=clients_intake[0]["body"](0),
            headers={"Authorization": f"Bearer {clients_intake[0]['token']}"},
            timeout=15,
        )
        if probe.status_code != 201:
            print(f"  !! POST /api/v1/cases answered {probe.status_code}: {probe.text[:300]}")
            report.figures.append({"module": MODULE, "figure": "intake", "error": probe.status_code})
            return
        warm = max(20, args.requests // 10)
        post_load(f"{server.base}/bench/floor", clients_floor, warm)
        post_load(f"{server.base}/api/v1/cases", clients_intake, warm)
        runs = {"floor": [], "intake": []}
        for _ in range(args.rounds):
            for kind, url, clients in (
                ("floor", f"{server.base}/bench/floor", clients_floor),
                ("intake", f"{server.base}/api/v1/cases", clients_intake),
            ):
                before = server.cpu_seconds()
                result = post_load(url, clients, args.requests)
                used = server.cpu_used(before, server.cpu_seconds())
                for part in ("app", "db"):
                    result[f"{part}_cpu_ms"] = used[part] * 1000 / args.requests
                runs[kind].append(result)
                print(
                    f"  {kind:<7} {result['rate']:8.1f} req/s  p50 {result['p50_ms']:7.1f} ms  p99 {result['p99_ms']:7.1f} ms"
                    f"  CPU/request: server {result['app_cpu_ms']:4.1f} ms, PostgreSQL {result['db_cpu_ms']:4.1f} ms"
                    f"  ({result['ok']} × 201 in {result['wall_s']:.1f} s; statuses {result['statuses']})",
                    flush=True,
                )
    summary = {}
    for kind, results in runs.items():
        summary[kind] = {
            "rate": statistics.mean(r["rate"] for r in results),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": max(r["p99_ms"] for r in results),
            "app_cpu_ms": statistics.mean(r["app_cpu_ms"] for r in results),
            "db_cpu_ms": statistics.mean(r["db_cpu_ms"] for r in results),
            "errors": sum(n for r in results for s, n in r["statuses"].items() if s != 201),
        }
    floor, intake = summary["floor"], summary["intake"]
    share = intake["rate"] / floor["rate"] if floor["rate"] else math.nan
    print(
        f"\n  floor  (auth + one raw INSERT) {floor['rate']:8.1f} req/s   p50 {floor['p50_ms']:6.1f} ms   p99 {floor['p99_ms']:6.1f} ms"
        f"\n  intake (POST /api/v1/cases)    {intake['rate']:8.1f} cases/s p50 {intake['p50_ms']:6.1f} ms   p99 {intake['p99_ms']:6.1f} ms"
        f"\n  intake / floor = {share:.2f}  (goal ≥ 0.50: {'met' if share >= 0.5 else 'MISSED'}); errors: floor "
        f"{floor['errors']}, intake {intake['errors']}"
    )
    report.figures.append(
        {
            "module": MODULE,
            "figure": "intake over HTTP",
            "clients": args.clients,
            "requests_per_run": args.requests,
            "rounds": args.rounds,
            "floor": {k: round(v, 1) for k, v in floor.items()},
            "intake": {k: round(v, 1) for k, v in intake.items()},
            "ratio": round(share, 2),
            "goal_met": share >= 0.5,
        }
    )


# --- the run ------------------------------------------------------------------------------------------------
def run(args, report: Report) -> None:
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    county, departments = load_county()
    townships = Region.objects.filter(level=Level.TOWNSHIP).count()
    grids = Region.objects.filter(level=Level.GRID).count()
    print(
        f"\ncases: 太康县 loaded ({townships} townships, {grids:,} grids, {len(departments)} departments) in {time.perf_counter() - t0:.1f} s"
    )
    department = departments["yingji"]
    users = {
        "supervisor": make_user("bench_supervisor", Role.SUPERVISOR, county),
        "commander": make_user("bench_commander", Role.COMMANDER, county),
        "leader": make_user("bench_leader", Role.LEADER, county),
        "officer": make_user("bench_officer", Role.DEPARTMENT_OFFICER, county, department),
    }
    grid_list = list(Region.objects.filter(level=Level.GRID).order_by("code"))
    workers = []
    for i, grid in enumerate(rng.sample(grid_list, max(1, args.clients))):
        workers.append((make_user(f"bench_grid_{i:02d}", Role.GRID_WORKER, grid), grid))

    now = timezone.now()
    t0 = time.perf_counter()
    rows = generate_cases(rng, args.cases, now, departments, workers[0][0].pk)
    generated = time.perf_counter() - t0
    seconds = insert_cases(rows)
    del rows
    pending = add_pending_extensions(rng, users["officer"])
    t0 = time.perf_counter()
    count_rows = counts_rebuild()  # as the migration does for cases stored before the counters existed
    recounted = time.perf_counter() - t0
    analyze()
    print(
        f"cases: {args.cases:,} cases generated in {generated:.1f} s, inserted (raw executemany, set-up) in {seconds:.1f} s"
        f" ({args.cases / seconds:,.0f} rows/s); {pending:,} pending extension requests"
    )
    print(
        f"cases: indicator day counters recounted from the cases (cases_recount) in {recounted:.1f} s: {count_rows:,} rows"
    )
    print(f"cases: states: {state_summary()}")
    reads(args, report, county, users, department)
    if not args.no_http:
        http_intake(args, report, workers)
