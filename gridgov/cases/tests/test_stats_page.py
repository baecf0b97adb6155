"""The statistics page (/cases/stats/): who may see it, the numbers it shows, and clear errors for bad dates."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.cases.indicators import period_preset
from gridgov.cases.tests.test_indicators import example  # noqa: F401  (the hand-computed March 2026 example)
from gridgov.conftest import make_user
from gridgov.core.roles import Role
from gridgov.territory.services import grant_add

URL = reverse("cases:stats")
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.mark.parametrize("username", ["admin", "supervisor", "commander", "leader"])
def test_readers_see_the_page(territory, client_for, username):
    response = client_for(territory.user(username)).get(URL)
    assert response.status_code == 200
    assert "案件统计" in response.content.decode()


@pytest.mark.parametrize("username", ["officer", "township_a", "grid_a", "reward", "nobody"])
def test_others_get_404(territory, client_for, username):
    assert client_for(territory.user(username)).get(URL).status_code == 404


def test_anonymous_is_sent_to_login(db, client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_navigation_links_the_page_for_readers_only(territory, client_for):
    assert f'href="{URL}"' in client_for(territory.user("leader")).get(reverse("core:home")).content.decode()
    assert (
        f'href="{URL}"' not in client_for(territory.user("grid_a")).get(reverse("core:home")).content.decode()
    )


def _table(html: str, table_id: str) -> dict[str, list[str]]:
    """{row header: [cell texts]} of one table on the page, the total under "合计"."""
    section = html.split(f'id="{table_id}"', 1)[1].split("</section>", 1)[0]
    rows = {}
    for header, cells in re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', section, re.S):
        rows[header] = re.findall(r"<td[^>]*>([^<]*)</td>", cells)
    return rows


def _marks(html: str, table_id: str) -> dict[str, list[str]]:
    section = html.split(f'id="{table_id}"', 1)[1].split("</section>", 1)[0]
    out = {}
    for header, cells in re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', section, re.S):
        out[header] = [m.strip() for m in re.findall(r'<td class="num ?([a-z]*)"', cells)]
    return out


@pytest.mark.usefixtures("example")
def test_numbers_on_the_page(territory, client_for):
    response = client_for(territory.user("leader")).get(URL, MARCH)
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026-03-01 至 2026-03-31" in html
    townships = _table(html, "stats-township")
    # columns: 受理 立案 立案率 派遣 派遣率 应结案 结案 结案率 按期 按期率 返工率 延期率 应结未结 平均处置时长
    assert townships["常营镇"] == [
        "8",
        "7",
        "87.5%",
        "6",
        "85.7%",
        "4",
        "3",
        "75.0%",
        "2",
        "50.0%",
        "25.0%",
        "25.0%",
        "1",
        "128.0",
    ]
    assert townships["王集乡"] == [
        "2",
        "1",
        "50.0%",
        "1",
        "100.0%",
        "3",
        "2",
        "66.7%",
        "1",
        "33.3%",
        "0.0%",
        "0.0%",
        "1",
        "120.0",
    ]
    assert townships["合计"] == [
        "10",
        "8",
        "80.0%",
        "7",
        "87.5%",
        "7",
        "5",
        "71.4%",
        "3",
        "42.9%",
        "14.3%",
        "14.3%",
        "2",
        "124.8",
    ]
    departments = _table(html, "stats-department")
    # columns: 派遣 应结案 结案 结案率 按期 按期率 返工率 延期率 应结未结 平均处置时长
    assert departments["县应急管理局"] == [
        "5",
        "5",
        "4",
        "80.0%",
        "2",
        "40.0%",
        "20.0%",
        "20.0%",
        "1",
        "126.0",
    ]
    assert departments["县环境攻坚办"] == ["1", "2", "1", "50.0%", "1", "50.0%", "0.0%", "0.0%", "1", "120.0"]


@pytest.mark.usefixtures("example")
def test_worst_rates_are_marked(territory, client_for):
    html = client_for(territory.user("admin")).get(URL, MARCH).content.decode()
    marks = _marks(html, "stats-township")
    # of two townships the worse value of each marked column is red: 王集乡 registers and closes less,
    # 常营镇 reworks and extends more and takes longer; count columns and equal values are never marked
    a, b = marks["常营镇"], marks["王集乡"]
    assert b[2] == "bad" and a[2] == ""  # 立案率 50.0% < 87.5%
    assert a[4] == "bad" and b[4] == ""  # 派遣率 85.7% < 100%
    assert b[7] == "bad" and b[9] == "bad"  # 结案率 66.7%, 按期结案率 33.3%
    assert a[10] == "bad" and a[11] == "bad" and a[13] == "bad"  # 返工率, 延期率, 平均处置时长
    assert a[0] == b[0] == a[5] == b[5] == ""  # counts
    assert "bad" not in _marks(html, "stats-township").get("合计", [])


@pytest.mark.usefixtures("example")
def test_chart_data_is_passed_as_json(territory, client_for):
    html = client_for(territory.user("admin")).get(URL, MARCH).content.decode()
    assert "vendor/echarts-5.6.0.min" in html
    raw = re.search(
        r'<script id="stats-chart-data" type="application/json">(.*?)</script>', html, re.S
    ).group(1)
    data = json.loads(raw)
    assert data["township"]["labels"] == ["常营镇", "王集乡"]
    assert data["township"]["series"][0] == {"name": "结案率", "data": [75.0, 66.7]}
    assert data["department"]["labels"] == ["县环境攻坚办", "县应急管理局"]  # sort order, then code


@pytest.mark.usefixtures("example")
def test_a_leader_of_one_township_sees_only_it(territory, client_for):
    leader = make_user("leader_b")
    grant_add(actor=None, user=leader, role=Role.LEADER, region=territory.township_b)
    html = client_for(leader).get(URL, MARCH).content.decode()
    townships = _table(html, "stats-township")
    assert set(townships) == {"王集乡", "合计"}
    assert townships["合计"][:2] == ["2", "1"]


def test_default_period_is_this_month_and_presets_work(territory, client_for):
    client = client_for(territory.user("commander"))
    today = timezone.localdate()
    response = client.get(URL)
    assert response.context["period"] == period_preset("month", today)
    assert response.context["preset"] == "month"
    for preset in ("week", "month", "quarter", "year"):
        response = client.get(URL, {"period": preset})
        assert response.status_code == 200
        assert response.context["period"] == period_preset(preset, today)


def test_empty_period_shows_dashes_not_errors(territory, client_for):
    html = (
        client_for(territory.user("admin"))
        .get(URL, {"start": "2024-01-01", "end": "2024-01-31"})
        .content.decode()
    )
    total = _table(html, "stats-township")["合计"]
    assert total[0] == "0" and total[2] == "—" and total[7] == "—" and total[-1] == "—"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-02-30", "end": "2026-03-31"}, "日期无效"),
        ({"start": "yesterday", "end": "2026-03-31"}, "日期无效"),
        ({"start": "2026-03-31", "end": "2026-03-01"}, "开始日期不能晚于结束日期"),
        ({"start": "2026-03-01"}, "请同时填写开始日期和结束日期"),
        ({"end": "2026-03-01"}, "请同时填写开始日期和结束日期"),
        ({"start": "9999-12-31", "end": "9999-12-31"}, "日期须在"),
        ({"start": "0001-01-01", "end": "2026-01-01"}, "日期须在"),
        ({"period": "fortnight"}, "未知的统计区间"),
    ],
)
def test_bad_dates_give_a_clear_400(territory, client_for, params, message):
    response = client_for(territory.user("supervisor")).get(URL, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html
    assert "stats-township" not in html


def test_one_day_period(territory, client_for):
    day = dt.date(2026, 3, 31)
    response = client_for(territory.user("admin")).get(
        URL, {"start": day.isoformat(), "end": day.isoformat()}
    )
    assert response.status_code == 200
    assert response.context["period"].days == 1
