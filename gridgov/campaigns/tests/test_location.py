"""Positions in the campaign work: the visit records the phone's position on the household or place that has
none (never over a registered one), the grid worker's round nearest first, the publicity map's village
centroids and who may see it; and the figures' honesty about households retired after they signed."""

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridgov.campaigns import selectors
from gridgov.campaigns.models import EvidencePhoto, GridCounter
from gridgov.campaigns.services.counters import campaign_recount
from gridgov.campaigns.services.fieldwork import MAX_PHOTOS, commitment_sign, visit_record
from gridgov.campaigns.services.publicity import loudspeaker_schedule_add, publicity_record
from gridgov.campaigns.tests.conftest import EPIDEMIC_OK, HOUSEHOLD_OK, make_household, photo
from gridgov.core.exceptions import InvalidInput
from gridgov.registry.models import Household, LocationSource
from gridgov.registry.services.records import household_save

pytestmark = pytest.mark.django_db

# 常营西村 (village A1) lies around here in these tests; positions are (longitude, latitude).
HERE = (Decimal("114.850000"), Decimal("34.060000"))


def answers(world):
    return {str(world.fireworks.pk): HOUSEHOLD_OK, str(world.epidemic.pk): EPIDEMIC_OK}


def locate(household, lng, lat, source=LocationSource.IMPORT):
    Household.objects.filter(pk=household.pk).update(
        longitude=Decimal(lng), latitude=Decimal(lat), location_source=source
    )
    household.refresh_from_db()


# --- visits --------------------------------------------------------------------------------------------------
def test_a_visit_locates_a_household_without_a_position(world):
    worker = world.territory.user("grid_a")
    household = world.households["a1"]
    visit = visit_record(
        actor=worker, target=household, answers=answers(world), longitude=HERE[0], latitude=HERE[1]
    )
    household.refresh_from_db()
    assert visit.location_set and (household.longitude, household.latitude) == HERE
    assert household.location_source == LocationSource.VISIT and household.location_at == visit.visited_at
    # a later visit elsewhere does not move it; being far away is reported
    later = visit_record(
        actor=worker, target=household, answers=answers(world), longitude="114.860000", latitude="34.060000"
    )
    household.refresh_from_db()
    assert not later.location_set and (household.longitude, household.latitude) == HERE
    assert 800 < later.location_gap_m < 1000  # 0.01° of longitude at 34° N is about 920 m
    # close by is no news
    near = visit_record(
        actor=worker, target=household, answers=answers(world), longitude="114.850500", latitude="34.060000"
    )
    assert near.location_gap_m is None


def test_a_visit_never_overwrites_an_imported_position(world):
    household = world.households["a2"]
    locate(household, "114.800000", "34.000000")
    visit_record(
        actor=world.territory.user("grid_a"),
        target=household,
        answers=answers(world),
        longitude=HERE[0],
        latitude=HERE[1],
    )
    household.refresh_from_db()
    assert household.longitude == Decimal("114.8") and household.location_source == LocationSource.IMPORT


def test_a_visit_without_a_position_or_outside_china_leaves_the_registry_alone(world):
    household = world.households["a3"]
    worker = world.territory.user("grid_a")
    visit_record(actor=worker, target=household, answers=answers(world))
    visit_record(actor=worker, target=household, answers=answers(world), longitude="2.35", latitude="48.85")
    household.refresh_from_db()
    assert household.longitude is None and household.location_source == ""


def test_the_visit_page_sends_the_position_and_tells_the_worker(client, world):
    client.force_login(world.territory.user("grid_a"))
    household = world.households["a4"]
    url = reverse("campaigns:visit", args=["household", household.pk])
    page = client.get(url).content.decode()
    assert 'name="latitude"' in page and 'name="longitude"' in page and "visit.js" in page
    data = {
        f"a-{world.fireworks.pk}-stock_found": "no",
        f"a-{world.fireworks.pk}-letter_signed": "yes",
        f"a-{world.fireworks.pk}-informed": "yes",
        f"a-{world.epidemic.pk}-returned": "no",
        f"a-{world.epidemic.pk}-unwell": "no",
        "latitude": "34.060000",
        "longitude": "114.850000",
    }
    response = client.post(url, data, follow=True)
    assert "已按本次定位记下位置" in response.content.decode()
    household.refresh_from_db()
    assert (household.longitude, household.latitude) == HERE
    response = client.post(url, {**data, "longitude": "114.870000"}, follow=True)
    assert "台账位置未改动" in response.content.decode()
    household.refresh_from_db()
    assert household.longitude == HERE[0]


# --- photos ------------------------------------------------------------------------------------------------
def test_a_visit_takes_several_photos_each_checked(world):
    worker = world.territory.user("grid_a")
    visit = visit_record(
        actor=worker, target=world.households["a1"], answers=answers(world), photos=[photo(), photo("b.png")]
    )
    assert EvidencePhoto.objects.filter(visit=visit).count() == 2
    fake = SimpleUploadedFile("c.jpg", b"not an image", content_type="image/jpeg")
    with pytest.raises(InvalidInput) as bad:
        visit_record(
            actor=worker, target=world.households["a2"], answers=answers(world), photos=[photo(), fake]
        )
    assert bad.value.fields["photo"][0].startswith("第 2 张照片")
    with pytest.raises(InvalidInput) as many:
        visit_record(
            actor=worker,
            target=world.households["a2"],
            answers=answers(world),
            photos=[photo() for _ in range(MAX_PHOTOS + 1)],
        )
    assert "最多" in many.value.fields["photo"][0]
    assert EvidencePhoto.objects.count() == 2


