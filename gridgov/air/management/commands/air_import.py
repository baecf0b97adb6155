"""``gridgov air_import FILE.csv``: hourly readings from a CSV (see gridgov.air.csvfile), idempotent per station and
hour, with a progress bar; rows with errors are listed with their row number and reason, the rest stored."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gridgov.air.csvfile import CsvHeaderError, read_rows
from gridgov.air.services.readings import RowError, readings_ingest

CHUNK = 5000


class Command(BaseCommand):
    help = "Imports hourly air-quality readings from a CSV file (upsert per station and hour)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV file: station,time,pm25,pm10,so2,no2,co,o3[,<pollutant>_valid]")
        parser.add_argument("--chunk", type=int, default=CHUNK, help="rows stored per transaction (5000)")
        parser.add_argument("--quiet-errors", action="store_true", help="print only the count of row errors")

    def handle(self, *args, path, chunk, quiet_errors, **options):
        chunk = max(1, min(chunk, 100_000))
        try:
            handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by the with below
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        errors: list[RowError] = []
        fatal = None
        totals = {"received": 0, "created": 0, "updated": 0, "days": 0}
        with handle, tqdm(unit=" rows", desc="air_import", disable=options.get("verbosity", 1) == 0) as bar:
            batch = []

            def flush():
                report = readings_ingest(actor=None, rows=batch, source="csv")
                errors.extend(report.errors)
                for key in totals:
                    totals[key] += getattr(report, key)
                bar.update(len(batch))
                batch.clear()

            try:
                for item in read_rows(handle):
                    if isinstance(item, RowError):
                        errors.append(item)
                        totals["received"] += 1
                        bar.update(1)
                        continue
                    batch.append(item)
                    if len(batch) >= chunk:
                        flush()
                if batch:
                    flush()
            except CsvHeaderError as exc:
                fatal = str(exc)
            except UnicodeDecodeError as exc:
                fatal = f"{path}: not UTF-8 text ({exc.reason})"
            if fatal and batch:
                flush()  # the good rows read before the unreadable line are stored, as the summary says
        if fatal and not totals["received"] and not errors:
            raise CommandError(fatal)
        errors.sort(key=lambda e: e.row)
        if not quiet_errors:
            for error in errors:
                self.stderr.write(f"row {error.row}: {error.field}: {error.message}")
        self.stdout.write(
            f"{totals['received']} rows: {totals['created']} new, {totals['updated']} replaced, "
            f"{len(errors)} rejected; {totals['days']} station-days recomputed"
        )
        if fatal:
            raise CommandError(fatal + " (the rows before it are stored, see above)")
