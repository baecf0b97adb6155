from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from gridgov.tips.services import rewards_propose_for_closed_cases
from gridgov.tips.tasks import schedule_reward_proposals


class Command(BaseCommand):
    help = _("为已结案且可获奖励的举报案件提出奖励（--schedule 另排定周期任务）。")

    def add_arguments(self, parser):
        parser.add_argument("--schedule", action="store_true", help=_("排定周期性的奖励提出任务"))

    def handle(self, *args, schedule=False, **options):
        made = rewards_propose_for_closed_cases()
        self.stdout.write(_("提出奖励 %(n)d 项。") % {"n": made})
        if schedule:
            queued = schedule_reward_proposals()
            self.stdout.write(_("已排定周期任务。") if queued else _("周期任务已在队列中。"))
