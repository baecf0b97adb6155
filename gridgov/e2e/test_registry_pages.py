"""The registry in a real browser: upload a household ledger, follow the import to its end, browse the ledger."""

import re

from playwright.sync_api import expect

from gridgov.registry.models import Household, ImportJob
from gridgov.registry.services.records import resident_save
from gridgov.registry.tests.factories import make_id

HEADER = "户编号,网格编码,地址,户主姓名,户主身份证号,联系电话,人口数,标签"
NAMES = ["张建国", "李秀英", "王志强", "刘桂兰", "陈国庆", "杨淑珍"]


def households_csv(site) -> bytes:
    grids = [site.grid_a1_1, site.grid_a1_2, site.grid_b1_1]
    tags = ["独居老人", "返乡、外出务工", "", "低保户", "", "留守儿童"]
    lines = [HEADER]
    for i, name in enumerate(NAMES):
        grid = grids[i % 3]
        # The 17th digit is odd for men: the names alternate man, woman.
        number = make_id(birth=f"19{60 + i * 5}0{i + 1}1{i}", sequence=f"{111 + i:03d}")
        lines.append(
            f"TK{i + 1:04d},{grid.code},{grid.parent.name}{i + 3}组{i * 7 + 2}号,{name},{number},1393946{i:04d},"
            f"{i % 4 + 2},{tags[i]}"
        )
    lines.append(f"TK9999,{site.grid_a1_1.code},常营西村9组1号,赵错号,411627198503121230,,2,")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def test_admin_uploads_households_and_browses_the_ledger(site, page, login, shot, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    login("admin")
    page.locator("nav.mainnav").get_by_role("link", name="台账", exact=True).click()
    expect(page.locator("h1")).to_have_text("台账")
    page.get_by_role("link", name="导入 Excel").click()
    expect(page.locator("h1")).to_have_text("导入台账")

    page.get_by_label("台账类别").select_option("households")
    page.get_by_label("文件").set_input_files(
        files=[{"name": "常营镇户台账.csv", "mimeType": "text/csv", "buffer": households_csv(site)}]
    )
    page.get_by_role("button", name="上传并导入").click()

    expect(page).to_have_url(re.compile(r"/registry/imports/\d+/$"))
    progress = page.locator("#job-progress")
    expect(progress.locator("#job-status")).to_have_text("已完成")
    expect(progress.locator("#job-message")).to_have_text("新增 6，更新 0，未变 0，拒绝 1")
    expect(progress.locator("[role=progressbar]")).to_have_attribute("aria-valuenow", "100")
    expect(progress.get_by_role("link", name="下载错误报告")).to_be_visible()
    expect(progress).not_to_have_attribute("hx-trigger", re.compile(".*"))
    assert ImportJob.objects.get().status == ImportJob.Status.DONE
    shot("01-import-done")

    head = Household.objects.get(code="TK0001")
    resident_save(
        actor=None,
        data={
            "household": head,
            "name": "张建国",
            "id_number": make_id("19600110", sequence="111"),
            "relation": "户主",
        },
    )
    resident_save(
        actor=None,
        data={
            "household": head,
            "name": "张小雨",
            "id_number": make_id("20120503", sequence="128"),
            "relation": "孙女",
            "tags": ["留守儿童"],
        },
    )

    progress.get_by_role("link", name="查看户台账").click()
    expect(page.locator("h1")).to_have_text("户台账")
    rows = page.locator("#rows .list-item")
    expect(rows).to_have_count(6)
    expect(page.locator("main")).to_contain_text("共 6 条")
    # Personal numbers are masked on the page.
    expect(rows.first).to_contain_text("4116**********")
    expect(page.locator("main")).not_to_contain_text(make_id("19600110", sequence="111"))
    shot("02-household-list")

    page.locator(".chips").get_by_role("link", name="常营镇").click()
    expect(rows).to_have_count(4)
    page.get_by_label("标签").fill("独居老人")
    page.get_by_role("button", name="筛选").click()
    expect(rows).to_have_count(1)
    rows.first.locator("a.row-link").click()

    expect(page.locator("h1")).to_have_text("张建国户")
    expect(page.locator("#residents .list-item")).to_have_count(2)
    expect(page.locator("#residents")).to_contain_text("张小雨")
    shot("03-household-detail")
