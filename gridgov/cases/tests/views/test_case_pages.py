"""Who sees which case on the inbox, the list and the case page, and what the case page shows."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.cases.models import Case, CaseLink, CaseState
from gridgov.cases.services import loop
from gridgov.cases.services.extras import case_link


def inbox_numbers(client) -> set[str]:
    """The case numbers in the inbox list ("what needs me now"), not in "我最近上报的"."""
    html = client.get("/cases/").content.decode()
    if 'id="inbox"' not in html:
        return set()
    section = html[html.index('id="inbox"') :]
    return set(re.findall(r'case-no">(\d+)<', section[: section.index("</ul>")]))


def test_anonymous_users_are_sent_to_login(client, territory, make_case):
    case = make_case()
    for url in ["/cases/", "/cases/all/", f"/cases/{case.pk}/", "/cases/report/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("admin", 200),
        ("supervisor", 200),
        ("commander", 200),
        ("leader", 200),
        ("township_a", 200),
        ("grid_a", 200),  # the reporter, and the grid
        ("township_b", 404),
        ("grid_b", 404),
        ("grid_a2", 404),  # the sibling grid
        ("officer", 404),  # not dispatched to anyone yet
        ("other_officer", 404),
        ("nobody", 404),
    ],
)
def test_who_may_open_a_reported_case(territory, client_for, make_case, username, status):
    case = make_case()
    assert client_for(territory.user(username)).get(f"/cases/{case.pk}/").status_code == status


def test_a_department_sees_what_is_dispatched_to_it(territory, client_for, make_case):
    case = make_case(CaseState.DISPATCHED)
    assert client_for(territory.user("officer")).get(f"/cases/{case.pk}/").status_code == 200
    assert client_for(territory.user("other_officer")).get(f"/cases/{case.pk}/").status_code == 404
    listed = client_for(territory.user("officer")).get("/cases/all/").content.decode()
    assert case.number in listed


def test_unknown_or_malformed_case_is_a_404(territory, client_for):
    client = client_for(territory.user("admin"))
    assert client.get("/cases/999999/").status_code == 404
    assert client.get("/cases/abc/").status_code == 404


def test_township_b_never_sees_township_a_cases_in_lists(territory, client_for, make_case):
    case_a = make_case()
    case_b = make_case(region=territory.grid_b1_1, by="grid_b", title="王集乡的案件")
    page_b = client_for(territory.user("township_b")).get("/cases/all/").content.decode()
    assert case_b.number in page_b and case_a.number not in page_b
    page_a = client_for(territory.user("township_a")).get("/cases/all/").content.decode()
    assert case_a.number in page_a and case_b.number not in page_a


def test_inbox_contents_per_role(territory, client_for, make_case):
    reported = make_case(title="待立案的案件")
    registered = make_case(CaseState.REGISTERED, title="待派遣的案件")
    dispatched = make_case(CaseState.DISPATCHED, title="待签收的案件")
    resolved = make_case(CaseState.RESOLVED, title="待核查的案件")
    to_township = make_case(CaseState.DISPATCHED, township_unit=True, title="派给乡镇的案件")
    make_case(CaseState.CLOSED, title="已结案的案件")

    def inbox(username):
        return inbox_numbers(client_for(territory.user(username)))

    assert inbox("supervisor") == {reported.number, resolved.number}
    assert inbox("commander") == {registered.number}
    assert inbox("officer") == {dispatched.number}
    assert inbox("other_officer") == set()
    assert inbox("township_a") == {to_township.number}
    assert inbox("township_b") == set()
    assert inbox("leader") == set()
    assert inbox("grid_a") == set()


def test_grid_worker_follows_what_they_reported(territory, client_for, make_case):
    case = make_case(CaseState.DISPATCHED)
    html = client_for(territory.user("grid_a")).get("/cases/").content.decode()
    assert "我最近上报的" in html
    assert case.number in html[html.find('id="mine"') :]
    assert "上报问题" in html


def test_leader_reads_without_action_forms(territory, client_for, make_case):
    for state in (CaseState.REPORTED, CaseState.REGISTERED, CaseState.RESOLVED):
        case = make_case(state)
        html = client_for(territory.user("leader")).get(f"/cases/{case.pk}/").content.decode()
        assert case.title in html
        assert "hx-post" not in html and 'id="actions"' not in html
    home = client_for(territory.user("leader")).get("/cases/").content.decode()
    assert "只读" in home
    assert "上报问题" not in home


def test_overdue_cases_come_first_with_their_badge(territory, client_for, make_case):
    on_time = make_case(CaseState.DISPATCHED, title="按时的案件")
    late = make_case(CaseState.DISPATCHED, title="超期的案件")
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(days=3), is_overdue=True)
    html = client_for(territory.user("officer")).get("/cases/").content.decode()
    assert html.index(late.number) < html.index(on_time.number)
    assert "已超期" in html
    assert "剩余" in html


def test_list_filters(territory, client_for, make_case):
    fireworks = make_case(title="烟花案件")
    burning = make_case(
        CaseState.DISPATCHED,
        category="air_open_burning",
        title="焚烧案件",
        region=territory.grid_a1_2,
        by="grid_a2",
    )
    in_b = make_case(region=territory.grid_b1_1, by="grid_b", title="王集案件")
    client = client_for(territory.user("supervisor"))

    def listed(query):
        response = client.get(f"/cases/all/?{query}")
        assert response.status_code == 200
        html = response.content.decode()
        return {c.number for c in (fireworks, burning, in_b) if c.number in html}

    assert listed("") == {fireworks.number, burning.number, in_b.number}
    assert listed("state=reported") == {fireworks.number, in_b.number}
    assert listed("state=open") == {fireworks.number, burning.number, in_b.number}
    assert listed("category=air") == {burning.number}
    assert listed("category=fireworks_illegal_sale") == {fireworks.number, in_b.number}
    assert listed(f"region={territory.township_b.code}") == {in_b.number}
    assert listed(f"region={territory.grid_a1_2.code}") == {burning.number}
    assert listed(f"unit=department:{territory.department.pk}") == {burning.number}
    assert listed("overdue=1") == set()
    assert listed("source=hotline") == set()
    assert listed("q=王集") == {in_b.number}
    assert listed(f"q={burning.number}") == {burning.number}


def test_list_filter_outside_scope_is_an_error_not_a_leak(territory, client_for, make_case):
    make_case(region=territory.grid_b1_1, by="grid_b")
    response = client_for(territory.user("township_a")).get(f"/cases/all/?region={territory.township_b.code}")
    html = response.content.decode()
    assert "不在您的管辖范围内" in html
    assert "共 0 件" in html


def test_list_is_paginated_by_30(territory, client_for, make_case):
    for i in range(31):
        make_case(title=f"案件{i:02d}")
    client = client_for(territory.user("supervisor"))
    first = client.get("/cases/all/?state=reported").content.decode()
    assert "第 1 / 2 页" in first and "共 31 件" in first
    assert "state=reported&amp;page=2" in first
    second = client.get("/cases/all/?state=reported&page=2").content.decode()
    assert second.count('class="list-item case-item') == 1


def test_case_page_shows_header_timeline_and_deadline(territory, client_for, make_case):
    case = make_case(CaseState.HANDLING)
    html = client_for(territory.user("officer")).get(f"/cases/{case.pk}/").content.decode()
    assert case.number in html and case.title in html
    assert "烟花爆竹 / 非法销售" in html
    assert "常营镇" in html and "常营西村" in html and "第1网格" in html  # breadcrumbs of the place
    assert "网格员上报" in html
    assert "县应急管理局" in html
    assert timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M") in html
    assert "剩余" in html or "已超期" in html
    timeline = html[html.index('id="timeline"') :]
    for label in ("上报", "立案", "派遣", "签收"):
        assert label in timeline
    assert "已立案 → 已派遣" in timeline
    assert "责任单位：县应急管理局" in timeline


def test_commander_gets_routing_help_preselected(territory, client_for, make_case):
    case = make_case(CaseState.REGISTERED, category="air_open_burning")
    html = client_for(territory.user("commander")).get(f"/cases/{case.pk}/").content.decode()
    routing = html[html.index('id="routing"') :]
    assert "常营镇" in routing and "县环境攻坚办" in routing
    dept = territory.other_department.pk
    assert f'<option value="{dept}" selected>县环境攻坚办（建议）</option>' in html
    assert f'<option value="{territory.township_a.pk}" selected>常营镇（属地）</option>' in html
    assert re.search(r'<input type="radio" name="unit_kind" value="department"[^>]*checked', html)


def test_duplicates_are_offered_for_merge(territory, client_for, make_case):
    first = make_case(title="同一家店")
    second = make_case(title="同一家店又报")
    other_place = make_case(region=territory.grid_b1_1, by="grid_b")
    html = client_for(territory.user("supervisor")).get(f"/cases/{second.pk}/").content.decode()
    duplicates = html[html.index('id="duplicates"') :]
    assert first.number in duplicates and other_place.number not in duplicates
    assert "并入此案" in duplicates
    # the commander may not merge: nothing offered
    html = client_for(territory.user("commander")).get(f"/cases/{second.pk}/").content.decode()
    assert 'id="duplicates"' not in html


def test_chain_shows_links_out_and_in(territory, client_for, make_case):
    sale = make_case(title="零售点")
    wholesaler = make_case(title="批发商", region=territory.grid_a1_2, by="grid_a2")
    case_link(
        actor=territory.user("supervisor"), case=sale, target=wholesaler, kind=CaseLink.Kind.SUPPLIED_BY
    )
    client = client_for(territory.user("township_a"))
    html = client.get(f"/cases/{sale.pk}/").content.decode()
    chain = html[html.index('id="chain"') :]
    assert "货源来自" in chain and wholesaler.number in chain and "批发商" in chain
    html = client.get(f"/cases/{wholesaler.pk}/").content.decode()
    assert sale.number in html[html.index('id="chain"') :]
    # grid_a sees the sale (their report) but not the wholesaler in another grid: number only, no title
    html = client_for(territory.user("grid_a")).get(f"/cases/{sale.pk}/").content.decode()
    chain = html[html.index('id="chain"') :]
    assert wholesaler.number in chain and "批发商" not in chain and "不在您的管辖范围内" in chain


def test_pending_extension_is_shown_with_the_commanders_decision_forms(territory, client_for, make_case):
    case = make_case(CaseState.HANDLING)
    loop.case_request_extension(
        actor=territory.user("officer"), case=case, note="需要协调公安", value=2, unit="days"
    )
    html = client_for(territory.user("commander")).get(f"/cases/{case.pk}/").content.decode()
    assert "需要协调公安" in html and "延期待批" in html
    assert 'id="action-approve_extension"' in html and 'id="action-refuse_extension"' in html
    inbox = client_for(territory.user("commander")).get("/cases/").content.decode()
    assert case.number in inbox and "延期待批" in inbox
    officer = client_for(territory.user("officer")).get(f"/cases/{case.pk}/").content.decode()
    assert 'id="action-request_extension"' not in officer and 'id="action-resolve"' in officer
