from django.core.management.base import BaseCommand, CommandError

from gridgov.accounts.models import User
from gridgov.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Creates an API token for USERNAME and prints it (and nothing else) on standard output."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        if not user.is_active:
            raise CommandError(f"user {username!r} is inactive")
        _token, plain = api_token_create(actor=None, user=user, name=name or "create_token")
        self.stdout.write(plain)
