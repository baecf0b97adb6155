"""The registry (台账) at county scale: importing households and residents, and the county-wide ledger export.

Generates the demo county's synthetic registry (``gridgov.demo.registry``: 100,000 households and the first
300,000 of their residents by default) as CSV and as .xlsx (XlsxWriter, constant memory), then times:

1. ``registry_import`` from CSV and from .xlsx, households then residents (file read, validation, encryption,
   blind indexes, natural-key upsert, writes), against the reference: raw ``executemany`` of the very rows the
   import stored (already validated and encrypted), into the same tables, in batches of the same size, each in its
   own transaction. The tables are emptied between runs.
2. django-import-export importing the same households file (a slice: ``--iex-rows``), with a ``ModelResource``
   that maps the Chinese headers and does the same checks and encryption in ``before_import_row``, against
   gridgov on the same slice. django-import-export is not a gridgov dependency: it is installed for the run into
   a throwaway folder (``pip install --target``) and put on ``sys.path``; never into the project's lock or
   ``INSTALLED_APPS``.
3. ``registry_export`` of the county's residents (the ledger offices download), with the process's peak memory
   during the export.

Goals (issue 3): at least 20,000 resident rows a second from CSV on SQLite, a county-wide export in under a minute.
``--registry-profile`` runs cProfile over the export and the CSV resident import and prints where the time goes.
``--households N`` runs it smaller (``--residents N``, ``--iex-rows N`` likewise).
"""

import contextlib
import cProfile
import csv
import gc
import importlib
import itertools
import os
import pstats
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import xlsxwriter
from django.db import connection, transaction
from tqdm import tqdm

from bench.common import Report, count_arg, load_average, raw_cursor, raw_sql
from gridgov.core.crypto import blind_index, seal
from gridgov.core.identity import mask_phone, mask_resident_id, normalize_phone, parse_resident_id
from gridgov.demo.loader import demo_grids, load_demo
from gridgov.demo.registry import HEADERS, RegistryGenerator
from gridgov.registry.models import Household, Resident, tags_to_text
from gridgov.registry.readers import read_table
from gridgov.registry.services.exporting import registry_export
from gridgov.registry.services.importing import BATCH_SIZE, TAG_SPLIT, registry_import
from gridgov.territory.models import Region

MODULE = "registry"
GOAL_RESIDENT_ROWS_PER_S = 20_000
GOAL_EXPORT_SECONDS = 60
#: Residents of `load_demo --scale county`: 400,000 households × 3.32 (ARCHITECTURE §6: ~1.3 million).
COUNTY_RESIDENTS = 1_330_000
IEX_DIR = Path(tempfile.gettempdir()) / "gridgov-bench-iex"
IEX_REQUIREMENTS = ("django-import-export==4.4.3", "tablib==3.10.0", "diff-match-patch==20241021")
# No tqdm monitor thread: cProfile (sys.monitoring since Python 3.12) sees every thread, and the monitor's sleep
# would show up as time spent in threading.Event.wait.
tqdm.monitor_interval = 0


def add_arguments(parser) -> None:
    group = parser.add_argument_group("registry")
    group.add_argument(
        "--households", type=count_arg(10, 2_000_000), default=100_000, metavar="N", help="default 100,000"
    )
    group.add_argument(
        "--residents",
        type=count_arg(10, 10_000_000),
        default=None,
        metavar="N",
        help="the first N residents of those households (default: 3 per household)",
    )
    group.add_argument(
        "--iex-rows",
        type=count_arg(0, 2_000_000),
        default=10_000,
        metavar="N",
        help="households django-import-export imports (a slice of the file; default 10,000; 0 skips it)",
    )
    group.add_argument(
        "--registry-profile",
        action="store_true",
        help="cProfile the CSV resident import and print the hot spots",
    )


