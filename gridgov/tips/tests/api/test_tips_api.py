import pytest
from django.db import connection

from gridgov.core.models import AccessLog
from gridgov.tips.models import Reward, Tip
from gridgov.tips.tests.helpers import NAME, PHONE, closed_with_reward, count_queries, make_tip

READERS = ("admin", "supervisor", "commander", "reward")
NOT_READERS = ("leader", "officer", "township_a", "grid_a", "nobody")


@pytest.fixture
def api(client):
    def _as(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return _as


def test_list_needs_a_tip_role_and_hides_the_reporter(territory, sale, api):
    make_tip(territory, sale)
    assert api(None).get("/api/v1/tips").status_code == 401
    for name in NOT_READERS:
        response = api(territory.user(name)).get("/api/v1/tips")
        assert response.status_code == 403, name
        assert response.json()["code"] == "forbidden"
    for name in READERS:
        body = api(territory.user(name)).get("/api/v1/tips").json()
        assert body["count"] == 1
        item = body["items"][0]
        if name == "reward":
            assert item["reporter_phone_masked"] == "139****5678" and item["tracking_code"]
        else:
            assert item["reporter_phone_masked"] is None and item["tracking_code"] is None
        assert NAME not in str(body) and PHONE not in str(body)


def test_list_query_count_does_not_grow(territory, sale, api, django_assert_max_num_queries):
    client = api(territory.user("commander"))
    make_tip(territory, sale, address="一号")
    client.get("/api/v1/tips")  # warm the session
    one = count_queries(lambda: client.get("/api/v1/tips"))
    assert one <= 8
    for n in range(2, 12):
        make_tip(territory, sale, address=f"{n} 号", reporter_phone=f"1391234{n:04d}")
    connection.queries_log.clear()
    with django_assert_max_num_queries(one):
        assert client.get("/api/v1/tips").json()["count"] == 11


def test_detail_scope_and_reporter_reveal(territory, sale, api):
    receipt = make_tip(territory, sale)
    tip_id = receipt.tip.pk
    url = f"/api/v1/tips/{tip_id}"
    assert api(territory.user("commander")).get(url).json()["public_status"] == "open"
    assert api(territory.user("commander")).get("/api/v1/tips/999999").status_code == 404
    response = api(territory.user("commander")).post(
        f"{url}/reporter", {"reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    response = api(territory.user("reward")).post(
        f"{url}/reporter", {"reason": ""}, content_type="application/json"
    )
    assert response.status_code == 400 and "reason" in response.json()["fields"]
    response = api(territory.user("reward")).post(
        f"{url}/reporter", {"reason": "核实"}, content_type="application/json"
    )
    assert response.json() == {"name": NAME, "phone": PHONE, "claim_contact": ""}
    assert AccessLog.objects.filter(object_id=str(tip_id), actor=territory.user("reward")).count() == 1


def test_phone_in_tip_goes_through_the_same_pipeline(territory, sale, api):
    body = {
        "category": sale.code,
        "region": territory.village_b1.code,
        "description": "来电反映王集村有人卖鞭炮",
        "reporter_phone": "13800001111",
    }
    assert (
        api(territory.user("officer"))
        .post("/api/v1/tips/phone", body, content_type="application/json")
        .status_code
        == 403
    )
    response = api(territory.user("reward")).post("/api/v1/tips/phone", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    tip = Tip.objects.get(pk=data["id"])
    assert (
        tip.channel == "phone" and tip.entered_by == territory.user("reward") and tip.case.reported_by is None
    )
    assert data["tracking_code"] == tip.tracking_code and len(data["secret"]) == 8
    bad = api(territory.user("reward")).post(
        "/api/v1/tips/phone", {**body, "category": "other_general"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "category" in bad.json()["fields"]
    bad = api(territory.user("reward")).post(
        "/api/v1/tips/phone", {**body, "region": "1"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "region" in bad.json()["fields"]


def test_reward_actions_over_the_api(territory, sale, api):
    _receipt, reward = closed_with_reward(territory, sale)
    url = f"/api/v1/tips/rewards/{reward.pk}"
    assert api(territory.user("commander")).get("/api/v1/tips/rewards?state=proposed").json()["count"] == 1
    refused = api(territory.user("commander")).post(
        f"{url}/approve", {"amount": 2000, "violation_confirmed": True}, content_type="application/json"
    )
    assert refused.status_code == 403
    out_of_range = api(territory.user("reward")).post(
        f"{url}/approve", {"amount": 1, "violation_confirmed": True}, content_type="application/json"
    )
    assert out_of_range.status_code == 400 and "amount" in out_of_range.json()["fields"]
    early = api(territory.user("reward")).post(
        f"{url}/pay", {"method": "cash"}, content_type="application/json"
    )
    assert early.status_code == 409 and early.json()["code"] == "invalid_transition"
    ok = api(territory.user("reward")).post(
        f"{url}/approve", {"amount": 2000, "violation_confirmed": True}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["state"] == "approved" and ok.json()["amount"] == 2000
    again = api(territory.user("reward")).post(
        f"{url}/refuse", {"reason": "晚了"}, content_type="application/json"
    )
    assert again.status_code == 409
    assert Reward.objects.get().state == "approved"


def test_spam_is_voided_by_the_supervisor(territory, sale, api):
    receipt = make_tip(territory, sale)
    url = f"/api/v1/tips/{receipt.tip.pk}/void-spam"
    assert (
        api(territory.user("commander"))
        .post(url, {"note": "恶意"}, content_type="application/json")
        .status_code
        == 403
    )
    response = api(territory.user("supervisor")).post(url, {"note": "恶意"}, content_type="application/json")
    assert response.json() == {"tips_marked": 1, "case_state": "voided"}
    assert (
        api(territory.user("supervisor"))
        .post(url, {"note": "恶意"}, content_type="application/json")
        .status_code
        == 409
    )


def test_rules_read_by_all_and_written_by_the_admin(territory, sale, api):
    rules = api(territory.user("grid_a")).get("/api/v1/tips/rules").json()
    assert any(r["category"] == sale.code and r["max_amount"] == 10000 for r in rules)
    body = {"min_amount": 500, "max_amount": 6000, "shared": "split"}
    url = f"/api/v1/tips/rules/{sale.code}"
    assert api(territory.user("reward")).put(url, body, content_type="application/json").status_code == 403
    response = api(territory.user("admin")).put(url, body, content_type="application/json")
    assert response.status_code == 200 and response.json()["shared"] == "split"
    bad = api(territory.user("admin")).put(url, {**body, "min_amount": 9000}, content_type="application/json")
    assert bad.status_code == 400 and "min_amount" in bad.json()["fields"]
    assert (
        api(territory.user("admin"))
        .put("/api/v1/tips/rules/nope", body, content_type="application/json")
        .status_code
        == 404
    )


def test_reward_list_query_count_does_not_grow(territory, sale, api, django_assert_max_num_queries):
    closed_with_reward(territory, sale, address="一号")
    client = api(territory.user("reward"))
    client.get("/api/v1/tips/rewards")
    one = count_queries(lambda: client.get("/api/v1/tips/rewards"))
    for n in range(2, 6):
        closed_with_reward(territory, sale, address=f"{n} 号", reporter_phone=f"1391234{n:04d}")
    connection.queries_log.clear()
    with django_assert_max_num_queries(one):
        body = client.get("/api/v1/tips/rewards").json()
    assert body["count"] == 5 and {r["state"] for r in body["items"]} == {"proposed"}
    assert all(NAME not in str(r) and PHONE not in str(r) for r in body["items"])
