from django.core.management.base import BaseCommand

from gridgov.cases.tasks import schedule_escalation


class Command(BaseCommand):
    help = "Queues gridgov's periodic tasks (overdue escalation) unless they are already queued. Idempotent."

    def handle(self, *args, **options):
        queued = schedule_escalation()
        self.stdout.write("escalation scheduled" if queued else "escalation already scheduled")
