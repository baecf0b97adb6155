from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gridgov.demo.loader import DemoRefused, load_demo


class Command(BaseCommand):
    help = "Loads the demo county (太康县): divisions, grids, departments, demo accounts. Idempotent."

    def handle(self, *args, **options):
        bar = tqdm(desc="区划", unit="行", disable=options["verbosity"] < 1 or not self.stdout.isatty())
        try:
            report = load_demo(progress=bar.update)
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        if report.regions_created or report.grids_created or report.users_created:
            self.stdout.write(
                f"demo county loaded: {report.regions_created} regions, {report.grids_created} grids, "
                f"{len(report.users_created)} accounts created"
            )
        else:
            self.stdout.write("demo county already loaded: nothing changed")
