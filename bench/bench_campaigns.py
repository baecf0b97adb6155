"""Campaign coverage roll-ups at county scale (issue 8), beside DuckDB over the same rows.

Set-up (not measured): 太康县 (its real divisions, the demo's 2–5 grids a village), ``--households`` households
(``--households``, an option shared with bench_registry, default 100,000; county scale 400,000) spread over the grids, one running fireworks-ban campaign over the county,
signed letters for a share of the households that differs by township, and ``--visits`` visits (default 200,000;
county scale 2,000,000) to random households, all inserted with raw ``executemany``. Then the counters are built
once with ``campaign_recount`` (timed, beside DuckDB computing the same per-grid aggregates).

Measured, interleaved with DuckDB (the same rows copied into an in-memory DuckDB before the clock starts):

- the county page's figures: ``campaign_figures`` for the county (townships, the county average, the best and
  worst township), read from the per-grid counters, beside DuckDB aggregating the raw rows (targets, signed,
  visits and distinct households visited per township);
- a township's figures (its villages), likewise.

Goal (issue 8): the county page's figures under 300 ms. Also printed: the same county roll-up as GROUP BYs over
the raw rows on the database itself, which is what the page would cost without counters.
"""

import csv
import datetime as dt
import random
import statistics
import tempfile
import time

from django.db import connection, transaction

from bench.common import Report, compare, count_arg, print_header, raw_cursor, raw_sql
from gridgov.campaigns.models import Campaign, Commitment, GridCounter, TargetKind, Visit, VisitEntry
from gridgov.campaigns.selectors import campaign_figures
from gridgov.campaigns.services.counters import campaign_recount
from gridgov.campaigns.services.setup import campaign_activate, campaign_create
from gridgov.demo.accounts import COUNTY_CODE
from gridgov.demo.loader import DIVISIONS_FILE, demo_grid_rows
from gridgov.registry.models import Household
from gridgov.territory.models import Level, Region
from gridgov.territory.services import divisions_import, read_divisions_csv

MODULE = "campaigns"
GOAL_MS = 300
BATCH = 20_000
#: Used when no other module defines ``--households`` (bench_registry does, default 100,000: the option is
#: shared, one argument parser serves every module).
DEFAULT_HOUSEHOLDS = 40_000


def add_arguments(parser) -> None:
    group = parser.add_argument_group("campaigns")
    group.add_argument(
        "--visits",
        type=count_arg(0, 10_000_000),
        default=200_000,
        metavar="N",
        help="visits (200000; county scale 2000000)",
    )


# --- set-up ----------------------------------------------------------------------------------------------
def load_county() -> Region:
    divisions_import(actor=None, rows=read_divisions_csv(DIVISIONS_FILE))
    villages = list(
        Region.objects.filter(level=Level.VILLAGE)
        .exclude(children__level=Level.GRID)
        .values_list("code", "name")
    )
    if villages:
        divisions_import(actor=None, rows=demo_grid_rows(villages))
    return Region.objects.get(code=COUNTY_CODE)


def _columns(model, names):
    return [model._meta.get_field(n).column for n in names]


def _insert(model, names, rows) -> float:
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in _columns(model, names))
    sql = raw_sql(f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(names))})")
    t0 = time.perf_counter()
    with transaction.atomic():  # one transaction: SQLite in autocommit would sync the file after every row
        cursor = raw_cursor()
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])
    return time.perf_counter() - t0


