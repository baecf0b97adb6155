"""The closed loop in a real browser: a grid worker reports open burning from the phone form with a photo, the
supervisor registers it, the commander dispatches it to 县环境攻坚办, the department accepts and resolves it, and the
supervisor closes it. Every action goes through the case page's htmx forms."""

import io
import re

from playwright.sync_api import expect

from gridgov.cases.defaults import ensure_default_categories
from gridgov.cases.models import Case, CaseAttachment, CategoryGroup
from gridgov.cases.models import Category as CategoryModel
from gridgov.e2e.conftest import PHONE

LATITUDE, LONGITUDE = 34.012345, 114.876543


def png_bytes(size=(640, 480), color=(220, 120, 40)) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((size[0] // 4, size[1] // 3, size[0] * 3 // 4, size[1]), fill=(90, 90, 90))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def sign_out(page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def act(page, action: str, button: str, *, note: str = "") -> None:
    """Opens an action on the case page, fills its note, presses its button and waits for htmx to swap in the
    page's main section."""
    page.wait_for_function("() => window.htmx !== undefined")  # htmx is deferred: act only once it is there
    details = page.locator(f"details#action-{action}")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    if note:
        details.locator("textarea[name=note]").fill(note)
    with page.expect_response(re.compile(r"/actions/")) as response:
        details.get_by_role("button", name=button, exact=True).click()
    status = response.value.status
    assert status == 200, f"{action}: HTTP {status}" + (
        "" if 300 <= status < 400 else f" {response.value.text()[:500]}"
    )


def expect_state(page, label: str) -> None:
    expect(page.locator(".case-head .badges-line .badge").first).to_have_text(label)


def test_grid_report_to_closure(site, page, login, shot, live_server):
    ensure_default_categories(CategoryGroup, CategoryModel)  # a flushed transactional database has none

    # 1. The grid worker reports on a phone, with the location from the browser and a photo.
    page.set_viewport_size(PHONE)
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"latitude": LATITUDE, "longitude": LONGITUDE, "accuracy": 12})
    login("grid_a")
    page.locator("nav.mainnav").get_by_role("link", name="案件", exact=True).click()
    expect(page).to_have_url(re.compile(r"/cases/$"))
    page.locator("nav.case-tabs").get_by_role("link", name="上报问题").click()
    expect(page.locator("h1")).to_have_text("上报问题")
    expect(page.locator(".place-box")).to_contain_text("第1网格")
    page.get_by_label("问题类别").select_option(label="露天焚烧/秸秆焚烧")
    page.get_by_label("标题").fill("村东麦田焚烧秸秆")
    page.get_by_label("问题描述").fill("常营西村东头麦田有人焚烧秸秆，火势不大，烟雾较浓。")
    page.get_by_label("具体位置").fill("常营西村东 300 米麦田")
    page.get_by_role("button", name="获取当前位置").click()
    expect(page.locator("#locate-status")).to_contain_text("已定位")
    page.get_by_label("现场照片").set_input_files(
        [{"name": "burning.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    expect(page.locator("#photo-previews img")).to_have_count(1)
    page.set_viewport_size({"width": 1280, "height": 800})
    shot("01-report-form")
    page.set_viewport_size(PHONE)
    with page.expect_navigation():
        page.get_by_role("button", name="上报", exact=True).click()

    case = Case.objects.get()
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/$"))
    expect(page.locator(".messages")).to_contain_text(f"已上报，案件编号 {case.number}")
    expect_state(page, "已受理")
    thumbnail = page.locator("#photos img")
    expect(thumbnail).to_have_count(1)
    # the thumbnail really loads (served by the access-checked view); wait for it rather than race it
    page.wait_for_function(
        "() => { const img = document.querySelector('#photos img'); return img && img.complete && img.naturalWidth > 0 }",
        timeout=10_000,
    )
    assert float(case.latitude) == LATITUDE and case.category.code == "air_open_burning"
    assert CaseAttachment.objects.filter(case=case, kind="photo").count() == 1
    case_url = f"/cases/{case.pk}/"
    shot("02-reported")
    sign_out(page)

    # 2. The supervisor registers it (立案), from the inbox.
    page.set_viewport_size({"width": 1280, "height": 800})
    login("supervisor")
    page.goto("/cases/")
    page.locator("#inbox").get_by_role("link", name=re.compile("村东麦田焚烧秸秆")).click()
    expect(page).to_have_url(re.compile(rf"{case_url}$"))
    expect(page.locator("#action-register")).to_have_attribute("open", "")
    shot("03-supervisor-to-register")
    act(page, "register", "立案", note="经核实属实，予以立案")
    expect(page.locator(".msg-success")).to_have_text("已立案。")
    expect_state(page, "已立案")
    sign_out(page)

    # 3. The commander dispatches it: the routing help names the township and suggests 县环境攻坚办.
    login("commander")
    page.goto(case_url)
    expect(page.locator("#routing")).to_contain_text("常营镇")
    expect(page.locator("#routing")).to_contain_text("县环境攻坚办")
    expect(page.get_by_label("部门", exact=True)).to_have_value(str(site.other_department.pk))
    act(page, "dispatch", "派遣", note="请环境攻坚办立即处置")
    expect(page.locator(".msg-success")).to_have_text("已派遣至 县环境攻坚办。")
    expect_state(page, "已派遣")
    expect(page.locator("#case-unit")).to_have_text("县环境攻坚办")
    expect(page.locator("#deadline-badge")).to_contain_text(re.compile("剩余|已超期"))
    shot("04-dispatched")
    sign_out(page)

    # 4. The department accepts and resolves it, with an evidence photo, on a phone.
    page.set_viewport_size(PHONE)
    login("other_officer")
    page.goto("/cases/")
    expect(page.locator("#inbox .badge").first).to_have_text("已派遣")
    shot("05-department-inbox")
    page.locator("#inbox").get_by_role("link", name=re.compile("村东麦田焚烧秸秆")).click()
    act(page, "accept", "签收")
    expect_state(page, "处置中")
    details = page.locator("details#action-resolve")
    details.locator("textarea[name=note]").fill("已扑灭明火，对当事人进行了教育，现场已清理。")
    details.locator("input[type=file]").set_input_files(
        [{"name": "after.png", "mimeType": "image/png", "buffer": png_bytes(color=(60, 140, 60))}]
    )
    act(page, "resolve", "提交处置结果")
    expect_state(page, "待核查")
    expect(page.locator("#timeline li.resolve img")).to_have_count(1)
    shot("06-resolved")
    sign_out(page)

    # 5. The supervisor verifies and closes it.
    page.set_viewport_size({"width": 1280, "height": 800})
    login("supervisor")
    page.goto(case_url)
    act(page, "close", "结案", note="现场核查无复燃")
    expect(page.locator(".msg-success")).to_have_text("核查通过，已结案。")
    expect_state(page, "已结案")
    expect(page.locator("#actions details.action")).to_have_count(1)  # only 关联案件 is left
    expect(page.locator("#action-link")).to_be_visible()
    timeline = page.locator("#timeline li .what")
    expect(timeline).to_have_text(["上报", "立案", "派遣", "签收", "处置反馈", "核查通过，结案"])
    shot("07-closed")

    page.get_by_role("link", name="全部案件", exact=True).click()
    page.locator("#case-filters summary").click()
    page.get_by_label("状态").select_option("closed")
    page.get_by_role("button", name="筛选", exact=True).click()
    expect(page.locator("#cases .case-no")).to_have_text([case.number])
    shot("08-list")
    case.refresh_from_db()
    assert case.state == "closed" and case.unit_department == site.other_department


def test_errors_and_conflicts_are_shown_in_place(site, page, login, shot):
    """htmx swaps the 400 and 409 answers in: the field error under the field, the conflict with the state."""
    ensure_default_categories(CategoryGroup, CategoryModel)
    from gridgov.cases.services import loop
    from gridgov.cases.services.intake import case_report

    case = case_report(
        actor=site.user("grid_a"),
        category=CategoryModel.objects.get(code="fireworks_illegal_sale"),
        region=site.grid_a1_1,
        title="路边流动摊点卖鞭炮",
        description="三轮车上摆卖鞭炮。",
    )
    login("supervisor")
    page.goto(f"/cases/{case.pk}/")
    page.locator("#action-void summary").click()
    page.locator("#action-void textarea[name=note]").fill("   ")
    with page.expect_response(re.compile(r"/actions/void/")) as response:
        page.locator("#action-void").get_by_role("button", name="作废").click()
    assert response.value.status == 400
    expect(page.locator("#action-void .field-error")).to_have_text("作废须说明理由。")
    expect(page.locator("#action-void textarea[name=note]")).to_have_attribute("aria-invalid", "true")

    loop.case_register(actor=site.user("supervisor"), case=case)  # someone else registers it meanwhile
    with page.expect_response(re.compile(r"/actions/register/")) as response:
        page.locator("#action-register").get_by_role("button", name="立案").click()
    assert response.value.status == 409
    expect(page.locator("#conflict")).to_contain_text("案件状态已变化，请刷新")
    expect(page.locator("#conflict")).to_contain_text("当前状态：已立案")
    expect_state(page, "已立案")
    shot("conflict")
