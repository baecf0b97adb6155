"""The fireworks-ban campaign in a real browser: a grid worker on a phone opens "my visits to do", visits a
household (both active campaigns' forms in one go), finds fireworks stored at home, has the head of household
sign the commitment letter on screen, and sends it; the case is opened and the coverage moves. Then the county's
figures and the publicity table as the county admin sees them."""

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import expect

from gridgov.campaigns.models import Commitment, Visit
from gridgov.campaigns.services.publicity import publicity_record
from gridgov.campaigns.services.setup import campaign_activate, campaign_from_template
from gridgov.cases.defaults import ensure_default_categories
from gridgov.cases.models import Case, CategoryGroup
from gridgov.cases.models import Category as CategoryModel
from gridgov.e2e.conftest import PHONE
from gridgov.registry.services.records import household_save


def setup_campaigns(site):
    ensure_default_categories(CategoryGroup, CategoryModel)  # a flushed transactional database has none
    admin = site.user("admin")
    heads = ["王建国", "王秀英", "李明", "赵红", "张伟", "刘芳"]
    for i, head in enumerate(heads):
        grid = site.grid_a1_1 if i < 4 else site.grid_b1_1
        household_save(
            actor=None,
            data={
                "code": f"4116271012010010{i:02d}",
                "grid": grid,
                "address": f"{grid.parent.name}{i + 3}号",
                "head_name": head,
                "members": 3 + i % 3,
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
