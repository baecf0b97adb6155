"""Timing, statistics, raw SQL and EXPLAIN helpers shared by the benchmark modules."""

import math
import os
import platform
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


# --- environment ----------------------------------------------------------------------------------------
def count_arg(low: int, high: int):
    """An argparse ``type``: a whole number in [low, high], refused with a clear message otherwise."""
    import argparse

    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return parse


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def database_version() -> str:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def environment() -> dict[str, Any]:
    import django

    mem = memory_gib()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": f"{cpu_model()}, {os.cpu_count()} cores" + (f", {mem:.0f} GiB RAM" if mem else ""),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "load at start": load_average(),
    }


def load_average() -> str:
    """The 1, 5 and 15-minute load averages: other processes on these cores disturb the timings (mostly p95)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- raw SQL (the references) ---------------------------------------------------------------------------
def raw_sql(sql: str) -> str:
    """SQL written with %s placeholders, in the paramstyle of the DB-API driver under Django's connection."""
    return sql.replace("%s", "?") if connection.vendor == "sqlite" else sql


def raw_cursor():
    """A cursor of the DB-API driver itself (sqlite3 or psycopg), bypassing Django's cursor wrapper."""
    connection.ensure_connection()
    return connection.connection.cursor()


# --- statistics -----------------------------------------------------------------------------------------
def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Result:
    module: str
    op: str
    n: int
    gridgov_median_us: float
    gridgov_p95_us: float
    reference_median_us: float
    reference_p95_us: float
    ratio: float
    gridgov_queries: float | None = None
    reference_queries: float | None = None
    mismatches: int = 0
    note: str = ""


@dataclass
class Report:
    environment: dict[str, Any] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)
    figures: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "results": [asdict(r) for r in self.results],
            "figures": self.figures,
            "plans": self.plans,
        }


def compare(
    report: Report,
    module: str,
    op: str,
    targets: Sequence[Any],
    gridgov: Callable[[Any], Any],
    reference: Callable[[Any], Any],
    *,
    same: Callable[[Any, Any], bool] | None = None,
    warmup: int = 10,
    note: str = "",
) -> Result:
    """Times ``gridgov(t)`` and ``reference(t)`` for every target, interleaved (alternating which goes first so
    that neither always runs on a warmer cache), after a warm-up on the first targets. ``same`` checks on each
    target, outside the timed section, that both sides gave the same answer."""
    for target in targets[:warmup]:
        gridgov(target)
        reference(target)
    g_ns: list[int] = []
    r_ns: list[int] = []
    mismatches = 0
    clock = time.perf_counter_ns
    for i, target in enumerate(targets):
        if i % 2:
            t0 = clock()
            g_out = gridgov(target)
            t1 = clock()
            r_out = reference(target)
            t2 = clock()
            g_ns.append(t1 - t0)
            r_ns.append(t2 - t1)
        else:
            t0 = clock()
            r_out = reference(target)
            t1 = clock()
            g_out = gridgov(target)
            t2 = clock()
            r_ns.append(t1 - t0)
            g_ns.append(t2 - t1)
        if same is not None and not same(g_out, r_out):
            mismatches += 1
    g_queries = _count_queries(gridgov, targets[0]) if targets else None
    g_sorted = sorted(x / 1000 for x in g_ns)
    r_sorted = sorted(x / 1000 for x in r_ns)
    g_med, r_med = statistics.median(g_sorted), statistics.median(r_sorted)
    result = Result(
        module=module,
        op=op,
        n=len(targets),
        gridgov_median_us=round(g_med, 1),
        gridgov_p95_us=round(percentile(g_sorted, 95), 1),
        reference_median_us=round(r_med, 1),
        reference_p95_us=round(percentile(r_sorted, 95), 1),
        ratio=round(g_med / r_med, 2) if r_med else math.nan,
        gridgov_queries=g_queries,
        mismatches=mismatches,
        note=note,
    )
    report.results.append(result)
    print_result(result)
    return result


