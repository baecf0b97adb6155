"""The territory tree at province scale: loading it, and the three reads every page makes.

Loads 河南省's real divisions (bench/data) plus four grids a village (≈264,700 regions, ≈209,500 grids) through
``read_divisions_csv`` + ``divisions_import``, and compares with raw ``executemany`` of the same rows into a
scratch table with the same columns, constraints and indexes. Then, for random targets drawn with a fixed seed,
times gridgov's reads against the same queries in raw SQL on the same connection:

1. the children of a region (``region_children``: children with child counts, plus grid counts per child);
2. all active grids under a township (``Region.objects.under(t).grids().active()``), a range scan on ``path``;
3. "may user U see region R" (``scope_for(U).can_see(R)``, fresh and cached) against one EXISTS query.
"""

import bisect
import gzip
import random
import time
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from tqdm import tqdm

from bench.common import (
    Report,
    captured_sql,
    compare,
    count_arg,
    explain,
    plan_verdict,
    print_header,
    raw_cursor,
    raw_sql,
)
from gridgov.accounts.models import User
from gridgov.core.roles import Role
from gridgov.core.scope import forget_scope, scope_for
from gridgov.territory.models import LEVEL_ORDER, Grant, Level, Region, subtree_range
from gridgov.territory.selectors import region_children, region_subtree_grids
from gridgov.territory.services import (
    DivisionRow,
    divisions_import,
    grant_add,
    grid_retire,
    read_divisions_csv,
)

MODULE = "territory"
DATA_FILE = Path(__file__).resolve().parent / "data" / "henan-divisions-2023.csv.gz"
GRID_NAMES = "一二三四五六七八九十"
SCRATCH = "bench_region_ref"
RETIRED_GRIDS = 100
#: Grid workers with a grant each, so that territory_grant has the size of several counties' staff.
FILLER_GRANTS = 20_000


def add_arguments(parser) -> None:
    group = parser.add_argument_group("territory")
    group.add_argument(
        "--villages",
        type=count_arg(1, 10**6),
        default=None,
        metavar="N",
        help="load only the first N villages of Henan (and their ancestors); default: all 52,378",
    )
    group.add_argument(
        "--grids-per-village", type=count_arg(1, 999), default=4, metavar="N", help="default: 4"
    )


# --- the data -------------------------------------------------------------------------------------------
def read_rows(villages: int | None, grids_per_village: int) -> list[DivisionRow]:
    with gzip.open(DATA_FILE, "rt", encoding="utf-8-sig", newline="") as handle:
        rows = read_divisions_csv(handle)
    village_rows = [r for r in rows if r.level == Level.VILLAGE]
    if villages is not None:
        by_code = {r.code: r for r in rows}
        keep: set[str] = set()
        for row in village_rows[:villages]:
            code = row.code
            while code in by_code and code not in keep:
                keep.add(code)
                code = by_code[code].parent_code
        rows = [r for r in rows if r.code in keep]
        village_rows = [r for r in rows if r.level == Level.VILLAGE]
    line = len(rows) + 2
    for village in village_rows:
        for seq in range(1, grids_per_village + 1):
            rows.append(
                DivisionRow(
                    line,
                    f"{village.code}{seq:03d}",
                    f"第{GRID_NAMES[seq - 1] if seq <= len(GRID_NAMES) else seq}网格",
                    Level.GRID,
                    village.code,
                )
            )
            line += 1
    return rows


