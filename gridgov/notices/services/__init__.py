"""Writes of the notices app. Public functions other apps call:

- ``notice_create(*, actor, title, body, regions, audience=None, requires_ack=False, deadline=None, priority=None)
  -> Notice``: drafts a notice to every grid below ``regions`` (``actor=None`` for the system, e.g. air-quality
  warnings).
- ``notice_publish(*, actor, notice) -> Notice``: publishes it; the fan-out to grid groups, SMS and in-app notices
  runs in the background (django.tasks, enqueued on commit).

Also here: ``notice_withdraw``, ``notice_grid_ack``, ``receipt_open``, ``receipt_ack``, ``notices_remind_due``,
``notices_escalate_overdue`` (notices.py); ``grid_group_upsert``, ``grid_groups_import``, ``grid_group_test``
(groups.py); ``deliveries_send_due``, ``deliveries_retry_dead`` (sending.py); ``notice_report_add``,
``notice_report_to_case`` (reports.py).
"""

from gridgov.notices.services.notices import (
    notice_create,
    notice_fan_out,
    notice_grid_ack,
    notice_publish,
    notice_withdraw,
    notices_escalate_overdue,
    notices_remind_due,
    receipt_ack,
    receipt_open,
)

__all__ = [
    "notice_create",
    "notice_fan_out",
    "notice_grid_ack",
    "notice_publish",
    "notice_withdraw",
    "notices_escalate_overdue",
    "notices_remind_due",
    "receipt_ack",
    "receipt_open",
]
