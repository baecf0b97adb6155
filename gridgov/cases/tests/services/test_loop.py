import datetime as dt
import io
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from gridgov.cases.models import Case, CaseEvent, CaseLink, CaseReport, CaseState, Category, ExtensionRequest
from gridgov.cases.services import extras, loop
from gridgov.cases.services.escalation import cases_escalate_overdue
from gridgov.cases.services.intake import case_duplicates, case_report, case_routing
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.core.models import Notification

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def report(territory, *, code="air_open_burning", region=None, actor="grid_a", **extra) -> Case:
    return case_report(
        actor=territory.user(actor) if actor else None,
        category=Category.objects.get(code=code),
        region=region or territory.grid_a1_1,
        title=extra.pop("title", "村东头焚烧秸秆"),
        description=extra.pop("description", "浓烟很大"),
        **extra,
    )


def dispatched(territory, **kwargs) -> Case:
    case = report(territory, **kwargs)
    loop.case_register(actor=territory.user("supervisor"), case=case)
    return loop.case_dispatch(
        actor=territory.user("commander"), case=case, department=territory.department
    ).case


def test_the_whole_loop_with_its_timeline(territory):
    case = report(territory)
    assert (case.state, case.township, case.number[:8]) == (
        "reported",
        territory.township_a,
        timezone.localdate().strftime("%Y%m%d"),
    )
    case = loop.case_register(actor=territory.user("supervisor"), case=case).case
    case = loop.case_dispatch(
        actor=territory.user("commander"), case=case, department=territory.department
    ).case
    assert case.due_at > case.dispatched_at
    case = loop.case_accept(actor=territory.user("officer"), case=case).case
    case = loop.case_resolve(actor=territory.user("officer"), case=case, note="已扑灭并清理").case
    case = loop.case_rework(actor=territory.user("supervisor"), case=case, note="现场仍有余火").case
    case = loop.case_resolve(actor=territory.user("officer"), case=case, note="余火已灭").case
    case = loop.case_close(actor=territory.user("supervisor"), case=case).case
    assert case.state == CaseState.CLOSED and case.rework_count == 1 and case.closed_at
    events = list(case.events.values_list("action", "from_state", "to_state"))
    assert events == [
        ("report", "", "reported"),
        ("register", "reported", "registered"),
        ("dispatch", "registered", "dispatched"),
        ("accept", "dispatched", "handling"),
        ("resolve", "handling", "resolved"),
        ("rework", "resolved", "handling"),
        ("resolve", "handling", "resolved"),
        ("close", "resolved", "closed"),
    ]


@pytest.mark.parametrize(
    ("action", "allowed", "refused"),
    [
        ("register", "supervisor", ["commander", "officer", "township_a", "grid_a", "leader", "admin"]),
        ("void", "supervisor", ["commander", "leader", "grid_a"]),
    ],
)
def test_supervisor_actions_and_who_is_refused(territory, action, allowed, refused):
    call = {"register": loop.case_register, "void": loop.case_void}[action]
    case = report(territory)
    for name in refused:
        with pytest.raises(NotAllowed):
            call(actor=territory.user(name), case=case, note="理由")
    assert Case.objects.get(pk=case.pk).state == "reported"
    call(actor=territory.user(allowed), case=case, note="理由")


def test_sibling_township_supervisor_grants_do_not_reach(territory):
    from gridgov.territory.services import grant_add

    user = territory.user("township_b")
    grant_add(actor=None, user=user, role="supervisor", region=territory.township_b)
    user.refresh_from_db()
    from gridgov.accounts.models import User

    with pytest.raises(NotAllowed):
        loop.case_register(actor=User.objects.get(pk=user.pk), case=report(territory))


def test_void_return_rework_need_a_reason(territory):
    case = report(territory)
    with pytest.raises(InvalidInput) as caught:
        loop.case_void(actor=territory.user("supervisor"), case=case, note="  ")
    assert "note" in caught.value.fields
    case = dispatched(territory)
    with pytest.raises(InvalidInput):
        loop.case_return(actor=territory.user("officer"), case=case, note="")


def test_only_the_responsible_unit_handles(territory):
    case = dispatched(territory)
    for name in ("other_officer", "township_a", "commander", "supervisor", "grid_a"):
        with pytest.raises(NotAllowed):
            loop.case_accept(actor=territory.user(name), case=case)
    loop.case_accept(actor=territory.user("officer"), case=case)


