"""The transitions of the loop, one service each. Every transition locks the case row, checks the actor and the
current state, changes the case and writes its timeline event in one transaction: of two people acting on the same
case at once, one succeeds and the other gets a Conflict (409)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.cases.models import (
    CLOCK_STATES,
    Case,
    CaseEvent,
    CaseState,
    DeadlineUnit,
    ExtensionRequest,
)
from gridgov.cases.policies import CasePolicy
from gridgov.cases.services.counts import case_counts_change, contribution
from gridgov.core.audit import audit_record
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.territory.models import Department, Level, Region
from gridgov.worktime.calendar import get_calendar

S = CaseState


def deadline_from(start: datetime, value: int, unit: str) -> datetime:
    calendar = get_calendar()
    if unit == DeadlineUnit.HOURS:
        return calendar.add_working_hours(start, value)
    return calendar.add_working_days(start, value)


@dataclass
class Transition:
    case: Case
    event: CaseEvent


def _require_note(note: str, message: str) -> str:
    note = (note or "").strip()
    if not note:
        raise InvalidInput(message, fields={"note": [message]})
    return note


def _transition(
    *,
    actor,
    case: Case,
    action: str,
    allowed_from: tuple[str, ...],
    to_state: str | None,
    note: str = "",
    data: dict | None = None,
    mutate=None,
    allow_suspended: bool = False,
) -> Transition:
    """The common frame of every action: lock, check, change, record."""
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",))
            .select_related("region", "unit_township", "unit_department", "category")
            .get(pk=case.pk)
        )
        if actor is not None and not CasePolicy.can_take(actor, locked, action):
            raise NotAllowed(_("您不能对此案件执行该操作。"))
        if locked.state not in allowed_from:
            raise Conflict(
                _("案件当前状态为“%(state)s”，不能执行此操作。") % {"state": locked.get_state_display()},
                code="invalid_transition",
            )
        if locked.is_suspended and not allow_suspended:
            raise Conflict(_("案件挂账中，请先恢复。"), code="suspended")
        from_state = locked.state
        counted = contribution(locked)
        fields = set(mutate(locked) if mutate else [])
        if to_state and to_state != from_state:
            locked.state = to_state
            fields.add("state")
        locked.save(update_fields=[*sorted(fields), "updated_at"])
        case_counts_change(counted, locked)  # the indicators' day counters, in the same transaction
        event = CaseEvent.objects.create(
            case=locked,
            action=action,
            actor=actor,
            from_state=from_state,
            to_state=locked.state,
            note=note,
            data=data or {},
        )
        audit_record(
            actor=actor, action=f"case.{action}", obj=locked, changes={"from": from_state, "to": locked.state}
        )
    return Transition(case=locked, event=event)


def case_register(*, actor, case: Case, note: str = "") -> Transition:
    """立案 (supervisor)."""

    def mutate(c):
        c.registered_at = timezone.now()
        return ["registered_at"]

    return _transition(
        actor=actor,
        case=case,
        action="register",
        allowed_from=(S.REPORTED,),
        to_state=S.REGISTERED,
        note=note,
        mutate=mutate,
    )


def case_void(*, actor, case: Case, note: str) -> Transition:
    """作废/不予立案 (supervisor), with a reason."""
    note = _require_note(note, _("作废须说明理由。"))

    def mutate(c):
        c.voided_at = timezone.now()
        return ["voided_at"]

    return _transition(
        actor=actor,
        case=case,
        action="void",
        allowed_from=(S.REPORTED,),
        to_state=S.VOIDED,
        note=note,
        mutate=mutate,
    )


def case_dispatch(
    *,
    actor,
    case: Case,
    department: Department | None = None,
    township: Region | None = None,
    assignee: User | None = None,
    note: str = "",
) -> Transition:
    """派遣 (commander) to one unit, a department or a township, optionally to a named person. The deadline
    clock starts now, in working time, from the category's time limit."""
    if (department is None) == (township is None):
        raise InvalidInput(
            _("请指定一个责任单位：部门或乡镇。"), fields={"unit": [_("请指定一个责任单位：部门或乡镇。")]}
        )
    if township is not None and township.level != Level.TOWNSHIP:
        raise InvalidInput(fields={"unit": [_("责任乡镇须为乡镇(街道)。")]})
    if department is not None and not department.is_active:
        raise InvalidInput(fields={"unit": [_("该部门已停用。")]})

    def mutate(c):
        now = timezone.now()
        c.unit_department, c.unit_township, c.assignee = department, township, None
        if assignee is not None and not CasePolicy.is_unit_member(assignee, c):
            raise InvalidInput(fields={"assignee": [_("责任人须属于责任单位。")]})
        c.assignee = assignee
        c.dispatched_at = now
        c.due_at = deadline_from(now, c.category.deadline_value, c.category.deadline_unit)
        c.is_overdue = False
        return ["unit_department", "unit_township", "assignee", "dispatched_at", "due_at", "is_overdue"]

    unit = department.name if department else township.name
    return _transition(
        actor=actor,
        case=case,
        action="dispatch",
        allowed_from=(S.REGISTERED,),
        to_state=S.DISPATCHED,
        note=note,
        data={"unit": unit, "assignee": assignee.username if assignee else ""},
        mutate=mutate,
    )


