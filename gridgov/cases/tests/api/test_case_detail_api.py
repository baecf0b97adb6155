"""GET /api/v1/cases/{id}: state, deadline, unit, timeline, chain, reports and routing help; who may see it; and
reporters' names and contacts never leaving in any answer."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gridgov.cases.models import Category
from gridgov.cases.services import escalation
from gridgov.cases.tests.api.conftest import (
    API,
    DAYS_CATEGORY,
    HOURS_CATEGORY,
    act,
    assert_not_found,
    link_cases,
    loop_clock_at,
    make_case,
    post,
)
from gridgov.worktime.calendar import get_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


# --- what the detail shows --------------------------------------------------------------------------------------


def test_detail_of_a_handled_case(territory, api_client):
    case = make_case(territory, "resolved")
    response = api_client(territory.user("supervisor")).get(f"{API}/{case.pk}")
    assert response.status_code == 200, response.content
    out = response.json()
    assert (out["state"], out["state_label"], out["is_overdue"], out["is_suspended"]) == (
        "resolved",
        "待核查",
        False,
        False,
    )
    assert when(out["due_at"]) == case.due_at
    assert out["unit"] == {"kind": "department", "code": "yingji", "name": "县应急管理局"}
    assert out["assignee"] is None
    assert out["routing"] is None  # only while registered
    timeline = out["timeline"]
    assert [(e["action"], e["actor"]["username"], e["from_state"], e["to_state"]) for e in timeline] == [
        ("report", "grid_a", "", "reported"),
        ("register", "supervisor", "reported", "registered"),
        ("dispatch", "commander", "registered", "dispatched"),
        ("accept", "officer", "dispatched", "handling"),
        ("resolve", "officer", "handling", "resolved"),
    ]
    assert timeline[-1]["note"] == "已取缔"
    assert timeline[2]["data"] == {"unit": "县应急管理局", "assignee": ""}
    assert all(e["attachments"] == [] and e["created_at"] for e in timeline)
    for field in ("registered_at", "dispatched_at", "accepted_at", "resolved_at"):
        assert out[field] is not None, field
    assert (out["closed_at"], out["rework_count"], out["extension_count"], out["return_count"]) == (
        None,
        0,
        0,
        0,
    )


def test_routing_help_when_registered(territory, api_client):
    """The grid locates the township; the category suggests the department (when the county has it)."""
    client = api_client(territory.user("commander"))
    suggested = client.get(f"{API}/{make_case(territory, 'registered').pk}").json()["routing"]
    assert suggested["township"] == {
        "code": territory.township_a.code,
        "name": territory.township_a.name,
        "level": "township",
    }
    assert suggested["department"] == {
        "id": territory.department.pk,
        "code": "yingji",
        "name": "县应急管理局",
    }
    gongan = make_case(territory, "registered", category=HOURS_CATEGORY)  # 公安 is not set up in this county
    assert client.get(f"{API}/{gongan.pk}").json()["routing"]["department"] is None
    assert client.get(f"{API}/{make_case(territory).pk}").json()["routing"] is None


def test_chain_both_ways(territory, api_client):
    sale = make_case(territory, "registered", category=HOURS_CATEGORY, title="超市非法销售")
    supplier = make_case(
        territory, "registered", region=territory.grid_b1_1, reporter="grid_b", title="批发窝点"
    )
    carrier = make_case(territory, "reported", title="运输车辆")
    link_cases(territory, sale, supplier, "supplied_by")
    link_cases(territory, sale, carrier, "transported_by")
    client = api_client(territory.user("commander"))
    chain = client.get(f"{API}/{sale.pk}").json()["chain"]
    assert [(link["kind"], link["number"], link["case_id"]) for link in chain["outgoing"]] == [
        ("supplied_by", supplier.number, supplier.pk),
        ("transported_by", carrier.number, carrier.pk),
    ]
    assert chain["incoming"] == []
    back = client.get(f"{API}/{supplier.pk}").json()["chain"]
    assert [(link["kind"], link["kind_label"], link["number"]) for link in back["incoming"]] == [
        ("supplied_by", "货源来自", sale.number)
    ]
    # Township A sees the sale but not the supplier in township B: the number, but no way in.
    local_view = api_client(territory.user("township_a")).get(f"{API}/{sale.pk}").json()["chain"]["outgoing"]
    assert [(link["number"], link["case_id"]) for link in local_view] == [
        (supplier.number, None),
        (carrier.number, carrier.pk),
    ]


def test_duplicates_are_offered(territory, api_client):
    first = make_case(territory, title="第一次上报")
    second = make_case(territory, title="第二次上报")
    elsewhere = make_case(territory, region=territory.grid_b1_1, reporter="grid_b", title="别处")
    out = api_client(territory.user("supervisor")).get(f"{API}/{second.pk}").json()
    assert [d["number"] for d in out["duplicates"]] == [first.number]
    assert elsewhere.number not in str(out["duplicates"])
    dispatched = make_case(territory, "dispatched")
    assert api_client(territory.user("supervisor")).get(f"{API}/{dispatched.pk}").json()["duplicates"] == []


def test_reports_count_sources_after_a_merge(territory, api_client):
    keeper = make_case(territory, "registered")
    hotline = make_case(
        territory,
        source="hotline",
        reporter="supervisor",
        reporter_name="李四",
        reporter_contact="13912345678",
    )
    act(api_client(territory.user("supervisor")), hotline, "merge", {"into": keeper.number})
    out = api_client(territory.user("commander")).get(f"{API}/{keeper.pk}").json()
    assert out["reports"] == {
        "count": 2,
        "sources": [
            {"source": "grid_report", "label": "网格员上报", "count": 1},
            {"source": "hotline", "label": "热线受理", "count": 1},
        ],
    }
    assert not [secret for secret in ("李四", "13912345678", "139****5678") if secret in str(out)]


# --- scope ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "visible"),
    [
        ("admin", True),
        ("supervisor", True),
        ("commander", True),
        ("leader", True),
        ("township_a", True),  # the parent township
        ("grid_a", True),  # the case's own grid
        ("grid_a2", False),  # the sibling grid
        ("township_b", False),
        ("grid_b", False),
        ("officer", False),  # not dispatched yet
        ("other_officer", False),
        ("reward", False),
        ("nobody", False),
    ],
)
def test_who_sees_a_reported_case(territory, api_client, username, visible):
    case = make_case(territory)
    client = api_client(territory.user(username))
    response = client.get(f"{API}/{case.pk}")
    if visible:
        assert response.status_code == 200, response.content
    else:
        assert_not_found(response)
        # Out of scope looks exactly like missing, for every door.
        assert_not_found(act(client, case, "register"))
        assert_not_found(client.get(f"{API}/999999"))


def test_department_sees_only_what_is_dispatched_to_it(territory, api_client):
    case = make_case(territory, "registered")
    assert_not_found(api_client(territory.user("officer")).get(f"{API}/{case.pk}"))
    act(api_client(territory.user("commander")), case, "dispatch", {"department": "yingji"})
    assert api_client(territory.user("officer")).get(f"{API}/{case.pk}").status_code == 200
    other = api_client(territory.user("other_officer"))
    assert_not_found(other.get(f"{API}/{case.pk}"))
    assert_not_found(act(other, case, "accept"))
    officer_list = api_client(territory.user("officer")).get(API).json()["items"]
    assert [item["id"] for item in officer_list] == [case.pk]


def test_township_b_cannot_act_on_township_a(territory, api_client):
    case = make_case(territory, "dispatched", unit="township")
    client = api_client(territory.user("township_b"))
    for action in ("accept", "return", "register", "void"):
        assert_not_found(act(client, case, action, {"note": "x"}))


def test_no_credentials_is_401(territory, client):
    case = make_case(territory)
    assert client.get(f"{API}/{case.pk}").status_code == 401
    assert post(client, f"{API}/{case.pk}/actions/register").status_code == 401


@pytest.mark.parametrize("case_id", ["0", "-1", "abc", str(2**63)])
def test_bad_ids(territory, api_client, case_id):
    response = api_client(territory.user("commander")).get(f"{API}/{case_id}")
    assert response.status_code in (400, 404), response.content
    assert response.json()["code"] in ("invalid", "not_found")


# --- deadlines in working time ------------------------------------------------------------------------------


def test_dispatch_deadline_in_working_days_across_the_spring_festival(territory, api_client):
    """安全生产/危险化学品: 3 working days. Dispatched on Thursday 12 Feb 2026: Fri 13th, the make-up Saturday 14th,
    then Tuesday 24th after 春节, at the close of office hours."""
    category = Category.objects.get(code="safety_hazardous_chemicals")
    assert (category.deadline_value, category.deadline_unit) == (3, "days")
    case = make_case(territory, "registered", category=category.code)
    dispatched = local(2026, 2, 12, 10, 0)
    with loop_clock_at(dispatched):
        response = act(api_client(territory.user("commander")), case, "dispatch", {"department": "yingji"})
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.dispatched_at == dispatched
    assert case.due_at == get_calendar().add_working_days(case.dispatched_at, 3) == local(2026, 2, 24, 18, 0)
    assert when(response.json()["due_at"]) == case.due_at


def test_dispatch_deadline_in_working_hours(territory, api_client):
    """非法销售: 4 working hours from Friday 11:00 — one hour before lunch, then 14:30–17:30."""
    case = make_case(territory, "registered", category=HOURS_CATEGORY)
    with loop_clock_at(local(2026, 3, 6, 11, 0)):
        response = act(
            api_client(territory.user("commander")), case, "dispatch", {"township": territory.township_a.code}
        )
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.due_at == get_calendar().add_working_hours(case.dispatched_at, 4) == local(2026, 3, 6, 17, 30)
    assert when(response.json()["due_at"]) == case.due_at


def test_dispatch_deadline_now(territory, api_client):
    """Without a stopped clock: the deadline is the category's working days from the real dispatch time."""
    case = make_case(territory, "registered", category=DAYS_CATEGORY)
    act(api_client(territory.user("commander")), case, "dispatch", {"department": "yingji"})
    case.refresh_from_db()
    assert case.due_at == get_calendar().add_working_days(case.dispatched_at, 1)