def test_township_as_unit(territory):
    case = report(territory)
    loop.case_register(actor=territory.user("supervisor"), case=case)
    loop.case_dispatch(actor=territory.user("commander"), case=case, township=territory.township_a)
    with pytest.raises(NotAllowed):
        loop.case_accept(actor=territory.user("township_b"), case=case)
    assert loop.case_accept(actor=territory.user("township_a"), case=case).case.state == "handling"


def test_dispatch_needs_exactly_one_unit_and_a_member_as_person(territory):
    case = report(territory)
    loop.case_register(actor=territory.user("supervisor"), case=case)
    with pytest.raises(InvalidInput):
        loop.case_dispatch(actor=territory.user("commander"), case=case)
    with pytest.raises(InvalidInput):
        loop.case_dispatch(
            actor=territory.user("commander"),
            case=case,
            department=territory.department,
            township=territory.township_a,
        )
    with pytest.raises(InvalidInput) as caught:
        loop.case_dispatch(
            actor=territory.user("commander"),
            case=case,
            department=territory.department,
            assignee=territory.user("grid_b"),
        )
    assert "assignee" in caught.value.fields
    assert Case.objects.get(pk=case.pk).state == "registered"
    case = loop.case_dispatch(
        actor=territory.user("commander"),
        case=case,
        department=territory.department,
        assignee=territory.user("officer"),
    ).case
    assert case.assignee == territory.user("officer")


def test_a_wrong_state_is_a_conflict_and_changes_nothing(territory):
    case = report(territory)
    before = (Case.objects.filter(pk=case.pk).values().get(), CaseEvent.objects.count())
    for call, actor in (
        (loop.case_close, "supervisor"),
        (loop.case_accept, "officer"),
        (lambda **kw: loop.case_dispatch(department=territory.department, **kw), "commander"),
    ):
        with pytest.raises((Conflict, NotAllowed)):
            call(actor=territory.user(actor), case=case)
    assert (Case.objects.filter(pk=case.pk).values().get(), CaseEvent.objects.count()) == before
    loop.case_register(actor=territory.user("supervisor"), case=case)
    with pytest.raises(Conflict):
        loop.case_register(actor=territory.user("supervisor"), case=case)


def test_return_sends_the_case_back_and_stops_the_clock(territory):
    case = dispatched(territory)
    case = loop.case_return(actor=territory.user("officer"), case=case, note="不属本部门职责").case
    assert (case.state, case.due_at, case.unit_department, case.return_count) == ("registered", None, None, 1)


def test_deadline_in_working_days_across_spring_festival(territory, monkeypatch):
    # Thursday 12 Feb 2026, 10:00: Fri 13, the make-up Saturday 14, then the holiday to Mon 23 → Tue 24 Feb 18:00
    monkeypatch.setattr(timezone, "now", lambda: at(2026, 2, 12, 10, 0))
    case = dispatched(territory, code="air_dust")  # 1 working day
    assert case.due_at == at(2026, 2, 13, 18, 0)
    category = Category.objects.get(code="safety_hazardous_chemicals")  # 3 working days
    assert category.deadline_value == 3 and category.deadline_unit == "days"
    case = dispatched(territory, code="safety_hazardous_chemicals", title="另一起")
    assert case.due_at == at(2026, 2, 24, 18, 0)


def test_deadline_in_working_hours_on_a_make_up_saturday(territory, monkeypatch):
    # Saturday 14 Feb 2026 is a make-up working day: 16:00 + 4 working hours → 2 h that day, 2 h after the holiday
    monkeypatch.setattr(timezone, "now", lambda: at(2026, 2, 14, 16, 0))
    case = dispatched(territory, code="fireworks_illegal_sale")  # 4 working hours
    assert case.due_at == at(2026, 2, 24, 10, 30)


