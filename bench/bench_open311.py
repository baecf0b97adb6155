"""Open311 ``GET requests`` at county scale (issue 5).

太康县 (its real divisions and the demo's grids and departments, as ``bench_cases`` loads them) and
``--open311-cases`` cases (default 20,000; ``--open311-cases 200000`` is a year of a busy county) spread over a
year, across townships, categories, units and every state (``bench_cases.generate_cases``, inserted with raw
``executemany``: set-up, not measured). Then:

1. In process: the ``GET requests.json`` view (called with a bare request: parameter parsing, throttle,
   jurisdiction, selector, rendering; no middleware) against a reference that runs hand-written SQL for the same
   rows on the driver's own cursor and builds the same JSON with ``json.dumps``. Targets: the default window (the
   last 90 days, capped at 1,000 requests), a random month, one service code, ``status=open``, ``status=closed``
   and a list of 50 ids. Both answers are compared on every call. ``q`` is the view's query count, which must not
   depend on the number of requests returned. The XML rendering is timed against the same reference. EXPLAIN of
   the view's SQL follows.
2. Over HTTP: gunicorn (gthread, 2 workers × 4 threads) on 127.0.0.1 and a free port, on the same database
   (``bench.floor_settings``), ``--open311-clients`` threads with httpx. ``GET /open311/v2/requests.json``
   (1,000 requests in each answer) and ``GET /open311/v2/requests/{id}.json`` beside the framework floor of the
   cases benchmark (``POST /bench/floor``: a token check and one insert, ``bench.floor_urls``) and ``GET
   /healthz`` (the least a GET costs in this stack). Runs alternate (``--open311-rounds`` each).
"""

import datetime as dt
import itertools
import json
import random
import statistics
import time
from collections import Counter

from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from bench.bench_cases import (
    analyze,
    create_floor_table,
    generate_cases,
    insert_cases,
    load_county,
    make_user,
    state_summary,
)
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
from gridgov.accounts.services import api_token_create
from gridgov.cases.models import OPEN_STATES, Case, Category
from gridgov.core.roles import Role
from gridgov.territory.models import Level, Region, subtree_range
from gridgov.tips.open311 import views
from gridgov.tips.open311.render import to_json, to_xml
from gridgov.tips.open311.selectors import STATE_NOTE
from gridgov.tips.services.status import PUBLIC_NOTES

MODULE = "open311"


def add_arguments(parser) -> None:
    group = parser.add_argument_group("open311")
    group.add_argument(
        "--open311-cases",
        type=count_arg(100, 2_000_000),
        default=20_000,
        metavar="N",
        help="cases in the county (20000; 200000 is a year of a busy county)",
    )
    group.add_argument(
        "--open311-clients", type=count_arg(1, 64), default=4, metavar="N", help="HTTP client threads (4)"
    )
    group.add_argument(
        "--open311-requests",
        type=count_arg(10, 100_000),
        default=200,
        metavar="N",
        help="HTTP requests in each run (200)",
    )
    group.add_argument(
        "--open311-rounds", type=count_arg(1, 10), default=2, metavar="N", help="runs of each kind (2)"
    )
    group.add_argument("--open311-no-http", action="store_true", help="skip the HTTP part")


# --- the county's cases -------------------------------------------------------------------------------------
def add_places(rng: random.Random, rows: list[dict]) -> None:
    """What a public report carries: an address for most, coordinates (around 太康县) for half."""
    for i, row in enumerate(rows):
        if rng.random() < 0.8:
            row["address"] = f"第{i % 97 + 1}组{i % 13 + 1}号附近"
        if rng.random() < 0.5:
            row["latitude"] = round(34.06 + rng.uniform(-0.25, 0.25), 6)
            row["longitude"] = round(114.85 + rng.uniform(-0.3, 0.3), 6)


# --- the reference: the same answer from hand-written SQL -------------------------------------------------------
REFERENCE_SQL = """
SELECT c.number, c.state, c.description, c.address, c.latitude, c.longitude, c.created_at, c.updated_at,
       c.due_at, cat.code, cat.name, reg.code, dep.name, utw.name, m.number, m.state
FROM cases_case c
JOIN cases_category cat ON cat.id = c.category_id
JOIN territory_region reg ON reg.id = c.region_id
LEFT JOIN territory_department dep ON dep.id = c.unit_department_id
LEFT JOIN territory_region utw ON utw.id = c.unit_township_id
LEFT JOIN cases_case m ON m.id = c.merged_into_id
WHERE cat.public AND reg.path >= %s AND reg.path < %s AND {where}
ORDER BY c.created_at DESC, c.id DESC
LIMIT 1000
"""
OPEN_SQL = "(c.state IN ({open}) OR (c.state = 'merged' AND m.state IN ({open})))".format(
    open=", ".join(f"'{s}'" for s in OPEN_STATES)
)


