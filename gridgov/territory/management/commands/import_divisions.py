from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gridgov.core.exceptions import ApplicationError
from gridgov.territory.services import divisions_import, read_divisions_csv


class Command(BaseCommand):
    help = (
        "Loads a divisions file (CSV: code,name,level,parent_code). Idempotent; a bad row rejects the file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            rows = read_divisions_csv(file)
        except FileNotFoundError as exc:
            raise CommandError(f"file not found: {file}") from exc
        except (UnicodeDecodeError, ApplicationError) as exc:
            raise CommandError(f"{file}: {getattr(exc, 'message', exc)}") from exc
        with tqdm(total=len(rows), desc="区划", unit="行", disable=options["verbosity"] < 1) as bar:
            try:
                result = divisions_import(actor=None, rows=rows, progress=bar.update)
            except ApplicationError as exc:
                bar.close()
                raise CommandError("\n".join(exc.fields.get("rows", [str(exc.message)]))) from exc
        self.stdout.write(
            f"{len(rows)} rows: {result.created} created, {result.renamed} renamed, {result.unchanged} unchanged"
        )
