from django.core.management.base import BaseCommand
from tqdm import tqdm

from gridgov.notices.models import Delivery, DeliveryState
from gridgov.notices.services.notices import notices_escalate_overdue, notices_remind_due
from gridgov.notices.services.sending import deliveries_send_due


class Command(BaseCommand):
    help = "Runs reminders and escalation, then sends every delivery that is due now (what the worker's tasks do)."

    def add_arguments(self, parser):
        parser.add_argument("--notice", type=int, default=None, help="only this notice's deliveries")

    def handle(self, *args, notice=None, **options):
        reminded, escalated = notices_remind_due(), notices_escalate_overdue()
        due = Delivery.objects.filter(
            state__in=[DeliveryState.PENDING, DeliveryState.FAILED, DeliveryState.SENDING]
        )
        if notice:
            due = due.filter(notice_id=notice)
        sent = dead = failed = 0
        with tqdm(total=due.count(), unit="msg", disable=options.get("verbosity", 1) == 0) as bar:
            while True:
                stats = deliveries_send_due(notice_id=notice)
                sent, dead, failed = sent + stats.sent, dead + stats.dead, failed + stats.failed
                bar.update(stats.sent + stats.dead + stats.failed)
                if stats.claimed == 0 or stats.claimed == stats.deferred:
                    break
        self.stdout.write(
            f"reminded {reminded} grids, escalated {escalated}; sent {sent}, failed (will retry) {failed}, dead {dead}"
        )
