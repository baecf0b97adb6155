"""Notices down the grid in a real browser: a township officer publishes a notice to the township's grids (their
bots are a local receiver on 127.0.0.1), watches deliveries arrive; a grid worker on a phone finds it under "my
notices", relays it (已转达) and reports a problem back, which the officer turns into a case; a resident opens the
short link from the group."""

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import expect

from gridgov.cases.defaults import ensure_default_categories
from gridgov.cases.models import Category, CategoryGroup
from gridgov.e2e.conftest import PHONE, TIMEOUT_MS
from gridgov.notices.models import Channel, Delivery, DeliveryState, Notice, NoticeGrid
from gridgov.notices.services.groups import grid_group_upsert
from gridgov.notices.services.notices import receipt_token
from gridgov.notices.testing import BotReceiver
from gridgov.registry.models import Household
from gridgov.territory.models import Level, Region


def test_publish_relay_report_on_a_phone(
    site, browser, page, login, shot, live_server, settings, screenshot_dir
):
    settings.GRIDGOV_NOTICES_BOT_PER_MINUTE = 0
    settings.GRIDGOV_SITE_URL = live_server.url
    settings.GRIDGOV_NOTICES_WEBHOOK_HOSTS = ["127.0.0.1"]
    ensure_default_categories(CategoryGroup, Category)  # a flushed transactional database has none
    territory = site
    with BotReceiver() as bots:
        for grid in Region.objects.filter(level=Level.GRID).order_by("code"):
            Household.objects.bulk_create(
                [
                    Household(code=f"H{grid.code}{i}", grid=grid, address="x", head_name="户主")
                    for i in range(30)
                ]
            )
            grid_group_upsert(
                actor=None,
                grid=grid,
                channel=Channel.WECOM,
                webhook_url=bots.wecom_url(f"wc{grid.code}"),
                households_joined=24,
                name=f"{grid.parent.name}{grid.name}群",
            )

        # 1. The township officer drafts and publishes on a desktop.
        login("township_a")
        page.goto("/notices/")
        expect(page.locator("h1")).to_have_text("网格通知")
        page.get_by_role("link", name="发布通知").first.click()
        page.get_by_label("标题").fill("关于春节期间禁止燃放烟花爆竹的通知")
        page.get_by_label("正文").fill(
            "全镇范围内禁止燃放烟花爆竹。请网格员转达到每家每户，重点告知红白事操办户。"
        )
        page.get_by_label("常营镇（全部）").check()
        page.get_by_label("紧急程度").select_option("urgent")
        deadline = timezone.localtime() + dt.timedelta(days=1)
        page.get_by_label("确认截止时间").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
        shot("01-draft")
        with page.expect_navigation():
            page.get_by_role("button", name="立即发布").click()
        expect(page.locator(".msg-success")).to_contain_text("通知已发布")
        notice = Notice.objects.get()
        expect(page.locator("#figures")).to_contain_text("4/4")  # four grids, four bots reached
        assert Delivery.objects.filter(notice=notice, state=DeliveryState.SENT).count() == 4
        assert bots.accepted[f"wc{territory.grid_a1_1.code}"] == 1
        expect(page.locator("#unacked")).to_contain_text("未转达的网格（4）")
        shot("02-notice-published")
        page.locator("#rollup a", has_text="常营西村").click()
        expect(page.locator("#rollup table")).to_contain_text("第1网格")
        page.goto("/notices/")
        expect(page.locator("#notice-list")).to_contain_text("已转达 0 / 4 个网格")
        shot("03-list")
        page.context.clear_cookies()

        # 2. The grid worker, on a phone: my notices, open, relay with the number of households told.
        page.set_viewport_size(PHONE)
        login("grid_a")
        page.goto("/notices/")
        expect(page.locator("h1")).to_have_text("我的通知")
        expect(page.locator("#my-notices")).to_contain_text("待转达")
        page.screenshot(path=screenshot_dir / "notices--03-my-notices--phone.png", full_page=True)
        page.get_by_role("link", name="去确认").click()
        page.get_by_label("已告知户数（可不填）").fill("26")
        page.screenshot(path=screenshot_dir / "notices--04-relay--phone.png", full_page=True)
        with page.expect_navigation():
            page.get_by_role("button", name="已转达").click()
        expect(page.locator(".my-ack")).to_contain_text("已转达")
        page.screenshot(path=screenshot_dir / "notices--04b-relayed--phone.png", full_page=True)
        ng = NoticeGrid.objects.get(notice=notice, grid=territory.grid_a1_1)
        assert ng.acked_at is not None and ng.households_told == 26

        # 3. ... and reports a problem back.
        page.get_by_role("link", name="回报情况").click()
        page.get_by_label("有问题").check()
        page.get_by_label("数量（户数、处数等）").fill("2")
        page.get_by_label("说明").fill("两户经营户仍有存货，已劝停售。")
        page.screenshot(path=screenshot_dir / "notices--05-report--phone.png", full_page=True)
        with page.expect_navigation():
            page.get_by_role("button", name="提交回报").click()
        expect(page.locator("#reports")).to_contain_text("两户经营户仍有存货")
        page.context.clear_cookies()

        # 4. The officer sees the acknowledgement and turns the problem into a case.
        page.set_viewport_size({"width": 1280, "height": 800})
        login("township_a")
        page.goto(f"/notices/{notice.pk}/")
        expect(page.locator("#figures")).to_contain_text("1/4")
        expect(page.locator("#unacked")).to_contain_text("未转达的网格（3）")
        page.locator(".to-case select").select_option(index=1)
        with page.expect_navigation():
            page.get_by_role("button", name="转为案件").click()
        expect(page).to_have_url(re.compile(r"/cases/\d+/"))
        page.goto("/notices/groups/")
        expect(page.locator("#coverage")).to_contain_text("80%")
        shot("06-groups")
        page.goto(f"/notices/groups/{territory.grid_a1_1.code}/")
        with page.expect_navigation():
            page.get_by_role("button", name="发送测试消息").click()
        expect(page.locator(".msg-success")).to_contain_text("测试消息已发送成功")
        shot("07-group")

    # 5. A resident opens the short link from the group on a phone: read, no relay button.
    resident = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="zh-CN", is_mobile=True)
    resident.set_default_timeout(TIMEOUT_MS)
    reader = resident.new_page()
    ng2 = NoticeGrid.objects.get(notice=notice, grid=territory.grid_a1_2)
    reader.goto(f"/notices/r/{receipt_token(ng2.pk, None)}/")
    expect(reader.locator("h1")).to_contain_text("禁止燃放烟花爆竹")
    expect(reader.locator(".big-ack")).to_have_count(0)
    reader.screenshot(path=screenshot_dir / "notices--08-short-link--phone.png", full_page=True)
    reader.goto("/notices/r/not-a-token/")
    expect(reader.locator("h1")).to_contain_text("链接无效")
    resident.close()
    ng2.refresh_from_db()
    assert ng2.read_at is not None and ng2.acked_at is None
