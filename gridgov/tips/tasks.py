"""Background work of the tip line: proposing rewards for cases that closed, and purging stale rate-limit rows. django.tasks has no scheduler, so
the task re-enqueues itself (as the cases app's escalation does); the reward officer's pages run the same sweep."""

from django.conf import settings
from django.tasks import task

from gridgov.core.tasks import enqueue_once


@task()
def rewards_propose_task() -> int:
    from gridgov.tips.services import rate_keys_purge, rewards_propose_for_closed_cases

    try:
        rate_keys_purge()
        return rewards_propose_for_closed_cases()
    finally:
        schedule_reward_proposals(
            delay_seconds=getattr(settings, "GRIDGOV_TIP_PROPOSE_INTERVAL_SECONDS", 600)
        )


def schedule_reward_proposals(*, delay_seconds: int = 0) -> bool:
    """Queues the next sweep unless one is already waiting; True if one was queued."""
    return enqueue_once(rewards_propose_task, delay_seconds=delay_seconds)