# --- files ------------------------------------------------------------------------------------------------
def write_files(directory: Path, households: int, residents: int) -> dict[str, Path]:
    """households/residents as .csv (UTF-8 with BOM) and .xlsx (constant memory), in one pass of the generator."""
    kinds = ("households", "residents")
    paths = {f"{kind}.{ext}": directory / f"{kind}.{ext}" for kind in kinds for ext in ("csv", "xlsx")}
    generator = RegistryGenerator(demo_grids(), households=households)
    lines = dict.fromkeys(kinds, 1)
    with contextlib.ExitStack() as stack:
        writers, sheets = {}, {}
        for kind in kinds:
            handle = stack.enter_context(open(paths[f"{kind}.csv"], "w", encoding="utf-8-sig", newline=""))
            writers[kind] = csv.writer(handle)
            book = stack.enter_context(
                xlsxwriter.Workbook(
                    str(paths[f"{kind}.xlsx"]), {"constant_memory": True, "strings_to_numbers": False}
                )
            )
            sheets[kind] = book.add_worksheet("台账")
            writers[kind].writerow(HEADERS[kind])
            sheets[kind].write_row(0, 0, HEADERS[kind])

        def put(kind: str, cells: list[str]) -> None:
            writers[kind].writerow(cells)
            sheets[kind].write_row(lines[kind], 0, cells)
            lines[kind] += 1

        with tqdm(total=households, unit="households", desc="generate + write", mininterval=0.5) as bar:
            for household, members in generator.household_rows():
                put("households", household)
                for resident in members:
                    if lines["residents"] <= residents:
                        put("residents", resident)
                bar.update()
    if lines["residents"] - 1 < residents:
        print(f"  (the households have only {lines['residents'] - 1:,} residents; using all of them)")
    return paths


def slice_csv(source: Path, target: Path, rows: int) -> Path:
    with open(source, encoding="utf-8-sig", newline="") as handle:
        lines = [line for _n, line in zip(range(rows + 1), handle, strict=False)]
    target.write_text("".join(lines), encoding="utf-8-sig")
    return target


# --- database helpers -------------------------------------------------------------------------------------
TABLES = (Resident._meta.db_table, Household._meta.db_table)


def checkpoint() -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def empty_tables() -> None:
    """Residents and households gone, ids restarted: every run starts from the same empty tables."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in TABLES:
                cursor.execute(f'DELETE FROM "{table}"')
            cursor.execute(
                f"DELETE FROM sqlite_sequence WHERE name IN ({', '.join(['%s'] * len(TABLES))})", TABLES
            )
        else:
            cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    checkpoint()


def snapshot(model) -> tuple[list[str], list[tuple]]:
    """Every stored row of ``model`` (all columns, id included) as the driver returns it."""
    columns = [f.column for f in model._meta.concrete_fields]
    cursor = raw_cursor()
    cursor.execute(f'SELECT {", ".join(columns)} FROM "{model._meta.db_table}" ORDER BY id')
    return columns, cursor.fetchall()


def reference_insert(model, columns: list[str], rows: list[tuple]) -> None:
    """Raw executemany of already-validated rows, batch by batch like the import, each batch committed."""
    sql = raw_sql(
        f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) VALUES ({", ".join(["%s"] * len(columns))})'
    )
    for start in range(0, len(rows), BATCH_SIZE):
        with transaction.atomic():
            raw_cursor().executemany(sql, rows[start : start + BATCH_SIZE])
    if connection.vendor == "postgresql":  # explicit ids: move the sequence on, as the import leaves it
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{model._meta.db_table}', 'id'), "
                f'(SELECT max(id) FROM "{model._meta.db_table}"))'
            )


# --- figures ----------------------------------------------------------------------------------------------
def figure(
    report: Report,
    name: str,
    seconds: float,
    rows: int,
    ref_seconds: float | None = None,
    *,
    cpu_seconds: float | None = None,
    workers_cpu_seconds: float | None = None,
    ref_cpu_seconds: float | None = None,
    **extra,
) -> None:
    """One line: wall time and rows/s, the reference's and the ratio; with ``cpu_seconds`` (this process's CPU
    time) also the rows/s by CPU time, which other load on the machine disturbs less than wall time, and the CPU
    time per row of this process, of the import's worker processes and of the reference; then the load average."""
    entry = {"module": MODULE, "figure": name, "rows": rows, "seconds": round(seconds, 2)}
    entry["rows_per_s"] = round(rows / seconds)
    line = f"  {name:<52} {seconds:8.2f} s  {rows / seconds:>9,.0f} rows/s"
    if cpu_seconds is not None:
        entry["cpu_seconds"] = round(cpu_seconds, 2)
        entry["rows_per_cpu_s"] = round(rows / cpu_seconds)
        line += f" (cpu {cpu_seconds:7.2f} s {rows / cpu_seconds:>8,.0f}/s)"
    if ref_seconds is not None:
        entry["reference_seconds"] = round(ref_seconds, 2)
        entry["reference_rows_per_s"] = round(rows / ref_seconds)
        entry["ratio"] = round(seconds / ref_seconds, 2)
        line += f"   reference {ref_seconds:7.2f} s {rows / ref_seconds:>9,.0f} rows/s   ratio {seconds / ref_seconds:5.1f}"
    per_row = []
    for label, key, value in (
        ("this process", "cpu_us_per_row", cpu_seconds),
        ("workers", "workers_cpu_us_per_row", workers_cpu_seconds),
        ("reference", "reference_cpu_us_per_row", ref_cpu_seconds),
    ):
        if value is not None:
            entry[key] = round(value / rows * 1e6, 1)
            per_row.append(f"{label} {entry[key]:.1f}")
    entry["load"] = load_average()
    if per_row:
        line += "\n    CPU µs a row: " + ", ".join(per_row) + f"; load average {entry['load']}"
    entry.update(extra)
    report.figures.append(entry)
    print(line, flush=True)