def case_accept(*, actor, case: Case, note: str = "") -> Transition:
    """签收 (the responsible unit)."""

    def mutate(c):
        c.accepted_at = timezone.now()
        return ["accepted_at"]

    return _transition(
        actor=actor,
        case=case,
        action="accept",
        allowed_from=(S.DISPATCHED,),
        to_state=S.HANDLING,
        note=note,
        mutate=mutate,
    )


def case_return(*, actor, case: Case, note: str) -> Transition:
    """回退 (the unit: not ours), with a reason; the case goes back to the commander and the clock stops."""
    note = _require_note(note, _("回退须说明理由。"))

    def mutate(c):
        c.return_count += 1
        c.unit_department = c.unit_township = c.assignee = None
        c.dispatched_at = c.due_at = None
        c.is_overdue = False
        return [
            "return_count",
            "unit_department",
            "unit_township",
            "assignee",
            "dispatched_at",
            "due_at",
            "is_overdue",
        ]

    return _transition(
        actor=actor,
        case=case,
        action="return",
        allowed_from=(S.DISPATCHED,),
        to_state=S.REGISTERED,
        note=note,
        mutate=mutate,
    )


def case_resolve(*, actor, case: Case, note: str) -> Transition:
    """处理反馈 (the unit): what was done; evidence photos are attached to the returned event."""
    note = _require_note(note, _("请填写处置情况。"))

    def mutate(c):
        c.resolved_at = timezone.now()
        return ["resolved_at"]

    return _transition(
        actor=actor,
        case=case,
        action="resolve",
        allowed_from=(S.HANDLING,),
        to_state=S.RESOLVED,
        note=note,
        mutate=mutate,
    )


def case_close(*, actor, case: Case, note: str = "") -> Transition:
    """核查通过，结案 (supervisor, after on-site verification)."""

    def mutate(c):
        c.closed_at = timezone.now()
        return ["closed_at"]

    return _transition(
        actor=actor,
        case=case,
        action="close",
        allowed_from=(S.RESOLVED,),
        to_state=S.CLOSED,
        note=note,
        mutate=mutate,
    )


def case_rework(*, actor, case: Case, note: str) -> Transition:
    """核查不通过，返工 (supervisor): back to the unit, counted; the deadline does not move."""
    note = _require_note(note, _("返工须说明核查发现的问题。"))

    def mutate(c):
        c.rework_count += 1
        c.resolved_at = None
        return ["rework_count", "resolved_at"]

    return _transition(
        actor=actor,
        case=case,
        action="rework",
        allowed_from=(S.RESOLVED,),
        to_state=S.HANDLING,
        note=note,
        mutate=mutate,
    )