# --- the load and its reference -------------------------------------------------------------------------
def create_scratch_table() -> int:
    """A copy of territory_region's definition (columns, checks, foreign keys, indexes) under another name.
    Returns the number of indexes it has."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'territory_region' AND sql IS NOT NULL "
                "ORDER BY type = 'index'"
            )
            for kind, name, sql in cursor.fetchall():
                sql = sql.replace('"territory_region"', f'"{SCRATCH}"')
                if kind == "index":
                    sql = sql.replace(f'"{name}"', f'"{SCRATCH}_{name}"', 1)
                cursor.execute(sql)
            cursor.execute(f"SELECT count(*) FROM pragma_index_list('{SCRATCH}')")
        else:
            cursor.execute(f"CREATE TABLE {SCRATCH} (LIKE territory_region INCLUDING ALL)")
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'territory_region'::regclass AND contype = 'f' "
                "AND confrelid = 'territory_region'::regclass"
            )
            for (definition,) in cursor.fetchall():
                definition = definition.replace("REFERENCES territory_region(", f"REFERENCES {SCRATCH}(")
                cursor.execute(f"ALTER TABLE {SCRATCH} ADD {definition}")
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s", [SCRATCH])
        return cursor.fetchone()[0]


def reference_load(rows: list[DivisionRow]) -> None:
    """Raw executemany of the same rows, level by level (parents first), ids assigned here so that no id
    has to be read back. No validation, no ORM."""
    columns = [f.column for f in Region._meta.concrete_fields]
    sql = raw_sql(f"INSERT INTO {SCRATCH} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    known: dict[str, tuple[int, str]] = {}
    next_id = 1
    levels = sorted({r.level for r in rows}, key=LEVEL_ORDER.index)
    with transaction.atomic():
        cursor = raw_cursor()
        for level in levels:
            batch = []
            for row in rows:
                if row.level != level:
                    continue
                parent = known.get(row.parent_code)
                parent_path = parent[1] if parent else ""
                path = f"{parent_path}{row.code}/"
                known[row.code] = (next_id, path)
                values = {
                    "id": next_id,
                    "created_at": now,
                    "updated_at": now,
                    "code": row.code,
                    "name": row.name,
                    "level": row.level,
                    "parent_id": parent[0] if parent else None,
                    "path": path,
                    "depth": parent_path.count("/"),
                    "is_active": True,
                    "retired_at": None,
                    "retired_reason": "",
                    "split_from_id": None,
                }
                batch.append(tuple(values[c] for c in columns))
                next_id += 1
            cursor.executemany(sql, batch)


def checkpoint() -> None:
    """Moves SQLite's write-ahead log into the database so that the next writer does not pay for the last."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def analyze() -> None:
    """Planner statistics on PostgreSQL, as autovacuum gathers them soon after a bulk load. SQLite is left as
    gridgov deploys it: Django never runs ANALYZE there, so its planner works without statistics."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print("territory: ANALYZE done (as autovacuum would after the load)")
    else:
        print("territory: no ANALYZE on SQLite (none in a gridgov deployment either)")


def storage(report: Report) -> None:
    """Size of territory_region and of each of its indexes after the load."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT 'territory_region (heap)', pg_relation_size('territory_region') UNION ALL "
                "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
                "WHERE indrelid = 'territory_region'::regclass ORDER BY 2 DESC"
            )
        else:
            cursor.execute(
                "SELECT s.name, SUM(s.pgsize) FROM dbstat s JOIN sqlite_master m ON m.name = s.name "
                "WHERE m.tbl_name = 'territory_region' GROUP BY s.name ORDER BY 2 DESC"
            )
        sizes = cursor.fetchall()
    total = sum(size for _name, size in sizes)
    print(
        f"  territory_region on disk: {total / 2**20:.1f} MiB = "
        + ", ".join(f"{n} {b / 2**20:.1f}" for n, b in sizes)
    )
    report.figures.append(
        {"module": MODULE, "figure": "territory_region storage (bytes)", "sizes": dict(sizes)}
    )


def figure(report: Report, name: str, seconds: float, rows: int, ref_seconds: float | None = None) -> None:
    entry = {"module": MODULE, "figure": name, "rows": rows, "seconds": round(seconds, 2)}
    entry["rows_per_s"] = round(rows / seconds)
    line = f"  {name:<58} {seconds:8.2f} s  {rows / seconds:>9,.0f} rows/s"
    if ref_seconds is not None:
        entry["reference_seconds"] = round(ref_seconds, 2)
        entry["reference_rows_per_s"] = round(rows / ref_seconds)
        entry["ratio"] = round(seconds / ref_seconds, 2)
        line += f"   reference {ref_seconds:6.2f} s {rows / ref_seconds:>9,.0f} rows/s   ratio {seconds / ref_seconds:.2f}"
    report.figures.append(entry)
    print(line, flush=True)


