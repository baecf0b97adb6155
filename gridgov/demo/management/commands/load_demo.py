import argparse
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gridgov.demo.loader import DemoRefused, load_demo, registry_households

LEDGER_NAMES = {"households": "户", "residents": "居民", "places": "场所", "licences": "许可证"}
SHOWN_ERRORS = 10


def scale_argument(text: str) -> str:
    try:
        registry_households(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


class Command(BaseCommand):
    help = (
        "Loads the demo county (太康县): divisions, grids, departments, demo accounts and a synthetic registry "
        "imported through the registry's import. Idempotent: a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=scale_argument,
            default="default",
            help="registry size: none (no registry), small (500 households), default (20,000 households, "
            "66,077 residents, 2,000 places), county (400,000 households, ≈1.32 million residents, "
            "40,000 places), or a number of households",
        )

    def handle(self, *args, scale, **options):
        try:  # call_command() passes options without argparse's check
            households = registry_households(scale)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        show = options["verbosity"] >= 1 and self.stdout.isatty()
        bar = tqdm(desc="区划", unit="行", disable=not show)
        bars: dict[str, tqdm] = {}

        def registry_progress(kind: str, report) -> None:
            if kind not in bars:
                bar.close()
                for other in bars.values():
                    other.close()
                bars[kind] = tqdm(
                    desc=f"台账·{LEDGER_NAMES[kind]}", total=report.total or None, unit="行", disable=not show
                )
            bars[kind].update(report.processed - bars[kind].n)

        started = time.perf_counter()
        try:
            report = load_demo(progress=bar.update, scale=scale, registry_progress=registry_progress)
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
            for other in bars.values():
                other.close()
        seconds = time.perf_counter() - started

        if report.regions_created or report.grids_created or report.users_created:
            self.stdout.write(
                f"demo county loaded: {report.regions_created} regions, {report.grids_created} grids, "
                f"{len(report.users_created)} accounts created"
            )
        for grant in report.permissions_granted:
            self.stdout.write(f"permission granted: {grant}")
        for kind, result in report.registry.items():
            self.stdout.write(
                f"registry {kind}: created {result.created}, updated {result.updated}, "
                f"unchanged {result.unchanged}, rejected {result.rejected}"
            )
            for error in result.errors[:SHOWN_ERRORS]:
                self.stderr.write(f"  {kind} row {error.row} {error.column}: {error.reason}")
        if not households:
            self.stdout.write("registry: skipped (--scale none)")
        for app, created in report.apps.items():
            if created:
                self.stdout.write(f"{app}: {created} demo rows created")
        if report.changed:
            self.stdout.write(f"demo loaded in {seconds:.0f} s")
        else:
            self.stdout.write(f"demo county already loaded: nothing changed ({seconds:.0f} s)")
        if any(result.rejected for result in report.registry.values()):
            raise CommandError(
                "the demo registry had rejected rows (see above): this is a bug in the generator"
            )
