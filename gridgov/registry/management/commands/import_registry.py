from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gridgov.accounts.models import User
from gridgov.core.exceptions import ApplicationError
from gridgov.registry.readers import read_table
from gridgov.registry.services.importing import IMPORTERS, registry_import
from gridgov.registry.services.workbooks import write_error_report

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = "Imports a ledger (.xlsx or .csv: UTF-8, UTF-8 with BOM or GB18030). Good rows are stored, bad rows reported."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(IMPORTERS))
        parser.add_argument("file")
        parser.add_argument("--user", help="import as this user (their scope applies); default: the system")
        parser.add_argument(
            "--report", help="where to write the error report (.xlsx); default: FILE.errors.xlsx"
        )

    def handle(self, *args, kind, file, user=None, report=None, **options):
        path = Path(file)
        if not path.exists():
            raise CommandError(f"file not found: {file}")
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user named {user!r}")
        try:
            table = read_table(path)
            with tqdm(total=table.total, desc=kind, unit="行", disable=options["verbosity"] < 1) as bar:

                def progress(result):
                    bar.update(result.processed - bar.n)

                result = registry_import(actor=actor, kind=kind, table=table, progress=progress)
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            f"{kind}: created {result.created}, updated {result.updated}, "
            f"unchanged {result.unchanged}, rejected {result.rejected}"
        )
        if result.errors:
            report_path = Path(report) if report else path.with_name(path.stem + ".errors.xlsx")
            write_error_report(result.errors, report_path)
            for error in result.errors[:SHOWN_ERRORS]:
                column = f"「{error.column}」" if error.column else ""
                self.stdout.write(f"  第 {error.row} 行{column}：{error.reason}")
            if len(result.errors) > SHOWN_ERRORS:
                self.stdout.write(f"  … {len(result.errors) - SHOWN_ERRORS} more")
            self.stdout.write(f"error report: {report_path}")
