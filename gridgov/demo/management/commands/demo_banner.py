from django.conf import settings
from django.core.management.base import BaseCommand

from gridgov.demo.accounts import DEMO_ACCOUNTS


class Command(BaseCommand):
    help = "Prints the address of the running platform and the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, port, **options):
        lines = [
            "",
            f"  gridgov is starting on http://127.0.0.1:{port}/",
            f"  demo accounts (password: {settings.GRIDGOV_DEMO_PASSWORD}):",
            *(f"    {a.username:<11} {a.description}" for a in DEMO_ACCOUNTS),
            "  Ctrl-C stops the server and the task worker.",
            "",
        ]
        self.stdout.write("\n".join(lines))
