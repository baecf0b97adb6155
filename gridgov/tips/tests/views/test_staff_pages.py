from django.db import connection

from gridgov.core.models import AccessLog
from gridgov.core.roles import Role
from gridgov.territory.services import grant_add
from gridgov.tips.models import Reward, RewardRule, Tip
from gridgov.tips.tests.conftest import close_case
from gridgov.tips.tests.helpers import NAME, PHONE, closed_with_reward, count_queries, make_tip

READERS = ("admin", "supervisor", "commander", "reward")
NOT_READERS = ("leader", "officer", "other_officer", "township_a", "grid_a", "grid_b", "nobody")


def test_staff_pages_are_for_tip_roles_only(territory, sale, client):
    receipt = make_tip(territory, sale)
    assert client.get("/tips/").status_code == 302  # to the login page
    for name in NOT_READERS:
        client.force_login(territory.user(name))
        for url in ("/tips/", "/tips/rewards/", f"/tips/{receipt.tip.pk}/"):
            assert client.get(url).status_code in (403, 404), (name, url)
    for name in READERS:
        client.force_login(territory.user(name))
        for url in ("/tips/", "/tips/rewards/", "/tips/rules/", f"/tips/{receipt.tip.pk}/"):
            assert client.get(url).status_code == 200, (name, url)


def test_a_township_reward_officer_sees_only_its_township(territory, sale, client):
    from gridgov.conftest import make_user

    local = make_user("reward_a")
    grant_add(actor=None, user=local, role=Role.REWARD_OFFICER, region=territory.township_a)
    mine = make_tip(territory, sale)
    theirs = make_tip(territory, sale, region=territory.village_b1)
    client.force_login(local)
    html = client.get("/tips/").content.decode()
    assert f"/tips/{mine.tip.pk}/" in html and f"/tips/{theirs.tip.pk}/" not in html
    assert client.get(f"/tips/{theirs.tip.pk}/").status_code == 404
    assert client.get(f"/tips/{mine.tip.pk}/").status_code == 200


def test_only_the_reward_officer_sees_the_reporter_and_the_read_is_logged(territory, sale, client):
    receipt = make_tip(territory, sale)
    url = f"/tips/{receipt.tip.pk}/"
    for name in ("admin", "supervisor", "commander"):
        client.force_login(territory.user(name))
        for page in ("/tips/", url):
            html = client.get(page).content.decode()
            assert NAME not in html and PHONE not in html and "5678" not in html, (name, page)
        assert client.post(f"{url}reporter/", {"reason": "看看"}).status_code == 403
    client.force_login(territory.user("reward"))
    html = client.get(url).content.decode()
    assert "139****5678" in html and NAME not in html  # masked until asked for
    response = client.post(f"{url}reporter/", {"reason": "联系举报人核实"})
    html = response.content.decode()
    assert response.status_code == 200 and NAME in html and PHONE in html
    assert response["Cache-Control"] == "no-store"
    log = AccessLog.objects.get()
    assert log.reason == "联系举报人核实" and log.actor == territory.user("reward")


def test_tip_list_query_count_does_not_grow(territory, sale, client, django_assert_max_num_queries):
    client.force_login(territory.user("reward"))
    make_tip(territory, sale, address="一号")
    client.get("/tips/")
    one = count_queries(lambda: client.get("/tips/"))
    for n in range(2, 10):
        receipt = make_tip(territory, sale, address=f"{n} 号", reporter_phone=f"1391234{n:04d}")
    close_case(territory, receipt.tip.case)
    client.get("/tips/")  # proposes the reward
    connection.queries_log.clear()
    with django_assert_max_num_queries(one):
        html = client.get("/tips/").content.decode()
    assert html.count('class="list-item tip-item"') == 9


def test_reward_list_query_count_does_not_grow(territory, sale, client, django_assert_max_num_queries):
    closed_with_reward(territory, sale, address="一号")
    client.force_login(territory.user("reward"))
    client.get("/tips/rewards/")
    one = count_queries(lambda: client.get("/tips/rewards/"))
    for n in range(2, 6):
        closed_with_reward(territory, sale, address=f"{n} 号", reporter_phone=f"1391234{n:04d}")
    connection.queries_log.clear()
    with django_assert_max_num_queries(one):
        html = client.get("/tips/rewards/").content.decode()
    assert html.count("<tr><td><a href=") == 5