def children_cpu() -> float:
    """CPU seconds of this process's finished child processes (an import's workers, once it has joined them)."""
    times = os.times()
    return times.children_user + times.children_system


def gridgov_import(kind: str, path: Path) -> tuple[float, float, float, object]:
    """``registry_import`` of one file, the file's reading included, as ``gridgov import_registry`` runs it.
    Returns wall seconds, this process's and its worker processes' CPU seconds, and the import's report."""
    t0, c0, w0 = time.perf_counter(), time.process_time(), children_cpu()
    table = read_table(path)
    with tqdm(total=table.total, unit="rows", desc=f"registry_import {path.name}", mininterval=0.5) as bar:
        result = registry_import(
            actor=None, kind=kind, table=table, progress=lambda r: bar.update(r.processed - bar.n)
        )
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert result.rejected == 0, (path, result.errors[:5])
    return seconds, cpu, children_cpu() - w0, result


def import_both(report: Report, paths: dict[str, Path], ext: str, references: dict | None) -> dict:
    """Households then residents from ``ext`` files; returns the stored rows if asked to (the references')."""
    empty_tables()
    timings = {}
    for kind in ("households", "residents"):
        seconds, cpu, workers, result = gridgov_import(kind, paths[f"{kind}.{ext}"])
        assert result.created == result.total, result
        timings[kind] = (seconds, cpu, workers, result.created)
        checkpoint()
    if references is None:
        references = {
            kind: snapshot(model) for kind, model in (("households", Household), ("residents", Resident))
        }
        empty_tables()
        for kind, model in (("households", Household), ("residents", Resident)):
            columns, rows = references[kind]
            t0, c0 = time.perf_counter(), time.process_time()
            reference_insert(model, columns, rows)
            references[kind] = (*references[kind], time.perf_counter() - t0, time.process_time() - c0)
            checkpoint()
    for kind in ("households", "residents"):
        seconds, cpu, workers, rows = timings[kind]
        figure(
            report,
            f"registry_import {kind} from .{ext}",
            seconds,
            rows,
            references[kind][2],
            cpu_seconds=cpu,
            workers_cpu_seconds=workers,
            ref_cpu_seconds=references[kind][3],
            goal_rows_per_s=GOAL_RESIDENT_ROWS_PER_S if kind == "residents" and ext == "csv" else None,
        )
    return references


