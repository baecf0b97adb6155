"""Background work of the loop. django.tasks has no scheduler: the escalation task re-enqueues itself."""

from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone


@task()
def cases_escalate_task() -> int:
    from gridgov.cases.services.escalation import cases_escalate_overdue

    try:
        return cases_escalate_overdue()
    finally:
        schedule_escalation(delay_seconds=settings.GRIDGOV_ESCALATION_INTERVAL_SECONDS)


def schedule_escalation(*, delay_seconds: int = 0) -> bool:
    """Queues the next escalation run unless one is already waiting; True if one was queued."""
    from django_tasks_db.models import DBTaskResult

    backend = cases_escalate_task.get_backend()
    if backend.__class__.__module__.startswith("django_tasks_db"):
        waiting = DBTaskResult.objects.filter(
            task_path=cases_escalate_task.module_path, status__in=["READY", "RUNNING"]
        )
        if waiting.filter(status="READY").exists():
            return False
        cases_escalate_task.using(run_after=timezone.now() + timedelta(seconds=delay_seconds)).enqueue()
        return True
    return False