def populate(rng: random.Random, county: Region, households: int, visits: int):
    grids = list(
        Region.objects.filter(level=Level.GRID, path__startswith=county.path)
        .values_list("pk", "parent__parent_id")
        .order_by("code")
    )
    townships = sorted({t for _g, t in grids})
    pace = {t: 0.3 + 0.6 * rng.random() for t in townships}
    now = connection.ops.adapt_datetimefield_value(dt.datetime(2026, 1, 10, 2, 0, tzinfo=dt.UTC))
    hh_rows, hh_grid = [], []
    for i in range(households):
        grid, _township = grids[rng.randrange(len(grids))]
        hh_rows.append((f"B{i:08d}", grid, f"地址{i}", "户主", "", "", "", "", "", "", 1, True, "", now, now))
        hh_grid.append(grid)
    seconds = _insert(
        Household,
        [
            "code",
            "grid",
            "address",
            "head_name",
            "head_id_sealed",
            "head_id_index",
            "head_id_masked",
            "phone_sealed",
            "phone_index",
            "phone_masked",
            "members",
            "is_active",
            "tags",
            "created_at",
            "updated_at",
        ],
        hh_rows,
    )
    first_id = Household.objects.order_by("pk").values_list("pk", flat=True).first()
    campaign = campaign_create(
        actor=None,
        code="bench-fireworks",
        name="烟花爆竹禁燃禁放专项行动",
        kind="fireworks",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 3, 1),
        regions=[county],
        target_households=True,
    )
    campaign_activate(actor=None, campaign=campaign)
    township_of = dict(grids)
    signed_rows = []
    for i, grid in enumerate(hh_grid):
        if rng.random() < pace[township_of[grid]]:
            signed_rows.append(
                (campaign.pk, TargetKind.HOUSEHOLD, first_id + i, grid, "户主", "bulk", "", now, now, now)
            )
    seconds += _insert(
        Commitment,
        [
            "campaign",
            "target_kind",
            "household",
            "grid",
            "signer_name",
            "method",
            "evidence",
            "signed_at",
            "created_at",
            "updated_at",
        ],
        signed_rows,
    )
    visit_rows, entry_rows, seen = [], [], set()
    next_id = (Visit.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    for n in range(visits):
        i = rng.randrange(households)
        if rng.random() < 0.5:  # visits favour the households of townships that work harder
            i = rng.randrange(households)
            if rng.random() > pace[township_of[hh_grid[i]]]:
                i = rng.randrange(households)
        vid = next_id + n
        visit_rows.append((vid, TargetKind.HOUSEHOLD, first_id + i, hh_grid[i], now, "", now, now))
        entry_rows.append(
            (vid, campaign.pk, TargetKind.HOUSEHOLD, first_id + i, hh_grid[i], "{}", i not in seen, 0)
        )
        seen.add(i)
    seconds += _insert(
        Visit,
        ["id", "target_kind", "household", "grid", "visited_at", "note", "created_at", "updated_at"],
        visit_rows,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{Visit._meta.db_table}', 'id'), %s)",
                [next_id + visits],
            )
    seconds += _insert(
        VisitEntry,
        ["visit", "campaign", "target_kind", "household", "grid", "answers", "first", "problems"],
        entry_rows,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return campaign, len(signed_rows), seconds


# --- DuckDB ------------------------------------------------------------------------------------------------
class Duck:
    """The same rows in an in-memory DuckDB, copied before any clock starts."""

    def __init__(self, campaign: Campaign):
        import duckdb

        self.db = duckdb.connect(":memory:")
        self.db.execute("CREATE TABLE g (grid_id BIGINT, village_id BIGINT, township_id BIGINT)")
        self.db.execute("DROP TABLE g")
        self._copy(
            "g",
            "grid_id BIGINT, village_id BIGINT, township_id BIGINT",
            Region.objects.filter(level=Level.GRID).values_list("pk", "parent_id", "parent__parent_id"),
        )
        self._copy(
            "h",
            "household_id BIGINT, grid_id BIGINT",
            Household.objects.filter(is_active=True).values_list("pk", "grid_id"),
        )
        self._copy(
            "s",
            "household_id BIGINT, grid_id BIGINT",
            Commitment.objects.filter(campaign=campaign).values_list("household_id", "grid_id"),
        )
        self._copy(
            "v",
            "household_id BIGINT, grid_id BIGINT",
            VisitEntry.objects.filter(campaign=campaign).values_list("household_id", "grid_id"),
        )

    def _copy(self, name, columns, qs):
        """Through a CSV file and DuckDB's own reader: no row-by-row insert, no extension needed."""
        self.db.execute(f"CREATE TABLE {name} ({columns})")
        with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerows(qs.iterator(chunk_size=50_000))
            handle.flush()
            self.db.execute(f"COPY {name} FROM '{handle.name}' (HEADER false)")

    def rollup(self, column: str, township_id: int | None = None):
        where = f"WHERE g.township_id = {int(township_id)}" if township_id else ""
        sql = f"""
            WITH gg AS (SELECT grid_id, g.{column} AS k FROM g {where}),
            t AS (SELECT k, count(*) n FROM h JOIN gg USING (grid_id) GROUP BY k),
            s AS (SELECT k, count(*) n FROM s JOIN gg USING (grid_id) GROUP BY k),
            v AS (SELECT k, count(*) visits, count(DISTINCT household_id) visited FROM v JOIN gg USING (grid_id)
                  GROUP BY k)
            SELECT t.k, t.n, coalesce(s.n, 0), coalesce(v.visits, 0), coalesce(v.visited, 0)
            FROM t LEFT JOIN s USING (k) LEFT JOIN v USING (k) ORDER BY t.k"""
        return [tuple(int(x) for x in row) for row in self.db.execute(sql).fetchall()]

    def per_grid(self):
        sql = """
            WITH t AS (SELECT grid_id, count(*) n FROM h GROUP BY 1),
            s AS (SELECT grid_id, count(*) n FROM s GROUP BY 1),
            v AS (SELECT grid_id, count(*) visits, count(DISTINCT household_id) visited FROM v GROUP BY 1)
            SELECT count(*), sum(t.n), sum(coalesce(s.n, 0)), sum(coalesce(v.visits, 0)), sum(coalesce(v.visited, 0))
            FROM t FULL JOIN s USING (grid_id) FULL JOIN v USING (grid_id)"""
        return self.db.execute(sql).fetchone()


def figures_rows(figures):
    return [
        (
            row.region.pk,
            row.household.targets,
            row.household.signed,
            row.household.visits,
            row.household.visited,
        )
        for row in figures.rows
        if row.household.targets
    ]


def scan_sql(campaign: Campaign) -> float:
    """The county roll-up computed from the raw rows by the database itself (no counters): one GROUP BY per
    table, each joined to the grid and its village for the township; in ms."""
    hh, rg = Household._meta.db_table, Region._meta.db_table
    cm, ve = Commitment._meta.db_table, VisitEntry._meta.db_table
    join = f"JOIN {rg} g ON g.id = x.grid_id JOIN {rg} v ON v.id = g.parent_id"
    queries = [
        (f"SELECT v.parent_id, count(*) FROM {hh} x {join} WHERE x.is_active GROUP BY v.parent_id", []),
        (
            f"SELECT v.parent_id, count(*) FROM {cm} x {join} WHERE x.campaign_id = %s GROUP BY v.parent_id",
            [campaign.pk],
        ),
        (
            f"SELECT v.parent_id, count(*), count(DISTINCT x.household_id) FROM {ve} x {join} "
            "WHERE x.campaign_id = %s GROUP BY v.parent_id",
            [campaign.pk],
        ),
    ]
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            cursor.fetchall()
    return (time.perf_counter() - t0) * 1000


def run(args, report: Report) -> None:
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    county = load_county()
    grids = Region.objects.filter(level=Level.GRID).count()
    print(f"\ncampaigns: 太康县 loaded ({grids:,} grids) in {time.perf_counter() - t0:.1f} s")
    households = getattr(args, "households", None) or DEFAULT_HOUSEHOLDS
    campaign, signed, seconds = populate(rng, county, households, args.visits)
    print(
        f"campaigns: {args.households:,} households, {signed:,} signed letters, {args.visits:,} visits "
        f"inserted (raw executemany, set-up) in {seconds:.1f} s"
    )
    t0 = time.perf_counter()
    duck = Duck(campaign)
    print(f"campaigns: rows copied into DuckDB {duckdb_version()} in {time.perf_counter() - t0:.1f} s")

    # the counters, built from the rows (what a nightly recount or a repair costs)
    recount_ms = []
    duck_ms = []
    for _ in range(3):
        t0 = time.perf_counter()
        campaign_recount(actor=None, campaign=campaign)
        recount_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        duck.per_grid()
        duck_ms.append((time.perf_counter() - t0) * 1000)
    g_rec, d_rec = statistics.median(recount_ms), statistics.median(duck_ms)
    print(
        f"campaigns: campaign_recount (every counter from the raw rows) median {g_rec:,.0f} ms; "
        f"DuckDB per-grid aggregates {d_rec:,.1f} ms; ratio {g_rec / d_rec:,.1f}"
    )
    report.figures.append(
        {
            "module": MODULE,
            "figure": "campaign_recount",
            "gridgov_ms": round(g_rec, 1),
            "duckdb_ms": round(d_rec, 1),
            "ratio": round(g_rec / d_rec, 1),
            "counter_rows": GridCounter.objects.filter(campaign=campaign).count(),
        }
    )

    townships = list(Region.objects.filter(parent=county, level=Level.TOWNSHIP).order_by("code"))
    reps = max(20, args.reps // 10)
    print_header(f"campaigns: figures (µs per call; reference DuckDB over the raw rows; goal < {GOAL_MS} ms)")
    same = lambda g, r: g == r  # noqa: E731
    county_result = compare(
        report,
        MODULE,
        "county page figures (townships + compare)",
        [county] * reps,
        lambda region: figures_rows(campaign_figures(campaign=campaign, region=region)),
        lambda region: duck.rollup("township_id"),
        same=same,
        warmup=3,
    )
    targets = [townships[i % len(townships)] for i in range(reps)]
    compare(
        report,
        MODULE,
        "township page figures (villages + rank)",
        targets,
        lambda region: figures_rows(campaign_figures(campaign=campaign, region=region)),
        lambda region: duck.rollup("village_id", region.pk),
        same=same,
        warmup=3,
    )
    scan = [scan_sql(campaign) for _ in range(3)]
    vendor = "SQLite" if connection.vendor == "sqlite" else "PostgreSQL"
    print(
        f"\n  the same county roll-up from the raw rows (3 GROUP BYs) on {vendor} (no counters): "
        f"median {statistics.median(scan):,.0f} ms"
    )
    met = county_result.gridgov_median_us < GOAL_MS * 1000
    print(
        f"  goal < {GOAL_MS} ms: county page figures median {county_result.gridgov_median_us / 1000:.1f} ms "
        f"p95 {county_result.gridgov_p95_us / 1000:.1f} ms  {'met' if met else 'MISSED'}"
    )
    report.figures.append(
        {
            "module": MODULE,
            "figure": "raw scan county roll-up",
            "median_ms": round(statistics.median(scan), 1),
            "backend": vendor,
        }
    )
    report.figures.append(
        {
            "module": MODULE,
            "figure": "goal county page figures",
            "median_ms": round(county_result.gridgov_median_us / 1000, 1),
            "goal_ms": GOAL_MS,
            "met": met,
        }
    )


def duckdb_version() -> str:
    import duckdb

    return duckdb.__version__