# --- django-import-export ---------------------------------------------------------------------------------
def ensure_import_export() -> str:
    """Imports django-import-export, installing it into a throwaway folder first if it is not there."""
    if IEX_DIR.is_dir() and str(IEX_DIR) not in sys.path:
        sys.path.append(str(IEX_DIR))
    try:
        import import_export

        where = "already installed" if str(IEX_DIR) not in import_export.__file__ else f"from {IEX_DIR}"
    except ImportError:
        print(
            f"  installing {', '.join(IEX_REQUIREMENTS)} into {IEX_DIR} (for this benchmark only)", flush=True
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--target",
                str(IEX_DIR),
                *IEX_REQUIREMENTS,
            ],
            check=True,
        )
        if str(IEX_DIR) not in sys.path:
            sys.path.append(str(IEX_DIR))
        importlib.invalidate_caches()
        import import_export

        where = f"installed just now into {IEX_DIR}"
    from importlib.metadata import version

    try:
        release = version("django-import-export")
    except Exception:  # metadata of a --target install is found only through sys.path
        release = "?"
    return f"django-import-export {release} ({where}; not in the lock, not in INSTALLED_APPS)"


def household_resources():
    """A ModelResource for the households ledger: the Chinese headers mapped, and the same checks and encryption
    as gridgov's import done in ``before_import_row`` (so that both sides do the same work per row). Returned with
    the library's defaults and with ``use_bulk``."""
    from import_export import fields, resources, widgets

    def column(attribute, header=None, widget=None):
        return fields.Field(attribute=attribute, column_name=header or attribute, widget=widget)

    class HouseholdResource(resources.ModelResource):
        code = column("code", "户编号")
        grid = column("grid", "网格编码", widgets.ForeignKeyWidget(Region, field="code"))
        address = column("address", "地址")
        head_name = column("head_name", "户主姓名")
        head_id_sealed = column("head_id_sealed")
        head_id_index = column("head_id_index")
        head_id_masked = column("head_id_masked")
        phone_sealed = column("phone_sealed")
        phone_index = column("phone_index")
        phone_masked = column("phone_masked")
        members = column("members", "人口数", widgets.IntegerWidget())
        tags = column("tags", "标签")

        class Meta:
            model = Household
            import_id_fields = ("code",)
            fields = (
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
                "tags",
            )

        def before_import_row(self, row, **kwargs):
            number = parse_resident_id(row.get("户主身份证号") or "").number
            row["head_id_sealed"] = seal(number)
            row["head_id_index"] = blind_index("ric", number)
            row["head_id_masked"] = mask_resident_id(number)
            phone = (row.get("联系电话") or "").strip()
            phone = normalize_phone(phone) if phone else ""
            row["phone_sealed"] = seal(phone)
            row["phone_index"] = blind_index("phone", phone)
            row["phone_masked"] = mask_phone(phone)
            row["标签"] = tags_to_text(TAG_SPLIT.split(row.get("标签") or ""))

    class BulkHouseholdResource(HouseholdResource):
        class Meta(HouseholdResource.Meta):
            use_bulk = True
            batch_size = 1000

    return {"defaults": HouseholdResource, "use_bulk": BulkHouseholdResource}


def import_export_run(report: Report, households_csv: Path, directory: Path, rows: int) -> None:
    print(f"\nregistry: django-import-export on the first {rows:,} households")
    try:
        print("  " + ensure_import_export(), flush=True)
    except Exception as exc:  # no network, or the package changed: say so, keep the other figures
        print(f"  django-import-export unavailable, skipped: {exc}")
        return
    import tablib

    part = slice_csv(households_csv, directory / f"households-{rows}.csv", rows)
    empty_tables()
    ours, _cpu, _workers, result = gridgov_import("households", part)
    assert result.created == rows
    for label, resource_class in household_resources().items():
        empty_tables()
        t0 = time.perf_counter()
        dataset = tablib.Dataset().load(part.read_text(encoding="utf-8-sig"), format="csv")
        outcome = resource_class().import_data(dataset, dry_run=False, raise_errors=True)
        seconds = time.perf_counter() - t0
        created = Household.objects.count()
        assert created == rows and not outcome.has_errors(), (created, outcome.totals)
        figure(
            report,
            f"django-import-export ({label}), households",
            seconds,
            rows,
            note=f"gridgov on the same {rows:,} rows: {ours:.2f} s; django-import-export / gridgov = {seconds / ours:.1f}",
        )
        print(
            f"    gridgov on the same slice {ours:.2f} s: django-import-export takes {seconds / ours:.1f}× as long"
        )
    empty_tables()


