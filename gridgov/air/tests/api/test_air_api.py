"""The air API: the engine endpoint, the loggers' bulk endpoint, stations with hours and days, rankings and
warnings; who may see and who may write; query counts that do not grow with the list."""

import datetime as dt

import pytest

from gridgov.accounts.services import api_token_create
from gridgov.air.models import AirWarning, Reading
from gridgov.air.services import station_create
from gridgov.air.tests.conftest import hours_rows

API = "/api/v1/air"
NOT_FOUND = {"detail": "未找到，或不在您的管辖范围内。", "code": "not_found"}
DAY = dt.date(2025, 12, 1)


def bearer(user):
    _token, plain = api_token_create(actor=None, user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


# --- /aqi -------------------------------------------------------------------------------------------------------
def test_aqi_endpoint_answers_like_the_command(territory, client_for):
    client = client_for(territory.user("grid_a"))
    body = {"date": "2025-06-01", "pm25": 80, "pm10": 100, "so2": 10, "no2": 30, "co": 0.8, "o3": 90}
    response = client.post(f"{API}/aqi", body, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {
        "aqi": 107,
        "iaqi": {"pm25": 107, "pm10": 75, "so2": 10, "no2": 38, "co": 20, "o3": 45},
        "primary_pollutants": ["pm25"],
        "level": 3,
        "category": "轻度污染",
        "color": "#FF7E00",
        "table": "HJ 633—2012",
        "above_table": [],
    }
    after = client.post(
        f"{API}/aqi", {"date": "2026-03-01", "pm25": 60}, content_type="application/json"
    ).json()
    assert (after["aqi"], after["table"]) == (100, "HJ 633—2026")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2025-06-01", "pm25": -1}, "pm25"),
        ({"date": "nope", "pm25": 1}, "date"),
        ({"date": "2025-06-01"}, "__all__"),
        ({"date": "2025-06-01", "co": "much"}, "co"),
        ({"date": "2025-06-01", "so2": 900, "so2_24h": 100}, "so2_24h"),  # daily: no moving mean
        ({"date": "2025-06-01", "so2": 900, "so2_24h": -1, "hourly": True}, "so2_24h"),
        ({"date": "2025-06-01", "o3": 90, "o3_1h": 100, "hourly": True}, "o3_1h"),
    ],
)
def test_aqi_endpoint_refuses_bad_input_naming_the_field(territory, client_for, body, field):
    response = client_for(territory.user("admin")).post(f"{API}/aqi", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["fields"]


def test_aqi_endpoint_scores_an_so2_hour_above_800_with_the_24_hour_mean(territory, client_for):
    client = client_for(territory.user("grid_a"))

    def post(**body):
        response = client.post(f"{API}/aqi", {"date": "2025-06-01", **body}, content_type="application/json")
        assert response.status_code == 200
        return response.json()

    scored = post(so2=900, so2_24h=480, hourly=True)  # 150 + ⌈50 × 5/325⌉
    assert (scored["iaqi"]["so2"], scored["aqi"], scored["above_table"]) == (151, 151, [])
    unknown = post(so2=900, pm25=40, hourly=True)
    assert (unknown["iaqi"]["so2"], unknown["aqi"], unknown["above_table"]) == (None, 57, ["so2"])
    assert post(so2=700, so2_24h=2000, hourly=True)["iaqi"]["so2"] == 167  # 1-hour table below 800
    after = client.post(
        f"{API}/aqi",
        {"date": "2026-03-01", "so2": 900, "so2_24h": 480, "hourly": True},
        content_type="application/json",
    ).json()
    assert (after["iaqi"]["so2"], after["table"]) == (200, "HJ 633—2026")


def test_the_api_needs_credentials(db, client):
    response = client.post(f"{API}/aqi", {"date": "2025-06-01", "pm25": 1}, content_type="application/json")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


# --- /readings --------------------------------------------------------------------------------------------------
def payload(rows):
    return {
        "readings": [
            {"station": r.station, "time": r.observed_at.isoformat(), **r.values, "valid": r.valid or {}}
            for r in rows
        ]
    }


def test_a_logger_sends_hours_with_its_token(stations, logger_user, client):
    rows = hours_rows("A01", DAY, {"pm25": 80, "pm10": 100})
    headers = bearer(logger_user)
    response = client.post(f"{API}/readings", payload(rows), content_type="application/json", **headers)
    assert response.status_code == 200
    assert response.json() == {"received": 24, "created": 24, "updated": 0, "rejected": 0, "errors": []}
    again = client.post(f"{API}/readings", payload(rows[:3]), content_type="application/json", **headers)
    assert again.json()["updated"] == 3 and Reading.objects.count() == 24


def test_bad_rows_are_listed_by_position_and_the_rest_stored(stations, logger_user, client):
    rows = hours_rows("A01", DAY, {"pm25": 80}, hours=range(3))
    rows[1].values["pm25"] = -4
    body = payload(rows)
    body["readings"].append({"station": "ZZ9", "time": "2025-12-01T05:00:00+08:00", "pm25": 1})
    body["readings"].append({"station": "A01", "time": "2025-12-01T06:00:00", "pm25": 1})  # naive: local time
    response = client.post(f"{API}/readings", body, content_type="application/json", **bearer(logger_user))
    data = response.json()
    assert response.status_code == 200 and (data["created"], data["rejected"]) == (3, 2)
    assert [(e["row"], e["field"]) for e in data["errors"]] == [(2, "pm25"), (4, "station")]
    nothing = client.post(
        f"{API}/readings",
        {"readings": [{"station": "A01", "time": "2025-12-01T07:00:00+08:00", "pm10": 99999}]},
        content_type="application/json",
        **bearer(logger_user),
    )
    assert nothing.status_code == 400 and "readings.1.pm10" in nothing.json()["fields"]


@pytest.mark.parametrize("username", ["admin", "commander", "township_a", "leader", "grid_a"])
def test_without_the_permission_nobody_sends_readings(stations, territory, client_for, username):
    rows = hours_rows("A01", DAY, {"pm25": 80}, hours=[1])
    response = client_for(territory.user(username)).post(
        f"{API}/readings", payload(rows), content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not Reading.objects.exists()


def test_the_bulk_endpoint_bounds_its_size(stations, logger_user, client):
    body = {"readings": [{"station": "A01", "time": "2025-12-01T00:00:00+08:00", "pm25": 1}] * 5001}
    response = client.post(f"{API}/readings", body, content_type="application/json", **bearer(logger_user))
    assert response.status_code == 400 and "readings" in response.json()["fields"]


# --- stations, hours, days --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "username", ["admin", "leader", "township_a", "township_b", "grid_a", "grid_b", "officer"]
)
def test_every_staff_member_sees_every_station_of_the_county(stations, territory, client_for, username):
    response = client_for(territory.user(username)).get(f"{API}/stations")
    assert response.status_code == 200
    assert [s["code"] for s in response.json()["items"]] == ["A01", "A02", "B01", "B02"]


def test_a_user_without_a_grant_sees_nothing(stations, territory, client_for):
    client = client_for(territory.user("nobody"))
    assert client.get(f"{API}/stations").status_code == 404
    assert client.get(f"{API}/stations/A01").json() == NOT_FOUND
    assert client.get(f"{API}/warnings").status_code == 404


def test_another_countys_stations_are_out_of_scope(stations, territory, client_for):
    from gridgov.territory.services import DivisionRow, divisions_import

    divisions_import(
        actor=None,
        rows=[
            DivisionRow(2, "411628", "鹿邑县", "county", "411600"),
            DivisionRow(3, "411628100", "城关镇", "township", "411628"),
        ],
    )
    from gridgov.territory.models import Region

    station_create(
        actor=None,
        code="L01",
        name="鹿邑",
        level="county",
        longitude="115.4",
        latitude="33.8",
        region=Region.objects.get(code="411628100"),
    )
    client = client_for(territory.user("township_a"))
    codes = [s["code"] for s in client.get(f"{API}/stations").json()["items"]]
    assert "L01" not in codes and len(codes) == 4
    assert client.get(f"{API}/stations/L01").status_code == 404


def test_station_list_query_count_does_not_grow(
    stations, territory, client_for, django_assert_num_queries, ingest
):
    client = client_for(territory.user("leader"))
    client.get(f"{API}/stations")  # warm the session
    with django_assert_num_queries(4) as few:
        client.get(f"{API}/stations")
    baseline = len(few.captured_queries)
    for i in range(10):
        station_create(
            actor=None,
            code=f"X{i:02d}",
            name=f"微站{i}",
            level="township",
            longitude="114.9",
            latitude="34.1",
            region=territory.grid_b1_1,
        )
    ingest(hours_rows("X03", DAY, {"pm25": 50}, hours=[1]))
    with django_assert_num_queries(baseline):
        response = client.get(f"{API}/stations")
    assert response.json()["count"] == 14


def test_only_the_county_admin_adds_stations(territory, client_for):
    body = {
        "code": "N01",
        "name": "新站",
        "level": "national",
        "longitude": 114.8,
        "latitude": 34.0,
        "region": "411627101",
    }
    assert (
        client_for(territory.user("commander"))
        .post(f"{API}/stations", body, content_type="application/json")
        .status_code
        == 403
    )
    assert (
        client_for(territory.user("township_a"))
        .post(f"{API}/stations", body, content_type="application/json")
        .status_code
        == 403
    )
    created = client_for(territory.user("admin")).post(
        f"{API}/stations", body, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["township"] == {
        "code": "411627101",
        "name": "常营镇",
    }
    again = client_for(territory.user("admin")).post(f"{API}/stations", body, content_type="application/json")
    assert again.status_code == 409 and "code" in again.json()["fields"]
    bad = client_for(territory.user("admin")).post(
        f"{API}/stations", {**body, "code": "N02", "latitude": 95}, content_type="application/json"
    )
    assert bad.status_code == 400 and "latitude" in bad.json()["fields"]


def test_hours_and_days_of_a_station(stations, territory, client_for, ingest):
    ingest(hours_rows("B01", DAY, {"pm25": 80, "o3": 90}))
    client = client_for(territory.user("grid_a"))
    hours = client.get(
        f"{API}/stations/B01/hours", {"start": "2025-12-01T00:00:00", "end": "2025-12-02T00:00:00"}
    )
    assert hours.status_code == 200 and len(hours.json()) == 24
    assert hours.json()[0]["aqi"] == 107 and hours.json()[0]["primary_pollutants"] == ["pm25"]
    days = client.get(f"{API}/stations/B01/days", {"start": "2025-11-01", "end": "2025-12-31"}).json()
    assert [(d["date"], d["aqi"], d["hours"]) for d in days] == [("2025-12-01", 107, 24)]
    too_long = client.get(
        f"{API}/stations/B01/hours", {"start": "2025-01-01T00:00:00", "end": "2025-12-02T00:00:00"}
    )
    assert too_long.status_code == 400 and "start" in too_long.json()["fields"]
    assert client.get(f"{API}/stations/NOPE/days").json() == NOT_FOUND


# --- rankings ---------------------------------------------------------------------------------------------------
def test_rankings_of_townships_and_stations_with_year_on_year(stations, territory, client_for, ingest):
    for code, value in (("A01", 30), ("A02", 50), ("B01", 100), ("B02", 160)):
        ingest(hours_rows(code, DAY, {"pm25": value}))
        ingest(hours_rows(code, dt.date(2024, 12, 1), {"pm25": value + 20}))
    client = client_for(territory.user("leader"))
    towns = client.get(f"{API}/rankings", {"of": "township", "period": "day", "date": "2025-12-01"}).json()
    assert [(i["rank"], i["code"], i["aqi"], i["pm25"]) for i in towns["items"]] == [
        (1, "411627101", 57.0, 40.0),
        (2, "411627202", 172.0, 130.0),
    ]
    assert towns["items"][0]["last_year"]["pm25"] == 60.0 and towns["items"][0]["pm25_change_pct"] == -33.3
    month = client.get(f"{API}/rankings", {"of": "station", "period": "month", "date": "2025-12-15"}).json()
    assert (month["start"], month["end"]) == ("2025-12-01", "2025-12-31")
    assert [(i["code"], i["good_ratio"]) for i in month["items"]] == [
        ("A01", 100.0),
        ("A02", 100.0),
        ("B01", 0.0),
        ("B02", 0.0),
    ]
    assert month["items"][2]["good_ratio_change"] == 0.0
    bad = client.get(f"{API}/rankings", {"of": "village"})
    assert bad.status_code == 400 and "of" in bad.json()["fields"]


def test_rankings_query_count_does_not_grow(
    stations, territory, client_for, ingest, django_assert_num_queries
):
    ingest(hours_rows("A01", DAY, {"pm25": 30}))
    client = client_for(territory.user("leader"))
    client.get(f"{API}/rankings", {"of": "station", "date": "2025-12-01"})
    with django_assert_num_queries(7) as few:
        client.get(f"{API}/rankings", {"of": "township", "date": "2025-12-01"})
    baseline = len(few.captured_queries)
    for code in ("A02", "B01", "B02"):
        ingest(hours_rows(code, DAY, {"pm25": 60}))
    with django_assert_num_queries(baseline):
        response = client.get(f"{API}/rankings", {"of": "township", "date": "2025-12-01"})
    assert len(response.json()["items"]) == 2


# --- warnings ---------------------------------------------------------------------------------------------------
WARNING = {
    "preset": "national-2018",
    "townships": ["411627101"],
    "basis": "forecast",
    "series": [{"date": "2025-12-10", "aqi": 230}, {"date": "2025-12-11", "aqi": 250}],
    "reason": "预报未来两天重度污染",
}


def test_the_command_centre_issues_a_warning_and_everyone_reads_it(territory, client_for):
    response = client_for(territory.user("commander")).post(
        f"{API}/warnings", WARNING, content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["level"], data["issued_by"]["username"], data["notice_state"]) == (
        "yellow",
        "commander",
        "published",
    )
    for username in ("leader", "township_b", "grid_b"):
        listed = client_for(territory.user(username)).get(f"{API}/warnings").json()
        assert [w["id"] for w in listed["items"]] == [data["id"]]
    assert client_for(territory.user("nobody")).get(f"{API}/warnings/{data['id']}").json() == NOT_FOUND


@pytest.mark.parametrize("username", ["township_a", "leader", "grid_a", "supervisor"])
def test_others_cannot_issue(territory, client_for, username):
    response = client_for(territory.user(username)).post(
        f"{API}/warnings", WARNING, content_type="application/json"
    )
    assert response.status_code == 403 and not AirWarning.objects.exists()


def test_warning_input_errors(territory, client_for):
    client = client_for(territory.user("admin"))
    for change, field in (
        ({"preset": "none"}, "preset"),
        ({"townships": ["999999999"]}, "townships"),
        ({"reason": ""}, "reason"),
        ({"series": [{"date": "2025-12-10", "aqi": 900}]}, "series.0.aqi"),
        ({"basis": "observed", "series": None}, "start"),
    ):
        response = client.post(f"{API}/warnings", {**WARNING, **change}, content_type="application/json")
        assert response.status_code == 400, change
        assert field in response.json()["fields"], response.json()


def test_preview_and_observed_basis_and_lift(stations, territory, client_for, ingest):
    client = client_for(territory.user("admin"))
    preview = client.post(
        f"{API}/warnings/preview",
        {
            "preset": "national-2024",
            "series": [
                {"date": "2025-12-01", "aqi": 160},
                {"date": "2025-12-02", "aqi": 170},
                {"date": "2025-12-03", "aqi": 155},
            ],
        },
        content_type="application/json",
    )
    assert preview.json() == {"preset": "national-2024", "level": "yellow"}
    for i in range(2):
        ingest(hours_rows("A01", DAY + dt.timedelta(days=i), {"pm25": 200}))
    observed = client.post(
        f"{API}/warnings",
        {**WARNING, "basis": "observed", "series": None, "start": "2025-12-01", "end": "2025-12-02"},
        content_type="application/json",
    )
    assert observed.status_code == 201, observed.json()
    assert [d["aqi"] for d in observed.json()["series"]] == [250, 250]
    warning_id = observed.json()["id"]
    refused = client_for(territory.user("leader")).post(
        f"{API}/warnings/{warning_id}/lift", {"reason": "好转"}, content_type="application/json"
    )
    assert refused.status_code == 403
    client = client_for(territory.user("admin"))  # the test client is shared: sign the admin back in
    lifted = client.post(
        f"{API}/warnings/{warning_id}/lift", {"reason": "好转"}, content_type="application/json"
    )
    assert lifted.status_code == 200 and lifted.json()["state"] == "lifted"
    twice = client.post(
        f"{API}/warnings/{warning_id}/lift", {"reason": "好转"}, content_type="application/json"
    )
    assert twice.status_code == 409


def test_warning_list_query_count_does_not_grow(territory, client_for, django_assert_num_queries):
    admin = client_for(territory.user("admin"))
    admin.post(f"{API}/warnings", WARNING, content_type="application/json")
    reader = client_for(territory.user("leader"))
    reader.get(f"{API}/warnings")
    with django_assert_num_queries(5) as few:
        reader.get(f"{API}/warnings")
    baseline = len(few.captured_queries)
    admin = client_for(territory.user("admin"))  # the test client is shared
    for _ in range(4):
        admin.post(
            f"{API}/warnings",
            {**WARNING, "townships": ["411627101", "411627202"]},
            content_type="application/json",
        )
    reader = client_for(territory.user("leader"))
    with django_assert_num_queries(baseline):
        assert reader.get(f"{API}/warnings").json()["count"] == 5


def test_presets_list_their_source(territory, client_for):
    presets = client_for(territory.user("grid_a")).get(f"{API}/warning-presets").json()
    assert [p["code"] for p in presets] == ["national-2018", "national-2024"]
    assert all(p["source"] and p["rules"]["yellow"] for p in presets)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/rankings?date=0001-01-01", None),
        ("get", "/stations/A01/hours?start=0001-01-01T00:00:00&end=0001-01-02T00:00:00", None),
        ("get", "/stations/A01/days?start=9999-12-01&end=9999-12-31", None),
        ("get", "/warnings/99999999999999999999", None),
        (
            "post",
            "/warnings/preview",
            {"preset": "national-2018", "series": [{"date": "9999-12-31", "aqi": 1}]},
        ),
        ("post", "/aqi", {"date": "0001-01-01", "pm25": 1}),
    ],
)
def test_extreme_dates_and_ids_are_input_errors_not_500s(stations, territory, client_for, method, path, body):
    client = client_for(territory.user("admin"))
    if method == "get":
        response = client.get(f"{API}{path}")
    else:
        response = client.post(f"{API}{path}", body, content_type="application/json")
    assert response.status_code in (400, 404) and response.json()["code"] in ("invalid", "not_found")


def test_a_reading_in_year_one_is_a_row_error(stations, logger_user, client):
    body = {"readings": [{"station": "A01", "time": "0001-01-01T00:00:00", "pm25": 1}]}
    response = client.post(f"{API}/readings", body, content_type="application/json", **bearer(logger_user))
    assert response.status_code == 400 and "readings.1.time" in response.json()["fields"]
