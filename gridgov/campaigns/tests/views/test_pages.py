"""The campaign pages: who sees which page, the visit form posted as a phone would, query counts."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridgov.campaigns.models import Commitment, Visit
from gridgov.campaigns.tests.conftest import make_household, png_bytes
from gridgov.cases.models import Case

pytestmark = pytest.mark.django_db


def visit_form(world, **extra):
    data = {
        f"a-{world.fireworks.pk}-stock_found": "no",
        f"a-{world.fireworks.pk}-letter_signed": "no",
        f"a-{world.fireworks.pk}-informed": "yes",
        f"a-{world.epidemic.pk}-returned": "no",
        f"a-{world.epidemic.pk}-unwell": "no",
        "note": "",
    }
    data.update(extra)
    return data


def test_index_is_the_grid_workers_round(as_user, world):
    page = as_user("grid_a").get(reverse("campaigns:index"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "我的走访任务" in html
    assert "HA101" in html and "HA104" in html and "HA201" not in html and "HB101" not in html
    html = as_user("grid_b").get(reverse("campaigns:index")).content.decode()
    assert "HB101" in html and "HA101" not in html
    html = as_user("leader").get(reverse("campaigns:index")).content.decode()
    assert "我的走访任务" not in html and "烟花爆竹禁燃禁放专项行动" in html
    assert as_user("nobody").get(reverse("campaigns:index")).status_code == 200


def test_index_query_count_does_not_grow_with_the_round(as_user, world):
    client = as_user("grid_a")
    client.get(reverse("campaigns:index"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("campaigns:index"))
    for n in range(15):
        make_household(f"HA4{n:02d}", world.territory.grid_a1_1)
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("campaigns:index")).content.decode()
    assert "HA414" in html
    assert len(many) == len(few)


def test_detail_figures_and_scope(as_user, world):
    from gridgov.campaigns.services.setup import team_member_add

    t = world.territory
    url = reverse("campaigns:detail", args=[world.fireworks.pk])
    for township, name in ((t.township_a, "甲书记"), (t.township_b, "乙书记")):
        team_member_add(
            actor=t.user("admin"),
            campaign=world.fireworks,
            name=name,
            position="党委书记",
            duty="第一责任人",
            region=township,
            jointly_responsible=True,
        )
    html = as_user("admin").get(url).content.decode()
    assert "甲书记" in html and "乙书记" in html
    html = as_user("township_a").get(url).content.decode()
    assert "甲书记" in html and "乙书记" not in html
    html = as_user("admin").get(url).content.decode()
    assert t.township_a.name in html and t.township_b.name in html and "全县平均" in html
    html = as_user("township_a").get(url).content.decode()
    assert t.village_a1.name in html and "第 1 / 2 名" in html
    assert as_user("township_a").get(url, {"region": t.township_b.code}).status_code == 404
    assert as_user("grid_a").get(url, {"region": t.grid_a1_2.code}).status_code == 404
    assert as_user("grid_a").get(url).status_code == 200
    assert as_user("nobody").get(url).status_code == 404


def test_detail_query_count_does_not_grow_with_regions(as_user, world):
    client = as_user("admin")
    url = reverse("campaigns:detail", args=[world.fireworks.pk])
    with CaptureQueriesContext(connection) as county:
        client.get(url)
    with CaptureQueriesContext(connection) as village:
        client.get(url, {"region": world.territory.village_a1.code})
    assert len(county) <= 14 and abs(len(county) - len(village)) <= 2


def test_visit_page_records_the_visit_and_signs_on_screen(as_user, world):
    client = as_user("grid_a")
    household = world.households["a1"]
    url = reverse("campaigns:visit", args=["household", household.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "烟花爆竹禁燃禁放专项行动" in html and "冬春季疫情防控入户排查" in html and "sigpad" in html
    assert 'value="王一"' in html  # the signer defaults to the head of household
    signature = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    response = client.post(
        url,
        visit_form(
            world,
            **{
                f"a-{world.fireworks.pk}-stock_found": "yes",
                f"sign-{world.fireworks.pk}": "1",
                "signer_name": "王一",
                "method": "on_screen",
                "signature": signature,
            },
        ),
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.household == household and visit.visited_by.username == "grid_a"
    commitment = Commitment.objects.get()
    assert commitment.method == "on_screen" and commitment.evidence.name.endswith(".png")
    assert Case.objects.filter(source="visit").count() == 1


def test_visit_page_shows_errors_and_keeps_nothing(as_user, world):
    client = as_user("grid_a")
    url = reverse("campaigns:visit", args=["household", world.households["a2"].pk])
    data = visit_form(
        world, **{f"sign-{world.fireworks.pk}": "1", "signer_name": "", "method": "paper_photo"}
    )
    response = client.post(url, data)
    assert response.status_code == 400
    assert "请填写签字人姓名" in response.content.decode()
    assert Visit.objects.count() == 0 and Commitment.objects.count() == 0
    data = visit_form(world)
    del data[f"a-{world.epidemic.pk}-unwell"]
    response = client.post(url, data)
    assert response.status_code == 400 and "请回答" in response.content.decode()
    # a paper letter photographed
    data = visit_form(
        world,
        **{
            f"sign-{world.fireworks.pk}": "1",
            "signer_name": "王二",
            "method": "paper_photo",
            "letter_photo": SimpleUploadedFile("l.png", png_bytes(), content_type="image/png"),
        },
    )
    assert client.post(url, data).status_code == 302
    assert Commitment.objects.get().method == "paper_photo"


def test_visit_page_scope(as_user, world):
    url = reverse("campaigns:visit", args=["household", world.households["a1"].pk])
    assert as_user("grid_a2").get(url).status_code == 404
    assert as_user("leader").get(url).status_code == 403
    assert as_user("township_a").get(url).status_code == 200


def test_letter_export_import_and_publicity_pages(
    as_user, world, tmp_path, django_capture_on_commit_callbacks
):
    client = as_user("grid_a")
    letter = client.get(
        reverse("campaigns:letter", args=[world.fireworks.pk, "household", world.households["a1"].pk])
    )
    assert letter.status_code == 200 and letter["Content-Type"].startswith("application/vnd.openxml")
    assert client.get(reverse("campaigns:export", args=[world.fireworks.pk, "visits"])).status_code == 200
    assert client.get(reverse("campaigns:export", args=[world.fireworks.pk, "nope"])).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("campaigns:import", args=[world.fireworks.pk]),
            {
                "file": SimpleUploadedFile(
                    "s.csv", "户编号,签字人\nHA101,王一\nHB101,赵一\n".encode(), content_type="text/csv"
                )
            },
        )
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "新增 1" in html and "不在您的管辖范围内" in html and "hx-trigger" not in html
    partial = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "新增 1" in partial
    assert as_user("grid_a2").get(response["Location"]).status_code == 404  # someone else's import
    bad = as_user("grid_a").post(
        reverse("campaigns:import", args=[world.fireworks.pk]),
        {"file": SimpleUploadedFile("s.txt", b"x", content_type="text/plain")},
    )
    assert bad.status_code == 400 and "请上传 .xlsx 或 .csv 文件" in bad.content.decode()
    assert as_user("leader").get(reverse("campaigns:import", args=[world.fireworks.pk])).status_code == 403
    url = reverse("campaigns:publicity", args=[world.fireworks.pk])
    client = as_user("township_a")
    response = client.post(url, {"channel": "van", "region": world.territory.village_a2.code, "count": "2"})
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "宣传车" in html and world.territory.village_a1.name in html
    response = client.post(url, {"channel": "van", "region": world.territory.village_b1.code, "count": "2"})
    assert response.status_code == 400
    client = as_user("township_a")
    bad = client.post(
        url, {"form": "loudspeaker", "village": world.territory.village_a2.code, "hours": "7点"}
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "请填写开始日期" in html and "播放时段格式如" in html
    response = client.post(
        url,
        {
            "form": "loudspeaker",
            "village": world.territory.village_a2.code,
            "starts_on": "2026-01-01",
            "ends_on": "2026-02-01",
            "hours": "18:30-19:00",
        },
    )
    assert response.status_code == 302
    assert "18:30-19:00" in client.get(url).content.decode()
    assert as_user("leader").get(url).status_code == 200


def test_venue_check_page(as_user, world):
    shop = world.places["shop_a"]
    url = reverse("campaigns:venue_check", args=[world.fireworks.pk, shop.pk])
    visit_page = as_user("grid_a").get(reverse("campaigns:visit", args=["place", shop.pk])).content.decode()
    assert url in visit_page
    assert as_user("grid_b").get(url).status_code == 404
    assert as_user("leader").get(url).status_code == 403
    client = as_user("grid_a")
    bad = client.post(url, {"sells_fireworks": "yes", "stock_found": "no", "licence_number": "NOPE"})
    assert bad.status_code == 400 and "台账中没有这个" in bad.content.decode()
    response = client.post(url, {"sells_fireworks": "yes", "stock_found": "yes"})
    assert response.status_code == 302
    assert Case.objects.get(source="inspection").category.code == "fireworks_illegal_sale"
    shop.refresh_from_db()
    assert shop.registration_status == "illegal"


def test_transport_page(as_user, world):
    t = world.territory
    url = reverse("campaigns:transport", args=[world.fireworks.pk])
    client = as_user("officer")
    bad = client.post(url, {"vehicle_plate": "", "driver_name": "", "grid": t.village_a1.code})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "请选择检查地点所在的网格" in html
    response = client.post(url, {"vehicle_plate": "豫P1", "driver_name": "甲", "grid": t.grid_a1_1.code})
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "豫P1" in html and "无运输许可证" in html
    assert as_user("leader").get(url).status_code == 200
    assert as_user("leader").post(url, {"vehicle_plate": "豫P2"}).status_code == 403
    assert "豫P1" not in as_user("township_b").get(url).content.decode()


def test_campaign_list_query_count_does_not_grow_with_campaigns(as_user, world):
    import datetime as dt

    from gridgov.campaigns.services.setup import campaign_activate, campaign_from_template

    client = as_user("leader")
    client.get(reverse("campaigns:index"))
    with CaptureQueriesContext(connection) as two:
        html = client.get(reverse("campaigns:index")).content.decode()
    assert html.count("card campaign-card") == 2
    for n in range(3):
        campaign = campaign_from_template(
            actor=world.territory.user("admin"),
            template="epidemic",
            code=f"more{n}",
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 2, 1),
            regions=[world.territory.county],
        )
        campaign_activate(actor=world.territory.user("admin"), campaign=campaign)
    with CaptureQueriesContext(connection) as five:
        html = client.get(reverse("campaigns:index")).content.decode()
    assert html.count("card campaign-card") == 5
    assert len(five) == len(two)


def test_pages_in_english(as_user, world, settings):
    client = as_user("grid_a")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("campaigns:index")).content.decode()
    assert "My visits to do" in html and "To visit" in html
    html = client.get(
        reverse("campaigns:visit", args=["household", world.households["a1"].pk])
    ).content.decode()
    assert "Submit the visit" in html and "Sign on screen" in html
    html = client.get(reverse("campaigns:detail", args=[world.fireworks.pk])).content.decode()
    assert "Households signed" in html


def test_visit_page_resubmitted_form_is_recorded_once(as_user, world):
    import re

    client = as_user("grid_a")
    url = reverse("campaigns:visit", args=["household", world.households["a1"].pk])
    html = client.get(url).content.decode()
    key = re.search(r'name="client_key" value="([0-9a-f-]{36})"', html).group(1)
    signature = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    data = visit_form(
        world,
        client_key=key,
        **{
            f"a-{world.fireworks.pk}-stock_found": "yes",
            f"sign-{world.fireworks.pk}": "1",
            "signer_name": "王一",
            "method": "on_screen",
            "signature": signature,
        },
    )
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # the double tap: no error, nothing written twice
    assert Visit.objects.count() == 1 and Commitment.objects.count() == 1
    assert Case.objects.filter(source="visit").count() == 1
    # a form sent back with errors keeps its key; a fresh page gets a new one
    other = "5b7c3f9e-0c4d-4f7a-9a53-2f1d7e6c8b10"
    bad = client.post(url, visit_form(world, client_key=other, **{f"a-{world.fireworks.pk}-stock_found": ""}))
    assert bad.status_code == 400 and f'value="{other}"' in bad.content.decode()
    assert f'value="{other}"' not in client.get(url).content.decode()
    garbage = client.post(
        url, visit_form(world, client_key="x\x00", **{f"a-{world.fireworks.pk}-stock_found": ""})
    )
    assert garbage.status_code == 400 and 'value="x' not in garbage.content.decode()
    assert Visit.objects.count() == 1
