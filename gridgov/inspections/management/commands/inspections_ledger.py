"""``gridgov inspections_ledger findings out.xlsx [--user NAME]``: writes the ledger of inspections or of hazards
(隐患台账) for the whole county, or for what one user may see, with a progress bar. For large exports that a page
download would make someone wait for."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gridgov.accounts.models import User
from gridgov.inspections import documents, selectors
from gridgov.inspections.models import Finding, Inspection


class Command(BaseCommand):
    help = "Writes the ledger of inspections or of hazards (findings) as .xlsx, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["inspections", "findings"])
        parser.add_argument("path", type=Path, help="the .xlsx file to write")
        parser.add_argument("--user", help="only what this user may see (default: the whole county)")

    def handle(self, *args, kind: str, path: Path, user: str | None = None, **options):
        if path.suffix.lower() != ".xlsx":
            raise CommandError("The output file must end in .xlsx.")
        account = None
        if user:
            account = User.objects.filter(username=user, is_active=True).first()
            if account is None:
                raise CommandError(f"No active user {user!r}.")
        if kind == "inspections":
            qs = selectors.inspection_list(user=account) if account else Inspection.objects.all()
            writer = documents.inspections_xlsx
        else:
            qs = selectors.finding_list(user=account) if account else Finding.objects.all()
            writer = documents.findings_xlsx
        total = qs.count()
        with tqdm(total=total, unit="row", disable=options["verbosity"] == 0) as bar:
            rows = writer(qs, str(path), progress=bar.update)
        self.stdout.write(f"{rows} rows written to {path}")
