"""`gridgov schedule_periodic` queues each periodic task once, on the production task queue (django-tasks-db)."""

from django.core.management import call_command
from django.test.utils import override_settings

from gridgov.cases.management.commands.schedule_periodic import PERIODIC


def test_each_periodic_task_is_queued_once(db, capsys):
    from django_tasks_db.models import DBTaskResult

    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        call_command("schedule_periodic")
        first = capsys.readouterr().out
        queued = sorted(DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True))
        call_command("schedule_periodic")
        second = capsys.readouterr().out
        again = sorted(DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True))
    assert len(queued) == len(PERIODIC) == len(set(queued))
    assert again == queued  # nothing queued twice
    for label, _path in PERIODIC:
        assert f"{label}: scheduled" in first
        assert f"{label}: already scheduled" in second
