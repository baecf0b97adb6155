"""Rectifications (整改通知): issued from an inspection's findings, tracked as a case in the closed loop, closed or
reopened by re-inspection (复查).

The case carries the deadline: it is filed (source 督查检查), registered and dispatched to the responsible unit by
the system, and its ``due_at`` is set to the rectification's deadline, so the loop's own escalation
(``cases_escalate_overdue``) flags and notifies an overdue rectification like any overdue case.
"""

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.models import Case, CaseSource, CaseState, Category
from gridgov.cases.services import intake, loop
from gridgov.core.audit import audit_record
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.inspections.models import Finding, Inspection, NoticeCounter, Rectification, Severity
from gridgov.inspections.policies import InspectionPolicy
from gridgov.territory.models import Department
from gridgov.worktime.calendar import get_calendar


def next_notice_number(year: int) -> str:
    """'ZG' + year + a 5-digit yearly sequence, taken with one UPDATE … RETURNING (the row lock lasts until the
    caller's transaction commits)."""
    NoticeCounter.objects.get_or_create(year=year)
    table = connection.ops.quote_name(NoticeCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE year = %s RETURNING last", [year])
        (last,) = cursor.fetchone()
    return f"ZG{year}{last:05d}"


def deadline_days(findings) -> int:
    """The working days allowed: the shortest of the failed items' limits (the most urgent hazard sets it)."""
    return min(f.item.deadline_days for f in findings)


def _lead_finding(findings):
    """The finding that names the case: the first major hazard, else the first one."""
    return next((f for f in findings if f.severity == Severity.MAJOR), findings[0])


def _category(code: str) -> Category:
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        category = Category.objects.filter(code="other_general", is_active=True).first()
    if category is None:
        raise InvalidInput(fields={"category": [_("案件类别“%(code)s”不存在或已停用。") % {"code": code}]})
    return category


def _responsible_department(inspection: Inspection, category: Category) -> Department:
    """For a place, the department the category names (应急管理局 for a fireworks shop's hazards); for the work of
    a township, and whenever the category names none, the plan's organising department."""
    if inspection.place_id and category.default_department_code:
        department = Department.objects.filter(
            county_id=inspection.plan.county_id, code=category.default_department_code, is_active=True
        ).first()
        if department is not None:
            return department
    return inspection.plan.department


def _case_text(rectification: Rectification, findings) -> tuple[str, str]:
    title = _("整改：%(party)s（%(n)d 项隐患）") % {"party": rectification.party_name, "n": len(findings)}
    lines = [
        _("整改通知书 %(number)s，整改期限 %(due)s。")
        % {
            "number": rectification.number,
            "due": timezone.localtime(rectification.due_at).strftime("%Y-%m-%d %H:%M"),
        }
    ]
    lines += [
        f"{i}. [{f.get_severity_display()}] {f.item.text}：{f.description}" for i, f in enumerate(findings, 1)
    ]
    if rectification.stop_required:
        lines.append(_("存在重大隐患，责令停止相关经营活动，整改合格前不得恢复。"))
    return title[:100], "\n".join(lines)


def _set_case_deadline(case: Case, due_at) -> None:
    # The loop's dispatch sets the category's time limit; an inspection's order sets its own deadline, and the
    # case must carry it for the escalation to see it. Only these two columns change.
    Case.objects.filter(pk=case.pk).update(due_at=due_at, is_overdue=False, updated_at=timezone.now())


@transaction.atomic
def rectification_issue(*, actor, inspection: Inspection) -> Rectification:
    """整改通知: one order for all the findings of a submitted inspection, with a deadline in working days by
    severity, a case in the closed loop, and a re-inspection scheduled at the deadline."""
    inspection = (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("plan", "plan__department", "plan__county", "place", "region", "township")
        .get(pk=inspection.pk)
    )
    if inspection.state != Inspection.State.SUBMITTED:
        raise Conflict(_("检查尚未提交。"), code="inspection_not_submitted")
    if inspection.plan.is_hidden:
        # the selectors rely on it: no rectification of a covert plan exists before the plan is reported
        raise Conflict(_("暗访计划通报后才能下达整改通知。"), code="plan_not_reported")
    if Rectification.objects.filter(inspection=inspection).exists():
        raise Conflict(_("该检查已下达整改通知。"), code="already_issued")
    findings = list(
        Finding.objects.filter(inspection=inspection, rectification__isnull=True)
        .select_related("item")
        .order_by("item__sort_order", "id")
    )
    if not findings:
        raise Conflict(_("该检查没有发现隐患。"), code="no_findings")
    now = timezone.now()
    lead = _lead_finding(findings)
    category = _category(lead.item.category_code)
    department = _responsible_department(inspection, category)
    due_at = get_calendar().add_working_days(now, deadline_days(findings))
    rectification = Rectification(
        number=next_notice_number(timezone.localdate(now).year),
        inspection=inspection,
        plan=inspection.plan,
        place=inspection.place,
        party_name=inspection.target_name[:100],
        region=inspection.region,
        township=inspection.township,
        region_path=inspection.region_path,
        department=department,
        severity=Severity.MAJOR if any(f.severity == Severity.MAJOR for f in findings) else Severity.GENERAL,
        stop_required=any(f.item.stop_if_failed for f in findings),
        issued_at=now,
        due_at=due_at,
        issued_by=actor,
    )
    rectification.full_clean(exclude=["case"])
    rectification.save()
    Finding.objects.filter(pk__in=[f.pk for f in findings]).update(rectification=rectification)
    title, description = _case_text(rectification, findings)
    case = intake.case_report(
        actor=None,
        category=category,
        region=inspection.region,
        title=title,
        description=description,
        source=CaseSource.INSPECTION,
        address=inspection.place.address if inspection.place_id else "",
        latitude=inspection.latitude,
        longitude=inspection.longitude,
        reporter_name=(getattr(actor, "display_name", "") or str(actor or ""))[:50],
    )
    loop.case_register(actor=None, case=case, note=_("督查检查发现，系统立案"))
    if inspection.place_id:
        loop.case_dispatch(actor=None, case=case, department=department, note=rectification.number)
    else:
        loop.case_dispatch(actor=None, case=case, township=inspection.township, note=rectification.number)
    _set_case_deadline(case, due_at)
    rectification.case = case
    rectification.save(update_fields=["case", "updated_at"])
    _schedule_reinspection(rectification)
    audit_record(
        actor=actor,
        action="inspections.rectification_issue",
        obj=rectification,
        changes={
            "case": case.number,
            "due_at": due_at,
            "findings": len(findings),
            "department": department.code,
        },
    )
    return rectification


def _schedule_reinspection(rectification: Rectification) -> Inspection:
    """复查 is scheduled on the deadline's date, in the plan that found the hazards."""
    inspection = rectification.inspection
    return Inspection.objects.create(
        plan=rectification.plan,
        kind=Inspection.Kind.REINSPECTION,
        place=rectification.place,
        region=rectification.region,
        township=rectification.township,
        region_path=rectification.region_path,
        inspector=inspection.inspector,
        scheduled_on=timezone.localdate(rectification.due_at),
        rectification=rectification,
    )


def _drive_case_to_close(case: Case, note: str) -> None:
    """The rectification passed re-inspection: the case goes through 签收 → 处置反馈 → 核查结案 as the system."""
    case.refresh_from_db(fields=["state", "is_suspended"])
    if case.is_suspended:
        case = loop.case_resume(actor=None, case=case, note=note).case
    if case.state == CaseState.DISPATCHED:
        case = loop.case_accept(actor=None, case=case).case
    if case.state == CaseState.HANDLING:
        case = loop.case_resolve(actor=None, case=case, note=note).case
    if case.state == CaseState.RESOLVED:
        loop.case_close(actor=None, case=case, note=note)


@transaction.atomic
def rectification_reinspect(
    *, actor, rectification: Rectification, passed: bool, note: str = "", visit_id: int | None = None
) -> Rectification:
    """复查: passing closes the rectification and its case; failing reopens it with a new deadline (the same number
    of working days from today), counts against the party and schedules the next re-inspection.

    ``visit_id`` names the waiting re-inspection the caller saw; when it is no longer the waiting one (a double
    tap, a retried request, a colleague who recorded it first) the call is refused with 409, so one visit's
    failure is never counted twice."""
    locked = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("plan", "plan__department", "case", "inspection", "township")
        .get(pk=rectification.pk)
    )
    if not InspectionPolicy.can_reinspect(actor, locked):
        raise NotAllowed(_("只有督导组、组织单位或责任部门可以复查。"))
    if locked.state == Rectification.State.CLOSED:
        raise Conflict(_("整改已销号。"), code="rectification_closed")
    note = (note or "").strip()
    if not passed and not note:
        raise InvalidInput(fields={"note": [_("复查未通过时请说明仍存在的问题。")]})
    if len(note) > 2000:
        raise InvalidInput(fields={"note": [_("说明不能超过 2000 个字。")]})
    now = timezone.now()
    waiting = locked.reinspections.filter(state=Inspection.State.PLANNED).order_by("pk").first()
    if visit_id is not None and (waiting is None or waiting.pk != visit_id):
        raise Conflict(_("该次复查结果已记录，请刷新后查看。"), code="reinspection_recorded")
    visit = waiting or _schedule_reinspection(locked)
    visit.state, visit.passed, visit.note = Inspection.State.SUBMITTED, passed, note
    visit.inspector, visit.started_at, visit.submitted_at = actor, visit.started_at or now, now
    visit.save(
        update_fields=["state", "passed", "note", "inspector", "started_at", "submitted_at", "updated_at"]
    )
    if passed:
        locked.state, locked.closed_at = Rectification.State.CLOSED, now
        locked.save(update_fields=["state", "closed_at", "updated_at"])
        if locked.case_id:
            _drive_case_to_close(locked.case, note or _("复查合格，整改销号"))
    else:
        findings = list(locked.findings.select_related("item"))
        locked.state = Rectification.State.REOPENED
        locked.fail_count += 1
        locked.due_at = get_calendar().add_working_days(now, deadline_days(findings))
        locked.save(update_fields=["state", "fail_count", "due_at", "updated_at"])
        if locked.case_id:
            _set_case_deadline(locked.case, locked.due_at)
        _schedule_reinspection(locked)
    audit_record(
        actor=actor,
        action="inspections.rectification_reinspect",
        obj=locked,
        changes={"passed": passed, "due_at": locked.due_at, "fail_count": locked.fail_count},
    )
    return locked
