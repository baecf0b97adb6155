"""The air pages: who sees them, what they show, the warning form, and query counts that do not grow."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.air.models import AirWarning, WarningState
from gridgov.air.services import station_create
from gridgov.air.tests.conftest import hours_rows


@pytest.fixture
def today_hours(stations, ingest):
    today = timezone.localdate()
    hour = timezone.localtime().hour
    ingest(hours_rows("A01", today, {"pm25": 160, "pm10": 120}, hours=range(hour + 1)))
    ingest(hours_rows("B01", today, {"pm25": 20}, hours=range(hour + 1)))


@pytest.mark.parametrize("username", ["admin", "leader", "township_a", "grid_b", "officer"])
def test_every_staff_member_sees_the_map(territory, client_for, today_hours, username):
    response = client_for(territory.user(username)).get(reverse("air:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "常营镇政府" in body and "王集乡政府" in body and 'id="air-map-data"' in body
    assert "中度污染" in body and "优" in body


def test_a_user_without_a_grant_gets_404_and_anonymous_the_login(territory, client, client_for, stations):
    assert client.get(reverse("air:index")).status_code == 302
    nobody = client_for(territory.user("nobody"))
    for name, args in (
        ("air:index", []),
        ("air:rankings", []),
        ("air:warnings", []),
        ("air:station", ["A01"]),
    ):
        assert nobody.get(reverse(name, args=args)).status_code == 404


def test_map_query_count_does_not_grow(territory, client_for, stations, ingest, django_assert_num_queries):
    client = client_for(territory.user("leader"))
    client.get(reverse("air:index"))
    with django_assert_num_queries(8) as few:
        client.get(reverse("air:index"))
    baseline = len(few.captured_queries)
    for i in range(8):
        station_create(
            actor=None,
            code=f"M{i}",
            name=f"微站{i}",
            level="township",
            longitude="114.9",
            latitude="34.1",
            region=territory.grid_a1_2,
        )
    with django_assert_num_queries(baseline):
        response = client.get(reverse("air:index"))
    assert response.content.decode().count('class="list-item"') == 12


def test_station_page_with_hours_and_calendar(territory, client_for, today_hours):
    response = client_for(territory.user("grid_a")).get(reverse("air:station", args=["A01"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="air-hours-data"' in body and 'id="air-calendar-data"' in body and "首要污染物 PM2.5" in body
    assert client_for(territory.user("grid_a")).get(reverse("air:station", args=["NOPE"])).status_code == 404


def test_rankings_page(territory, client_for, stations, ingest):
    day = dt.date(2025, 12, 1)
    ingest(hours_rows("A01", day, {"pm25": 30}) + hours_rows("B01", day, {"pm25": 160}, start_row=25))
    client = client_for(territory.user("leader"))
    body = client.get(reverse("air:rankings"), {"of": "township", "date": "2025-12-01"}).content.decode()
    assert body.index("常营镇") < body.index("王集乡")
    assert "优良天数比例" in body
    wrong = client.get(reverse("air:rankings"), {"date": "yesterday"})
    assert wrong.status_code == 200 and "日期格式不对" in wrong.content.decode()


def test_county_calendar_page(territory, client_for, today_hours):
    response = client_for(territory.user("township_b")).get(reverse("air:calendar"))
    assert response.status_code == 200 and "优良天数比例" in response.content.decode()


def form(**change):
    data = {
        "w-preset": "national-2018",
        "w-townships": ["411627101"],
        "w-basis": "forecast",
        "w-start": "2025-12-10",
        "w-forecast": "230, 260, 320",
        "w-level": "",
        "w-reason": "预报未来三天重度污染",
    }
    data.update(change)
    return data


def test_the_command_centre_issues_from_the_page(territory, client_for):
    client = client_for(territory.user("commander"))
    page = client.get(reverse("air:warnings")).content.decode()
    assert "发布预警" in page and "全国重污染天气预警分级（2024）" in page
    response = client.post(reverse("air:warnings"), form())
    warning = AirWarning.objects.get()
    assert response.status_code == 302 and response.url == reverse("air:warning", args=[warning.pk])
    assert (warning.level, warning.issued_by.username, warning.reason) == (
        "orange",
        "commander",
        "预报未来三天重度污染",
    )
    detail = client.get(response.url).content.decode()
    assert "橙色预警" in detail and "预报未来三天重度污染" in detail and "已下发网格" in detail


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"w-forecast": "230, x"}, "不是 0–500 的整数"),
        ({"w-forecast": ""}, "请填写逐日预报"),
        ({"w-reason": ""}, "必填"),
        ({"w-forecast": "120, 130"}, "未达到任何预警级别"),
        ({"w-basis": "observed", "w-end": ""}, "结束日期"),
    ],
)
def test_the_form_shows_errors_and_stores_nothing(territory, client_for, change, message):
    response = client_for(territory.user("admin")).post(reverse("air:warnings"), form(**change))
    assert response.status_code == 400 and message in response.content.decode()
    assert not AirWarning.objects.exists()


@pytest.mark.parametrize("username", ["township_a", "leader", "grid_a"])
def test_readers_see_the_log_without_the_form_and_cannot_post(territory, client_for, username):
    client = client_for(territory.user(username))
    assert "发布并下发到网格" not in client.get(reverse("air:warnings")).content.decode()
    assert client.post(reverse("air:warnings"), form()).status_code == 404
    assert not AirWarning.objects.exists()


def test_lifting_from_the_page(territory, client_for):
    client_for(territory.user("commander")).post(reverse("air:warnings"), form())
    warning = AirWarning.objects.get()
    url = reverse("air:warning", args=[warning.pk])
    leader = client_for(territory.user("leader"))
    assert "解除预警" not in leader.get(url).content.decode()
    assert leader.post(url, {"reason": "好转"}).status_code == 404
    admin = client_for(territory.user("admin"))
    assert admin.post(url, {"reason": ""}).status_code == 400
    assert admin.post(url, {"reason": "冷空气"}).status_code == 302
    warning.refresh_from_db()
    assert warning.state == WarningState.LIFTED and warning.lift_reason == "冷空气"


def test_warnings_log_query_count_does_not_grow(territory, client_for, django_assert_num_queries):
    client_for(territory.user("commander")).post(reverse("air:warnings"), form())
    reader = client_for(territory.user("leader"))
    reader.get(reverse("air:warnings"))
    with django_assert_num_queries(9) as few:
        reader.get(reverse("air:warnings"))
    baseline = len(few.captured_queries)
    commander = client_for(territory.user("commander"))
    for _ in range(3):
        commander.post(reverse("air:warnings"), form(**{"w-townships": ["411627101", "411627202"]}))
    reader = client_for(territory.user("leader"))
    with django_assert_num_queries(baseline):
        body = reader.get(reverse("air:warnings")).content.decode()
    assert body.count("warn-dot orange") == 4


def script_data(body: str, element_id: str):
    import json
    import re

    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', body, re.S)
    return json.loads(found.group(1))


def test_the_map_colours_each_station_by_its_latest_level(territory, client_for, today_hours):
    station_create(
        actor=None,
        code="C01",
        name="无数据微站",
        level="township",
        longitude="114.9",
        latitude="34.1",
        region=territory.grid_a1_2,
    )
    body = client_for(territory.user("leader")).get(reverse("air:index")).content.decode()
    points = {p["code"]: p for p in script_data(body, "air-map-data")["points"]}
    # A01: PM2.5 160 → 200 + ⌈100 × 10/100⌉ = 210, 重度污染; B01: PM2.5 20 → 29, 优; C01: no hours, grey
    assert (points["A01"]["value"][2], points["A01"]["level"], points["A01"]["color"]) == (210, 5, "#99004C")
    assert (points["B01"]["value"][2], points["B01"]["level"], points["B01"]["color"]) == (29, 1, "#00E400")
    assert (points["C01"]["value"][2], points["C01"]["level"], points["C01"]["color"]) == (
        None,
        None,
        "#BFC5CD",
    )


def test_the_station_chart_holds_the_hours_in_level_colours_and_its_queries_do_not_grow(
    territory, client_for, stations, ingest, django_assert_max_num_queries, django_assert_num_queries
):
    now = timezone.localtime()
    today, hour = now.date(), now.hour
    ingest(hours_rows("A01", today, {"pm25": 20}, hours=range(hour + 1)))
    client = client_for(territory.user("grid_a"))
    client.get(reverse("air:station", args=["A01"]))
    with django_assert_max_num_queries(12) as few:
        first = client.get(reverse("air:station", args=["A01"])).content.decode()
    assert len(script_data(first, "air-hours-data")["aqi"]) == hour + 1
    for back in (1, 2):  # two more days of hours and daily values
        ingest(hours_rows("A01", today - dt.timedelta(days=back), lambda h: {"pm25": 40 + 10 * h}))
    with django_assert_num_queries(len(few.captured_queries)):
        body = client.get(reverse("air:station", args=["A01"])).content.decode()
    chart = script_data(body, "air-hours-data")
    assert len(chart["aqi"]) == 48 + hour + 1
    assert all(
        color == ("#BFC5CD" if aqi is None else colour_of_aqi(aqi))
        for aqi, color in zip(chart["aqi"], chart["colors"], strict=True)
    )
    calendar = dict(script_data(body, "air-calendar-data")["data"])
    # each earlier day: PM2.5 mean 40 + 10 × 11.5 = 155 → 200 + ⌈100 × 5/100⌉ = 205
    assert calendar[(today - dt.timedelta(days=2)).isoformat()] == 205
    assert calendar[(today - dt.timedelta(days=1)).isoformat()] == 205


def colour_of_aqi(aqi):
    from gridgov.air.engine import color_of, level_of

    return color_of(level_of(aqi))


def test_the_county_calendar_queries_do_not_grow_with_days_or_stations(
    territory, client_for, stations, ingest, django_assert_max_num_queries, django_assert_num_queries
):
    today = timezone.localdate()
    client = client_for(territory.user("township_b"))
    ingest(hours_rows("A01", today - dt.timedelta(days=1), {"pm25": 30}))
    client.get(reverse("air:calendar"))
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("air:calendar"))
    for back in range(2, 6):
        for code in ("A01", "A02", "B01", "B02"):
            ingest(hours_rows(code, today - dt.timedelta(days=back), {"pm25": 30 + 40 * back}))
    with django_assert_num_queries(len(few.captured_queries)):
        body = client.get(reverse("air:calendar")).content.decode()
    data = dict(script_data(body, "air-calendar-data")["data"])
    assert len(data) == 5 and data[(today - dt.timedelta(days=1)).isoformat()] == 43  # PM2.5 30 → 43
