from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gridgov.accounts.models import User
from gridgov.campaigns.models import Campaign
from gridgov.campaigns.services.imports import commitment_import
from gridgov.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Records a spreadsheet of signed paper commitment letters (户编号/统一社会信用代码, 签字人, 签署日期)."

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="campaign code")
        parser.add_argument("file", help=".xlsx or .csv")
        parser.add_argument("--user", help="import as this user (their scope applies; default: the system)")

    def handle(self, *args, campaign, file, user, **options):
        target = Campaign.objects.filter(code=campaign).first()
        if target is None:
            raise CommandError(f"no campaign with code {campaign}")
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user named {user!r}")
        bar = tqdm(desc="rows read", unit="row")

        def progress(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            result = commitment_import(actor=actor, campaign=target, path=file, progress=progress)
        except ApplicationError as exc:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip()) from exc
        finally:
            bar.close()
        for error in result.errors:
            self.stdout.write(f"row {error.row} [{error.column}]: {error.message}")
        self.stdout.write(
            f"{result.created} signed, {result.skipped} already signed, {len(result.errors)} rejected "
            f"of {result.total} rows"
        )
