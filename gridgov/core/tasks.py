"""Periodic work without a scheduler: django.tasks has none, so a periodic task queues its own next run."""

from datetime import timedelta

from django.utils import timezone


def enqueue_once(task, *, delay_seconds: int = 0) -> bool:
    """Queues ``task`` to run ``delay_seconds`` from now unless a run of it is already waiting; True if queued.

    Only on the database queue (django-tasks-db, production): the immediate backend of the tests cannot defer,
    and queuing there would run the task at once, forever."""
    if not task.get_backend().__class__.__module__.startswith("django_tasks_db"):
        return False
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=task.module_path, status="READY").exists():
        return False
    task.using(run_after=timezone.now() + timedelta(seconds=delay_seconds)).enqueue()
    return True
