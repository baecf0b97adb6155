"""Air quality in a real browser: the station map, a station's hours and calendar, the rankings, and the command
centre issuing an orange warning from the warnings page, which a township officer then reads."""

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import expect

from gridgov.air.defaults import ensure_default_tables
from gridgov.air.models import AirWarning, AqiBreakpoint, AqiTable, WarningPreset
from gridgov.air.services import ReadingRow, readings_ingest, station_create
from gridgov.e2e.conftest import PHONE

STATIONS = [
    ("A01", "常营镇政府", "county", "114.83", "34.06", "township_a", 150),
    ("A02", "常营西村微站", "township", "114.80", "34.09", "grid_a1_1", 60),
    ("B01", "王集乡政府", "national", "114.95", "34.15", "township_b", 20),
    ("B02", "李庄微站", "township", "114.98", "34.11", "village_b2", 260),
]


def load_air(site) -> None:
    ensure_default_tables(AqiTable, AqiBreakpoint, WarningPreset)  # a flushed transactional database has none
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    for code, name, level, lon, lat, region, pm25 in STATIONS:
        station_create(
            actor=None,
            code=code,
            name=name,
            level=level,
            longitude=lon,
            latitude=lat,
            region=getattr(site, region),
        )
        rows = []
        for h in range(24 * 20):
            moment = now - dt.timedelta(hours=h)
            swing = 1 + 0.3 * ((h % 24) - 12) / 12
            rows.append(
                ReadingRow(
                    row=h + 1,
                    station=code,
                    observed_at=moment,
                    values={"pm25": round(pm25 * swing, 1), "pm10": round(pm25 * 1.5 * swing, 1), "o3": 60},
                )
            )
        readings_ingest(actor=None, rows=rows, source="test")


def test_air_pages_and_a_warning(site, page, login, shot):
    load_air(site)
    login("commander")
    page.goto("/air/")
    expect(page.get_by_role("heading", name="空气质量")).to_be_visible()
    expect(page.locator(".list-item", has_text="李庄微站")).to_contain_text("重度污染")
    page.wait_for_function("() => document.querySelector('#air-map canvas') !== null")
    shot("01-map")

    page.locator(".list-item", has_text="常营镇政府").get_by_role("link").click()
    expect(page.get_by_role("heading", name="常营镇政府")).to_be_visible()
    page.wait_for_function("() => document.querySelectorAll('.air-chart canvas').length >= 2")
    shot("02-station")

    page.get_by_role("link", name="日历").click()
    page.wait_for_function("() => document.querySelector('#air-calendar canvas') !== null")
    shot("03-calendar")

    page.get_by_role("link", name="排名").click()
    expect(page.locator("table.rank-table tbody tr").first).to_contain_text("常营镇")
    shot("04-rankings")

    page.get_by_role("link", name="预警").click()
    page.locator("summary", has_text="发布预警").click()
    page.get_by_label("常营镇").check()
    page.get_by_label("王集乡").check()
    page.get_by_label("预报日 AQI（逐日，用逗号或空格分隔）").fill("230, 320, 260")
    page.get_by_label("发布理由").fill("静稳天气叠加烟花燃放，预计连续三天重度污染")
    shot("05-warning-form")
    page.get_by_role("button", name="发布并下发到网格").click()
    expect(page).to_have_url(re.compile(r"/air/warnings/\d+/$"))
    expect(page.locator(".warning-card h1")).to_have_text("橙色预警")
    expect(page.locator(".warning-card")).to_contain_text("已下发网格")
    shot("06-warning")
    warning = AirWarning.objects.get()
    assert warning.issued_by.username == "commander" and warning.level == "orange"

    # a township officer reads it on a phone and cannot lift it
    page.get_by_role("button", name="退出").click()
    page.set_viewport_size(PHONE)
    login("township_a")
    page.goto("/air/")
    expect(page.locator(".air-alert")).to_contain_text("橙色预警")
    page.locator(".air-alert").click()
    expect(page.get_by_role("button", name="解除预警")).to_have_count(0)
    page.set_viewport_size({"width": 1280, "height": 800})
    shot("07-township-reads")


def test_csv_upload_with_progress(site, page, login, shot, tmp_path):
    load_air(site)
    path = tmp_path / "hours.csv"
    lines = ["station,time,pm25,pm10,so2,no2,co,o3"]
    lines += [f"A02,2025-12-01 {h:02d}:00,80,100,10,30,0.8,90" for h in range(24)]
    lines += ["A02,2025-12-02 00:00,-3,,,,,", "ZZZ,2025-12-02 01:00,5,,,,,"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    login("admin")
    page.goto("/air/import/")
    page.get_by_label("CSV 文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并导入").click()
    expect(page).to_have_url(re.compile(r"/air/import/\d+/$"))
    expect(page.locator("#job .badge")).to_have_text("已完成")
    expect(page.locator("#job")).to_contain_text("新增 24 小时，替换 0 小时，有误 2 行。")
    expect(page.locator("#job table")).to_contain_text("ZZZ")
    shot("01-import-job")
