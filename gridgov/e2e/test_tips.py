"""The tip line in a real browser, on a phone: a resident reports an illegal fireworks sale anonymously with a
photo and their location, keeps the receipt, follows the case, and claims the reward that the reward officer
approved; the officer then records the payment and the resident sees it paid."""

import io
import re

from playwright.sync_api import expect

from gridgov.cases.defaults import ensure_default_categories
from gridgov.cases.models import Category, CategoryGroup
from gridgov.e2e.conftest import DESKTOP, PHONE, TIMEOUT_MS
from gridgov.tips.defaults import ensure_default_reward_rules
from gridgov.tips.models import Reward, Tip
from gridgov.tips.tests.conftest import close_case


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (480, 360), (200, 60, 40)).save(out, "PNG")
    return out.getvalue()


def test_tip_to_reward_claim_on_a_phone(
    site, browser, page, login, shot, live_server, settings, screenshot_dir
):
    settings.GRIDGOV_TIP_MIN_FILL_SECONDS = 0
    ensure_default_categories(CategoryGroup, Category)  # a flushed transactional database has none
    ensure_default_reward_rules()

    # 1. The resident, on a phone and not signed in, fills the public form.
    resident_context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        is_mobile=True,
        has_touch=True,
    )
    resident_context.set_default_timeout(TIMEOUT_MS)
    resident_context.grant_permissions(["geolocation"], origin=live_server.url)
    resident_context.set_geolocation({"latitude": 34.06, "longitude": 114.85, "accuracy": 20})
    resident = resident_context.new_page()
    resident.goto("/tips/new")
    expect(resident.locator(".tip-hero h1")).to_have_text("有奖举报")
    expect(resident.locator(".tip-rules")).to_contain_text("非法销售")
    resident.screenshot(path=screenshot_dir / "tips--01-form--phone.png", full_page=True)
    resident.get_by_label("举报类别").select_option(label="非法销售 · 有奖")
    resident.get_by_label("乡镇(街道)").select_option(label="常营镇")
    expect(resident.locator("#id_village option[data-township]:not([hidden])")).to_have_count(2)
    resident.get_by_label("村(社区)（可选）").select_option(label="常营西村")
    resident.get_by_label("具体位置").fill("常营西村东头小卖部")
    resident.get_by_role("button", name="使用当前位置").click()
    expect(resident.locator("#locate-status")).to_contain_text("已定位")
    resident.get_by_label("看到了什么").fill("东头小卖部没有许可证，柜台下面放着好几箱鞭炮在卖。")
    resident.get_by_label("照片（可选）").set_input_files(
        [{"name": "shop.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    expect(resident.locator("#photo-previews img")).to_have_count(1)
    resident.get_by_label("匿名举报（不留姓名和电话）").check()
    expect(resident.locator("#tip-who")).to_be_hidden()
    resident.screenshot(path=screenshot_dir / "tips--02-form-filled--phone.png", full_page=True)
    resident.get_by_role("button", name="提交举报").click()

    # 2. The receipt: a tracking code and a secret, shown once.
    expect(resident.locator("h1")).to_have_text("举报已提交，谢谢您！")
    code = resident.locator("#tracking-code").inner_text().strip()
    secret = resident.locator("#claim-secret").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}", code) and len(secret) == 8
    resident.screenshot(path=screenshot_dir / "tips--03-receipt--phone.png", full_page=True)
    tip = Tip.objects.select_related("case").get()
    assert tip.anonymous and tip.case.latitude is not None and tip.case.attachments.count() == 1

    # 3. The case goes round the loop and closes; the resident sees progress, not who handled it.
    close_case(site, tip.case)
    resident.get_by_role("link", name="查看办理进度").click()
    expect(resident.locator(".tip-status .big")).to_have_text("已办结")
    expect(resident.locator("#public-notes")).to_contain_text("问题已处置完毕")
    expect(resident.locator("body")).not_to_contain_text("应急管理局")
    expect(resident.locator("#reward-text")).to_contain_text("奖励审核")

    # 4. The reward officer approves an amount within the range, on the desktop.
    login("reward")
    page.goto("/tips/")
    page.locator("#tip-list a.row-link").first.click()
    expect(page.locator("#reward")).to_contain_text("待审核")
    shot("04-officer-tip")
    approve = page.locator("#approve-form")
    approve.get_by_label("核定金额（元）").fill("2500")
    approve.get_by_label("违法事实已查证属实").check()
    approve.get_by_role("button", name="核定").click()
    expect(page.locator(".msg-success")).to_contain_text("已核定奖励 2500 元")

    # 5. The resident claims with the secret and a number to be paid on.
    resident.reload()
    expect(resident.locator("#reward-text")).to_contain_text("2500")
    resident.get_by_label("领奖密钥").fill(secret.lower())
    resident.get_by_label("领奖联系电话").fill("13900001111")
    resident.screenshot(path=screenshot_dir / "tips--05-claim--phone.png", full_page=True)
    resident.get_by_role("button", name="申领奖励").click()
    expect(resident.locator("#reward-text")).to_contain_text("等待发放")
    assert Reward.objects.get().state == "claimed"

    # 6. The officer sees who to pay (logged), records the payment; the resident sees it paid.
    page.reload()
    page.get_by_label("查看事由").fill("发放奖励")
    page.get_by_role("button", name="查看明文（记入访问日志）").click()
    expect(page.locator("#claim-contact")).to_have_text("13900001111")
    page.goto(f"/tips/{tip.pk}/")
    pay = page.locator("#pay-form")
    pay.get_by_label("发放方式").select_option("wechat")
    pay.get_by_label("凭证号").fill("WX0001")
    pay.get_by_role("button", name="登记发放").click()
    expect(page.locator(".msg-success")).to_contain_text("已登记发放")
    shot("06-officer-paid")
    page.goto("/tips/")
    shot("07-officer-list")
    page.goto("/tips/rewards/?state=")
    shot("08-rewards")
    page.goto("/tips/rules/")
    shot("09-rules")
    page.goto("/tips/phone/")
    shot("10-phone-form")
    resident.reload()
    expect(resident.locator("#reward-text")).to_contain_text("已于")
    resident.screenshot(path=screenshot_dir / "tips--11-paid--phone.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    resident_context.close()
