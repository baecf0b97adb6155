from django.core.management.base import BaseCommand

from gridgov.notices.tasks import schedule_periodic


class Command(BaseCommand):
    help = (
        "Queues the notices' periodic task (reminders before deadlines, escalation after them, a sweep of due "
        "deliveries) unless it is already queued. Idempotent."
    )

    def handle(self, *args, **options):
        queued = schedule_periodic()
        self.stdout.write(
            "notices periodic task scheduled" if queued else "notices periodic task already scheduled"
        )