def case_request_extension(*, actor, case: Case, note: str, value: int, unit: str) -> Transition:
    """延期申请 (the unit). One pending request per case."""
    note = _require_note(note, _("请说明延期理由。"))
    if unit not in DeadlineUnit.values or not 1 <= int(value) <= 60:
        raise InvalidInput(fields={"value": [_("延期时长应为 1–60 个工作日或工作时。")]})

    def mutate(c):
        if c.extension_requests.filter(state=ExtensionRequest.State.PENDING).exists():
            raise Conflict(_("已有待审批的延期申请。"), code="extension_pending")
        ExtensionRequest.objects.create(
            case=c, requested_by=actor, reason=note, extra_value=value, extra_unit=unit
        )
        return []

    return _transition(
        actor=actor,
        case=case,
        action="request_extension",
        allowed_from=CLOCK_STATES,
        to_state=None,
        note=note,
        data={"value": int(value), "unit": unit},
        mutate=mutate,
    )


def _decide_extension(*, actor, case: Case, note: str, approve: bool) -> Transition:
    def mutate(c):
        request = c.extension_requests.filter(state=ExtensionRequest.State.PENDING).first()
        if request is None:
            raise Conflict(_("没有待审批的延期申请。"), code="no_pending_extension")
        request.state = ExtensionRequest.State.APPROVED if approve else ExtensionRequest.State.REFUSED
        request.decided_by, request.decided_at, request.decision_note = actor, timezone.now(), note[:200]
        request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        if not approve:
            return []
        c.due_at = deadline_from(c.due_at, request.extra_value, request.extra_unit)
        c.extension_count += 1
        c.is_overdue = c.due_at < timezone.now()
        return ["due_at", "extension_count", "is_overdue"]

    return _transition(
        actor=actor,
        case=case,
        action="approve_extension" if approve else "refuse_extension",
        allowed_from=CLOCK_STATES,
        to_state=None,
        note=note,
        mutate=mutate,
    )


def case_approve_extension(*, actor, case: Case, note: str = "") -> Transition:
    """延期审批：批准 (commander); the deadline moves by the requested working time."""
    return _decide_extension(actor=actor, case=case, note=note, approve=True)


def case_refuse_extension(*, actor, case: Case, note: str) -> Transition:
    """延期审批：驳回 (commander), with a reason."""
    note = _require_note(note, _("驳回须说明理由。"))
    return _decide_extension(actor=actor, case=case, note=note, approve=False)


def case_suspend(*, actor, case: Case, note: str) -> Transition:
    """挂账/缓办 (commander): the clock stops until the case resumes."""
    note = _require_note(note, _("挂账须说明理由。"))

    def mutate(c):
        c.is_suspended, c.suspended_at = True, timezone.now()
        return ["is_suspended", "suspended_at"]

    return _transition(
        actor=actor,
        case=case,
        action="suspend",
        allowed_from=(S.REGISTERED, *CLOCK_STATES),
        to_state=None,
        note=note,
        mutate=mutate,
    )


def case_resume(*, actor, case: Case, note: str = "") -> Transition:
    """恢复 (commander): the deadline is pushed back by exactly the working time that was left at suspension."""

    def mutate(c):
        if not c.is_suspended:
            raise Conflict(_("案件未挂账。"), code="not_suspended")
        now = timezone.now()
        fields = ["is_suspended", "suspended_at"]
        if c.due_at is not None:
            calendar = get_calendar()
            left = (
                calendar.working_time_between(c.suspended_at, c.due_at)
                if c.due_at > c.suspended_at
                else timedelta(0)
            )
            c.due_at = calendar.add_working_hours(now, left) if left else now
            c.is_overdue = c.due_at < now
            fields += ["due_at", "is_overdue"]
        c.is_suspended, c.suspended_at = False, None
        return fields

    return _transition(
        actor=actor,
        case=case,
        action="resume",
        allowed_from=(S.REGISTERED, *CLOCK_STATES),
        to_state=None,
        note=note,
        mutate=mutate,
        allow_suspended=True,
    )