# --- export -----------------------------------------------------------------------------------------------
def rss_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Linux: writing 5 to clear_refs resets VmHWM (the peak resident set) to the current resident set."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def export_run(report: Report, directory: Path) -> None:
    """The county-wide resident ledger: timed as is, with the process's peak resident memory (Linux VmHWM,
    reset just before), then once more under tracemalloc for the peak of Python's own allocations."""
    county = Region.objects.get(code="411627")
    residents = Resident.objects.count()
    out = directory / "residents-export.xlsx"
    gc.collect()
    baseline = rss_kib("VmRSS")
    peak_known = reset_peak_rss()
    t0, c0 = time.perf_counter(), time.process_time()
    rows = registry_export(actor=None, kind="residents", region=county, path=out)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = rss_kib("VmHWM") if peak_known else None
    assert rows == residents, (rows, residents)
    grown = (peak - baseline) / 1024 if peak and baseline else None

    tracemalloc.start()
    registry_export(actor=None, kind="residents", region=county, path=directory / "residents-export-2.xlsx")
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    ref_seconds = xlsxwriter_reference(directory / "residents-xlsxwriter.xlsx")

    estimate = seconds * COUNTY_RESIDENTS / rows
    figure(
        report,
        "registry_export residents, whole county (.xlsx)",
        seconds,
        rows,
        cpu_seconds=cpu,
        peak_rss_growth_mib=round(grown, 1) if grown is not None else None,
        tracemalloc_peak_mib=round(traced_peak / 2**20, 1),
        file_mib=round(out.stat().st_size / 2**20, 1),
        county_estimate_seconds=round(estimate),
        xlsxwriter_seconds=round(ref_seconds, 2),
        ratio_to_xlsxwriter=round(seconds / ref_seconds, 2),
    )
    memory = f"peak of Python allocations {traced_peak / 2**20:.0f} MiB (tracemalloc)"
    if grown is not None:
        memory += f", peak resident set {grown:+.0f} MiB over the {baseline / 1024:.0f} MiB before"
    print(f"    {memory}; file {out.stat().st_size / 2**20:.1f} MiB")
    print(
        f"    reference: the same rows and columns read with one values_list and written with XlsxWriter "
        f"(constant_memory): {ref_seconds:.1f} s; gridgov / XlsxWriter = {seconds / ref_seconds:.2f}"
    )
    print(
        f"    at {COUNTY_RESIDENTS:,} residents ≈ {estimate:.0f} s "
        f"(goal < {GOAL_EXPORT_SECONDS} s: {'met' if estimate < GOAL_EXPORT_SECONDS else 'NOT met'})"
    )


def xlsxwriter_reference(path: Path) -> float:
    """What a ledger export with the usual library costs: the resident ledger's cells (masked numbers), read in
    one ordered values_list and written with XlsxWriter in constant-memory mode, header styled as gridgov's."""
    grid = "household__grid"
    qs = Resident.objects.order_by(f"{grid}__path", "pk").values_list(
        f"{grid}__parent__parent__name",
        f"{grid}__parent__name",
        "household__code",
        "name",
        "id_masked",
        "relation",
        "phone_masked",
        "tags",
    )
    t0 = time.perf_counter()
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    header = book.add_format({"bold": True, "bg_color": "#DCE6F4", "border": 1})
    sheet = book.add_worksheet("台账")
    sheet.set_column(0, 7, 16)
    sheet.freeze_panes(1, 0)
    for col, text in enumerate(
        ("乡镇(街道)", "村(社区)", "户编号", "姓名", "身份证号", "与户主关系", "联系电话", "标签")
    ):
        sheet.write_string(0, col, text, header)
    for row, record in enumerate(qs.iterator(chunk_size=5000), start=1):
        for col, value in enumerate(record):
            sheet.write_string(row, col, value or "")
    book.close()
    return time.perf_counter() - t0