def load(report: Report, rows: list[DivisionRow]) -> None:
    grids = sum(1 for r in rows if r.level == Level.GRID)
    print(f"\nterritory: loading {len(rows):,} regions ({len(rows) - grids:,} divisions + {grids:,} grids)")
    with tqdm(total=len(rows), unit="rows", desc="divisions_import", unit_scale=True, mininterval=0.5) as bar:
        t0 = time.perf_counter()
        result = divisions_import(actor=None, rows=rows, progress=bar.update)
        seconds = time.perf_counter() - t0
    assert result.created == len(rows), result
    checkpoint()
    indexes = create_scratch_table()
    t0 = time.perf_counter()
    reference_load(rows)
    ref_seconds = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {SCRATCH}")
        assert cursor.fetchone()[0] == len(rows)
    print(
        f"  (reference: raw executemany into {SCRATCH}, same columns, checks, foreign keys and {indexes} indexes)"
    )
    figure(report, "load: divisions_import (validate + bulk_create + audit)", seconds, len(rows), ref_seconds)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {SCRATCH}")
    checkpoint()
    storage(report)

    # Idempotent re-import of the same file: nothing changes; its work is reading every region and checking.
    t0 = time.perf_counter()
    again = divisions_import(actor=None, rows=rows)
    seconds = time.perf_counter() - t0
    assert again.unchanged == len(rows) and again.created == 0, again
    t0 = time.perf_counter()
    cursor = raw_cursor()
    cursor.execute("SELECT id, code, level, path, name FROM territory_region")
    cursor.fetchall()
    ref_seconds = time.perf_counter() - t0
    figure(
        report, "re-import, nothing changed (ref: raw SELECT of the columns)", seconds, len(rows), ref_seconds
    )


# --- the reads ------------------------------------------------------------------------------------------
COLUMNS = ", ".join(f"r.{f.column}" for f in Region._meta.concrete_fields)
CODE_INDEX = [f.column for f in Region._meta.concrete_fields].index("code")

CHILDREN_SQL = f"""
SELECT {COLUMNS}, COUNT(c.id) FILTER (WHERE c.is_active) AS child_count
FROM territory_region r LEFT JOIN territory_region c ON c.parent_id = r.id
WHERE r.parent_id = %s AND r.is_active
GROUP BY r.id ORDER BY r.code
"""
GRID_COUNT_SQL = """
SELECT substr(path, 1, %s), COUNT(*) FROM territory_region
WHERE path >= %s AND path < %s AND level = 'grid' AND is_active GROUP BY 1
"""
SUBTREE_GRIDS_SQL = f"""
SELECT {COLUMNS} FROM territory_region r
WHERE r.path >= %s AND r.path < %s AND r.level = 'grid' AND r.is_active ORDER BY r.code
"""
SUBTREE_GRIDS_WITH_PARENT_SQL = f"""
SELECT {COLUMNS}, {COLUMNS.replace("r.", "p.")} FROM territory_region r
LEFT JOIN territory_region p ON p.id = r.parent_id
WHERE r.path >= %s AND r.path < %s AND r.level = 'grid' AND r.is_active ORDER BY r.code
"""
CAN_SEE_SQL = """
SELECT EXISTS (
  SELECT 1 FROM territory_grant g JOIN territory_region gr ON gr.id = g.region_id
  WHERE g.user_id = %s AND gr.is_active
    AND %s >= gr.path AND %s < substr(gr.path, 1, length(gr.path) - 1) || '0'
)
"""


class Raw:
    """The references: the same queries written by hand, on the driver's own cursor."""

    def __init__(self):
        self.cursor = raw_cursor()
        self.children_sql = raw_sql(CHILDREN_SQL)
        self.grid_count_sql = raw_sql(GRID_COUNT_SQL)
        self.subtree_sql = raw_sql(SUBTREE_GRIDS_SQL)
        self.subtree_parent_sql = raw_sql(SUBTREE_GRIDS_WITH_PARENT_SQL)
        self.can_see_sql = raw_sql(CAN_SEE_SQL)

    def children(self, region):
        self.cursor.execute(self.children_sql, (region.id,))
        return self.cursor.fetchall()

    def children_with_grid_counts(self, region):
        children = self.children(region)
        if not children or region.level in (Level.VILLAGE, Level.GRID):
            return [(row, 1 if row[CODE_INDEX + 2] == Level.GRID else 0) for row in children]
        path_index = CODE_INDEX + 4  # code, name, level, parent_id, path
        length = len(children[0][path_index])
        low, high = subtree_range(region.path)
        self.cursor.execute(self.grid_count_sql, (length, low, high))
        counts = dict(self.cursor.fetchall())
        return [(row, counts.get(row[path_index], 0)) for row in children]

    def subtree_grids(self, region, *, with_parent=False):
        low, high = subtree_range(region.path)
        self.cursor.execute(self.subtree_parent_sql if with_parent else self.subtree_sql, (low, high))
        return self.cursor.fetchall()

    def can_see(self, user_id: int, path: str) -> bool:
        self.cursor.execute(self.can_see_sql, (user_id, path, path))
        return bool(self.cursor.fetchone()[0])


