"""Pages: a form sent twice, and the tracking code kept from everyone but the reward officer."""

import re

import pytest
from django.test import Client

from gridgov.cases.services import loop
from gridgov.tips.models import Tip
from gridgov.tips.tests.helpers import make_tip
from gridgov.tips.tests.views.test_public_pages import form_tokens


@pytest.fixture
def public(settings):
    settings.GRIDGOV_TIP_MIN_FILL_SECONDS = 0
    return Client(enforce_csrf_checks=True)


def _receipt(client):
    html = client.get("/tips/receipt/").content.decode()
    code = re.search(r'id="tracking-code">([^<]+)<', html).group(1)
    secret = re.search(r'id="claim-secret">([^<]+)<', html).group(1)
    return code.replace("-", ""), secret


def test_a_double_tap_on_submit_files_one_tip_and_the_last_receipt_claims(territory, sale, public):
    data = {
        "category": sale.pk,
        "township": territory.township_a.pk,
        "village": territory.village_a1.pk,
        "description": "常营西村东头小卖部在卖烟花爆竹",
        **form_tokens(public),
    }
    assert public.post("/tips/new", data).status_code == 302
    first_code, _first_secret = _receipt(public)
    assert public.post("/tips/new", data).status_code == 302
    code, secret = _receipt(public)
    tip = Tip.objects.get()
    assert code == first_code == tip.tracking_code
    from gridgov.tips.services.codes import secret_matches

    assert secret_matches(tip.secret, secret)
    # going back and sending something else from the same page is a second tip
    assert public.post("/tips/new", {**data, "description": "西头饭店门口也在卖"}).status_code == 302
    assert Tip.objects.count() == 2


def test_two_people_opening_the_form_in_the_same_second_get_different_tokens(territory, public):
    assert form_tokens(public)["started"] != form_tokens(Client())["started"]


def test_only_the_reward_officer_finds_a_tip_by_its_code(territory, sale, client):
    receipt = make_tip(territory, sale)
    code = receipt.tip.tracking_code_display.lower()
    for name in ("admin", "supervisor", "commander"):
        client.force_login(territory.user(name))
        assert f"/tips/{receipt.tip.pk}/" not in client.get("/tips/", {"q": code}).content.decode(), name
        assert client.get("/api/v1/tips", {"q": receipt.tracking_code}).json()["items"] == [], name
    client.force_login(territory.user("reward"))
    assert f"/tips/{receipt.tip.pk}/" in client.get("/tips/", {"q": code}).content.decode()
    assert client.get("/api/v1/tips", {"q": receipt.tracking_code}).json()["items"][0]["id"] == receipt.tip.pk


def test_the_tracking_code_reaches_no_handler(territory, sale, client, photo):
    receipt = make_tip(territory, sale, photos=[photo])
    case = receipt.tip.case
    loop.case_register(actor=territory.user("supervisor"), case=case)
    loop.case_dispatch(actor=territory.user("commander"), case=case, department=territory.department)
    attachment = case.attachments.get()
    urls = [
        f"/cases/{case.pk}/",
        f"/api/v1/cases/{case.pk}",
        f"/cases/{case.pk}/files/{attachment.pk}/",
        f"/tips/{receipt.tip.pk}/",
        "/tips/",
        "/api/v1/tips",
        f"/api/v1/tips/{receipt.tip.pk}",
        "/audit/",
    ]
    seen = 0
    for name in ("officer", "township_a", "grid_a", "commander", "supervisor", "leader", "admin"):
        client.force_login(territory.user(name))
        for url in urls:
            response = client.get(url)
            if response.status_code != 200:
                continue
            seen += 1
            text = str(response.headers) + (
                response.content.decode(errors="replace") if not response.streaming else ""
            )
            assert receipt.tracking_code not in text and receipt.tip.tracking_code_display not in text, (
                name,
                url,
            )
            assert receipt.secret not in text, (name, url)
    assert seen >= 10  # the pages were really seen, not all refused


def test_saving_a_rule_that_does_not_exist_is_a_404(territory, sale, client):
    client.force_login(territory.user("admin"))
    assert client.post("/tips/rules/", {"rule": "abc"}).status_code == 404
    assert client.post("/tips/rules/", {"rule": "999999"}).status_code == 404
    client.force_login(territory.user("supervisor"))
    assert client.post("/tips/rules/", {"rule": "abc"}).status_code == 403  # not an editor at all


def test_the_phone_form_sent_twice_files_one_tip(territory, sale, client):
    client.force_login(territory.user("reward"))
    html = client.get("/tips/phone/").content.decode()
    started = re.search(r'name="started" value="([^"]+)"', html).group(1)
    data = {
        "category": sale.pk,
        "township": territory.township_b.pk,
        "description": "来电：王集乡有人非法储存鞭炮",
        "reporter_phone": "13800002222",
        "started": started,
    }
    first = client.post("/tips/phone/", data)
    again = client.post("/tips/phone/", data)
    assert first.status_code == again.status_code == 201
    tip = Tip.objects.get()
    assert tip.tracking_code_display in again.content.decode()
    # the blank form shown with the receipt is a new filling-in
    fresh = re.search(r'name="started" value="([^"]+)"', again.content.decode()).group(1)
    assert fresh != started
    assert client.post("/tips/phone/", {**data, "started": fresh}).status_code == 201
    assert Tip.objects.count() == 2