def test_suspension_stops_the_clock_and_resume_restarts_it(territory, api_client):
    case = make_case(territory, "registered")  # 1 working day
    commander = api_client(territory.user("commander"))
    calendar = get_calendar()
    with loop_clock_at(local(2026, 3, 2, 9, 0)):  # Monday
        act(commander, case, "dispatch", {"department": "yingji"})
    case.refresh_from_db()
    assert case.due_at == local(2026, 3, 3, 18, 0)
    suspended_at = local(2026, 3, 2, 10, 0)
    with loop_clock_at(suspended_at):
        response = act(commander, case, "suspend", {"note": "等待联合执法"})
    assert response.status_code == 200, response.content
    assert response.json()["is_suspended"] is True
    # While suspended, the escalation run does not flag it even long after the old deadline.
    escalation.cases_escalate_overdue(now=local(2026, 3, 4, 9, 0))
    case.refresh_from_db()
    assert (case.is_overdue, case.due_at) == (False, local(2026, 3, 3, 18, 0))
    left = calendar.working_time_between(suspended_at, case.due_at)
    assert left == dt.timedelta(hours=12, minutes=30)  # Mon 10:00–12:00, 14:30–18:00, and all of Tuesday
    resumed_at = local(2026, 3, 5, 9, 0)  # Thursday
    with loop_clock_at(resumed_at):
        response = act(commander, case, "resume", {"note": "恢复办理"})
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.due_at == calendar.add_working_hours(resumed_at, left) == local(2026, 3, 6, 17, 0)
    assert (case.is_suspended, case.is_overdue) == (False, False)
    out = response.json()
    assert (when(out["due_at"]), out["is_suspended"]) == (case.due_at, False)
    assert [e["action"] for e in out["timeline"]][-2:] == ["suspend", "resume"]


