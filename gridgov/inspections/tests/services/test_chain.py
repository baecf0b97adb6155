"""The chain: checklist → findings → rectification → case, deadlines by severity in working time, re-inspection."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from gridgov.cases.models import Case, CaseSource, CaseState
from gridgov.cases.services.escalation import cases_escalate_overdue
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.core.models import AuditLog, Notification
from gridgov.inspections.models import Answer, ChecklistItem, Finding, Inspection, Rectification
from gridgov.inspections.services import carrying, plans, rectifying
from gridgov.inspections.tests.conftest import inspect

TZ = ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def target(world):
    officer = world.territory.user("officer")
    (inspection,) = plans.plan_add_targets(actor=officer, plan=world.overt, places=[world.shop_a])
    return inspection


def test_failed_items_become_findings_a_rectification_and_a_case(world, target, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(2026, 2, 12, 10, 0))  # Thursday before 春节
    officer = world.territory.user("officer")
    inspection = inspect(officer, target, fail=("licence_displayed", "extinguishers"))

    assert inspection.state == Inspection.State.SUBMITTED
    findings = list(Finding.objects.filter(inspection=inspection).order_by("item__sort_order"))
    assert [f.item.code for f in findings] == ["licence_displayed", "extinguishers"]
    assert [f.severity for f in findings] == ["major", "general"]
    assert findings[0].description == "licence_displayed 不符合"
    rect = Rectification.objects.get(inspection=inspection)
    assert rect.severity == "major" and rect.stop_required
    assert rect.number.startswith("ZG2026")
    assert set(rect.findings.values_list("pk", flat=True)) == {f.pk for f in findings}
    # 1 working day from Thursday 12 Feb 2026: Friday 13th, closing time.
    assert rect.due_at == at(2026, 2, 13, 18, 0)
    case = rect.case
    assert case.source == CaseSource.INSPECTION
    assert case.category.code == "fireworks_illegal_sale"  # the major finding's item names the category
    assert case.state == CaseState.DISPATCHED
    # the category's department (公安) does not exist here: the organising department is responsible
    assert case.unit_department == world.territory.department == rect.department
    assert case.due_at == rect.due_at
    assert "整改通知书" in case.description and "licence_displayed 不符合" in case.description
    # a re-inspection is scheduled on the deadline's date
    (visit,) = rect.reinspections.all()
    assert visit.kind == Inspection.Kind.REINSPECTION and visit.scheduled_on == dt.date(2026, 2, 13)
    assert AuditLog.objects.filter(action="inspections.rectification_issue", object_id=str(rect.pk)).exists()


def test_general_hazards_get_the_general_deadline_across_the_holiday(world, target, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(2026, 2, 12, 10, 0))
    rect = Rectification.objects.get(
        inspection=inspect(world.territory.user("officer"), target, fail=("extinguishers",))
    )
    assert rect.severity == "general" and not rect.stop_required
    # 3 working days: Fri 13th, the make-up Saturday 14th, then Tuesday 24th after the Spring Festival.
    assert rect.due_at == at(2026, 2, 24, 18, 0)


def test_category_department_takes_the_case_when_it_exists(world, target):
    from gridgov.territory.services import department_upsert

    police = department_upsert(actor=None, county=world.territory.county, code="gongan", name="县公安局")
    rect = Rectification.objects.get(
        inspection=inspect(world.territory.user("officer"), target, fail=("licence_displayed",))
    )
    assert rect.department == police and rect.case.unit_department == police


def test_no_failed_item_no_rectification(world, target):
    inspection = inspect(world.territory.user("officer"), target)
    assert inspection.finding_count == 0
    assert not Rectification.objects.exists() and not Case.objects.exists()


def test_submit_names_every_unanswered_item(world, target):
    officer = world.territory.user("officer")
    item = ChecklistItem.objects.filter(checklist=world.retail).first()
    carrying.answer_save(actor=officer, inspection=target, item=item, result="pass")
    with pytest.raises(InvalidInput) as exc:
        carrying.inspection_submit(actor=officer, inspection=target)
    others = ChecklistItem.objects.filter(checklist=world.retail).exclude(pk=item.pk)
    assert set(exc.value.fields) == {f"item_{i.pk}" for i in others}
    target.refresh_from_db()
    assert target.state == Inspection.State.DRAFT  # nothing lost, nothing submitted


def test_saving_part_way_keeps_each_answer_and_replaces_on_resend(world, target):
    officer = world.territory.user("officer")
    items = list(ChecklistItem.objects.filter(checklist=world.retail).order_by("sort_order"))
    carrying.answer_save(actor=officer, inspection=target, item=items[0], result="fail", note="未悬挂")
    carrying.answer_save(actor=officer, inspection=target, item=items[1], result="pass")
    target.refresh_from_db()
    assert target.state == Inspection.State.DRAFT and target.inspector == officer and target.started_at
    # the phone sends the same answer again after reconnecting, changed meanwhile: one row, the latest
    carrying.answer_save(actor=officer, inspection=target, item=items[0], result="pass")
    answers = {a.item_id: a.result for a in Answer.objects.filter(inspection=target)}
    assert answers == {items[0].pk: "pass", items[1].pk: "pass"}


@pytest.mark.parametrize(
    ("code", "result", "value", "note", "field"),
    [
        ("licence_displayed", "maybe", "", "", "result"),
        ("licence_displayed", "fail", "", "", "note"),
        ("stock_within_limit", "pass", "很多", "", "value"),
        ("stock_within_limit", "pass", "NaN", "", "value"),
    ],
)
def test_bad_answers_name_the_field(world, target, code, result, value, note, field):
    item = ChecklistItem.objects.get(checklist=world.retail, code=code)
    with pytest.raises(InvalidInput) as exc:
        carrying.answer_save(
            actor=world.territory.user("officer"),
            inspection=target,
            item=item,
            result=result,
            value=value,
            note=note,
        )
    assert field in exc.value.fields
    assert not Answer.objects.exists()


def test_item_of_another_checklist_is_refused(world, target):
    item = ChecklistItem.objects.filter(checklist=world.township_list).first()
    with pytest.raises(InvalidInput) as exc:
        carrying.answer_save(
            actor=world.territory.user("officer"), inspection=target, item=item, result="pass"
        )
    assert "item" in exc.value.fields


def test_only_the_team_and_organiser_fill_in(world, target):
    item = ChecklistItem.objects.filter(checklist=world.retail).first()
    for name in ("leader", "township_a", "grid_a", "other_officer"):
        with pytest.raises(NotAllowed):
            carrying.answer_save(
                actor=world.territory.user(name), inspection=target, item=item, result="pass"
            )


def test_submitted_inspection_cannot_change(world, target):
    officer = world.territory.user("officer")
    inspect(officer, target)
    item = ChecklistItem.objects.filter(checklist=world.retail).first()
    with pytest.raises(Conflict):
        carrying.answer_save(actor=officer, inspection=target, item=item, result="fail", note="x")
    with pytest.raises(Conflict):
        carrying.inspection_submit(actor=officer, inspection=target)


def test_reinspection_pass_closes_the_rectification_and_its_case(world, target):
    officer = world.territory.user("officer")
    rect = Rectification.objects.get(inspection=inspect(officer, target, fail=("extinguishers",)))
    rect = rectifying.rectification_reinspect(
        actor=officer, rectification=rect, passed=True, note="已补配灭火器"
    )
    assert rect.state == Rectification.State.CLOSED and rect.closed_at
    rect.case.refresh_from_db()
    assert rect.case.state == CaseState.CLOSED
    (visit,) = rect.reinspections.all()
    assert visit.state == Inspection.State.SUBMITTED and visit.passed is True
    with pytest.raises(Conflict):
        rectifying.rectification_reinspect(actor=officer, rectification=rect, passed=True)


def test_reinspection_fail_reopens_counts_and_moves_the_deadline(world, target, monkeypatch):
    clock = {"now": at(2026, 3, 2, 9, 0)}  # Monday
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    officer = world.territory.user("officer")
    rect = Rectification.objects.get(inspection=inspect(officer, target, fail=("extinguishers",)))
    assert rect.due_at == at(2026, 3, 5, 18, 0)
    with pytest.raises(InvalidInput) as exc:
        rectifying.rectification_reinspect(actor=officer, rectification=rect, passed=False)
    assert "note" in exc.value.fields
    clock["now"] = at(2026, 3, 6, 9, 0)  # Friday, the day after the deadline
    rect = rectifying.rectification_reinspect(
        actor=officer, rectification=rect, passed=False, note="仍未配备"
    )
    assert rect.state == Rectification.State.REOPENED and rect.fail_count == 1
    assert rect.due_at == at(2026, 3, 11, 18, 0)  # 3 working days from Friday: Mon 9, Tue 10, Wed 11
    rect.case.refresh_from_db()
    assert rect.case.due_at == rect.due_at and rect.case.state == CaseState.DISPATCHED
    visits = list(rect.reinspections.order_by("pk"))
    assert [v.passed for v in visits] == [False, None]  # the next re-inspection is waiting
    assert visits[1].scheduled_on == dt.date(2026, 3, 11)


def test_overdue_rectification_escalates_through_the_case(world, target, monkeypatch):
    officer = world.territory.user("officer")
    rect = Rectification.objects.get(inspection=inspect(officer, target, fail=("extinguishers",)))
    assert cases_escalate_overdue(now=rect.due_at - dt.timedelta(minutes=1)) == 0
    assert cases_escalate_overdue(now=rect.due_at + dt.timedelta(minutes=1)) == 1
    rect.case.refresh_from_db()
    assert rect.case.is_overdue
    notified = set(Notification.objects.values_list("recipient__username", flat=True))
    assert {"commander", "officer"} <= notified
    assert "township_b" not in notified


def test_reinspection_by_outsiders_is_refused(world, target):
    officer = world.territory.user("officer")
    rect = Rectification.objects.get(inspection=inspect(officer, target, fail=("extinguishers",)))
    for name in ("leader", "township_a", "grid_a", "other_officer"):
        with pytest.raises(NotAllowed):
            rectifying.rectification_reinspect(
                actor=world.territory.user(name), rectification=rect, passed=True
            )


def test_photo_is_stored_with_the_answer_and_other_files_are_refused(world, target):
    from django.core.files.uploadedfile import SimpleUploadedFile

    officer = world.territory.user("officer")
    item = ChecklistItem.objects.get(checklist=world.retail, code="extinguishers")
    png = SimpleUploadedFile("shop.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type="image/png")
    answer = carrying.answer_save(
        actor=officer, inspection=target, item=item, result="fail", note="过期", photo=png
    )
    assert answer.photo.name.startswith("inspections/") and answer.photo.size == 108
    exe = SimpleUploadedFile("x.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(InvalidInput) as exc:
        carrying.answer_save(actor=officer, inspection=target, item=item, result="pass", photo=exe)
    assert "photo" in exc.value.fields
    answer.refresh_from_db()
    assert answer.result == "fail"  # the refused resend changed nothing


def test_reinspection_stays_due_after_the_plan_is_reported(world, target):
    """The report (通报) ends a plan's visits; the re-inspections its rectifications call for stay in 待我检查,
    for the team and for the responsible department alike."""
    from gridgov.inspections.selectors import my_targets
    from gridgov.territory.services import department_upsert

    police = department_upsert(actor=None, county=world.territory.county, code="gongan", name="县公安局")
    officer = world.territory.user("officer")
    rect = Rectification.objects.get(inspection=inspect(officer, target, fail=("licence_displayed",)))
    assert rect.department == police
    plans.plan_report(actor=officer, plan=world.overt)
    (visit,) = rect.reinspections.all()
    assert list(my_targets(user=officer)) == [visit]
    from gridgov.conftest import make_user
    from gridgov.core.roles import Role
    from gridgov.territory.services import grant_add

    police_officer = make_user("police")
    grant_add(
        actor=None,
        user=police_officer,
        role=Role.DEPARTMENT_OFFICER,
        region=world.territory.county,
        department=police,
    )
    assert list(my_targets(user=police_officer)) == [visit]
    # the sibling department sees nothing of it
    assert list(my_targets(user=world.territory.user("other_officer"))) == []
    rectifying.rectification_reinspect(actor=police_officer, rectification=rect, passed=True)
    assert list(my_targets(user=officer)) == []


def test_a_reinspection_recorded_twice_is_counted_once(world, target):
    """A double tap or a retried request names the visit it records: the second gets 409, not a second failure."""
    officer = world.territory.user("officer")
    rect = Rectification.objects.get(inspection=inspect(officer, target, fail=("extinguishers",)))
    (visit,) = rect.reinspections.all()
    rectifying.rectification_reinspect(
        actor=officer, rectification=rect, passed=False, note="仍未配备", visit_id=visit.pk
    )
    with pytest.raises(Conflict) as exc:
        rectifying.rectification_reinspect(
            actor=officer, rectification=rect, passed=False, note="仍未配备", visit_id=visit.pk
        )
    assert exc.value.code == "reinspection_recorded"
    rect.refresh_from_db()
    assert rect.fail_count == 1 and rect.reinspections.count() == 2
    with pytest.raises(Conflict):
        rectifying.rectification_reinspect(actor=officer, rectification=rect, passed=True, visit_id=10**9)
    waiting = rect.reinspections.get(state=Inspection.State.PLANNED)
    rect = rectifying.rectification_reinspect(
        actor=officer, rectification=rect, passed=True, visit_id=waiting.pk
    )
    assert rect.state == Rectification.State.CLOSED
