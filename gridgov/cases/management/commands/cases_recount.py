"""Rebuilds the indicators' day counters (CaseDayCount) from the cases, or with --check only compares them."""

from django.core.management.base import BaseCommand, CommandError

from gridgov.cases.models import Case, CaseDayCount
from gridgov.cases.services.counts import counts_rebuild, difference, recount, stored


class Command(BaseCommand):
    help = "按案件重新计算统计指标的日计数（--check 只核对，不写入）"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只核对日计数与案件是否一致")

    def handle(self, *args, check=False, **options):
        if check:
            wrong = difference(recount(Case), stored(CaseDayCount))
            if wrong:
                for key, row in sorted(wrong.items())[:20]:
                    self.stderr.write(f"{key}: {row}")
                raise CommandError(f"日计数与案件不一致：{len(wrong)} 行。请运行 cases_recount 重建。")
            self.stdout.write("日计数与案件一致。")
            return
        rows = counts_rebuild()
        self.stdout.write(f"已按案件重建日计数：{rows} 行。")
