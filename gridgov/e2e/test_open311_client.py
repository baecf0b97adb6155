"""A civic-tech web page on another origin reads the county's Open311 services and requests in a real browser
(cross-origin fetch, no credentials), and shows them on a phone."""

from playwright.sync_api import expect

from gridgov.cases.defaults import ensure_default_categories
from gridgov.cases.models import CaseSource, Category, CategoryGroup
from gridgov.cases.services import intake, loop
from gridgov.e2e.conftest import PHONE

CLIENT_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;margin:16px}li{margin:8px 0;padding:8px;border:1px solid #ddd;border-radius:6px}
.open{color:#b45309}.closed{color:#15803d}</style></head>
<body><h1>太康县 随手拍</h1><p id="services"></p><ul id="requests"></ul>
<script>
async function load(base) {
  const services = await (await fetch(base + "/services.json")).json();
  document.getElementById("services").textContent = "可举报：" + services.map(s => s.service_name).join("、");
  const requests = await (await fetch(base + "/requests.json")).json();
  const list = document.getElementById("requests");
  for (const r of requests) {
    const li = document.createElement("li");
    li.dataset.id = r.service_request_id;
    li.innerHTML = `<b></b> <span class="${r.status}"></span><br><small></small>`;
    li.querySelector("b").textContent = r.service_name + " " + r.service_request_id;
    li.querySelector("span").textContent = r.status === "open" ? "办理中" : "已办结";
    li.querySelector("small").textContent = r.status_notes + "（" + (r.agency_responsible || "待派遣") + "）";
    list.appendChild(li);
  }
}
</script></body></html>"""


def test_a_web_client_on_another_origin_lists_requests(site, page, live_server, shot):
    ensure_default_categories(CategoryGroup, Category)
    sale = Category.objects.get(code="fireworks_illegal_sale")
    u = site.user
    first = intake.case_report(
        actor=None,
        source=CaseSource.HOTLINE,
        category=sale,
        region=site.grid_a1_1,
        title="集市卖烟花",
        description="集市东口有流动摊点售卖烟花爆竹",
    )
    loop.case_register(actor=u("supervisor"), case=first)
    loop.case_dispatch(actor=u("commander"), case=first, department=site.department)
    second = intake.case_report(
        actor=None,
        source=CaseSource.HOTLINE,
        category=Category.objects.get(code="fireworks_banned_area"),
        region=site.village_b1,
        title="禁放区燃放",
        description="小区内燃放烟花",
    )
    page.set_viewport_size(PHONE)
    page.set_content(CLIENT_PAGE)  # about:blank: an origin other than the live server's
    page.evaluate("base => load(base)", f"{live_server.url}/open311/v2")
    expect(page.locator("#services")).to_contain_text("非法销售")
    expect(page.locator(f'li[data-id="{first.number}"]')).to_contain_text(
        "已交由责任单位处置。（县应急管理局）"
    )
    expect(page.locator(f'li[data-id="{second.number}"]')).to_contain_text("举报已受理。（待派遣）")
    shot("01-client-list")
