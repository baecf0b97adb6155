"""``python -m bench [-k NAME] [options]``: runs every ``bench/bench_*.py`` module (``make bench``).

Each module gets a fresh, migrated database of its own (``bench.settings``: ``var/bench/bench-<pid>.sqlite3``, or the
PostgreSQL database ``gridgov_bench_<pid>`` on the server that ``DATABASE_URL`` names), measures gridgov and a
reference in the same run, and prints both with their ratio. A module may define ``add_arguments(parser)``;
it must define ``run(args, report)``.
"""

import argparse
import importlib
import json
import os
import pkgutil
import sys
import time
import traceback
from pathlib import Path


def discover() -> list[str]:
    package_dir = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(package_dir)]) if m.name.startswith("bench_"))


def main(argv: list[str] | None = None) -> int:
    # Always the benchmarks' own settings: never benchmark into the demo's or production's database.
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench import db
    from bench.common import Report, database_version, environment, load_average

    names = discover()
    modules = {name: importlib.import_module(f"bench.{name}") for name in names}
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="gridgov's benchmarks; each prints its figures and the ratio to a reference measured in the "
        "same run. DATABASE_URL=postgres://… runs them on PostgreSQL (database gridgov_bench_<pid>).",
    )
    parser.add_argument(
        "-k",
        dest="select",
        action="append",
        metavar="NAME",
        help=f"run only the modules whose name contains NAME (repeatable); modules: {', '.join(names)}",
    )
    parser.add_argument("--seed", type=int, default=2023, help="seed of the random targets (default 2023)")
    parser.add_argument(
        "--reps",
        type=int,
        default=1000,
        metavar="N",
        help="calls of each cheap operation (expensive ones make a fraction of it); default 1000",
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="write the results here (default var/bench/results-<vendor>.json)",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the PostgreSQL database after the run")
    for module in modules.values():
        if hasattr(module, "add_arguments"):
            module.add_arguments(parser)
    args = parser.parse_args(argv)

    selected = [n for n in names if not args.select or any(k in n for k in args.select)]
    if not selected:
        parser.error(f"no benchmark module matches {args.select}; modules: {', '.join(names)}")

    report = Report(environment=environment())
    failed = []
    started = time.perf_counter()
    for name in selected:
        db.create_database()
        t0 = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        if not report.environment.get("database"):
            report.environment["database"] = f"{database_version()} ({db.describe()})"
            for key, value in report.environment.items():
                print(f"{key:>13}: {value}")
        print(f"\n== {name} (fresh database, migrated in {time.perf_counter() - t0:.1f} s)", flush=True)
        try:
            modules[name].run(args, report)
        except Exception:
            traceback.print_exc()
            failed.append(name)
        finally:
            report.environment[f"load after {name}"] = load_average()
            print(f"\n{name}: load average after the run {load_average()}")
            connection.close()
            if not args.keep_db:
                db.drop_database()
    report.environment["total_seconds"] = round(time.perf_counter() - started, 1)
    print(
        f"\nbench: {len(selected) - len(failed)} of {len(selected)} modules ran in {time.perf_counter() - started:.0f} s"
    )

    out = args.json or (Path(settings.BENCH_DIR) / f"results-{connection.vendor}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"bench: results written to {out}")
    if failed:
        print(f"bench: FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