# --- profile ----------------------------------------------------------------------------------------------
def print_profile(profiler: cProfile.Profile, title: str, top: int = 16) -> None:
    """The functions that take the time: by their own time and including what they call, with shares."""
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    print(f"\nregistry: cProfile of {title} ({total:.1f} s under the profiler)")
    for label, key in (("own time", 2), ("including callees", 3)):
        print(f"  top functions by {label}:")
        entries = sorted(stats.stats.items(), key=lambda item: item[1][key], reverse=True)[:top]
        for (filename, line, name), values in entries:
            short = filename.split("site-packages/")[-1].replace(os.getcwd() + "/", "")
            print(f"    {values[key]:7.2f} s {values[key] / total:6.1%}  {short}:{line} {name}")


def profile_residents(path: Path) -> None:
    """cProfile of the CSV resident import (households already in place): the importing process alone, by its
    CPU time (the time it waits for its workers is not counted; the workers are not profiled)."""
    Resident.objects.all().delete()
    checkpoint()
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    registry_import(actor=None, kind="residents", table=read_table(path))
    profiler.disable()
    print_profile(profiler, "the CSV resident import (the importing process's CPU time)")


def profile_export(directory: Path) -> None:
    county = Region.objects.get(code="411627")
    profiler = cProfile.Profile()
    profiler.enable()
    registry_export(actor=None, kind="residents", region=county, path=directory / "profiled-export.xlsx")
    profiler.disable()
    print_profile(profiler, "the county-wide resident export")


def warm_up(residents_csv: Path) -> None:
    """Loads what the validators load on first use (stdnum's place-code database, phonenumbers' metadata), as a
    running server has done long before an import, so that the first timed run does not pay for it."""
    table = read_table(residents_csv)
    for _number, cells in itertools.islice(table.rows, 200):
        parse_resident_id(cells[2])
        if cells[4]:
            normalize_phone(cells[4])


# --- run --------------------------------------------------------------------------------------------------
def run(args, report: Report) -> None:
    households = args.households
    residents = args.residents or 3 * households
    load_demo(scale="none")  # 太康县's divisions and 2,742 grids, the departments and demo accounts
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-registry-") as tmp:
        directory = Path(tmp)
        t0 = time.perf_counter()
        paths = write_files(directory, households, residents)
        sizes = ", ".join(f"{name} {path.stat().st_size / 2**20:.1f} MiB" for name, path in paths.items())
        print(f"\nregistry: generated and wrote the files in {time.perf_counter() - t0:.1f} s ({sizes})")
        print(
            "  (reference: raw executemany of the rows the import stored, same tables and indexes, batches of "
            f"{BATCH_SIZE:,} each in a transaction; ratio = gridgov time / reference time)"
        )
        warm_up(paths["residents.csv"])
        references = import_both(report, paths, "csv", None)
        import_both(report, paths, "xlsx", references)
        del references

        # Re-import of the same CSV: nothing changes (the second `load_demo`, an office re-sending a ledger).
        t0, c0, w0 = time.perf_counter(), time.process_time(), children_cpu()
        again = registry_import(actor=None, kind="residents", table=read_table(paths["residents.csv"]))
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert again.unchanged == again.total and not again.created and not again.updated, again
        figure(
            report,
            "re-import residents from .csv, nothing changed",
            seconds,
            again.unchanged,
            cpu_seconds=cpu,
            workers_cpu_seconds=children_cpu() - w0,
        )

        print()
        export_run(report, directory)
        csv_residents = next(
            f for f in report.figures if f.get("figure") == "registry_import residents from .csv"
        )
        verdict = "met" if csv_residents["rows_per_s"] >= GOAL_RESIDENT_ROWS_PER_S else "NOT met"
        print(
            f"\nregistry: goal ≥ {GOAL_RESIDENT_ROWS_PER_S:,} resident rows/s from CSV: {verdict} "
            f"({csv_residents['rows_per_s']:,} rows/s wall, {csv_residents['rows_per_cpu_s']:,} by this process's "
            f"CPU time; CPU µs a row: this process {csv_residents['cpu_us_per_row']}, workers "
            f"{csv_residents['workers_cpu_us_per_row']}, reference {csv_residents['reference_cpu_us_per_row']}; "
            f"on {connection.vendor}; load average during the import {csv_residents['load']}, now {load_average()})"
        )

        if args.registry_profile:
            profile_export(directory)
            profile_residents(paths["residents.csv"])
        if args.iex_rows:
            import_export_run(report, paths["households.csv"], directory, min(args.iex_rows, households))
