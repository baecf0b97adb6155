"""Building tips and moving them through the loop for the page and API tests."""

from gridgov.tips.services import tip_submit
from gridgov.tips.tests.conftest import close_case

NAME, PHONE = "王举报人", "13912345678"


def make_tip(territory, category, *, region=None, **extra):
    data = dict(
        category=category,
        region=region or territory.village_a1,
        description="村口小卖部在卖烟花爆竹",
        reporter_name=NAME,
        reporter_phone=PHONE,
    )
    data.update(extra)
    return tip_submit(**data)


def closed_with_reward(territory, category, **extra):
    from gridgov.tips.models import Reward
    from gridgov.tips.services import rewards_propose_for_closed_cases

    receipt = make_tip(territory, category, **extra)
    close_case(territory, receipt.tip.case)
    rewards_propose_for_closed_cases()
    return receipt, Reward.objects.get(tip=receipt.tip)


def count_queries(fn) -> int:
    """Queries ``fn`` runs. The connection's log is emptied first: it keeps at most 9,000 entries, and the shared
    territory fixture alone can fill it, after which a capture would count nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as context:
        fn()
    return len(context)
