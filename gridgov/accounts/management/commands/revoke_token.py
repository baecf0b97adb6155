from django.core.management.base import BaseCommand, CommandError

from gridgov.accounts.models import ApiToken
from gridgov.accounts.services import api_token_revoke, token_digest


class Command(BaseCommand):
    help = "Revokes an API token, given the token itself or --all USERNAME."

    def add_arguments(self, parser):
        parser.add_argument("token", nargs="?")
        parser.add_argument("--all", metavar="USERNAME", help="revoke every live token of this user")

    def handle(self, *args, token, all, **options):
        if all:
            tokens = list(ApiToken.objects.filter(user__username=all, revoked_at__isnull=True))
        elif token:
            tokens = list(ApiToken.objects.filter(digest=token_digest(token)))
            if not tokens:
                raise CommandError("no such token")
        else:
            raise CommandError("give a token, or --all USERNAME")
        for item in tokens:
            api_token_revoke(actor=None, token=item)
        self.stdout.write(f"revoked {len(tokens)} token(s)")
