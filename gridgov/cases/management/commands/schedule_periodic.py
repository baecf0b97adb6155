from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

#: gridgov's periodic tasks: each entry queues a task that re-queues itself, unless one is queued already.
PERIODIC = [
    ("overdue case escalation", "gridgov.cases.tasks.schedule_escalation"),
    ("tip reward proposals", "gridgov.tips.tasks.schedule_reward_proposals"),
    ("notice deliveries, reminders and escalation", "gridgov.notices.tasks.schedule_periodic"),
    ("campaign counters recount", "gridgov.campaigns.tasks.schedule_campaigns_recount"),
]


class Command(BaseCommand):
    help = (
        "Queues gridgov's periodic tasks (overdue escalation, tip reward proposals, notice reminders, the campaign recount) unless they "
        "are already queued. Idempotent; `make demo` and scripts/serve.sh run it before the worker starts."
    )

    def handle(self, *args, **options):
        for label, path in PERIODIC:
            queued = import_string(path)()
            self.stdout.write(f"{label}: {'scheduled' if queued else 'already scheduled'}")
