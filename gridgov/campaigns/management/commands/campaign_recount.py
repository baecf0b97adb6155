from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gridgov.campaigns.models import Campaign
from gridgov.campaigns.services.counters import campaign_recount


class Command(BaseCommand):
    help = (
        "Rebuilds campaigns' per-grid counters from the raw rows (targets follow the registry: run it nightly, "
        "or after a large registry import)."
    )

    def add_arguments(self, parser):
        parser.add_argument("codes", nargs="*", help="campaign codes (default: every active campaign)")

    def handle(self, *args, codes, **options):
        campaigns = (
            Campaign.objects.filter(code__in=codes)
            if codes
            else Campaign.objects.filter(state=Campaign.State.ACTIVE)
        )
        campaigns = list(campaigns.order_by("id"))
        missing = set(codes) - {c.code for c in campaigns}
        if missing:
            raise CommandError(f"no campaign with code {', '.join(sorted(missing))}")
        for campaign in tqdm(campaigns, desc="recount", unit="campaign", disable=not campaigns):
            rows = campaign_recount(actor=None, campaign=campaign)
            self.stdout.write(f"{campaign.code}: {rows} counter rows")
