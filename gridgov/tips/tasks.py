"""Background work of the tip line: proposing rewards for cases that closed. django.tasks has no scheduler, so
the task re-enqueues itself (as the cases app's escalation does); the reward officer's pages run the same sweep."""

from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone


@task()
def rewards_propose_task() -> int:
    from gridgov.tips.services import rewards_propose_for_closed_cases

    try:
        return rewards_propose_for_closed_cases()
    finally:
        schedule_reward_proposals(
            delay_seconds=getattr(settings, "GRIDGOV_TIP_PROPOSE_INTERVAL_SECONDS", 600)
        )


def schedule_reward_proposals(*, delay_seconds: int = 0) -> bool:
    """Queues the next sweep unless one is already waiting; True if one was queued."""
    backend = rewards_propose_task.get_backend()
    if not backend.__class__.__module__.startswith("django_tasks_db"):
        return False
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(task_path=rewards_propose_task.module_path, status="READY")
    if waiting.exists():
        return False
    rewards_propose_task.using(run_after=timezone.now() + timedelta(seconds=delay_seconds)).enqueue()
    return True