def test_reward_officer_decides_and_records_payment_on_the_page(territory, sale, client):
    receipt, reward = closed_with_reward(territory, sale)
    base = f"/tips/{receipt.tip.pk}/rewards/"
    client.force_login(territory.user("commander"))
    assert client.post(f"{base}approve/", {"amount": 2000, "violation_confirmed": "on"}).status_code == 403
    client.force_login(territory.user("reward"))
    response = client.post(f"{base}approve/", {"amount": 2000})
    assert response.status_code == 400 and "违法事实" in response.content.decode()
    response = client.post(f"{base}approve/", {"amount": 99999, "violation_confirmed": "on"})
    assert response.status_code == 400 and "1000–10000" in response.content.decode()
    assert client.post(f"{base}approve/", {"amount": 2000, "violation_confirmed": "on"}).status_code == 302
    assert client.post(f"{base}pay/", {"method": "bank"}).status_code == 409  # not claimed yet
    from gridgov.tips.services import reward_claim

    reward_claim(tracking_code=receipt.tracking_code, secret=receipt.secret)
    assert client.post(f"{base}pay/", {"method": "bank", "reference": "HX001"}).status_code == 302
    reward.refresh_from_db()
    assert reward.state == "paid" and reward.payment_reference == "HX001"
    assert client.post(f"{base}nope/", {}).status_code == 404


def test_refusal_on_the_page(territory, sale, client):
    receipt, _reward = closed_with_reward(territory, sale)
    client.force_login(territory.user("reward"))
    assert client.post(f"/tips/{receipt.tip.pk}/rewards/refuse/", {"reason": ""}).status_code == 400
    assert client.post(f"/tips/{receipt.tip.pk}/rewards/refuse/", {"reason": "查无实据"}).status_code == 302
    assert Reward.objects.get().state == "refused"


def test_spam_void_from_the_page(territory, sale, client):
    receipt = make_tip(territory, sale)
    client.force_login(territory.user("reward"))
    assert client.post(f"/tips/{receipt.tip.pk}/spam/", {"note": "恶意"}).status_code == 403
    client.force_login(territory.user("supervisor"))
    assert client.post(f"/tips/{receipt.tip.pk}/spam/", {"note": "恶意"}).status_code == 302
    assert Tip.objects.get().is_spam


def test_phone_form(territory, sale, client):
    client.force_login(territory.user("officer"))
    assert client.get("/tips/phone/").status_code == 403
    client.force_login(territory.user("reward"))
    response = client.post(
        "/tips/phone/",
        {
            "category": sale.pk,
            "township": territory.township_b.pk,
            "description": "来电：王集乡有人非法储存鞭炮",
            "reporter_phone": "13800002222",
        },
    )
    assert response.status_code == 201, response.content.decode()[-2000:]
    tip = Tip.objects.get()
    assert tip.channel == "phone" and tip.tracking_code_display in response.content.decode()


def test_rules_page_edit_by_admin_only(territory, sale, client):
    rule = RewardRule.objects.get(category=sale)
    client.force_login(territory.user("reward"))
    assert "1000–10000" in client.get("/tips/rules/").content.decode()
    assert client.post("/tips/rules/", {"rule": rule.pk}).status_code == 403
    client.force_login(territory.user("admin"))
    prefix = f"r{rule.pk}-"
    bad = client.post(
        "/tips/rules/",
        {
            "rule": rule.pk,
            prefix + "min_amount": 900,
            prefix + "max_amount": 100,
            prefix + "shared": "first",
            prefix + "is_active": "on",
        },
    )
    assert bad.status_code == 400
    ok = client.post(
        "/tips/rules/",
        {
            "rule": rule.pk,
            prefix + "min_amount": 1200,
            prefix + "max_amount": 8000,
            prefix + "shared": "first",
            prefix + "is_active": "on",
            prefix + "qualifies": "查证属实",
        },
    )
    assert ok.status_code == 302
    rule.refresh_from_db()
    assert (rule.min_amount, rule.max_amount) == (1200, 8000)
