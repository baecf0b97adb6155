"""POST and GET /api/v1/cases, the inbox and the categories: filing, filters, scope and a query count that does not
grow with the page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.accounts.services import api_token_create
from gridgov.cases.models import Case, CaseEvent, CaseReport, Category
from gridgov.cases.services import escalation
from gridgov.cases.tests.api.conftest import (
    API,
    DAYS_CATEGORY,
    HOURS_CATEGORY,
    assert_error,
    assert_field_error,
    assert_not_found,
    loop_clock_at,
    make_case,
    post,
)
from gridgov.conftest import TOWNSHIP_A, VILLAGE_A1
from gridgov.core.models import AuditLog


def body(territory, **changes):
    data = {
        "category": DAYS_CATEGORY,
        "region": territory.grid_a1_1.code,
        "title": "村东头仓库疑似非法生产烟花",
        "description": "夜间有车辆进出搬运纸箱，有火药味",
        "address": "常营西村东头",
        "latitude": 34.065812,
        "longitude": 114.853201,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def items(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["items"]


def numbers(response) -> set[str]:
    return {item["number"] for item in items(response)}


# --- create ---------------------------------------------------------------------------------------------------


def test_create(territory, api_client):
    client = api_client(territory.user("grid_a"))
    response = post(client, API, body(territory))
    assert response.status_code == 201, response.content
    out = response.json()
    case = Case.objects.get(pk=out["id"])
    assert (case.state, case.source, case.reported_by, case.township) == (
        "reported",
        "grid_report",
        territory.user("grid_a"),
        territory.township_a,
    )
    assert out["number"] == case.number and len(case.number) == 13
    assert (out["state"], out["state_label"], out["source"], out["source_label"]) == (
        "reported",
        "已受理",
        "grid_report",
        "网格员上报",
    )
    assert out["category"] == {"code": DAYS_CATEGORY, "name": "非法生产", "group": "烟花爆竹"}
    assert out["region"] == {
        "code": territory.grid_a1_1.code,
        "name": territory.grid_a1_1.name,
        "level": "grid",
    }
    assert out["township"]["code"] == TOWNSHIP_A
    assert (out["latitude"], out["longitude"]) == (34.065812, 114.853201)
    assert (out["due_at"], out["unit"], out["routing"]) == (None, None, None)
    assert out["reports"] == {
        "count": 1,
        "sources": [{"source": "grid_report", "label": "网格员上报", "count": 1}],
    }
    assert [(e["action"], e["to_state"]) for e in out["timeline"]] == [("report", "reported")]
    assert AuditLog.objects.filter(action="case.report", object_id=str(case.pk)).exists()
    # And the reporter can read it straight away.
    assert client.get(f"{API}/{case.pk}").json() == out


@pytest.mark.parametrize(
    ("username", "changes"),
    [
        ("grid_a", {}),
        ("grid_a", {"latitude": ..., "longitude": ..., "address": ...}),
        ("supervisor", {"source": "hotline", "reporter_name": "张三", "reporter_contact": "13812345678"}),
        ("township_a", {"region": VILLAGE_A1, "source": "referral"}),
    ],
)
def test_the_answer_to_a_filing_is_the_case_as_read_back(territory, api_client, username, changes):
    """The filing's answer is built from what the filing holds (not read back): it must equal GET of the case,
    duplicates included (two earlier cases of the same category and place), for every kind of filer."""
    user = territory.user(username)
    user.display_name = "值班员"
    user.save(update_fields=["display_name"])
    client = api_client(user)
    for _ in range(2):
        assert post(client, API, body(territory, **changes)).status_code == 201
    response = post(client, API, body(territory, **changes))
    assert response.status_code == 201, response.content
    out = response.json()
    assert len(out["duplicates"]) == 2 and out["timeline"][0]["actor"]["display_name"] == "值班员"
    assert client.get(f"{API}/{out['id']}").json() == out


def test_create_with_a_bearer_token(territory, client):
    _token, plain = api_token_create(actor=None, user=territory.user("township_a"), name="t")
    response = client.post(
        API,
        body(territory, region=VILLAGE_A1, source="referral"),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {plain}",
    )
    assert response.status_code == 201, response.content
    assert Case.objects.get(pk=response.json()["id"]).source == "referral"


def test_hotline_keeps_the_caller_sealed(territory, api_client):
    response = post(
        api_client(territory.user("supervisor")),
        API,
        body(territory, source="hotline", reporter_name="张三丰", reporter_contact="13812345678"),
    )
    assert response.status_code == 201, response.content
    report = CaseReport.objects.get(case_id=response.json()["id"])
    assert (report.reporter_name, report.reporter_contact_masked) == ("张三丰", "138****5678")
    assert report.reporter_contact_sealed and "13812345678" not in report.reporter_contact_sealed
    text = response.content.decode()
    assert not [secret for secret in ("张三丰", "13812345678", "138****5678") if secret in text]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": "no_such_category"}, "category"),
        ({"category": "bad code!"}, "category"),
        ({"category": ...}, "category"),
        ({"region": "411627999999001"}, "region"),
        ({"region": "411627"}, "region"),  # the county: not a place
        ({"region": "abc"}, "region"),
        ({"region": "411627202201001"}, "region"),  # grid_a cannot file in township B
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 101}, "title"),
        ({"title": "烟\x00花"}, "title"),
        ({"description": ...}, "description"),
        ({"address": "x" * 201}, "address"),
        ({"latitude": 91}, "latitude"),
        ({"longitude": -181}, "longitude"),
        ({"latitude": "north"}, "latitude"),
        ({"source": "tip"}, "source"),  # the tip line has its own door
        ({"source": "rumour"}, "source"),
        ({"reporter_contact": "13812345678"}, "reporter_contact"),  # only for the hotline
        ({"reporter_name": "张三"}, "reporter_name"),
        ({"source": "hotline", "reporter_contact": "12345"}, "reporter_contact"),
    ],
)
def test_create_bad_input_is_400_and_stores_nothing(territory, api_client, changes, field):
    before = (Case.objects.count(), CaseEvent.objects.count(), CaseReport.objects.count())
    response = post(api_client(territory.user("grid_a")), API, body(territory, **changes))
    assert_field_error(response, field)
    assert (Case.objects.count(), CaseEvent.objects.count(), CaseReport.objects.count()) == before


def test_out_of_scope_region_reads_like_a_missing_one(territory, api_client):
    client = api_client(territory.user("grid_a"))
    foreign = post(client, API, body(territory, region=territory.grid_b1_1.code))
    missing = post(client, API, body(territory, region="411627202201009"))
    assert foreign.json() == missing.json()


def test_inactive_category_is_refused(territory, api_client):
    Category.objects.filter(code=DAYS_CATEGORY).update(is_active=False)
    assert_field_error(post(api_client(territory.user("grid_a")), API, body(territory)), "category")


@pytest.mark.parametrize("username", ["leader", "officer", "reward"])
def test_roles_that_do_not_report_are_403(territory, api_client, username):
    response = post(api_client(territory.user(username)), API, body(territory))
    assert_error(response, 403, "forbidden")
    assert not Case.objects.exists()


def test_no_credentials_is_401(territory, client):
    assert client.post(API, body(territory), content_type="application/json").status_code == 401
    assert client.get(API).status_code == 401


# --- list and filters -----------------------------------------------------------------------------------------


@pytest.fixture
def cases(territory):
    """A reported case in grid A1-1, a hotline case dispatched to 应急管理局, an hours-category case dispatched to
    township A and escalated as overdue, and a closed case in township B."""
    reported = make_case(territory, title="仓库疑似非法生产")
    hotline = make_case(territory, "dispatched", title="加工点", source="hotline", reporter="supervisor")
    with loop_clock_at(timezone.now() - dt.timedelta(days=30)):
        overdue = make_case(
            territory,
            "dispatched",
            category=HOURS_CATEGORY,
            region=territory.village_a2,
            unit="township",
            title="流动摊点",
            reporter="township_a",
        )
    escalation.cases_escalate_overdue()
    closed = make_case(
        territory, "closed", region=territory.grid_b1_1, reporter="grid_b", title="王集村批发点"
    )
    for case in (reported, hotline, overdue, closed):
        case.refresh_from_db()
    return {"reported": reported, "hotline": hotline, "overdue": overdue, "closed": closed}


def test_list_shows_what_the_user_may_see(territory, api_client, cases):
    def seen(username):
        return numbers(api_client(territory.user(username)).get(API))

    everything = {case.number for case in cases.values()}
    a = everything - {cases["closed"].number}
    assert seen("commander") == seen("supervisor") == seen("leader") == everything
    assert seen("township_a") == a
    assert seen("township_b") == {cases["closed"].number}
    assert seen("grid_a") == {cases["reported"].number, cases["hotline"].number}  # grid A1-1 only
    # 应急管理局 sees what was dispatched to it, wherever it lies.
    assert seen("officer") == {cases["hotline"].number, cases["closed"].number}
    assert seen("other_officer") == seen("nobody") == set()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=reported", {"reported"}),
        ("state=open", {"reported", "hotline", "overdue"}),
        ("state=closed", {"closed"}),
        (f"category={DAYS_CATEGORY}", {"reported", "hotline", "closed"}),
        ("category=fireworks", {"reported", "hotline", "overdue", "closed"}),  # a 大类
        (f"region={VILLAGE_A1}", {"reported", "hotline"}),
        (f"region={TOWNSHIP_A}", {"reported", "hotline", "overdue"}),
        ("department=yingji", {"hotline", "closed"}),
        (f"township={TOWNSHIP_A}", {"overdue"}),
        ("overdue=true", {"overdue"}),
        ("overdue=false", {"reported", "hotline", "closed"}),
        ("source=hotline", {"hotline"}),
        ("source=tip", set()),
        ("q=加工", {"hotline"}),
        ("q=批发点", {"closed"}),
        ("state=open&department=yingji", {"hotline"}),
    ],
)
def test_filters(territory, api_client, cases, query, expected):
    response = api_client(territory.user("commander")).get(f"{API}?{query}")
    assert numbers(response) == {cases[name].number for name in expected}


def test_filter_by_department_id_and_number_prefix(territory, api_client, cases):
    client = api_client(territory.user("commander"))
    assert numbers(client.get(f"{API}?department={territory.department.pk}")) == {
        cases["hotline"].number,
        cases["closed"].number,
    }
    assert numbers(client.get(f"{API}?q={cases['overdue'].number}")) == {cases["overdue"].number}


def test_list_item_shape(territory, api_client, cases):
    item = next(i for i in items(api_client(territory.user("commander")).get(f"{API}?overdue=true")))
    case = cases["overdue"]
    assert item["unit"] == {"kind": "township", "code": TOWNSHIP_A, "name": territory.township_a.name}
    assert (item["state"], item["is_overdue"], item["is_suspended"]) == ("dispatched", True, False)
    assert item["due_at"] is not None and item["number"] == case.number
    assert "timeline" not in item and "reports" not in item


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=lost", "state"),
        ("source=rumour", "source"),
        ("overdue=perhaps", "overdue"),
        ("department=no-such-unit", "department"),
        ("township=411627101201", "township"),  # a village
        ("region=abc", "region"),
        ("category=a%20b", "category"),
        ("page=0", "page"),
        ("page_size=100000", "page_size"),
    ],
)
def test_bad_filters_are_400(territory, api_client, query, field):
    assert_field_error(api_client(territory.user("commander")).get(f"{API}?{query}"), field)


def test_region_filter_out_of_scope_is_404(territory, api_client, cases):
    assert_not_found(
        api_client(territory.user("township_a")).get(f"{API}?region={territory.township_b.code}")
    )


def test_pagination(territory, api_client, cases):
    client = api_client(territory.user("commander"))
    first = client.get(f"{API}?page_size=3").json()
    second = client.get(f"{API}?page_size=3&page=2").json()
    assert (first["count"], first["page"], first["page_size"], len(first["items"])) == (4, 1, 3, 3)
    assert len(second["items"]) == 1
    # Newest first.
    assert [i["number"] for i in first["items"] + second["items"]] == sorted(
        (c.number for c in cases.values()), reverse=True
    )


def count_list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


def make_many(territory, n: int):
    """``n`` cases in every kind of state, unit and assignee."""
    shapes = [
        {},
        {"state": "dispatched"},
        {"state": "handling", "unit": "township"},
        {"state": "closed"},
        {"state": "registered", "suspended": True},
    ]
    for i in range(n):
        shape = dict(shapes[i % len(shapes)])
        make_case(territory, shape.pop("state", "reported"), title=f"案件{i}", **shape)


@pytest.mark.parametrize("username", ["commander", "officer", "township_a"])
@pytest.mark.parametrize("path", ["", "/inbox"])
def test_query_count_does_not_grow_with_the_page(territory, api_client, username, path):
    client = api_client(territory.user(username))
    make_many(territory, 3)
    few = count_list_queries(client, f"{API}{path}")
    make_many(territory, 22)
    many = count_list_queries(client, f"{API}{path}")
    assert few == many


# --- inbox -----------------------------------------------------------------------------------------------------


def test_inbox_per_role(territory, api_client, cases):
    def inbox(username):
        return [item["number"] for item in items(api_client(territory.user(username)).get(f"{API}/inbox"))]

    assert inbox("supervisor") == [cases["reported"].number]  # to register or void
    assert inbox("commander") == [cases["overdue"].number]  # overdue and on the clock
    assert inbox("officer") == [cases["hotline"].number]
    assert inbox("township_a") == [cases["overdue"].number]
    assert inbox("leader") == inbox("township_b") == inbox("nobody") == []


def test_inbox_puts_overdue_first(territory, api_client, cases):
    newer = make_case(territory, "dispatched", category=HOURS_CATEGORY, unit="township", title="新派遣")
    got = [item["number"] for item in items(api_client(territory.user("township_a")).get(f"{API}/inbox"))]
    assert got == [cases["overdue"].number, newer.number]


# --- categories ------------------------------------------------------------------------------------------------


def test_categories(territory, api_client):
    response = api_client(territory.user("grid_a")).get(f"{API}/categories")
    assert response.status_code == 200, response.content
    groups = {group["code"]: group for group in response.json()}
    assert {"fireworks", "work_safety", "air", "rural_environment", "epidemic", "other"} <= set(groups)
    sale = next(c for c in groups["fireworks"]["categories"] if c["code"] == HOURS_CATEGORY)
    assert sale == {
        "code": HOURS_CATEGORY,
        "name": "非法销售",
        "deadline_value": 4,
        "deadline_unit": "hours",
        "deadline_unit_label": "工作时",
        "department_code": "gongan",
        "public": True,
        "reward_eligible": True,
        "register_condition": "发现未取得许可证销售烟花爆竹的场所或流动摊点",
        "close_condition": "查扣违法物品，依法处罚，场所登记为已排查",
    }
    assert (
        sum(len(g["categories"]) for g in groups.values()) == Category.objects.filter(is_active=True).count()
    )


def test_inactive_categories_are_not_listed(territory, api_client):
    Category.objects.filter(code=HOURS_CATEGORY).update(is_active=False)
    response = api_client(territory.user("grid_a")).get(f"{API}/categories")
    codes = {c["code"] for group in response.json() for c in group["categories"]}
    assert HOURS_CATEGORY not in codes and DAYS_CATEGORY in codes
