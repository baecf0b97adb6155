"""The demo content, the periodic task and the commands."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from gridgov.conftest import make_user
from gridgov.core.roles import Role
from gridgov.notices.demo import DEMO_TITLE, demo_load
from gridgov.notices.models import (
    Channel,
    Delivery,
    DeliveryState,
    GridGroup,
    Notice,
    NoticeGrid,
    NoticeReport,
)
from gridgov.notices.services import notice_create
from gridgov.notices.tasks import notices_periodic_task, schedule_periodic
from gridgov.territory.services import grant_add

pytestmark = pytest.mark.django_db


def test_demo_load_is_idempotent_and_partly_acknowledged(territory):
    for username, region in (("changying", territory.township_a), ("wangji", territory.township_b)):
        grant_add(actor=None, user=make_user(username), role=Role.TOWNSHIP_OFFICER, region=region)
    grant_add(actor=None, user=make_user("grid1"), role=Role.GRID_WORKER, region=territory.grid_a1_1)
    created = demo_load(today=dt.date.today(), households=0)
    assert created > 0
    notice = Notice.objects.get(title=DEMO_TITLE)
    grids = NoticeGrid.objects.filter(notice=notice)
    assert 0 < grids.filter(acked_at__isnull=False).count() < grids.count()
    assert not grids.get(grid=territory.grid_a1_1).acked_at
    assert NoticeReport.objects.filter(notice_grid__notice=notice, outcome="problem").count() == 1
    assert set(GridGroup.objects.values_list("channel", flat=True)) == {Channel.NONE}
    assert not Delivery.objects.exists()  # the demo never sends traffic outside
    assert demo_load(today=dt.date.today(), households=0) == 0
    assert Notice.objects.count() == 2


def test_periodic_task_reminds_escalates_and_sends(territory, groups, receiver, publish):
    notice = notice_create(
        actor=territory.user("admin"),
        title="t",
        body="b",
        regions=[territory.township_b],
        requires_ack=True,
        deadline=timezone.now() + dt.timedelta(hours=1),
    )
    publish(territory.user("admin"), notice)
    result = notices_periodic_task.call()
    assert result["reminded"] == 4 and result["escalated"] == 0
    assert Delivery.objects.filter(notice=notice, kind="reminder", state=DeliveryState.SENT).count() == 3
    assert schedule_periodic() is False  # the immediate backend cannot defer: nothing queued


def test_commands(territory, groups, receiver, publish, capsys):
    call_command("notices_schedule")
    notice = notice_create(actor=territory.user("admin"), title="t", body="b", regions=[territory.township_a])
    from gridgov.notices.services import notice_fan_out, notice_publish

    notice_publish(actor=None, notice=notice)
    notice_fan_out(notice_id=notice.pk)  # outside a commit: queued, not yet sent
    assert Delivery.objects.filter(notice=notice, state=DeliveryState.PENDING).count() == 4
    call_command("notices_send", verbosity=0)
    assert Delivery.objects.filter(notice=notice, state=DeliveryState.SENT).count() == 4
    assert "sent 4" in capsys.readouterr().out


def test_with_the_database_queue_tasks_reschedule_themselves(territory, groups, receiver, settings):
    """django-tasks-db (production): the send task queues itself for the next retry with run_after, and the
    periodic task is queued once."""
    from django.test.utils import override_settings
    from django_tasks_db.models import DBTaskResult

    from gridgov.notices.services import notice_fan_out, notice_publish
    from gridgov.notices.tasks import deliveries_send_task

    receiver.script(f"wc{territory.grid_a1_1.code}", "http500")
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        assert schedule_periodic() is True
        assert schedule_periodic() is False  # already waiting
        notice = notice_create(
            actor=territory.user("admin"), title="t", body="b", regions=[territory.township_a]
        )
        notice_publish(actor=None, notice=notice)
        notice_fan_out(notice_id=notice.pk)
        sent = deliveries_send_task.call(notice.pk)
        assert sent == 3
        failed = Delivery.objects.get(notice=notice, state=DeliveryState.FAILED)
        queued = DBTaskResult.objects.filter(task_path=deliveries_send_task.module_path, status="READY")
        assert queued.count() == 1
        assert abs((queued.get().run_after - failed.next_attempt_at).total_seconds()) < 2
