"""The fireworks-ban campaign in a real browser: a grid worker on a phone opens "my visits to do", lets the
phone give its position and gets the round nearest first, visits a household (both active campaigns' forms in
one go), finds fireworks stored at home, has the head of household sign the commitment letter on screen, and
sends it; the case is opened and the coverage moves. Then the county's figures and the publicity map and table as
the county admin sees them."""

import datetime as dt
import re
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from gridgov.campaigns.models import Commitment, Visit
from gridgov.campaigns.services.publicity import publicity_record
from gridgov.campaigns.services.setup import campaign_activate, campaign_from_template
from gridgov.cases.defaults import ensure_default_categories
from gridgov.cases.models import Case, CategoryGroup
from gridgov.cases.models import Category as CategoryModel
from gridgov.conftest import VILLAGE_A2, VILLAGE_B2
from gridgov.e2e.conftest import PHONE
from gridgov.registry.services.records import household_save
from gridgov.territory.models import Region

#: Where the grid worker stands in the phone test: by 王建国's door.
WORKER_AT = {"latitude": 34.0601, "longitude": 114.8501}
#: (longitude, latitude) of the test households; 赵红 has none yet.
POSITIONS = {
    "王建国": ("114.850000", "34.060000"),
    "王秀英": ("114.862000", "34.064000"),
    "李明": ("114.846000", "34.052000"),
    "张伟": ("114.975000", "33.912000"),
    "刘芳": ("114.979000", "33.915000"),
}


def setup_campaigns(site):
    ensure_default_categories(CategoryGroup, CategoryModel)  # a flushed transactional database has none
    admin = site.user("admin")
    heads = ["王建国", "王秀英", "李明", "赵红", "张伟", "刘芳"]
    for i, head in enumerate(heads):
        grid = site.grid_a1_1 if i < 4 else site.grid_b1_1
        lng, lat = POSITIONS.get(head, (None, None))
        household_save(
            actor=None,
            data={
                "code": f"4116271012010010{i:02d}",
                "grid": grid,
                "address": f"{grid.parent.name}{i + 3}号",
                "head_name": head,
                "members": 3 + i % 3,
                "longitude": Decimal(lng) if lng else None,
                "latitude": Decimal(lat) if lat else None,
            },
        )
    # two more villages with located households, for the publicity map
    for village, (lng, lat) in ((VILLAGE_A2, (114.905, 34.101)), (VILLAGE_B2, (115.032, 33.958))):
        grid = Region.objects.get(code=f"{village}001")
        for n in range(3):
            household_save(
                actor=None,
                data={
                    "code": f"{village}{n:03d}",
                    "grid": grid,
                    "address": f"{grid.parent.name}{n + 1}号",
                    "head_name": f"村民{n + 1}",
                    "longitude": Decimal(f"{lng + n * 0.003:.6f}"),
                    "latitude": Decimal(f"{lat + n * 0.002:.6f}"),
                },
            )
    today = timezone.localdate()
    campaigns = []
    for template, code in (("fireworks", "fw"), ("epidemic", "ep")):
        campaign = campaign_from_template(
            actor=admin,
            template=template,
            code=code,
            starts_on=today - dt.timedelta(days=5),
            ends_on=today + dt.timedelta(days=40),
            regions=[site.county],
        )
        campaigns.append(campaign_activate(actor=admin, campaign=campaign))
    publicity_record(
        actor=admin, campaign=campaigns[0], channel="loudspeaker", region=site.village_a1, count=3
    )
    publicity_record(
        actor=admin,
        campaign=campaigns[0],
        channel="banner",
        region=Region.objects.get(code=VILLAGE_B2),
        count=2,
        happened_at=timezone.now() - dt.timedelta(days=3),
    )
    return campaigns


