"""The pages: every role's hub, covert secrecy through pages, the phone form's part-way save, submit to notice,
documents, and query counts of the board and a place's history."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document
from python_calamine import CalamineWorkbook

from gridgov.inspections.models import Answer, ChecklistItem, Inspection, Rectification
from gridgov.inspections.services import plans
from gridgov.inspections.tests.conftest import inspect, make_place


@pytest.fixture
def covert_visit(world):
    t = world.territory
    (visit,) = plans.plan_add_targets(
        actor=t.user("other_officer"), plan=world.covert, townships=[t.township_a]
    )
    inspect(t.user("other_officer"), visit, fail=("no_shop_selling",))
    return visit


@pytest.fixture
def rect(world):
    t = world.territory
    (inspection,) = plans.plan_add_targets(actor=t.user("officer"), plan=world.overt, places=[world.shop_a])
    inspect(t.user("officer"), inspection, fail=("licence_displayed", "extinguishers"))
    return Rectification.objects.get(inspection=inspection)


@pytest.mark.parametrize(
    "name",
    [
        "admin",
        "supervisor",
        "commander",
        "leader",
        "reward",
        "officer",
        "other_officer",
        "township_a",
        "grid_a",
        "nobody",
    ],
)
def test_every_signed_in_user_gets_the_hub(world, rect, client_for, name):
    response = client_for(world.territory.user(name)).get(reverse("inspections:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "整改看板" in html
    if name == "officer":  # the inspector sees the re-inspection waiting for them
        assert "my-targets" in html and "复查" in html
    if name == "leader":
        assert "新建计划" not in html and "my-targets" not in html


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("inspections:index"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", ["township_a", "grid_a", "officer", "leader"])
def test_covert_plan_is_invisible_in_pages_until_reported(world, covert_visit, client_for, name):
    t = world.territory
    client = client_for(t.user(name))
    for url in (reverse("inspections:index"), reverse("inspections:plans"), reverse("inspections:covert")):
        assert world.covert.name not in client.get(url).content.decode()
    assert client.get(reverse("inspections:plan", args=[world.covert.pk])).status_code == 404
    assert client.get(reverse("inspections:inspection", args=[covert_visit.pk])).status_code == 404
    plans.plan_report(actor=t.user("other_officer"), plan=world.covert)
    assert client.get(reverse("inspections:plan", args=[world.covert.pk])).status_code == 200
    if name in ("township_a", "leader"):
        html = client.get(reverse("inspections:covert")).content.decode()
        assert t.township_a.name in html and "no_shop_selling 不符合" in html


def test_organiser_sees_the_covert_plan_page(world, covert_visit, client_for):
    response = client_for(world.territory.user("other_officer")).get(
        reverse("inspections:plan", args=[world.covert.pk])
    )
    assert response.status_code == 200 and "通报并结束计划" in response.content.decode()


def test_part_way_save_over_the_page_endpoint(world, client_for):
    t = world.territory
    (inspection,) = plans.plan_add_targets(actor=t.user("officer"), plan=world.overt, places=[world.shop_a])
    item = ChecklistItem.objects.get(checklist=world.retail, code="licence_displayed")
    url = reverse("inspections:answer", args=[inspection.pk, item.pk])
    client = client_for(t.user("officer"))
    response = client.post(url, {"result": "fail"})
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert "note" in response.json()["fields"]
    response = client.post(url, {"result": "fail", "note": "许可证未悬挂"})
    assert response.status_code == 200 and response.json()["result"] == "fail"
    page = client.get(reverse("inspections:inspection", args=[inspection.pk])).content.decode()
    assert "许可证未悬挂" in page and "已填 1 / 10 项" in page
    # others may not write: the leader gets 403, the sibling grid 404
    assert client_for(t.user("leader")).post(url, {"result": "pass"}).status_code == 403
    assert client_for(t.user("grid_b")).post(url, {"result": "pass"}).status_code == 404
    assert Answer.objects.get(inspection=inspection).note == "许可证未悬挂"


def test_page_endpoint_refuses_overlong_text_instead_of_cutting_it(world, client_for):
    """The phone's outbox keeps an answer the server refused (4xx) and shows the error; an answer cut short
    silently would lose what the inspector wrote."""
    t = world.territory
    (inspection,) = plans.plan_add_targets(actor=t.user("officer"), plan=world.overt, places=[world.shop_a])
    item = ChecklistItem.objects.get(checklist=world.retail, code="licence_displayed")
    url = reverse("inspections:answer", args=[inspection.pk, item.pk])
    client = client_for(t.user("officer"))
    response = client.post(url, {"result": "fail", "note": "许" * 501})
    assert response.status_code == 400 and "note" in response.json()["fields"]
    response = client.post(url, {"result": "pass", "value": "9" * 201})
    assert response.status_code == 400 and "value" in response.json()["fields"]
    assert not Answer.objects.filter(inspection=inspection).exists()
    response = client.post(url, {"result": "fail", "note": "许" * 500})
    assert response.status_code == 200
    assert Answer.objects.get(inspection=inspection).note == "许" * 500


def test_submit_on_the_page_leads_to_the_notice(world, client_for):
    t = world.territory
    (inspection,) = plans.plan_add_targets(actor=t.user("officer"), plan=world.overt, places=[world.shop_a])
    client = client_for(t.user("officer"))
    page = reverse("inspections:inspection", args=[inspection.pk])
    response = client.post(page, {"note": "x"})
    assert response.status_code == 400 and "还有 10 项未填写" in response.content.decode()
    for item in ChecklistItem.objects.filter(checklist=world.retail):
        failed = item.code == "warning_signs"
        client.post(
            reverse("inspections:answer", args=[inspection.pk, item.pk]),
            {"result": "fail" if failed else "pass", "note": "无警示标志" if failed else "", "value": "5"},
        )
    response = client.post(page, {"note": "现场检查", "latitude": "34.07", "longitude": "114.85"})
    rect = Rectification.objects.get(inspection=inspection)
    assert response.status_code == 302 and response["Location"] == reverse(
        "inspections:rectification", args=[rect.pk]
    )
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.SUBMITTED and str(inspection.latitude) == "34.070000"


def test_notice_docx_names_party_findings_deadline_and_stop(world, rect, client_for):
    response = client_for(world.territory.user("township_a")).get(
        reverse("inspections:notice", args=[rect.pk])
    )
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for row in doc.tables[0].rows for c in row.cells)
    assert rect.number in text and "常营花炮店" in text and "责令立即停止" in text
    assert rect.due_at.astimezone().strftime("%Y") in text
    assert "licence_displayed 不符合" in cells and "《烟花爆竹安全管理条例》" in cells
    assert (
        client_for(world.territory.user("grid_b"))
        .get(reverse("inspections:notice", args=[rect.pk]))
        .status_code
        == 404
    )


def test_reinspect_on_the_page(world, rect, client_for):
    url = reverse("inspections:rectification", args=[rect.pk])
    assert client_for(world.territory.user("leader")).post(url, {"passed": "1"}).status_code == 403
    client = client_for(world.territory.user("officer"))
    response = client.post(url, {"passed": "0"})
    assert response.status_code == 400 and "复查未通过时请说明" in response.content.decode()
    assert client.post(url, {"passed": "0", "note": "仍未整改"}).status_code == 302
    rect.refresh_from_db()
    assert rect.state == "reopened" and rect.fail_count == 1


def test_reinspect_page_double_submit_counts_once(world, rect, client_for):
    url = reverse("inspections:rectification", args=[rect.pk])
    client = client_for(world.territory.user("officer"))
    (visit,) = rect.reinspections.all()
    page = client.get(url).content.decode()
    assert f'name="visit" value="{visit.pk}"' in page
    form = {"passed": "0", "note": "仍未整改", "visit": str(visit.pk)}
    assert client.post(url, form).status_code == 302
    second = client.post(url, form, follow=True)
    assert "该次复查结果已记录" in second.content.decode()
    rect.refresh_from_db()
    assert rect.fail_count == 1
    assert client.post(url, {**form, "visit": "x" * 300}).status_code == 400


@pytest.mark.parametrize(("kind", "rows"), [("inspections", 2), ("findings", 2)])
def test_ledgers(world, rect, client_for, kind, rows):
    response = client_for(world.territory.user("township_a")).get(reverse("inspections:ledger", args=[kind]))
    assert response.status_code == 200
    sheet = CalamineWorkbook.from_filelike(
        io.BytesIO(b"".join(response.streaming_content))
    ).get_sheet_by_index(0)
    data = sheet.to_python()
    # inspections: the visit and its scheduled re-inspection; findings: the two hazards
    assert len(data) == 1 + rows
    assert "常营花炮店" in {str(v) for row in data[1:] for v in row}
    empty = client_for(world.territory.user("township_b")).get(reverse("inspections:ledger", args=[kind]))
    data = (
        CalamineWorkbook.from_filelike(io.BytesIO(b"".join(empty.streaming_content)))
        .get_sheet_by_index(0)
        .to_python()
    )
    assert len(data) == 1  # the sibling township: headers only
    assert (
        client_for(world.territory.user("township_a")).get("/inspections/ledgers/other.xlsx").status_code
        == 404
    )


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _more(world, n, place=None):
    t = world.territory
    for i in range(n):
        shop = place or make_place(t.grid_a1_1, f"店{Inspection.objects.count()}-{i}")
        from gridgov.inspections.models import Plan

        plan = plans.plan_create(
            actor=t.user("officer"),
            name=f"计划{Plan.objects.count()}",
            mode="overt",
            department=t.department,
            checklist=world.retail,
            team_name="组",
            starts_on=world.overt.starts_on,
            ends_on=world.overt.ends_on,
        )
        (inspection,) = plans.plan_add_targets(actor=t.user("officer"), plan=plan, places=[shop])
        inspect(t.user("officer"), inspection, fail=("extinguishers",))


@pytest.mark.parametrize("page", ["board", "place", "index", "plans", "covert"])
def test_page_query_counts_do_not_grow(world, client_for, page):
    client = client_for(world.territory.user("township_a"))
    url = {
        "board": reverse("inspections:board"),
        "place": reverse("inspections:place", args=[world.shop_a.pk]),
        "index": reverse("inspections:index"),
        "plans": reverse("inspections:plans"),
        "covert": reverse("inspections:covert"),
    }[page]
    _more(world, 2, place=world.shop_a if page == "place" else None)
    few = _queries(client, url)
    _more(world, 4, place=world.shop_a if page == "place" else None)
    assert _queries(client, url) == few


def test_place_history_lists_everything_of_the_place(world, rect, client_for):
    html = (
        client_for(world.territory.user("township_a"))
        .get(reverse("inspections:place", args=[world.shop_a.pk]))
        .content.decode()
    )
    assert rect.number in html and "licence_displayed 不符合" in html and world.overt.name in html
    assert (
        client_for(world.territory.user("grid_b"))
        .get(reverse("inspections:place", args=[world.shop_a.pk]))
        .status_code
        == 404
    )


def test_covert_visit_leaves_no_trace_in_ledgers_cases_or_notifications_until_reported(
    world, covert_visit, client_for
):
    from gridgov.cases.models import Case
    from gridgov.core.models import Notification

    t = world.territory

    def ledger_rows(name, kind):
        response = client_for(t.user(name)).get(reverse("inspections:ledger", args=[kind]))
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
        return sheet.get_sheet_by_index(0).to_python()[1:]

    township_users = ("township_a", "grid_a", "leader", "supervisor", "commander")
    for name in township_users:
        for kind in ("inspections", "findings"):
            assert ledger_rows(name, kind) == [], (name, kind)
    assert not Case.objects.exists() and not Rectification.objects.exists()
    assert not Notification.objects.exists()
    assert len(ledger_rows("other_officer", "findings")) == 1  # the organising unit has it all along

    plans.plan_report(actor=t.user("other_officer"), plan=world.covert)
    rect = Rectification.objects.get(inspection=covert_visit)
    assert rect.case.unit_township_id == t.township_a.pk
    for name in ("township_a", "leader"):
        assert len(ledger_rows(name, "findings")) == 1, name
    assert ledger_rows("township_b", "findings") == []


def test_covert_briefing_since_a_date_as_page_and_docx(world, covert_visit, client_for):
    """The briefing for the next county meeting: the problems since the last one, on the page and as .docx, for
    the township itself and the county leader; nothing before the report; a bad date is named, not a 500."""
    t = world.territory
    briefing = reverse("inspections:covert_briefing")
    before = client_for(t.user("township_a")).get(briefing)
    assert before.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(before.content)).paragraphs)
    assert "no_shop_selling 不符合" not in text and "暂无已通报的暗访记录" in text

    plans.plan_report(actor=t.user("other_officer"), plan=world.covert)
    from django.utils import timezone

    submitted = timezone.localtime(Inspection.objects.get(pk=covert_visit.pk).submitted_at).date()
    for name in ("township_a", "leader"):
        client = client_for(t.user(name))
        response = client.get(briefing, {"since": submitted.isoformat()})
        assert response.status_code == 200 and response["Content-Disposition"].endswith('.docx"')
        doc = Document(io.BytesIO(response.content))
        text = "\n".join(p.text for p in doc.paragraphs)
        assert "no_shop_selling 不符合" in text, name
        assert doc.tables[0].rows[1].cells[0].text == t.township_a.name
        page = client.get(reverse("inspections:covert"), {"since": submitted.isoformat()}).content.decode()
        assert "no_shop_selling 不符合" in page
    later = (submitted + dt.timedelta(days=1)).isoformat()
    client = client_for(t.user("township_a"))
    page = client.get(reverse("inspections:covert"), {"since": later}).content.decode()
    assert "no_shop_selling 不符合" not in page and "暂无已通报的暗访记录" in page
    # a NUL byte is turned away before the view (400 from the project's middleware)
    assert client.get(reverse("inspections:covert"), {"since": "2026-01-01\x00"}).status_code == 400
    for bad in ("2026-13-01", "昨天", "2026-1-5", "9" * 5000):
        response = client.get(reverse("inspections:covert"), {"since": bad})
        assert response.status_code == 200 and "日期格式应为" in response.content.decode()
        assert "no_shop_selling 不符合" in response.content.decode()  # the bad date is ignored
    # the sibling township's briefing and that of a user without grants are empty
    for name in ("township_b", "nobody"):
        other = client_for(t.user(name)).get(briefing)
        assert other.status_code == 200
        assert "no_shop_selling 不符合" not in "\n".join(
            p.text for p in Document(io.BytesIO(other.content)).paragraphs
        )
    assert client.get(briefing.replace("/inspections", "/inspections/x")).status_code == 404