def test_suspension_stops_the_clock(territory, monkeypatch):
    clock = {"now": at(2026, 3, 2, 9, 0)}  # Monday
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    case = dispatched(territory, code="air_dust")  # 1 working day → Tue 3 Mar 18:00
    assert case.due_at == at(2026, 3, 3, 18, 0)
    loop.case_suspend(actor=territory.user("commander"), case=case, note="等待鉴定")
    with pytest.raises(Conflict):
        loop.case_accept(actor=territory.user("officer"), case=case)
    clock["now"] = at(2026, 3, 9, 9, 0)  # a week later
    case = loop.case_resume(actor=territory.user("commander"), case=case).case
    # left at suspension: Mon 9:00–18:00 minus lunch (6.5 h?) is computed by the calendar; check the arithmetic
    from gridgov.worktime.calendar import get_calendar

    calendar = get_calendar()
    left = calendar.working_time_between(at(2026, 3, 2, 9, 0), at(2026, 3, 3, 18, 0))
    assert case.due_at == calendar.add_working_hours(at(2026, 3, 9, 9, 0), left)
    assert not case.is_suspended


def test_extension_request_and_decisions(territory):
    case = dispatched(territory)
    due = case.due_at
    with pytest.raises(NotAllowed):
        loop.case_request_extension(
            actor=territory.user("commander"), case=case, note="x", value=1, unit="days"
        )
    loop.case_request_extension(
        actor=territory.user("officer"), case=case, note="需协调公安", value=2, unit="days"
    )
    with pytest.raises(Conflict):
        loop.case_request_extension(
            actor=territory.user("officer"), case=case, note="再申请", value=1, unit="days"
        )
    with pytest.raises(NotAllowed):
        loop.case_approve_extension(actor=territory.user("officer"), case=case)
    case = loop.case_approve_extension(actor=territory.user("commander"), case=case).case
    from gridgov.worktime.calendar import get_calendar

    assert case.due_at == get_calendar().add_working_days(due, 2) and case.extension_count == 1
    loop.case_request_extension(
        actor=territory.user("officer"), case=case, note="仍需时间", value=4, unit="hours"
    )
    with pytest.raises(InvalidInput):
        loop.case_refuse_extension(actor=territory.user("commander"), case=case, note="")
    case = loop.case_refuse_extension(actor=territory.user("commander"), case=case, note="应按期完成").case
    assert case.extension_count == 1
    assert list(ExtensionRequest.objects.values_list("state", flat=True).order_by("created_at")) == [
        "approved",
        "refused",
    ]
    with pytest.raises(Conflict):
        loop.case_approve_extension(actor=territory.user("commander"), case=case)


def test_overdue_cases_are_escalated_once_with_notifications(territory, monkeypatch):
    clock = {"now": at(2026, 3, 2, 9, 0)}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    case = dispatched(territory, code="fireworks_illegal_sale")  # 4 working hours
    on_time = dispatched(territory, code="air_dust", title="按期案件")
    clock["now"] = at(2026, 3, 2, 16, 0)
    assert cases_escalate_overdue() == 1
    assert cases_escalate_overdue() == 0  # once only
    case.refresh_from_db()
    assert case.is_overdue and case.escalated_at
    assert case.events.filter(action="escalate").count() == 1
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"commander", "officer"}
    on_time.refresh_from_db()
    assert not on_time.is_overdue


def test_routing_suggests_township_and_department(territory):
    case = report(territory, code="safety_hazardous_chemicals")
    assert case_routing(case) == {"township": territory.township_a, "department": territory.department}
    assert case_routing(report(territory, code="rural_white_litter"))["department"] is None


def test_duplicates_are_offered_and_merge_keeps_every_report(territory):
    first = report(territory, title="第一次")
    second = report(territory, actor="township_a", title="第二次", latitude="34.06", longitude="114.85")
    other_grid = report(territory, region=territory.grid_a1_2, actor="township_a", title="别处")
    other_category = report(territory, code="air_dust", title="扬尘")
    assert case_duplicates(second) == [first]
    assert other_grid not in case_duplicates(first) and other_category not in case_duplicates(first)
    loop.case_register(actor=territory.user("supervisor"), case=first)
    extras.case_merge(actor=territory.user("supervisor"), case=second, into=first)
    second.refresh_from_db()
    assert second.state == "merged" and second.merged_into == first
    assert CaseReport.objects.filter(case=first).count() == 2
    assert set(CaseReport.objects.filter(case=first).values_list("reporter__username", flat=True)) == {
        "grid_a",
        "township_a",
    }
    with pytest.raises(Conflict):
        extras.case_merge(actor=territory.user("supervisor"), case=second, into=first)


