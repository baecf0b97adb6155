"""An inspection on a phone: the inspector of 应急管理局 opens the target from the hub, answers the fireworks-retail
checklist item by item (each saved as it is given), loses the connection part-way (the answer waits on the phone,
survives a reload, and is sent when the connection returns), submits, and lands on the rectification notice,
which downloads as .docx."""

import datetime as dt
import io
import re
from pathlib import Path

from docx import Document
from playwright.sync_api import expect

from gridgov.cases.defaults import ensure_default_categories
from gridgov.cases.models import Case, CategoryGroup
from gridgov.cases.models import Category as CategoryModel
from gridgov.e2e.conftest import PHONE
from gridgov.inspections.defaults import ensure_default_checklists
from gridgov.inspections.models import Answer, Checklist, ChecklistItem, Plan, Rectification
from gridgov.inspections.services import plans
from gridgov.registry.services.records import place_save


def _setup(site):
    ensure_default_categories(CategoryGroup, CategoryModel)  # a flushed transactional database has none
    ensure_default_checklists()
    officer = site.user("officer")
    shop = place_save(
        actor=None,
        data={
            "grid": site.grid_a1_1,
            "kind": "fireworks_retail",
            "name": "常营花炮店",
            "address": "常营镇西街 8 号",
            "risk_level": "general",
            "industry": "fireworks",
        },
    )
    plan = plans.plan_create(
        actor=officer,
        name="春节前烟花爆竹零售点明查",
        mode=Plan.Mode.OVERT,
        department=site.department,
        checklist=Checklist.objects.get(code="fireworks_retail"),
        team_name="第一督导组",
        starts_on=dt.date.today(),
        ends_on=dt.date.today() + dt.timedelta(days=20),
        members=[officer],
    )
    (inspection,) = plans.plan_add_targets(actor=officer, plan=plan, places=[shop])
    return inspection


def _answer(page, item, result: str, note: str = "", value: str = ""):
    box = page.locator(f"#item-{item.pk}")
    if value:
        box.locator(f"input[name=value-{item.pk}]").fill(value)
    if note:
        box.locator(f"textarea[name=note-{item.pk}]").fill(note)
    box.locator(f"label.insp-choice.{result}").click()


def test_phone_inspection_to_rectification_notice(site, page, login, shot, live_server):
    inspection = _setup(site)
    items = list(ChecklistItem.objects.filter(checklist__code="fireworks_retail").order_by("sort_order"))
    page.set_viewport_size(PHONE)
    login("officer")
    page.locator("nav.mainnav").get_by_role("link", name="检查", exact=True).click()
    expect(page).to_have_url(re.compile(r"/inspections/$"))
    expect(page.locator("#my-targets")).to_contain_text("常营花炮店")
    shot("01-hub")
    page.set_viewport_size(PHONE)
    page.locator("#my-targets").get_by_role("link").first.click()
    expect(page.locator("h1")).to_have_text("常营花炮店")

    # The first answers go straight to the server.
    _answer(page, items[0], "fail", note="许可证未悬挂，放在抽屉里")
    expect(page.locator(f"#item-{items[0].pk} .insp-item-status")).to_have_text("已保存到服务器")
    for item in items[1:4]:
        _answer(page, item, "pass", value="12" if item.answer_type == "number" else "")
        expect(page.locator(f"#item-{item.pk} .insp-item-status")).to_have_text("已保存到服务器")
    assert Answer.objects.filter(inspection=inspection).count() == 4
    shot("02-form-part-way")
    page.set_viewport_size(PHONE)

    # The connection drops: the answer stays on the phone.
    page.context.set_offline(True)
    _answer(page, items[4], "pass")
    expect(page.locator("#sync-text")).to_contain_text("网络中断")
    shot("03-offline")
    page.set_viewport_size(PHONE)
    assert Answer.objects.filter(inspection=inspection).count() == 4
    stored = page.evaluate(f"() => window.localStorage.getItem('gridgov-inspection-{inspection.pk}')")
    assert f'"{items[4].pk}"' in stored

    # Back online but the answer endpoint still unreachable; the inspector reloads: nothing is lost.
    # (the route first: going online fires the page's flush, which must not reach the server before the reload)
    page.route(re.compile(r".*/answers/.*"), lambda route: route.abort())
    page.context.set_offline(False)
    page.reload()
    expect(page.locator(f"#item-{items[4].pk} input[value=pass]")).to_be_checked()
    expect(page.locator(f"#item-{items[0].pk} textarea")).to_have_value("许可证未悬挂，放在抽屉里")
    page.unroute(re.compile(r".*/answers/.*"))
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator("#sync-text")).to_have_text("已保存到服务器")
    assert Answer.objects.filter(inspection=inspection).count() == 5

    for item in items[5:]:
        failed = item.code == "extinguishers"
        _answer(page, item, "fail" if failed else "pass", note="灭火器压力不足" if failed else "")
        expect(page.locator(f"#item-{item.pk} .insp-item-status")).to_have_text("已保存到服务器")
    expect(page.locator("#progress-text")).to_have_text(f"已填 {len(items)} / {len(items)} 项")
    page.get_by_label("检查意见").fill("现场责令立即悬挂许可证，补充灭火器。")
    page.get_by_role("button", name="提交检查").click()

    # The rectification notice.
    expect(page).to_have_url(re.compile(r"/inspections/rectifications/\d+/$"))
    expect(page.locator("h1")).to_contain_text("常营花炮店")
    expect(page.locator("#findings li")).to_have_count(2)
    expect(page.locator(".msg-error")).to_contain_text("责令停止")
    rect = Rectification.objects.get(inspection=inspection)
    assert rect.severity == "major" and Case.objects.get(pk=rect.case_id).source == "inspection"
    assert page.evaluate(f"() => window.localStorage.getItem('gridgov-inspection-{inspection.pk}')") is None
    shot("04-rectification")
    page.set_viewport_size(PHONE)
    with page.expect_download() as download:
        page.locator("#notice-download").click()
    content = Path(download.value.path()).read_bytes()
    text = "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
    assert rect.number in text and "常营花炮店" in text

    # The board shows it, on a desktop.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/inspections/rectifications/")
    expect(page.locator("#rectifications")).to_contain_text(rect.number)
    shot("05-board")


