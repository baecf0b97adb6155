from django.core.management.base import BaseCommand

from gridgov.registry.columns import COLUMNS
from gridgov.registry.services.workbooks import write_template


class Command(BaseCommand):
    help = (
        "Writes an empty ledger template (.xlsx) with the import headers and a sheet explaining each column."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(COLUMNS))
        parser.add_argument("--out", required=True, help="the .xlsx file to write")

    def handle(self, *args, kind, out, **options):
        path = write_template(kind, out)
        self.stdout.write(f"template written: {path}")
