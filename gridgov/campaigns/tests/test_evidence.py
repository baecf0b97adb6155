"""Stored evidence (signed letters' signatures or photos, visit and publicity photos): who may open the file, and
the thumbnails on the visit and publicity pages."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gridgov.campaigns.models import Commitment, EvidencePhoto
from gridgov.campaigns.services.fieldwork import commitment_sign, visit_record
from gridgov.campaigns.services.publicity import publicity_record
from gridgov.campaigns.tests.conftest import EPIDEMIC_OK, HOUSEHOLD_OK, photo, png_bytes

pytestmark = pytest.mark.django_db


def url(kind, pk):
    return reverse("campaigns:evidence", args=[kind, pk])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def sign(world, key="a1", user="grid_a"):
    return commitment_sign(
        actor=world.territory.user(user),
        campaign=world.fireworks,
        target=world.households[key],
        signer_name="户主",
        method=Commitment.Method.PAPER_PHOTO,
        evidence=photo(),
    )


def visit(world, key="a1", user="grid_a", photos=1, days_ago=0):
    return visit_record(
        actor=world.territory.user(user),
        target=world.households[key],
        answers={world.fireworks.pk: HOUSEHOLD_OK, world.epidemic.pk: EPIDEMIC_OK},
        photos=[photo(f"p{i}.png") for i in range(photos)],
        visited_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def publicity(world, region, user, photos=1):
    return publicity_record(
        actor=world.territory.user(user),
        campaign=world.fireworks,
        channel="banner",
        region=region,
        count=1,
        description="禁放条幅",
        photos=[photo(f"b{i}.png") for i in range(photos)],
    )


def assert_served(response):
    assert response.status_code == 200
    assert body(response) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize("kind", ["letter", "photo"])
def test_household_evidence_is_seen_in_its_grid_and_township_only(as_user, client, world, kind):
    pk = sign(world).pk if kind == "letter" else EvidencePhoto.objects.get(visit=visit(world)).pk
    for name in ("grid_a", "township_a", "admin"):
        assert_served(as_user(name).get(url(kind, pk)))
    for name in ("grid_a2", "grid_b", "township_b", "nobody"):
        assert as_user(name).get(url(kind, pk)).status_code == 404, name
    client.logout()
    response = client.get(url(kind, pk))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_publicity_photo_follows_the_publicity_region(as_user, world):
    t = world.territory
    grid_photo = EvidencePhoto.objects.get(publicity=publicity(world, t.grid_a1_1, "grid_a"))
    village_photo = EvidencePhoto.objects.get(publicity=publicity(world, t.village_a1, "township_a"))
    assert_served(as_user("grid_a").get(url("photo", grid_photo.pk)))
    assert_served(as_user("township_a").get(url("photo", village_photo.pk)))
    assert_served(as_user("township_a").get(url("photo", grid_photo.pk)))
    assert as_user("grid_b").get(url("photo", grid_photo.pk)).status_code == 404
    assert as_user("township_b").get(url("photo", village_photo.pk)).status_code == 404
    # The village's activity is above the grid worker's scope, and not on the grid worker's publicity list.
    assert as_user("grid_a").get(url("photo", village_photo.pk)).status_code == 404


def test_unknown_kind_pk_no_evidence_and_missing_file_are_404(as_user, world):
    letter = sign(world)
    bulk = sign(world, "a2")
    Commitment.objects.filter(pk=bulk.pk).update(
        method=Commitment.Method.BULK, evidence=""
    )  # 批量导入: no file
    picture = EvidencePhoto.objects.get(visit=visit(world))
    client = as_user("grid_a")
    assert client.get(f"/campaigns/evidence/visit/{picture.pk}/").status_code == 404
    assert client.get(url("letter", picture.pk + letter.pk + 1000)).status_code == 404
    assert client.get(url("photo", picture.pk + 1000)).status_code == 404
    assert client.get(url("letter", bulk.pk)).status_code == 404
    picture.image.storage.delete(picture.image.name)
    letter.evidence.storage.delete(letter.evidence.name)
    assert client.get(url("photo", picture.pk)).status_code == 404
    assert client.get(url("letter", letter.pk)).status_code == 404


def test_visit_page_shows_the_letter_and_the_last_visits_photos(as_user, world):
    letter = sign(world)
    oldest = visit(world, photos=1, days_ago=9)
    visit(world, photos=0, days_ago=8)  # no photos: not listed
    older = visit(world, photos=2, days_ago=5)
    newer = visit(world, photos=1, days_ago=1)
    newest = visit(world, photos=1, days_ago=0)
    other = visit(world, "a2", photos=1)
    page = reverse("campaigns:visit", args=["household", world.households["a1"].pk])
    html = as_user("grid_a").get(page).content.decode()
    assert f'href="{url("letter", letter.pk)}"' in html
    assert 'loading="lazy"' in html
    shown = [p.pk for v in (newest, newer, older) for p in v.photos.order_by("id")]
    positions = [html.index(f'href="{url("photo", pk)}"') for pk in shown]
    assert positions == sorted(positions)  # newest visit first
    for pk in [*oldest.photos.values_list("pk", flat=True), *other.photos.values_list("pk", flat=True)]:
        assert url("photo", pk) not in html
    # Every link on the page opens for the grid worker.
    client = as_user("grid_a")
    for pk in shown:
        assert client.get(url("photo", pk)).status_code == 200


def test_visit_page_query_count_does_not_grow_with_photos(as_user, world):
    sign(world)
    visit(world, photos=1, days_ago=3)
    page = reverse("campaigns:visit", args=["household", world.households["a1"].pk])
    client = as_user("grid_a")
    client.get(page)
    with CaptureQueriesContext(connection) as few:
        client.get(page)
    for n in range(4):
        visit(world, photos=3, days_ago=2 - n * 0.1)
    with CaptureQueriesContext(connection) as many:
        html = client.get(page).content.decode()
    assert html.count('href="/campaigns/evidence/photo/') == 9
    assert len(many) == len(few)


def test_publicity_page_shows_photos_with_constant_queries(as_user, world):
    t = world.territory
    first = publicity(world, t.village_a1, "township_a", photos=2)
    page = reverse("campaigns:publicity", args=[world.fireworks.pk]) + f"?region={t.township_a.code}"
    client = as_user("township_a")
    html = client.get(page).content.decode()
    for p in first.photos.all():
        assert f'href="{url("photo", p.pk)}"' in html
    with CaptureQueriesContext(connection) as few:
        client.get(page)
    for _n in range(5):
        publicity(world, t.grid_a1_1, "township_a", photos=3)
    with CaptureQueriesContext(connection) as many:
        html = client.get(page).content.decode()
    assert html.count('href="/campaigns/evidence/photo/') == 17
    assert len(many) == len(few)