def test_covert_round_stays_hidden_from_the_township(site, page, login, shot):
    """The demo's inspections: 王集乡 (township_b) sees the reported covert round and its own record, never the
    second round aimed at it; 环境攻坚办 (other_officer) sees both."""
    import datetime as dt

    from gridgov.conftest import make_user
    from gridgov.core.roles import Role
    from gridgov.inspections import demo
    from gridgov.territory.services import grant_add

    ensure_default_categories(CategoryGroup, CategoryModel)
    for username, department in (("yingji", site.department), ("huanbao", site.other_department)):
        grant_add(
            actor=None,
            user=make_user(username),
            role=Role.DEPARTMENT_OFFICER,
            region=site.county,
            department=department,
        )
    demo.demo_load(today=dt.date.today(), households=0)

    login("township_b")
    page.goto("/inspections/plans/")
    expect(page.locator("#plans")).to_contain_text(demo.COVERT_NAME)
    expect(page.locator("#plans")).not_to_contain_text(demo.COVERT_NEXT_NAME)
    page.goto("/inspections/covert/")
    expect(page.locator("#covert-table")).to_contain_text("王集乡")
    expect(page.locator("#covert-findings")).to_contain_text("承诺书")
    shot("01-covert-record")
    page.get_by_role("button", name="退出").click()

    login("huanbao")
    page.goto("/inspections/plans/?mode=covert")
    expect(page.locator("#plans")).to_contain_text(demo.COVERT_NEXT_NAME)
    page.goto("/inspections/plans/")
    page.locator("#plans").get_by_role("link", name=re.compile(demo.OVERT_NAME)).click()
    expect(page.locator("#draws")).to_contain_text(str(demo.DRAW_SEED))
    page.get_by_role("link", name="重新核验").click()
    expect(page.locator("#draws")).to_contain_text("一致")
    shot("02-plan-with-draw")
    # 环境攻坚办's board: the two townships' orders from the reported round, not 应急管理局's shops
    page.goto("/inspections/rectifications/?bucket=open")
    expect(page.locator("#rectifications .list-item")).to_have_count(2)
    expect(page.locator("#rectifications")).to_contain_text("王集乡")
    shot("03-board-open")


def test_photo_taken_offline_survives_a_reload_and_reaches_the_server(site, page, login, tmp_path):
    """A photo cannot wait in localStorage; it waits in IndexedDB until the server has it."""
    inspection = _setup(site)
    item = ChecklistItem.objects.filter(checklist__code="fireworks_retail").order_by("sort_order").first()
    photo = tmp_path / "licence.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    page.set_viewport_size(PHONE)
    login("officer")
    page.goto(f"/inspections/i/{inspection.pk}/")
    expect(page.locator("h1")).to_have_text("常营花炮店")

    # The answer endpoint cannot be reached: the answer and its photo wait on the phone.
    answers = re.compile(r".*/answers/.*")
    page.route(answers, lambda route: route.abort())
    _answer(page, item, "fail", note="许可证未悬挂")
    page.locator(f"input[name=photo-{item.pk}]").set_input_files(str(photo))
    expect(page.locator(f"#item-{item.pk} .insp-item-status")).to_contain_text("网络中断")
    page.reload()
    expect(page.locator(f"#item-{item.pk} input[value=fail]")).to_be_checked()
    assert not Answer.objects.filter(inspection=inspection).exists()

    # The connection returns: the answer goes up with the photo taken before the reload.
    page.unroute(answers)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator("#sync-text")).to_have_text("已保存到服务器")
    answer = Answer.objects.get(inspection=inspection, item=item)
    assert answer.note == "许可证未悬挂" and answer.photo.name.endswith(".png")
    assert answer.photo.size == photo.stat().st_size
    # and nothing is left behind in the browser
    left = page.evaluate(
        """() => new Promise(resolve => {
            const open = indexedDB.open("gridgov-inspection-photos", 1);
            open.onsuccess = () => {
                const req = open.result.transaction("photos").objectStore("photos").count();
                req.onsuccess = () => resolve(req.result);
            };
        })"""
    )
    assert left == 0