class Reference:
    def __init__(self, county: Region):
        self.cursor = raw_cursor()
        self.low, self.high = subtree_range(county.path)
        self.sqlite = connection.vendor == "sqlite"
        self.local = timezone.get_default_timezone()

    def _time(self, value):
        if value is None:
            return None
        if isinstance(value, str):  # SQLite keeps UTC text
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:  # … which its driver may have parsed already
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(self.local).isoformat(timespec="seconds")

    def _adapt(self, value: dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)

    def query(self, params: dict) -> list[tuple]:
        args: list = [self.low, self.high]
        if "service_request_id" in params:
            numbers = params["service_request_id"].split(",")
            where = f"c.number IN ({', '.join(['%s'] * len(numbers))})"
            args += numbers
        else:
            now = timezone.now()
            start = (
                dt.datetime.fromisoformat(params["start_date"]) if "start_date" in params else now - WINDOW
            )
            end = dt.datetime.fromisoformat(params["end_date"]) if "end_date" in params else start + WINDOW
            if "start_date" not in params:
                end = now
            where = "c.state <> 'voided' AND c.created_at >= %s AND c.created_at <= %s"
            args += [self._adapt(start), self._adapt(end)]
            if "service_code" in params:
                where += " AND cat.code = %s"
                args.append(params["service_code"])
            if params.get("status") == "open":
                where += f" AND {OPEN_SQL}"
            elif params.get("status") == "closed":
                where += f" AND NOT {OPEN_SQL.replace('m.state IN', 'COALESCE(m.state, %s) IN')}"
                args.append("")
        self.cursor.execute(raw_sql(REFERENCE_SQL.format(where=where)), args)
        return self.cursor.fetchall()

    def documents(self, params: dict) -> list[dict]:
        out = []
        for (
            number,
            state,
            description,
            address,
            lat,
            long,
            created,
            updated,
            due,
            code,
            name,
            region_code,
            department,
            township,
            merged_number,
            merged_state,
        ) in self.query(params):
            voided = state == "voided"
            if state == "merged":
                status = "open" if merged_state in OPEN_STATES else "closed"
                notes = f"{PUBLIC_NOTES['merge']} {merged_number or ''}".strip()
            else:
                status = "open" if state in OPEN_STATES else "closed"
                notes = str(PUBLIC_NOTES[STATE_NOTE[state]])
            out.append(
                {
                    "service_request_id": number,
                    "status": status,
                    "status_notes": notes,
                    "service_name": name,
                    "service_code": code,
                    "description": None if voided else description[:4000],
                    "agency_responsible": department or township,
                    "service_notice": None,
                    "requested_datetime": self._time(created),
                    "updated_datetime": self._time(updated),
                    "expected_datetime": self._time(due),
                    "address": None if voided else (address or None),
                    "address_id": region_code,
                    "zipcode": None,
                    "lat": None if voided or lat is None else float(lat),
                    "long": None if voided or long is None else float(long),
                    "media_url": None,
                }
            )
        return out

    def json(self, params: dict) -> bytes:
        return json.dumps(self.documents(params), ensure_ascii=False, separators=(",", ":")).encode()


WINDOW = dt.timedelta(days=90)


# --- in process ---------------------------------------------------------------------------------------------
def targets(rng: random.Random, n: int, codes: list[str], numbers: list[str]) -> list[dict]:
    now = timezone.localtime()
    kinds = itertools.cycle(["default", "month", "service_code", "open", "closed", "ids"])
    out = []
    for kind in itertools.islice(kinds, n):
        if kind == "default":
            out.append({})
        elif kind == "month":
            start = now - dt.timedelta(days=rng.uniform(30, 360))
            out.append(
                {"start_date": start.isoformat(), "end_date": (start + dt.timedelta(days=30)).isoformat()}
            )
        elif kind == "service_code":
            out.append({"service_code": rng.choice(codes)})
        elif kind in ("open", "closed"):
            out.append({"status": kind})
        else:
            out.append({"service_request_id": ",".join(rng.sample(numbers, 50))})
    return out