def orm_children(region):
    """The first query of region_children (selectors._with_child_counts on the active children)."""
    qs = Region.objects.filter(parent=region, is_active=True)
    return list(
        qs.annotate(child_count=Count("children", filter=Q(children__is_active=True))).order_by("code")
    )


def sample_regions(rng: random.Random, level: str, n: int) -> list[Region]:
    ids = list(Region.objects.filter(level=level, is_active=True).values_list("id", flat=True))
    chosen = rng.choices(ids, k=n) if len(ids) < n else rng.sample(ids, n)
    regions = Region.objects.in_bulk(set(chosen))
    return [regions[i] for i in chosen]


def make_users(rng: random.Random) -> dict[str, tuple[User, Region]]:
    """One user a level, each with one grant, through the grant service."""
    root = Region.objects.get(parent__isnull=True)
    specs = {
        "province": (Role.LEADER, root),
        "county": (Role.COUNTY_ADMIN, sample_regions(rng, Level.COUNTY, 1)[0]),
        "township": (Role.TOWNSHIP_OFFICER, sample_regions(rng, Level.TOWNSHIP, 1)[0]),
        "grid": (Role.GRID_WORKER, sample_regions(rng, Level.GRID, 1)[0]),
    }
    users = {}
    for level, (role, region) in specs.items():
        user = User.objects.create_user(username=f"bench_{level}", password=None)
        grant_add(actor=None, user=user, role=role, region=region)
        users[level] = (user, region)
    return users


def retire_some_grids(rng: random.Random) -> None:
    """A few retired grids, so that the ``is_active`` filters have something to filter."""
    for grid in sample_regions(rng, Level.GRID, RETIRED_GRIDS):
        if grid.is_active:
            grid_retire(actor=None, grid=grid, reason="bench")


def add_filler_grants(rng: random.Random, n: int) -> int:
    """Other users' grants, bulk-inserted (set-up, not measured): the grant query then finds its user's rows
    through the index among many, as in a real deployment, not in a table of four rows."""
    grid_ids = list(Region.objects.filter(level=Level.GRID, is_active=True).values_list("id", flat=True))
    n = min(n, len(grid_ids))
    users = User.objects.bulk_create(
        [User(username=f"bench_worker_{i:06d}", password="!") for i in range(n)], batch_size=2000
    )
    grants = [
        Grant(user=user, role=Role.GRID_WORKER, region_id=grid_id)
        for user, grid_id in zip(users, rng.sample(grid_ids, n), strict=True)
    ]
    Grant.objects.bulk_create(grants, batch_size=2000)
    return n