def test_grid_worker_visits_a_household_on_a_phone(site, page, login, shot, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    fireworks, epidemic = setup_campaigns(site)
    page.set_viewport_size(PHONE)
    login("grid_a")
    page.goto("/campaigns/")
    expect(page.get_by_role("heading", name="我的走访任务")).to_be_visible()
    expect(page.locator(".todo-item")).to_have_count(
        4
    )  # grid A1-1 only: the sibling township's households stay out
    shot("01-my-visits")

    # nearest first: the phone gives its position (the worker allowed it), the list reloads ordered by distance
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation(WORKER_AT)
    with page.expect_navigation(url=re.compile(r"near=34\.0601")):
        page.get_by_role("button", name="离我最近优先").click()
    items = page.locator(".todo-item")
    expect(items).to_have_count(4)
    expect(items.nth(0)).to_contain_text("王建国")
    expect(items.nth(0).locator(".dist")).to_have_text(re.compile(r"^\d+ 米$"))
    expect(items.nth(1)).to_contain_text("李明")
    expect(items.nth(2)).to_contain_text("王秀英")
    expect(items.nth(2).locator(".dist")).to_contain_text("公里")
    expect(items.nth(3)).to_contain_text("赵红")
    expect(items.nth(3).locator(".dist")).to_have_text("无坐标")
    shot("01b-nearest-first")

    page.locator(".todo-item", has_text="王建国").click()
    expect(page.get_by_role("heading", name=re.compile("王建国"))).to_be_visible()
    form = page.locator("#visit-form")
    expect(form.locator("legend", has_text=fireworks.name)).to_be_visible()
    expect(form.locator("legend", has_text=epidemic.name)).to_be_visible()

    def answer(label: str, value: str) -> None:
        form.locator(".question", has_text=label).locator(".yn label", has_text=value).click()

    answer("家中是否发现存放烟花爆竹", "是")
    answer("是否已签订禁燃禁放承诺书", "否")
    answer("是否已发放明白纸", "是")
    answer("家中是否有外地返乡人员", "否")
    answer("身体不适", "否")
    form.get_by_label("烟花爆竹禁燃禁放承诺书").check()
    pad = page.locator("#sigpad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 100)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 100 + (-1) ** step * 30)
    page.mouse.up()
    form.get_by_label("备注（选填）").fill("堂屋存放鞭炮两箱，已劝导")
    shot("02-visit-form")
    with page.expect_navigation():
        form.get_by_role("button", name="提交走访记录").click()
    expect(page.locator(".msg-success")).to_contain_text("已签署承诺书 1 份")
    expect(page.locator(".msg-success")).to_contain_text("发现问题 1 项")
    expect(page.locator(".todo-item")).to_have_count(3)
    shot("03-after-visit")

    visit = Visit.objects.get()
    assert visit.household.head_name == "王建国" and visit.entries.count() == 2
    # the phone's position went with the visit; the household's registered one was left as it was
    assert (visit.latitude, visit.longitude) == (Decimal("34.060100"), Decimal("114.850100"))
    assert visit.household.longitude == Decimal("114.85") and visit.household.location_source == "edit"
    commitment = Commitment.objects.get()
    assert commitment.method == "on_screen" and commitment.evidence.size > 100
    case = Case.objects.get(source="visit")
    assert case.category.code == "fireworks_illegal_storage" and case.region == site.grid_a1_1

    # the sibling grid's worker does not see that household at all
    page.get_by_role("button", name="退出").click()
    login("grid_a2")
    page.goto("/campaigns/")
    expect(page.locator(".todo-item")).to_have_count(0)


def test_county_figures_and_publicity(site, page, login, shot, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    fireworks, _epidemic = setup_campaigns(site)
    login("admin")
    page.goto(f"/campaigns/{fireworks.pk}/")
    expect(page.get_by_role("heading", name=fireworks.name)).to_be_visible()
    expect(page.locator("table.figures tbody tr")).to_have_count(2)
    expect(page.get_by_text("全县平均")).to_be_visible()
    shot("01-county")
    page.get_by_role("link", name=site.township_a.name).first.click()
    expect(page.locator("table.figures")).to_contain_text(site.village_a1.name)
    shot("02-township")
    page.goto(f"/campaigns/{fireworks.pk}/publicity/")
    expect(page.locator(".silent")).to_contain_text(site.village_a2.name)
    expect(page.locator(".silent")).not_to_contain_text(site.village_a1.name)
    # the map: four villages at their households' centre, drawn by ECharts (a canvas), the table beside it
    expect(page.locator("#publicity-map canvas")).to_have_count(1)
    points = page.evaluate("JSON.parse(document.getElementById('publicity-map-data').textContent).points")
    colours = {p["name"]: (p["color"], p["silent"]) for p in points}
    assert set(colours) == {v.name for v in (site.village_a1, site.village_a2, site.village_b1)} | {"李庄村"}
    assert colours[site.village_a1.name][1] is False and colours[site.village_b1.name][1] is True
    assert colours["李庄村"][1] is False and colours["李庄村"][0] != colours[site.village_a1.name][0]
    expect(page.locator(".map-legend")).to_contain_text("7 天内没有宣传")
    page.wait_for_timeout(300)
    shot("03-publicity")

    # a road check without a permit opens a case; the campaign list shows the county's coverage
    page.goto(f"/campaigns/{fireworks.pk}/transport/")
    page.get_by_label("车牌号").fill("豫P12345")
    page.get_by_label("驾驶员").fill("张三")
    page.get_by_label("检查地点所在网格编码").fill(site.grid_b1_1.code)
    page.get_by_label("检查点").fill("省道S213检查点")
    with page.expect_navigation():
        page.get_by_role("button", name="登记检查结果").click()
    expect(page.locator(".msg-warning")).to_contain_text("无运输许可证")
    expect(page.locator(".list-item").first).to_contain_text("豫P12345")
    shot("04-transport")
    assert Case.objects.get(source="inspection").category.code == "fireworks_illegal_transport"
    page.goto("/campaigns/")
    expect(page.locator(".campaign-card")).to_have_count(2)
    expect(page.get_by_role("heading", name="我的走访任务")).to_have_count(0)  # the county works from figures
    shot("05-campaign-list")
