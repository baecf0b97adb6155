from django.core.management.base import BaseCommand, CommandError

from gridgov.accounts.models import User
from gridgov.core.exceptions import ApplicationError
from gridgov.registry.services.exporting import SPECS, registry_export
from gridgov.territory.models import Region


class Command(BaseCommand):
    help = "Exports a ledger (.xlsx, Chinese headers, masked personal data) for a region."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(SPECS))
        parser.add_argument("--region", required=True, help="region code, e.g. 411627 or 411627101")
        parser.add_argument("--out", required=True)
        parser.add_argument("--by-township", action="store_true", help="one sheet per township")
        parser.add_argument("--user", help="export as this user (their scope and permissions apply)")
        parser.add_argument(
            "--unmask", action="store_true", help="clear ID numbers and phones (needs --user and --reason)"
        )
        parser.add_argument("--reason", default="")

    def handle(self, *args, kind, region, out, by_township, user, unmask, reason, **options):
        node = Region.objects.filter(code=region).first()
        if node is None:
            raise CommandError(f"no region with code {region}")
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user named {user!r}")
        if unmask and actor is None:
            raise CommandError("--unmask needs --user (the unmasking is logged against a person)")
        try:
            count = registry_export(
                actor=actor,
                kind=kind,
                region=node,
                path=out,
                by_township=by_township,
                unmask=unmask,
                reason=reason,
            )
        except ApplicationError as exc:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip()) from exc
        self.stdout.write(f"{count} rows written to {out}")