def test_extension_approval_moves_the_deadline(territory, api_client):
    case = make_case(territory, "registered")
    with loop_clock_at(local(2026, 3, 2, 9, 0)):
        act(api_client(territory.user("commander")), case, "dispatch", {"department": "yingji"})
        act(api_client(territory.user("officer")), case, "accept")
        act(
            api_client(territory.user("officer")),
            case,
            "request_extension",
            {"note": "样品送检", "value": 2, "unit": "days"},
        )
    case.refresh_from_db()
    old_due = case.due_at
    with loop_clock_at(local(2026, 3, 3, 10, 0)):
        response = act(api_client(territory.user("commander")), case, "approve_extension", {"note": "同意"})
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.due_at == get_calendar().add_working_days(old_due, 2) == local(2026, 3, 5, 18, 0)
    assert (case.extension_count, case.is_overdue) == (1, False)
    out = response.json()
    assert when(out["due_at"]) == case.due_at and out["pending_extension"] is None


# --- reporters stay private ---------------------------------------------------------------------------------

NAME, PHONE = "欧阳来电", "13512349876"
SECRETS = (NAME, PHONE, "135****9876")


def test_reporter_contact_never_in_any_answer(territory, api_client):
    """A hotline case through the whole loop: no answer to anyone carries the caller's name or number."""
    bodies = []
    supervisor = api_client(territory.user("supervisor"))
    created = post(
        supervisor,
        API,
        {
            "category": DAYS_CATEGORY,
            "region": territory.grid_a1_1.code,
            "title": "来电反映非法生产",
            "description": "来电人称村东头仓库夜间加工",
            "source": "hotline",
            "reporter_name": NAME,
            "reporter_contact": PHONE,
        },
    )
    assert created.status_code == 201, created.content
    bodies.append(created)
    case_id = created.json()["id"]

    class Ref:
        pk = case_id

    steps = [
        ("supervisor", "register", {}),
        ("commander", "dispatch", {"department": "yingji"}),
        ("officer", "accept", {}),
        ("officer", "request_extension", {"note": "送检", "value": 1, "unit": "days"}),
        ("commander", "approve_extension", {}),
        ("officer", "resolve", {"note": "已取缔"}),
        ("supervisor", "close", {}),
    ]
    for username, action, data in steps:
        response = act(api_client(territory.user(username)), Ref, action, data)
        assert response.status_code == 200, (action, response.content)
        bodies.append(response)
    for username in ("supervisor", "commander", "officer", "township_a", "grid_a", "leader", "admin"):
        client = api_client(territory.user(username))
        for url in (f"{API}/{case_id}", API, f"{API}/inbox", f"{API}?q=来电"):
            response = client.get(url)
            assert response.status_code == 200, (username, url)
            bodies.append(response)
    for response in bodies:
        text = response.content.decode()
        leaked = [secret for secret in SECRETS if secret in text]
        assert not leaked, (response.request["PATH_INFO"], leaked)