def test_links_make_a_chain(territory):
    sale = report(territory, code="fireworks_illegal_sale", title="超市非法销售")
    supplier = report(
        territory,
        code="fireworks_illegal_storage",
        region=territory.grid_b1_1,
        actor="grid_b",
        title="仓库非法储存",
    )
    carrier = report(territory, code="fireworks_illegal_transport", title="无证运输")
    extras.case_link(actor=territory.user("supervisor"), case=sale, target=supplier, kind="supplied_by")
    extras.case_link(actor=territory.user("commander"), case=sale, target=carrier, kind="transported_by")
    extras.case_link(
        actor=territory.user("commander"), case=sale, target=carrier, kind="transported_by"
    )  # idempotent
    assert CaseLink.objects.filter(from_case=sale).count() == 2
    assert supplier.events.filter(action="linked").exists()
    with pytest.raises(NotAllowed):
        extras.case_link(actor=territory.user("grid_a"), case=sale, target=supplier, kind="same_source")
    with pytest.raises(InvalidInput):
        extras.case_link(actor=territory.user("supervisor"), case=sale, target=sale, kind="same_source")


def png_bytes(size=(640, 480)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


def test_attachments_are_checked_by_content_and_thumbnailed(territory):
    case = report(territory)
    photo = extras.attachment_add(
        actor=territory.user("grid_a"), case=case, upload=SimpleUploadedFile("现场.png", png_bytes())
    )
    assert (photo.kind, photo.content_type) == ("photo", "image/png")
    from PIL import Image

    with photo.thumbnail.open("rb") as handle:
        assert max(Image.open(handle).size) <= 320
    pdf = extras.attachment_add(
        actor=territory.user("grid_a"),
        case=case,
        upload=SimpleUploadedFile("说明.pdf", b"%PDF-1.4 test"),
        phase="after",
    )
    assert pdf.kind == "document"
    for name, data in (("fake.png", b"not an image"), ("evil.pdf", b"MZ\x90"), ("script.html", b"<script>")):
        with pytest.raises(InvalidInput):
            extras.attachment_add(
                actor=territory.user("grid_a"), case=case, upload=SimpleUploadedFile(name, data)
            )
    assert case.attachments.count() == 2


def test_reporting_outside_scope_is_refused(territory):
    with pytest.raises(NotAllowed):
        report(territory, region=territory.grid_b1_1, actor="grid_a")
    with pytest.raises(InvalidInput) as caught:
        report(territory, title="")
    assert "title" in caught.value.fields


def test_a_stale_copy_of_the_case_cannot_act_twice(territory):
    """Two commanders opened the same registered case; the second submit finds it already dispatched."""
    case = report(territory)
    loop.case_register(actor=territory.user("supervisor"), case=case)
    first_view, second_view = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    loop.case_dispatch(actor=territory.user("commander"), case=first_view, department=territory.department)
    with pytest.raises(Conflict):
        loop.case_dispatch(actor=territory.user("commander"), case=second_view, township=territory.township_a)
    assert Case.objects.get(pk=case.pk).unit_department == territory.department


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs real concurrent connections; the test database on SQLite is a shared in-memory file",
)
@pytest.mark.django_db(transaction=True)
def test_two_commanders_dispatching_at_once_one_wins(territory):
    from gridgov.cases.defaults import ensure_default_categories
    from gridgov.cases.models import CategoryGroup

    ensure_default_categories(CategoryGroup, Category)  # a flushed transactional database has none
    case = report(territory)
    loop.case_register(actor=territory.user("supervisor"), case=case)
    from gridgov.territory.services import grant_add

    grant_add(actor=None, user=territory.user("admin"), role="commander", region=territory.county)
    from gridgov.accounts.models import User

    results, barrier = [], threading.Barrier(2)

    def dispatch(username):
        try:
            barrier.wait(timeout=10)
            loop.case_dispatch(
                actor=User.objects.get(username=username),
                case=Case.objects.get(pk=case.pk),
                department=territory.department,
            )
            results.append("ok")
        except Conflict:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatch, args=(name,)) for name in ("commander", "admin")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["conflict", "ok"]
    assert Case.objects.get(pk=case.pk).events.filter(action="dispatch").count() == 1