def test_publicity_takes_several_photos(world):
    activity = publicity_record(
        actor=world.territory.user("admin"),
        campaign=world.fireworks,
        channel="banner",
        region=world.territory.village_a1,
        photos=[photo(), photo()],
    )
    assert activity.photos.count() == 2


# --- nearest first -------------------------------------------------------------------------------------------
def test_the_round_is_nearest_first_with_the_unlocated_last(world):
    a = world.households
    locate(a["a1"], "114.870000", "34.060000")  # ~1.8 km east
    locate(a["a2"], "114.850000", "34.061000")  # ~110 m north
    locate(a["a3"], "114.850000", "34.050000")  # ~1.1 km south
    worker = world.territory.user("grid_a")
    near = (float(HERE[1]), float(HERE[0]))
    rows = list(selectors.todo_list(user=worker, campaign=world.fireworks, near=near))
    assert [r.code for r in rows] == ["HA102", "HA103", "HA101", "HA104"]
    metres = [selectors.distance_metres(r.distance2) for r in rows]
    assert 100 < metres[0] < 120 and 1050 < metres[1] < 1200 and 1750 < metres[2] < 1950
    assert metres[3] is None
    ledger = list(selectors.todo_list(user=worker, campaign=world.fireworks))
    assert [r.code for r in ledger] == ["HA101", "HA102", "HA103", "HA104"]


@pytest.mark.parametrize("value", ["", "abc", "34.06", "48.85,2.35", "34.06,114.85,1", "nan,nan"])
def test_a_position_outside_china_or_malformed_is_ignored(value):
    assert selectors.parse_near(value) is None


def test_the_round_page_orders_by_distance_and_shows_it(client, world):
    locate(world.households["a3"], "114.850000", "34.061000")
    client.force_login(world.territory.user("grid_a"))
    page = client.get(reverse("campaigns:index"), {"near": "34.060000,114.850000"}).content.decode()
    assert page.index("HA103") < page.index("HA101")
    assert "110 米" in page and "无坐标" in page and "改回台账顺序" in page
    assert "&near=34.06,114.85" in page  # the tabs keep the order
    plain = client.get(reverse("campaigns:index")).content.decode()
    assert plain.index("HA101") < plain.index("HA103") and 'id="near-button"' in plain
    refused = client.get(reverse("campaigns:index"), {"near": "0,0"}).content.decode()
    assert "位置无效" in refused


def test_the_round_query_count_does_not_grow_with_the_households(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.territory.user("grid_a"))
    url = reverse("campaigns:index")
    params = {"near": "34.060000,114.850000"}
    with CaptureQueriesContext(connection) as few:
        client.get(url, params)
    for n in range(20):
        household = make_household(f"HA5{n:02d}", world.territory.grid_a1_1)
        locate(household, f"114.8{n:02d}000", "34.050000")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url, params)
    assert page.content.decode().count('class="todo-item"') == 24


def test_the_api_round_gives_distances(client, world):
    locate(world.households["a2"], "114.850000", "34.061000")
    client.force_login(world.territory.user("grid_a"))
    url = f"/api/v1/campaigns/{world.fireworks.pk}/todo"
    items = client.get(url, {"near": "34.06,114.85"}).json()["items"]
    assert items[0]["id"] == world.households["a2"].pk and 100 < items[0]["distance_m"] < 120
    assert items[-1]["distance_m"] is None
    bad = client.get(url, {"near": "91,200"})
    assert bad.status_code == 400 and "near" in bad.json()["fields"]
    # grid B's worker does not see grid A's households, nearest or not
    client.force_login(world.territory.user("grid_b"))
    ids = {i["id"] for i in client.get(url, {"near": "34.06,114.85"}).json()["items"]}
    assert ids == {world.households["b1"].pk}


# --- the publicity map -------------------------------------------------------------------------------------
def test_village_centroids_are_one_grouped_query(world, django_assert_num_queries):
    t = world.territory
    locate(world.households["a1"], "114.840000", "34.060000")  # A1-1
    locate(world.households["c1"], "114.860000", "34.070000")  # A1-2, same village
    locate(world.households["b1"], "115.000000", "33.900000")
    retired = make_household("HA199", t.grid_a1_1)
    locate(retired, "116.000000", "35.000000")
    household_save(actor=None, household=retired, data={"is_active": False})
    with django_assert_num_queries(1):
        centroids = selectors.village_centroids(t.county)
    lng, lat, n = centroids[t.village_a1.pk]
    assert (round(lng, 6), round(lat, 6), n) == (114.85, 34.065, 2)
    assert centroids[t.village_b1.pk][2] == 1
    assert t.village_a2.pk not in centroids
    assert set(selectors.village_centroids(t.township_b)) == {t.village_b1.pk}


