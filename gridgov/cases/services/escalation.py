"""Finding overdue cases and escalating them (督办): flagged, told to the commander and the unit, on the timeline."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.models import CLOCK_STATES, Case, CaseEvent
from gridgov.core.models import Notification
from gridgov.core.roles import Role
from gridgov.territory.models import Grant, subtree_range

BATCH = 500


def _recipients(case: Case) -> set[int]:
    """Commanders whose region covers the case, and the responsible unit's people."""
    ancestors = case.region.ancestor_codes()
    users = set(
        Grant.objects.filter(
            role=Role.COMMANDER, region__code__in=ancestors, region__is_active=True
        ).values_list("user_id", flat=True)
    )
    if case.assignee_id:
        users.add(case.assignee_id)
    if case.unit_department_id:
        users |= set(
            Grant.objects.filter(
                role=Role.DEPARTMENT_OFFICER, department_id=case.unit_department_id
            ).values_list("user_id", flat=True)
        )
    elif case.unit_township_id:
        low, high = subtree_range(case.unit_township.path)
        users |= set(
            Grant.objects.filter(role=Role.TOWNSHIP_OFFICER, region__path__gte=low, region__path__lt=high)
            .filter(region__level="township")
            .values_list("user_id", flat=True)
        )
    return users


def cases_escalate_overdue(*, now=None) -> int:
    """Flags every case past its deadline that is not yet flagged; returns how many were escalated."""
    now = now or timezone.now()
    escalated = 0
    while True:
        ids = list(
            Case.objects.filter(state__in=CLOCK_STATES, is_suspended=False, is_overdue=False, due_at__lt=now)
            .order_by("due_at")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return escalated
        for case_id in ids:
            escalated += _escalate(case_id, now)


@transaction.atomic
def _escalate(case_id: int, now) -> int:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("region", "unit_township", "unit_department")
        .filter(pk=case_id, is_overdue=False, is_suspended=False, state__in=CLOCK_STATES, due_at__lt=now)
        .first()
    )
    if case is None:  # resolved or resumed meanwhile
        return 0
    case.is_overdue, case.escalated_at = True, now
    case.save(update_fields=["is_overdue", "escalated_at", "updated_at"])
    unit = case.unit.name if case.unit else ""
    CaseEvent.objects.create(
        case=case,
        action="escalate",
        actor=None,
        from_state=case.state,
        to_state=case.state,
        note=_("已超过处置时限，系统督办（责任单位：%(unit)s）") % {"unit": unit},
    )
    title = _("超期督办：%(number)s %(title)s") % {"number": case.number, "title": case.title}
    Notification.objects.bulk_create(
        [
            Notification(recipient_id=user_id, title=title[:200], url=f"/cases/{case.pk}/", body=unit)
            for user_id in _recipients(case)
        ]
    )
    return 1
