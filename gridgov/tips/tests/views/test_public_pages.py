import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from gridgov.tips.models import Reward, Tip
from gridgov.tips.services import reward_approve
from gridgov.tips.tests.conftest import close_case


@pytest.fixture
def public(settings):
    settings.GRIDGOV_TIP_MIN_FILL_SECONDS = 0
    return Client(enforce_csrf_checks=True)


def form_tokens(client):
    response = client.get("/tips/new")
    assert response.status_code == 200
    html = response.content.decode()
    return {
        "csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1),
        "started": re.search(r'name="started" value="([^"]+)"', html).group(1),
    }


def track(client, data):
    """POSTs to the tracking page as its own form does (with the CSRF token the page hands out)."""
    html = client.get("/tips/track/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return client.post("/tips/track/", {**data, "csrfmiddlewaretoken": token})


def post_tip(client, territory, sale, **extra):
    data = {
        "category": sale.pk,
        "township": territory.township_a.pk,
        "village": territory.village_a1.pk,
        "description": "常营西村东头小卖部在卖烟花爆竹",
        **form_tokens(client),
    }
    data.update(extra)
    return client.post("/tips/new", data)


def test_form_shows_public_categories_hotline_and_rules(territory, sale, categories, public, settings):
    settings.GRIDGOV_TIP_HOTLINE = "0394-6666110"
    html = public.get("/tips/new").content.decode()
    assert "0394-6666110" in html and "非法销售" in html and "1000–10000" in html
    assert "其他问题" not in html  # not open to the public
    assert 'name="website"' in html and "常营镇" in html and "常营西村" in html


def test_anonymous_submission_with_csrf_gives_a_receipt_once(territory, sale, public):
    response = post_tip(
        public, territory, sale, anonymous="on", reporter_name="不该存", reporter_phone="13900000000"
    )
    assert response.status_code == 302 and response["Location"] == "/tips/receipt/"
    tip = Tip.objects.get()
    assert tip.anonymous and tip.reporter_name_sealed == "" and tip.case.region == territory.village_a1
    html = public.get("/tips/receipt/").content.decode()
    code = re.search(r'id="tracking-code">([^<]+)<', html).group(1)
    secret = re.search(r'id="claim-secret">([^<]+)<', html).group(1)
    assert code.replace("-", "") == tip.tracking_code and secret not in tip.secret
    again = public.get("/tips/receipt/")
    assert again.status_code == 302 and secret not in again.content.decode()
    assert not Session.objects.exists()  # the public leave no session rows behind


def test_post_without_csrf_token_is_refused(territory, sale, public):
    tokens = form_tokens(public)
    response = public.post(
        "/tips/new",
        {
            "category": sale.pk,
            "township": territory.township_a.pk,
            "description": "没有令牌的提交",
            "started": tokens["started"],
        },
    )
    assert response.status_code == 403 and not Tip.objects.exists()


def test_bad_input_names_the_field_and_keeps_what_was_typed(territory, sale, public):
    response = post_tip(public, territory, sale, village=territory.village_b1.pk)
    assert response.status_code == 400 and "所选村(社区)不属于该乡镇" in response.content.decode()
    response = post_tip(public, territory, sale, description="短", address="东头小卖部")
    html = response.content.decode()
    assert response.status_code == 400 and "至少 5 个字" in html and 'value="东头小卖部"' in html
    assert not Tip.objects.exists()
    response = post_tip(public, territory, sale, reporter_phone="12345")
    assert response.status_code == 400 and "电话号码" in response.content.decode()


def test_honeypot_and_too_fast_submissions_file_nothing(territory, sale, public, settings):
    assert post_tip(public, territory, sale, website="http://spam.example").status_code == 400
    settings.GRIDGOV_TIP_MIN_FILL_SECONDS = 60
    response = post_tip(public, territory, sale)
    assert response.status_code == 400 and "提交太快" in response.content.decode()
    assert post_tip(public, territory, sale, started="forged").status_code == 400
    assert not Tip.objects.exists()


def test_rate_limit_answers_429(territory, sale, public, settings):
    settings.GRIDGOV_TIP_RATE_PER_CLIENT_HOUR = 1
    assert post_tip(public, territory, sale).status_code == 302
    response = post_tip(public, territory, sale, description="又一条举报内容")
    assert response.status_code == 429 and "举报电话" in response.content.decode()
    assert Tip.objects.count() == 1


def test_photo_type_is_checked(territory, sale, public):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("a.jpg", b"not an image at all", content_type="image/jpeg")
    response = post_tip(public, territory, sale, photos=fake)
    assert response.status_code == 400 and "不是 JPEG" in response.content.decode()


def test_tracking_page_shows_public_notes_only_and_claim_works(territory, sale, public):
    post_tip(public, territory, sale)
    html = public.get("/tips/receipt/").content.decode()
    code = re.search(r'id="tracking-code">([^<]+)<', html).group(1)
    secret = re.search(r'id="claim-secret">([^<]+)<', html).group(1)
    tip = Tip.objects.get()
    close_case(territory, tip.case)
    looked_up = track(public, {"code": code.lower()})
    assert looked_up.status_code == 302 and looked_up["Location"] == "/tips/track/"  # the code stays off URLs
    response = public.get("/tips/track/")
    html = response.content.decode()
    assert response.status_code == 200 and "已办结" in html and "问题已处置完毕" in html
    # internal details stay inside: the unit, the handler's notes, the people
    for secret_word in ("县应急管理局", "已查扣违法物品", "核查属实", "officer", "supervisor"):
        assert secret_word not in html
    assert "奖励审核" in html  # the page proposed the reward itself
    reward = Reward.objects.get()
    reward_approve(actor=territory.user("reward"), reward=reward, amount=1500, violation_confirmed=True)
    html = public.get("/tips/track/").content.decode()
    assert "1500" in html and 'id="claim-form"' in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    wrong = public.post(
        "/tips/track/claim/", {"code": tip.tracking_code, "secret": "AAAAAAAA", "csrfmiddlewaretoken": token}
    )
    assert wrong.status_code == 400 and "领奖密钥不正确" in wrong.content.decode()
    claim = {"code": tip.tracking_code, "secret": secret, "csrfmiddlewaretoken": token}
    response = public.post("/tips/track/claim/", claim)  # anonymous: a number to be paid on is needed
    assert response.status_code == 400 and "领奖联系电话" in response.content.decode()
    ok = public.post("/tips/track/claim/", {**claim, "contact": "13900001111"})
    assert ok.status_code == 302 and ok["Location"] == "/tips/track/"
    assert "等待发放" in public.get(ok["Location"]).content.decode()
    assert Reward.objects.get().state == "claimed"


def test_unknown_code_is_a_404_with_a_clear_message(territory, public):
    response = track(public, {"code": "NOPE-NOPE"})
    assert response.status_code == 404 and "查询码不存在" in response.content.decode()
    response = public.get("/tips/track/", {"code": "NOPE-NOPE"})  # an old-style link
    assert response.status_code == 404 and "查询码不存在" in response.content.decode()
    assert "tips_track" not in response.cookies
    assert track(public, {"code": ""}).status_code == 400


def test_the_tracking_code_lives_in_a_cookie_for_the_tracking_pages_only(territory, sale, public):
    post_tip(public, territory, sale)
    receipt = public.get("/tips/receipt/")
    code = re.search(r'id="tracking-code">([^<]+)<', receipt.content.decode()).group(1)
    # the receipt remembers the code for the tracking page: its link carries no code
    assert (
        'href="/tips/track/"' in receipt.content.decode() and f"code={code}" not in receipt.content.decode()
    )
    cookie = receipt.cookies["tips_track"]
    assert cookie["path"] == "/tips/track/" and cookie["httponly"]
    html = public.get("/tips/track/").content.decode()
    assert "办理中" in html and code in html
    # an old link with ?code= is moved into the cookie and off the URL
    public.cookies.pop("tips_track")
    moved = public.get("/tips/track/", {"code": code})
    assert moved.status_code == 302 and moved["Location"] == "/tips/track/" and "tips_track" in moved.cookies
    # on a shared phone the visitor can forget the code
    forgotten = track(public, {"forget": "1"})
    assert forgotten.status_code == 302 and forgotten.cookies["tips_track"].value == ""
    public.cookies.pop("tips_track")
    html = public.get("/tips/track/").content.decode()
    assert code not in html and "办理中" not in html
    # a forged cookie shows nothing
    public.cookies["tips_track"] = code
    assert code not in public.get("/tips/track/").content.decode()


def test_the_public_pages_speak_english_after_the_switch(territory, sale, client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/tips/new").content.decode()
    assert '<html lang="en">' in html and "Report anonymously (no name, no phone)" in html
    assert "提交举报" not in html and "匿名举报" not in html
    html = client.get("/tips/track/").content.decode()
    assert "Follow a tip and claim the reward" in html and "举报查询与领奖" not in html