def test_the_map_colours_villages_by_days_since_publicity(world, django_assert_max_num_queries):
    t = world.territory
    admin = t.user("admin")
    locate(world.households["a1"], "114.840000", "34.060000")
    locate(world.households["b1"], "115.000000", "33.900000")
    publicity_record(actor=admin, campaign=world.fireworks, channel="banner", region=t.village_a1, count=4)
    publicity_record(actor=admin, campaign=world.fireworks, channel="leaflet", region=t.grid_a1_2, count=2)
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    loudspeaker_schedule_add(
        actor=admin,
        campaign=world.fireworks,
        village=t.village_b2,
        starts_on=today - dt.timedelta(days=20),
        ends_on=today - dt.timedelta(days=3),
        hours="07:00-07:30",
    )
    with django_assert_max_num_queries(5):
        points = {
            p.region.pk: p for p in selectors.publicity_map(campaign=world.fireworks, region=t.county, days=7)
        }
    a1, a2, b1, b2 = (points[v.pk] for v in (t.village_a1, t.village_a2, t.village_b1, t.village_b2))
    assert (a1.total, a1.recent, a1.days_since, a1.silent) == (6, 6, 0, False)
    assert (a1.longitude, a1.located) == (114.84, 1)
    assert a2.silent and a2.days_since is None and a2.longitude is None
    assert b1.silent and b1.longitude == 115.0
    assert (b2.days_since, b2.silent) == (3, False)
    assert selectors.publicity_map(campaign=world.fireworks, region=t.county, days=3)[
        3
    ].silent  # b2, 3 days ago
    # the silent villages of the map are the table's
    summary = selectors.publicity_summary(campaign=world.fireworks, region=t.county, days=7)
    assert {v.pk for v in summary.silent_villages} == {p.region.pk for p in points.values() if p.silent}


def test_the_publicity_page_shows_the_map_to_those_who_may_see_it(client, world):
    t = world.territory
    locate(world.households["a1"], "114.840000", "34.060000")
    publicity_record(actor=t.user("admin"), campaign=world.fireworks, channel="banner", region=t.village_a1)
    url = reverse("campaigns:publicity", args=[world.fireworks.pk])
    for name in ("admin", "leader", "township_a"):
        client.force_login(t.user(name))
        response = client.get(url)
        assert response.status_code == 200, name
        html = response.content.decode()
        assert 'id="publicity-map"' in html and "echarts" in html and "各渠道宣传次数" in html
        data = json.loads(html.split('publicity-map-data" type="application/json">')[1].split("</script>")[0])
        assert [p["name"] for p in data["points"]] == [t.village_a1.name]
        assert data["points"][0]["silent"] is False
        assert "无坐标" in html and t.village_a2.name in html
    client.force_login(t.user("township_b"))
    assert client.get(url, {"region": t.township_a.code}).status_code == 404
    html = client.get(url).content.decode()
    assert "publicity-map-data" not in html and t.village_a1.name not in html  # B's villages have no position
    client.force_login(t.user("nobody"))
    assert client.get(url).status_code == 404


# --- honest figures ------------------------------------------------------------------------------------------
def test_a_household_retired_after_signing_no_longer_counts(world):
    t = world.territory
    worker = t.user("grid_a")
    household = world.households["a1"]
    commitment_sign(
        actor=worker,
        campaign=world.fireworks,
        target=household,
        signer_name="王一",
        method="on_screen",
        evidence=photo(),
    )
    visit_record(actor=worker, target=household, answers=answers(world))
    household_save(actor=None, household=household, data={"is_active": False})
    campaign_recount(actor=None, campaign=world.fireworks)
    row = GridCounter.objects.get(campaign=world.fireworks, grid=t.grid_a1_1, target_kind="household")
    assert (row.targets, row.signed, row.visited, row.visits) == (3, 0, 0, 1)
    world.fireworks.refresh_from_db()
    assert world.fireworks.counted_at is not None
    with pytest.raises(InvalidInput) as retired:
        commitment_sign(
            actor=worker,
            campaign=world.epidemic,
            target=household,
            signer_name="王一",
            method="on_screen",
            evidence=photo(),
        )
    assert "不在册" in retired.value.fields["target"][0]


def test_the_map_of_a_grid_is_its_village_and_the_legend_follows_the_window(client, world):
    t = world.territory
    locate(world.households["a1"], "114.840000", "34.060000")
    client.force_login(t.user("admin"))
    url = reverse("campaigns:publicity", args=[world.fireworks.pk])
    html = client.get(url, {"region": t.grid_a1_1.code, "days": 3}).content.decode()
    data = json.loads(html.split('publicity-map-data" type="application/json">')[1].split("</script>")[0])
    assert [p["name"] for p in data["points"]] == [t.village_a1.name] and data["points"][0]["silent"]
    assert "2 天前" in html and "3 天内没有宣传" in html and "2–2" not in html
    html = client.get(url, {"days": 1}).content.decode()
    assert "1 天内没有宣传" in html and "天前</li>" not in html