def in_process(args, report: Report, county: Region) -> None:
    rng = random.Random(args.seed)
    factory = RequestFactory()
    reference = Reference(county)
    codes = list(Category.objects.filter(public=True, is_active=True).values_list("code", flat=True))
    numbers = list(Case.objects.values_list("number", flat=True))
    chosen = targets(rng, max(12, args.reps // 20), codes, numbers)

    clients = itertools.count()

    def gridgov(params, fmt="json"):
        # one client address a call: the throttle's check costs what it costs a client within its limits
        n = next(clients)
        request = factory.get(
            f"/open311/v2/requests.{fmt}", params, REMOTE_ADDR=f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        )
        response = views.requests_collection(request, fmt=fmt)
        assert response.status_code == 200, response.content[:300]
        return response.content

    shown = []

    def same(mine: bytes, theirs: bytes) -> bool:
        a, b = json.loads(mine), json.loads(theirs)
        if a != b and not shown:
            shown.append(1)
            print("  !! first difference:", len(a), len(b))
            for x, y in zip(a, b, strict=False):
                if x != y:
                    print("  gridgov  ", {k: v for k, v in x.items() if y.get(k) != v})
                    print("  reference", {k: v for k, v in y.items() if x.get(k) != v})
                    break
        return a == b

    print_header(
        "open311: GET requests in process (µs per call; reference: raw SQL + json.dumps; q = queries)"
    )
    sizes = Counter()
    for params in chosen[:6]:
        sizes[next(iter(params), "default")] = len(json.loads(gridgov(params)))
    print("  answers hold: " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
    results = [
        compare(
            report,
            MODULE,
            "requests.json (mixed filters)",
            chosen,
            gridgov,
            reference.json,
            same=same,
            warmup=6,
        )
    ]
    default = [{}] * max(6, args.reps // 50)
    results.append(
        compare(
            report, MODULE, "requests.json (last 90 days, 1000)", default, gridgov, reference.json, same=same
        )
    )
    results.append(
        compare(
            report,
            MODULE,
            "requests.xml (last 90 days, 1000)",
            default,
            lambda p: gridgov(p, "xml"),
            reference.json,
            note="reference builds JSON",
        )
    )
    # the rendering alone, on the same 1,000 documents
    documents = reference.documents({})
    results.append(
        compare(
            report,
            MODULE,
            "render 1000 requests: to_json vs json.dumps",
            [documents] * max(6, args.reps // 50),
            to_json,
            lambda d: json.dumps(d, ensure_ascii=False, separators=(",", ":")),
            same=str.__eq__,
        )
    )
    results.append(
        compare(
            report,
            MODULE,
            "render 1000 requests: to_xml vs json.dumps",
            [documents] * max(6, args.reps // 50),
            lambda d: to_xml("service_requests", d),
            lambda d: json.dumps(d, ensure_ascii=False, separators=(",", ":")),
        )
    )
    for r in results:
        report.figures.append(
            {
                "module": MODULE,
                "figure": r.op,
                "median_ms": round(r.gridgov_median_us / 1000, 2),
                "reference_ms": round(r.reference_median_us / 1000, 2),
                "ratio": r.ratio,
                "queries": r.gridgov_queries,
                "mismatches": r.mismatches,
            }
        )
    backend = "SQLite" if connection.vendor == "sqlite" else "PostgreSQL"
    print(f"\nopen311: query plans on {backend}")
    for label, params in (
        ("last 90 days", {}),
        ("one service code", {"service_code": codes[0]}),
        ("status=open", {"status": "open"}),
    ):
        for i, sql in enumerate(captured_sql(lambda params=params: gridgov(params)), start=1):
            lines = explain(sql)
            verdict = plan_verdict(lines)
            report.plans.append(
                {"module": MODULE, "query": f"{label} #{i}", "verdict": verdict, "plan": lines}
            )
            print(f"- {label} query {i}: {verdict}")
            for line in lines:
                print(f"    {line}")


# --- over HTTP ---------------------------------------------------------------------------------------------------
def http_load(method: str, url: str, clients: int, total: int, *, headers=None, body=None) -> dict:
    import httpx

    if method == "POST":

        def send(http, i, _k):
            return http.post(url, json=body(i)).status_code
    else:

        def send(http, _i, _k):
            return http.get(url).status_code

    return load(
        send,
        total,
        clients,
        ok=201 if method == "POST" else 200,
        connect=lambda _k: httpx.Client(timeout=30, headers=headers or {}),
    )


def over_http(args, report: Report, user) -> None:
    import httpx

    _token, plain = api_token_create(actor=None, user=user, name="bench")
    number = (
        Case.objects.filter(category__public=True).order_by("-created_at").values_list("number", flat=True)[0]
    )
    create_floor_table()
    connection.close()
    print(
        f"\nopen311: over HTTP, gunicorn gthread 2 workers × 4 threads on 127.0.0.1; {args.open311_clients} client "
        f"threads, {args.open311_requests} requests a run, {args.open311_rounds} runs each, alternating"
    )
    with Server("open311") as server:
        base = server.base
        kinds = [
            ("floor POST /bench/floor", "POST", f"{base}/bench/floor"),
            ("GET /healthz", "GET", f"{base}/healthz"),
            ("GET requests.json (1000)", "GET", f"{base}/open311/v2/requests.json"),
            ("GET requests/{id}.json", "GET", f"{base}/open311/v2/requests/{number}.json"),
        ]
        probe = httpx.get(kinds[2][2], timeout=30)
        if probe.status_code != 200:
            print(f"  !! GET requests.json answered {probe.status_code}: {probe.text[:300]}")
            report.figures.append({"module": MODULE, "figure": "http", "error": probe.status_code})
            return
        headers = {"Authorization": f"Bearer {plain}"}

        def run_kind(method, url, total):
            return http_load(
                method,
                url,
                args.open311_clients,
                total,
                headers=headers if method == "POST" else None,
                body=lambda i: {"title": f"floor {i}"},
            )

        for _label, method, url in kinds:  # warm-up
            run_kind(method, url, max(10, args.open311_requests // 10))
        runs: dict[str, list[dict]] = {label: [] for label, _m, _u in kinds}
        for _ in range(args.open311_rounds):
            for label, method, url in kinds:
                result = run_kind(method, url, args.open311_requests)
                runs[label].append(result)
                print(
                    f"  {label:<26} {result['rate']:8.1f} req/s  p50 {result['p50_ms']:7.1f} ms  p99 {result['p99_ms']:7.1f} ms"
                    f"  (statuses {result['statuses']})",
                    flush=True,
                )
    summary = {
        label: {
            "rate": statistics.mean(r["rate"] for r in results),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": max(r["p99_ms"] for r in results),
        }
        for label, results in runs.items()
    }
    floor = summary["floor POST /bench/floor"]["rate"]
    get_floor = summary["GET /healthz"]["rate"]
    print()
    for label, s in summary.items():
        print(
            f"  {label:<26} {s['rate']:8.1f} req/s  p50 {s['p50_ms']:6.1f} ms  p99 {s['p99_ms']:6.1f} ms"
            f"  / floor {s['rate'] / floor:5.2f}  / healthz {s['rate'] / get_floor:5.2f}"
        )
    report.figures.append(
        {
            "module": MODULE,
            "figure": "open311 over HTTP",
            "clients": args.open311_clients,
            "requests_per_run": args.open311_requests,
            "rounds": args.open311_rounds,
            "runs": {label: {k: round(v, 1) for k, v in s.items()} for label, s in summary.items()},
            "ratio_list_to_floor": round(summary["GET requests.json (1000)"]["rate"] / floor, 3),
            "ratio_detail_to_floor": round(summary["GET requests/{id}.json"]["rate"] / floor, 3),
        }
    )


# --- the run -----------------------------------------------------------------------------------------------------
def run(args, report: Report) -> None:
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    county, departments = load_county()
    grids = Region.objects.filter(level=Level.GRID).count()
    print(
        f"\nopen311: 太康县 loaded ({grids:,} grids, {len(departments)} departments) in {time.perf_counter() - t0:.1f} s"
    )
    reporter = make_user("bench_open311_grid", Role.GRID_WORKER, county)
    now = timezone.now()
    t0 = time.perf_counter()
    rows = generate_cases(rng, args.open311_cases, now, departments, reporter.pk)
    add_places(rng, rows)
    seconds = insert_cases(rows)
    del rows
    analyze()
    public = Case.objects.filter(category__public=True).count()
    print(
        f"open311: {args.open311_cases:,} cases ({public:,} of public categories) generated and inserted (set-up) in "
        f"{time.perf_counter() - t0:.1f} s (insert {seconds:.1f} s); states: {state_summary()}"
    )
    in_process(args, report, county)
    if not args.open311_no_http:
        over_http(args, report, reporter)
