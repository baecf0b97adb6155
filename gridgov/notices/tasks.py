"""Background work of the notices app. django.tasks has no retries and no scheduler: the send task re-enqueues
itself (``run_after``) while deliveries wait for a retry, and the periodic task (reminders, escalation, a sweep
of due deliveries) re-enqueues itself like the cases escalation does. Tasks take ids and call services."""

from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from gridgov.core.tasks import enqueue_once


def _supports_defer(task_obj) -> bool:
    return bool(getattr(task_obj.get_backend(), "supports_defer", False))


@task()
def notice_fan_out_task(notice_id: int) -> int:
    from gridgov.notices.services.notices import notice_fan_out

    return notice_fan_out(notice_id=notice_id)


@task()
def deliveries_send_task(notice_id: int | None = None) -> int:
    """Sends every due delivery (of one notice, or all), batch after batch, then schedules itself for the next
    retry if any delivery is waiting."""
    from gridgov.notices.services.sending import deliveries_send_due, next_due_at

    sent = 0
    while True:
        stats = deliveries_send_due(notice_id=notice_id)
        sent += stats.sent
        if stats.claimed == 0 or stats.claimed == stats.deferred:
            break
    due = next_due_at(notice_id=notice_id)
    if due is not None and _supports_defer(deliveries_send_task):
        deliveries_send_task.using(run_after=max(due, timezone.now() + timedelta(seconds=1))).enqueue(
            notice_id
        )
    return sent


@task()
def notices_periodic_task() -> dict:
    from gridgov.notices.services.notices import notices_escalate_overdue, notices_remind_due
    from gridgov.notices.services.sending import deliveries_send_due

    try:
        reminded = notices_remind_due()
        escalated = notices_escalate_overdue()
        sent = 0
        while True:
            stats = deliveries_send_due()
            sent += stats.sent
            if stats.claimed == 0 or stats.claimed == stats.deferred:
                break
        return {"reminded": reminded, "escalated": escalated, "sent": sent}
    finally:
        schedule_periodic(delay_seconds=getattr(settings, "GRIDGOV_NOTICES_PERIODIC_SECONDS", 300))


def schedule_periodic(*, delay_seconds: int = 0) -> bool:
    """Queues the next periodic run unless one is already waiting; True if one was queued."""
    return enqueue_once(notices_periodic_task, delay_seconds=delay_seconds)
