"""Walking the grid in a real browser: sign in, go down county › township › village › grid, manage grids."""

import re

from playwright.sync_api import expect

from gridgov.conftest import GRID_A1_1, GRID_A1_2, VILLAGE_A1
from gridgov.territory.models import Region

GRID_TRAIL = ["太康县", "常营镇", "常营西村", "第1网格"]


def breadcrumb_names(page) -> list[str]:
    return [t.strip() for t in page.locator("nav.breadcrumbs li").all_inner_texts()]


def child_names(page) -> list[str]:
    return [t.strip() for t in page.locator("ul#children a.row-link .title").all_inner_texts()]


def expect_region_page(page, *, code: str, name: str, trail: list[str]) -> None:
    expect(page).to_have_url(re.compile(rf"/regions/{code}/$"))
    expect(page.locator("h1")).to_have_text(name)
    expect(page).to_have_title(re.compile(rf"^{name} · "))
    assert breadcrumb_names(page) == trail
    current = page.locator("nav.breadcrumbs [aria-current=page]")
    expect(current).to_have_text(name)


def open_child(page, name: str) -> None:
    page.locator("ul#children a.row-link").filter(has=page.locator(".title", has_text=name)).click()


def test_admin_walks_from_county_down_to_a_grid(site, page, login, shot):
    login("admin")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("h1")).to_have_text("admin，您好")
    expect(page.locator("main")).to_contain_text("系统管理员")
    expect(page.locator("main .list .title")).to_have_text(["太康县"])
    shot("01-home")

    page.locator("nav.mainnav").get_by_role("link", name="网格", exact=True).click()
    expect_region_page(page, code=site.county.code, name="太康县", trail=["太康县"])
    expect(page.locator("nav.mainnav a.active")).to_have_text("网格")
    assert child_names(page) == ["常营镇", "王集乡"]
    shot("02-county")

    open_child(page, "常营镇")
    expect_region_page(page, code=site.township_a.code, name="常营镇", trail=["太康县", "常营镇"])
    assert child_names(page) == ["常营西村", "常营东村"]
    shot("03-township")

    open_child(page, "常营西村")
    expect_region_page(page, code=VILLAGE_A1, name="常营西村", trail=["太康县", "常营镇", "常营西村"])
    assert child_names(page) == ["第1网格", "第2网格"]
    expect(page.locator("#manage summary")).to_have_text("新增网格")
    shot("04-village")

    open_child(page, "第1网格")
    expect_region_page(page, code=GRID_A1_1, name="第1网格", trail=GRID_TRAIL)
    expect(page.locator("ul#children")).to_have_count(0)
    people = page.locator(".card", has=page.get_by_role("heading", name="网格人员"))
    expect(people.locator(".list-item .title")).to_have_text(["grid_a"])
    expect(people.locator(".list-item .meta")).to_contain_text(["网格员"])
    shot("05-grid")

    # The breadcrumb leads back up: every ancestor is a link for the county admin.
    page.locator("nav.breadcrumbs").get_by_role("link", name="常营镇").click()
    expect_region_page(page, code=site.township_a.code, name="常营镇", trail=["太康县", "常营镇"])

    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("button", name="退出")).to_have_count(0)


def test_grid_worker_lands_on_own_grid_and_cannot_open_the_county(site, page, login, shot):
    login("grid_a")
    page.locator("nav.mainnav").get_by_role("link", name="网格", exact=True).click()
    expect_region_page(page, code=GRID_A1_1, name="第1网格", trail=GRID_TRAIL)
    # The worker sees where the grid lies but may not open the ancestors: no links in the trail.
    expect(page.locator("nav.breadcrumbs a")).to_have_count(0)
    expect(page.locator("#manage")).to_have_count(0)
    shot("01-own-grid")

    for code in (site.county.code, site.township_a.code, VILLAGE_A1, GRID_A1_2):
        response = page.goto(f"/regions/{code}/")
        assert response.status == 404, code
        expect(page.locator("body")).not_to_contain_text("太康县")
    shot("02-county-404", phone=False)


def test_wrong_password_shows_the_chinese_error(site, page, login, shot):
    login("admin", "not-the-password")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("alert")).to_have_text("用户名或密码不正确。")
    expect(page.get_by_label("用户名", exact=True)).to_have_value("admin")
    expect(page.get_by_role("button", name="退出")).to_have_count(0)
    shot("01-login-error")

    # Still signed out: the home page sends the browser back to the login form.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))


def test_admin_adds_a_grid_to_a_village(site, page, login, shot):
    village = site.village_a1
    login("admin")
    page.goto(f"/regions/{village.code}/")
    manage = page.locator("#manage")
    expect(manage.locator("h2")).to_have_text("网格管理")
    add = manage.locator("details", has=page.locator("summary", has_text="新增网格"))
    name_field = add.get_by_label("新网格名称")
    expect(name_field).to_be_hidden()
    add.locator("summary").click()
    expect(name_field).to_be_visible()
    name_field.fill("第3网格")
    shot("01-add-form")
    with page.expect_navigation():
        add.get_by_role("button", name="新增").click()

    expect(page).to_have_url(re.compile(rf"/regions/{village.code}/$"))
    new_grid = Region.objects.get(parent=village, name="第3网格")
    assert new_grid.code.startswith(village.code) and len(new_grid.code) == 15
    expect(page.locator(".msg-success")).to_have_text(f"已新增网格 第3网格（{new_grid.code}）。")
    assert child_names(page) == ["第1网格", "第2网格", "第3网格"]
    expect(page.locator("ul#children .meta").nth(2)).to_contain_text(new_grid.code)
    shot("02-added")

    before = Region.objects.filter(parent=village).count()
    # An empty name: the browser itself refuses (the field is required) and nothing is sent.
    add.locator("summary").click()
    name_field.fill("")
    add.get_by_role("button", name="新增").click()
    assert name_field.evaluate("e => e.validity.valueMissing") is True
    expect(page.locator(".msg-success")).to_have_count(1)  # still the page from before
    # A name of blanks passes the browser but not the server: the page comes back with the field's error.
    name_field.fill("   ")
    with page.expect_navigation() as navigation:
        add.get_by_role("button", name="新增").click()
    assert navigation.value.status == 400
    expect(page.locator(".msg-success")).to_have_count(0)
    add = page.locator("#manage details", has=page.locator("summary", has_text="新增网格"))
    expect(add).to_have_attribute("open", "")
    expect(add.locator(".field-error")).to_have_text(re.compile("必填"))
    shot("03-blank-name")
    # An empty name from a browser that ignores `required` (old WebViews do): the server's error, again.
    add.locator("form").evaluate("form => { form.noValidate = true; }")
    name_field.fill("")
    with page.expect_navigation() as navigation:
        add.get_by_role("button", name="新增").click()
    assert navigation.value.status == 400
    expect(add.locator(".field-error")).to_have_text(re.compile("必填"))
    assert Region.objects.filter(parent=village).count() == before
    assert child_names(page) == ["第1网格", "第2网格", "第3网格"]
