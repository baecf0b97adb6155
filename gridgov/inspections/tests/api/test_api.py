"""The API: scoping (a covert plan is invisible to the visited township until reported), the chain over HTTP,
errors in the shared format, and list query counts that do not grow with the list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.inspections.models import ChecklistItem, Inspection, Plan, Rectification
from gridgov.inspections.services import plans
from gridgov.inspections.tests.conftest import inspect, make_place

API = "/api/v1"
NOT_FOUND = {"detail": "未找到，或不在您的管辖范围内。", "code": "not_found"}


@pytest.fixture
def covert_visit(world):
    t = world.territory
    (visit,) = plans.plan_add_targets(
        actor=t.user("other_officer"), plan=world.covert, townships=[t.township_a]
    )
    inspect(t.user("other_officer"), visit, fail=("no_shop_selling",))
    return visit


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["items"]}


@pytest.mark.parametrize("name", ["township_a", "grid_a", "officer", "leader", "supervisor", "commander"])
def test_covert_plan_is_invisible_until_reported(world, covert_visit, client_for, name):
    t = world.territory
    client = client_for(t.user(name))
    assert world.covert.pk not in _ids(client.get(f"{API}/inspections/plans"))
    assert world.overt.pk in _ids(client.get(f"{API}/inspections/plans"))
    response = client.get(f"{API}/inspections/plans/{world.covert.pk}")
    assert response.status_code == 404 and response.json() == NOT_FOUND
    assert covert_visit.pk not in _ids(client.get(f"{API}/inspections/inspections"))
    assert client.get(f"{API}/inspections/inspections/{covert_visit.pk}").status_code == 404
    assert _ids(client.get(f"{API}/inspections/findings")) == set()
    # after the report the township sees the plan, the visit, its findings and the rectification
    plans.plan_report(actor=t.user("other_officer"), plan=world.covert)
    assert world.covert.pk in _ids(client.get(f"{API}/inspections/plans"))
    assert client.get(f"{API}/inspections/plans/{world.covert.pk}").status_code == 200


def test_after_report_the_township_sees_its_record_and_the_sibling_does_not(world, covert_visit, client_for):
    t = world.territory
    plans.plan_report(actor=t.user("other_officer"), plan=world.covert)
    rect = Rectification.objects.get(inspection=covert_visit)
    for name in ("township_a", "supervisor", "leader", "admin", "other_officer"):
        client = client_for(t.user(name))
        assert rect.pk in _ids(client.get(f"{API}/rectifications")), name
        assert len(_ids(client.get(f"{API}/inspections/findings?covert=true"))) == 1, name
    for name in ("township_b", "grid_b"):
        client = client_for(t.user(name))
        assert _ids(client.get(f"{API}/rectifications")) == set(), name
        assert client.get(f"{API}/rectifications/{rect.pk}").status_code == 404


def test_the_organiser_and_admin_see_the_covert_plan(world, covert_visit, client_for):
    for name in ("other_officer", "admin"):
        client = client_for(world.territory.user(name))
        assert world.covert.pk in _ids(client.get(f"{API}/inspections/plans"))
        assert client.get(f"{API}/inspections/inspections/{covert_visit.pk}").status_code == 200


def test_the_chain_over_http(world, client_for):
    t = world.territory
    client = client_for(t.user("officer"))
    response = client.post(
        f"{API}/inspections/plans",
        {
            "name": "零售点明查",
            "mode": "overt",
            "department": "yingji",
            "checklist": "fireworks_retail",
            "team_name": "一组",
            "members": ["officer"],
            "starts_on": "2026-01-05",
            "ends_on": "2026-01-30",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    plan_id = response.json()["id"]
    assert response.json()["members"] == ["officer"]
    response = client.post(
        f"{API}/inspections/plans/{plan_id}/draws",
        {"count": 2, "kinds": ["fireworks_retail"], "region": t.township_a.code, "seed": 7},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["result_reproduced"] is True and body["draw"]["population_count"] == 2
    assert set(body["draw"]["result"]) == {world.shop_a.pk, world.shop_a2.pk}
    check = client.get(f"{API}/inspections/plans/{plan_id}/draws/{body['draw']['id']}").json()
    assert check["population_unchanged"] is True and check["result_reproduced"] is True
    inspection = Inspection.objects.get(plan_id=plan_id, place=world.shop_a)
    items = list(ChecklistItem.objects.filter(checklist=world.retail).order_by("sort_order"))
    url = f"{API}/inspections/inspections/{inspection.pk}"
    for item in items:
        failed = item.code == "extinguishers"
        response = client.post(
            f"{url}/answers/{item.pk}",
            {
                "result": "fail" if failed else "pass",
                "note": "灭火器过期" if failed else "",
                "value": "20" if item.answer_type == "number" else "",
            },
        )
        assert response.status_code == 200, response.content
    detail = client.get(url).json()
    assert detail["state"] == "draft" and len(detail["answers"]) == len(items)
    response = client.post(
        f"{url}/submit", {"latitude": 34.06, "longitude": 114.85}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["finding_count"] == 1
    rows = client.get(f"{API}/rectifications").json()["items"]
    assert len(rows) == 1 and rows[0]["severity"] == "general" and rows[0]["case_number"]
    rect_id = rows[0]["id"]
    detail = client.get(f"{API}/rectifications/{rect_id}").json()
    assert detail["findings"][0]["description"] == "灭火器过期"
    notice = client.get(f"{API}/rectifications/{rect_id}/notice.docx")
    assert notice.status_code == 200 and notice.content[:2] == b"PK"
    assert client.get(f"{API}/rectifications/board").json()["open"] == 1
    visit = detail["waiting_visit"]
    assert visit
    failed = {"passed": False, "note": "仍未整改", "visit": visit}
    response = client.post(
        f"{API}/rectifications/{rect_id}/reinspect", failed, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["fail_count"] == 1
    # the same request retried: 409, not a second failure
    response = client.post(
        f"{API}/rectifications/{rect_id}/reinspect", failed, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["code"] == "reinspection_recorded"
    assert client.get(f"{API}/rectifications/{rect_id}").json()["fail_count"] == 1
    assert client.get(f"{API}/rectifications/{rect_id}").json()["waiting_visit"] not in (None, visit)
    response = client.post(
        f"{API}/rectifications/{rect_id}/reinspect", {"passed": True}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["state"] == "closed"
    response = client.post(
        f"{API}/rectifications/{rect_id}/reinspect", {"passed": True}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["code"] == "rectification_closed"


def test_errors_use_the_shared_format(world, client_for):
    t = world.territory
    (inspection,) = plans.plan_add_targets(actor=t.user("officer"), plan=world.overt, places=[world.shop_a])
    item = ChecklistItem.objects.get(checklist=world.retail, code="licence_displayed")
    client = client_for(t.user("officer"))
    url = f"{API}/inspections/inspections/{inspection.pk}"
    response = client.post(f"{url}/answers/{item.pk}", {"result": "fail"})
    assert (
        response.status_code == 400
        and response.json()["code"] == "invalid"
        and "note" in response.json()["fields"]
    )
    response = client.post(f"{url}/submit", {}, content_type="application/json")
    assert response.status_code == 400 and f"item_{item.pk}" in response.json()["fields"]
    response = client.post(
        f"{API}/inspections/plans", {"name": "", "mode": "x"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["fields"]
    # the leader sees the inspection but may not write: 403
    leader = client_for(t.user("leader"))
    response = leader.post(f"{url}/answers/{item.pk}", {"result": "pass"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    # the sibling township's grid worker does not see it: 404
    assert client_for(t.user("grid_b")).get(url).status_code == 404
    # the parent township sees it
    assert client_for(t.user("township_a")).get(url).status_code == 200
    response = client_for(t.user("officer")).post(
        f"{API}/inspections/plans/{world.overt.pk}/draws", {"count": 0}, content_type="application/json"
    )
    assert response.status_code == 400


def _grow(world, n):
    """n more inspected shops with a rectification each, and n more plans."""
    t = world.territory
    shops = [make_place(t.grid_a1_1, f"店{Plan.objects.count()}-{i}") for i in range(n)]
    created = plans.plan_add_targets(actor=t.user("officer"), plan=world.overt, places=shops)
    for inspection in created:
        inspect(t.user("officer"), inspection, fail=("extinguishers",))
    for i in range(n):
        plans.plan_create(
            actor=t.user("officer"),
            name=f"计划{i}",
            mode="overt",
            department=t.department,
            checklist=world.retail,
            team_name="组",
            starts_on=world.overt.starts_on,
            ends_on=world.overt.ends_on,
            members=[t.user("officer")],
        )


@pytest.mark.parametrize(
    "path", ["/rectifications", "/inspections/inspections", "/inspections/findings", "/inspections/plans"]
)
def test_list_query_counts_do_not_grow(world, client_for, path):
    client = client_for(world.territory.user("township_a"))

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"{API}{path}")
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["count"]

    _grow(world, 2)
    few, n_few = count()
    _grow(world, 5)
    many, n_many = count()
    assert n_many > n_few
    assert many == few


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/inspections/inspections?plan=99999999999999999999", None),
        ("get", "/inspections/inspections?plan=9223372036854775807", None),
        ("get", "/inspections/inspections?state=%00", None),
        ("get", "/inspections/findings?severity=huge&township=1", None),
        ("get", "/inspections/findings?township=411627999", None),
        ("get", "/rectifications?bucket=everything", None),
        ("get", "/rectifications/9223372036854775808", None),
        ("get", "/inspections/checklists/0", None),
        ("get", "/inspections/plans/1/draws/999", None),
        ("post", "/inspections/plans", {"name": "a\x00b", "mode": "overt"}),
        (
            "post",
            "/inspections/plans",
            {
                "name": "x",
                "mode": "overt",
                "department": "nope",
                "checklist": "fireworks_retail",
                "team_name": "t",
                "starts_on": "2026-01-01",
                "ends_on": "2026-01-02",
            },
        ),
        (
            "post",
            "/inspections/plans",
            {
                "name": "x",
                "mode": "overt",
                "department": "yingji",
                "checklist": "fireworks_retail",
                "team_name": "t",
                "starts_on": "2026-01-01",
                "ends_on": "2026-01-02",
                "members": ["ghost"],
            },
        ),
        ("post", "/inspections/plans/{plan}/targets", {"places": [999999]}),
        ("post", "/inspections/plans/{plan}/targets", {"townships": ["411627999"]}),
        ("post", "/inspections/plans/{plan}/targets", {"townships": ["411627101"]}),
        ("post", "/inspections/plans/{plan}/draws", {"count": 3, "region": "999999"}),
        ("post", "/inspections/plans/{plan}/draws", {"count": 3, "seed": 2**63}),
        ("post", "/rectifications/1/reinspect", {"passed": "maybe"}),
    ],
)
def test_bad_input_never_gives_a_500(world, client_for, method, path, body):
    client = client_for(world.territory.user("officer"))
    url = API + path.format(plan=world.overt.pk)
    response = client.get(url) if method == "get" else client.post(url, body, content_type="application/json")
    assert response.status_code in (400, 404), response.content
    payload = response.json()
    assert set(payload) >= {"detail", "code"}


def test_answer_endpoint_rejects_nul_and_unknown_items(world, client_for):
    t = world.territory
    (inspection,) = plans.plan_add_targets(actor=t.user("officer"), plan=world.overt, places=[world.shop_a])
    client = client_for(t.user("officer"))
    url = f"{API}/inspections/inspections/{inspection.pk}/answers"
    item = ChecklistItem.objects.filter(checklist=world.retail).first()
    assert client.post(f"{url}/{item.pk}", {"result": "pass", "note": "a\x00"}).status_code == 400
    assert client.post(f"{url}/999999", {"result": "pass"}).status_code == 400
    assert client.post(f"{url}/{item.pk}", {"result": "nope"}).status_code == 400


def test_checklists_api(world, client_for):
    client = client_for(world.territory.user("grid_a"))
    rows = client.get(f"{API}/inspections/checklists").json()
    codes = {r["code"]: r for r in rows}
    assert set(codes) == {
        "fireworks_retail",
        "fireworks_storage",
        "fireworks_transport",
        "industry_trade_safety",
        "township_fireworks_ban",
    }
    detail = client.get(f"{API}/inspections/checklists/{codes['fireworks_retail']['id']}").json()
    assert len(detail["items"]) == codes["fireworks_retail"]["item_count"] == 10
    assert all(i["rule"] and i["severity"] in ("general", "major") for i in detail["items"])