def can_see_targets(rng, user, granted: Region, all_paths, all_ids, n) -> list[tuple[User, Region]]:
    """Half the targets inside the grant's subtree, half anywhere in the province."""
    low, high = subtree_range(granted.path)
    lo, hi = bisect.bisect_left(all_paths, low), bisect.bisect_left(all_paths, high)
    inside = [rng.randrange(lo, hi) for _ in range(n // 2)]
    anywhere = [rng.randrange(len(all_paths)) for _ in range(n - n // 2)]
    picks = inside + anywhere
    rng.shuffle(picks)
    ids = [all_ids[i] for i in picks]
    regions = Region.objects.in_bulk(set(ids))
    return [(user, regions[i]) for i in ids]


def run(args, report: Report) -> None:
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    rows = read_rows(args.villages, args.grids_per_village)
    print(f"\nterritory: read {DATA_FILE.name} and derived grids in {time.perf_counter() - t0:.2f} s")
    load(report, rows)
    retire_some_grids(rng)
    users = make_users(rng)
    filler = add_filler_grants(rng, FILLER_GRANTS)
    print(
        f"territory: {RETIRED_GRIDS} grids retired; users with one grant at each level; {filler:,} other grants"
    )
    analyze()
    leader = users["province"][0]
    raw = Raw()
    reps = args.reps

    def n(fraction: float, floor: int = 5) -> int:
        return max(floor, int(reps * fraction))

    def same_children(g, r):
        return [(c.code, c.child_count) for c in g] == [(row[CODE_INDEX], row[-1]) for row in r]

    def same_selector(g, r):
        return [(c.code, c.child_count, c.grid_count) for c in g] == [
            (row[CODE_INDEX], row[-1], count) for row, count in r
        ]

    def same_codes(g, r):
        return [x.code for x in g] == [row[CODE_INDEX] for row in r]

    print_header("territory: reads (µs per call; ratio = gridgov median / reference median; q = queries)")
    townships = sample_regions(rng, Level.TOWNSHIP, n(1))
    compare(
        report,
        MODULE,
        "children query, ORM (township)",
        townships,
        orm_children,
        raw.children,
        same=same_children,
    )
    for level, fraction in (
        (Level.VILLAGE, 1),
        (Level.TOWNSHIP, 1),
        (Level.COUNTY, 0.5),
        (Level.CITY, 0.04),
        (Level.PROVINCE, 0.01),
    ):
        targets = sample_regions(rng, level, n(fraction))
        compare(
            report,
            MODULE,
            f"region_children ({level})",
            targets,
            lambda region: region_children(user=leader, region=region),
            raw.children_with_grid_counts,
            same=same_selector,
            warmup=min(10, len(targets) // 2),
        )
    compare(
        report,
        MODULE,
        "grids under (township) .under().grids().active()",
        townships,
        lambda t: list(Region.objects.under(t).grids().active()),
        raw.subtree_grids,
        same=same_codes,
    )
    counties = sample_regions(rng, Level.COUNTY, n(0.2))
    compare(
        report,
        MODULE,
        "grids under (county) .under().grids().active()",
        counties,
        lambda t: list(Region.objects.under(t).grids().active()),
        raw.subtree_grids,
        same=same_codes,
    )
    compare(
        report,
        MODULE,
        "region_subtree_grids (township, + parent)",
        townships,
        lambda t: list(region_subtree_grids(user=leader, region=t)),
        lambda t: raw.subtree_grids(t, with_parent=True),
        same=same_codes,
    )

    all_rows = list(Region.objects.order_by("path").values_list("path", "id"))
    all_paths = [p for p, _ in all_rows]
    all_ids = [i for _, i in all_rows]
    del all_rows
    for level in ("county", "township", "grid"):
        user, granted = users[level]
        targets = can_see_targets(rng, user, granted, all_paths, all_ids, n(1))

        def fresh(target):
            forget_scope(target[0])
            return scope_for(target[0]).can_see(target[1])

        def cached(target):
            return scope_for(target[0]).can_see(target[1])

        def reference(target):
            return raw.can_see(target[0].pk, target[1].path)

        compare(
            report,
            MODULE,
            f"can_see, fresh scope ({level} grant)",
            targets,
            fresh,
            reference,
            same=bool.__eq__,
        )
        scope_for(user)
        compare(
            report,
            MODULE,
            f"can_see, cached scope ({level} grant)",
            targets,
            cached,
            reference,
            same=bool.__eq__,
        )

    plans(report, users, townships[0])


def plans(report: Report, users, township: Region) -> None:
    """EXPLAIN of the very SQL gridgov ran (captured), and of the references."""
    leader = users["province"][0]
    county = township.parent
    grid_user, _grid = users["grid"]
    cases = [
        ("region_children(township)", lambda: region_children(user=leader, region=township)),
        ("region_children(county)", lambda: region_children(user=leader, region=county)),
        (
            "Region.objects.under(township).grids().active()",
            lambda: list(Region.objects.under(township).grids().active()),
        ),
        ("region_subtree_grids(township)", lambda: list(region_subtree_grids(user=leader, region=township))),
        ("scope_for(user) (the grant query)", lambda: (forget_scope(grid_user), scope_for(grid_user))),
    ]
    backend = "SQLite" if connection.vendor == "sqlite" else "PostgreSQL"
    print(f"\nterritory: query plans on {backend} (township {township.code}, county {county.code})")
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
    low, high = subtree_range(township.path)
    for label, sql, params in (
        ("reference subtree grids", SUBTREE_GRIDS_SQL, [low, high]),
        ("reference can_see EXISTS", CAN_SEE_SQL, [grid_user.pk, township.path, township.path]),
    ):
        lines = explain(sql, params)
        verdict = plan_verdict(lines)
        report.plans.append({"module": MODULE, "query": label, "verdict": verdict, "plan": lines})
        print(f"- {label}: {verdict}")
        for line in lines:
            print(f"    {line}")