def _count_queries(fn: Callable[[Any], Any], target: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn(target)
    return len(captured.captured_queries)


def captured_sql(fn: Callable[[], Any]) -> list[str]:
    """The SQL Django ran for ``fn()``, parameters inlined (ready for EXPLAIN)."""
    with CaptureQueriesContext(connection) as captured:
        fn()
    return [q["sql"] for q in captured.captured_queries]


# --- printing -------------------------------------------------------------------------------------------
HEADER = (
    f"{'operation':<46} {'n':>5} {'gridgov µs':>10} {'p95':>9} {'ref µs':>9} {'p95':>9} {'ratio':>6} {'q':>3}"
)


def print_header(title: str) -> None:
    print(f"\n{title}")
    print(HEADER)
    print("-" * len(HEADER))


def print_result(r: Result) -> None:
    queries = "" if r.gridgov_queries is None else str(r.gridgov_queries)
    line = (
        f"{r.op:<46} {r.n:>5} {r.gridgov_median_us:>10.1f} {r.gridgov_p95_us:>9.1f} "
        f"{r.reference_median_us:>9.1f} {r.reference_p95_us:>9.1f} {r.ratio:>6.2f} {queries:>3}"
    )
    if r.mismatches:
        line += f"  !! {r.mismatches} answers differ from the reference"
    print(line, flush=True)


# --- EXPLAIN --------------------------------------------------------------------------------------------
def explain(sql: str, params: Sequence[Any] | None = None) -> list[str]:
    """The plan of ``sql`` on the backend in use, one line a node (``params`` for %s placeholders, or none if
    the parameters are inlined, as in SQL captured from Django)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return [row[-1] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN (COSTS OFF) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def _row_count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        return cursor.fetchone()[0]


def plan_verdict(lines: list[str]) -> str:
    """Which tables the plan reads through an index, and which it scans whole (with their sizes: a whole scan
    of a table of a few rows is the right plan)."""
    if connection.vendor == "sqlite":
        scans = [
            m.group(1)
            for ln in lines
            if (m := re.match(r"SCAN (?:TABLE )?(\w+)", ln))
            and "USING" not in ln
            and m.group(1) != "CONSTANT"
        ]
        indexed = any("USING" in ln and ("INDEX" in ln or "PRIMARY KEY" in ln) for ln in lines)
    else:
        scans = re.findall(r"Seq Scan on (\w+)", "\n".join(lines))
        indexed = any(re.search(r"(Index Scan|Index Only Scan|Bitmap Index Scan) ", ln) for ln in lines)
    parts = ["index" if indexed else "NO INDEX"]
    for table in dict.fromkeys(scans):
        try:
            size = f"{_row_count(table):,} rows"
        except Exception:  # an alias (SQLite prints aliases, not tables): say so rather than guess
            size = "an alias; size not looked up"
        parts.append(f"whole scan of {table} ({size})")
    return "; ".join(parts)


# --- HTTP load against the production server ------------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn as production runs it (gthread), on 127.0.0.1 only, with ``bench.floor_settings`` (the run's
    database, plus the framework floor ``POST /bench/floor``); stopped by its own pid when the block ends."""

    def __init__(self, name: str, workers: int = 2, threads: int = 4):
        from django.conf import settings

        self.base_dir = settings.BASE_DIR
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(settings.BENCH_DIR, f"gunicorn-{name}.log")
        self.args = [
            os.path.join(self.base_dir, ".venv", "bin", "gunicorn"),
            "config.wsgi:application",
            "-k",
            "gthread",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]

    def __enter__(self):
        import subprocess

        import httpx

        env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.floor_settings")
        self.log = open(self.log_path, "w", encoding="utf-8")  # closed in __exit__
        self.proc = subprocess.Popen(
            self.args, cwd=self.base_dir, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log_path}")

    def cpu_seconds(self) -> dict[int, tuple[str, float]]:
        """pid → ("app" or "db", CPU seconds used so far) for the server's workers and PostgreSQL's processes
        (none on SQLite, which runs inside the workers). Linux only (/proc); empty elsewhere."""
        out = {}
        tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        try:
            entries = os.listdir("/proc")
        except OSError:
            return out
        for entry in entries:
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                    stat = handle.read()
            except OSError:
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            ppid, used = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
            if ppid == self.proc.pid or int(entry) == self.proc.pid:
                out[int(entry)] = ("app", used)
            elif name == "postgres":
                out[int(entry)] = ("db", used)
        return out

    @staticmethod
    def cpu_used(before: dict, after: dict) -> dict[str, float]:
        """CPU seconds used between two ``cpu_seconds`` readings, by "app" and "db" (processes in both only)."""
        out = {"app": 0.0, "db": 0.0}
        for pid, (kind, used) in after.items():
            if pid in before:
                out[kind] += used - before[pid][1]
        return out

    def __exit__(self, *exc):
        import subprocess

        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.log.close()


def load(
    send: Callable[[Any, int, int], Any],
    total: int,
    clients: int,
    *,
    ok: int,
    connect: Callable[[int], Any],
    renew: int | None = None,
) -> dict:
    """``total`` requests from ``clients`` threads, as fast as the server answers. Thread k opens its connection
    with ``connect(k)`` (an ``httpx.Client``; a new one every ``renew`` requests if given) and sends request i
    with ``send(http, i, k)``, which returns the status. Latencies are kept for the answers with status ``ok``.
    Returns rate, p50/p99 latency and the statuses."""
    import itertools
    import threading
    from collections import Counter

    import httpx

    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter = Counter()

    def work(k: int) -> None:
        mine, codes = [], Counter()
        http, used = None, 0
        try:
            while True:
                with lock:
                    i = next(counter)
                if i >= total:
                    break
                if http is None or used == renew:
                    if http is not None:
                        http.close()
                    http, used = connect(k), 0
                used += 1
                t0 = time.perf_counter()
                try:
                    status = send(http, i, k)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                elapsed = time.perf_counter() - t0
                codes[status] += 1
                if status == ok:
                    mine.append(elapsed)
        finally:
            if http is not None:
                http.close()
        with lock:
            latencies.extend(mine)
            statuses.update(codes)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    return {
        "ok": len(latencies),
        "wall_s": wall,
        "rate": len(latencies) / wall if wall else 0.0,
        "p50_ms": percentile(latencies, 50) * 1000 if latencies else math.nan,
        "p99_ms": percentile(latencies, 99) * 1000 if latencies else math.nan,
        "statuses": dict(statuses),
    }
