"""Background work of the loop. django.tasks has no scheduler: the escalation task re-enqueues itself."""

from django.conf import settings
from django.tasks import task

from gridgov.core.tasks import enqueue_once


@task()
def cases_escalate_task() -> int:
    from gridgov.cases.services.escalation import cases_escalate_overdue

    try:
        return cases_escalate_overdue()
    finally:
        schedule_escalation(delay_seconds=settings.GRIDGOV_ESCALATION_INTERVAL_SECONDS)


def schedule_escalation(*, delay_seconds: int = 0) -> bool:
    """Queues the next escalation run unless one is already waiting; True if one was queued."""
    return enqueue_once(cases_escalate_task, delay_seconds=delay_seconds)
