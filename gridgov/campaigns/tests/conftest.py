"""Fixtures of the campaigns tests: a few households and places in the shared territory, and the shipped
fireworks-ban and epidemic campaigns running over the whole county. Set up through services."""

import datetime as dt
import io
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gridgov.campaigns.services.setup import campaign_activate, campaign_from_template
from gridgov.registry.models import Household, Place
from gridgov.registry.services.records import household_save, place_save


def png_bytes(size=(4, 4), color=(200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def photo(name="photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


@dataclass
class World:
    territory: object
    fireworks: object
    epidemic: object
    households: dict[str, Household]
    places: dict[str, Place]


def make_household(code, grid, head="张三"):
    return household_save(
        actor=None,
        data={"code": code, "grid": grid, "address": f"{grid.name}{code[-2:]}号", "head_name": head},
    )


def make_place(name, grid, kind):
    return place_save(
        actor=None, data={"name": name, "grid": grid, "kind": kind, "address": f"{grid.name}路口"}
    )


@pytest.fixture
def world(territory, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    t = territory
    households = {
        "a1": make_household("HA101", t.grid_a1_1, "王一"),
        "a2": make_household("HA102", t.grid_a1_1, "王二"),
        "a3": make_household("HA103", t.grid_a1_1, "王三"),
        "a4": make_household("HA104", t.grid_a1_1, "王四"),
        "c1": make_household("HA201", t.grid_a1_2, "李一"),
        "c2": make_household("HA202", t.grid_a1_2, "李二"),
        "b1": make_household("HB101", t.grid_b1_1, "赵一"),
    }
    places = {
        "shop_a": make_place("常营便民店", t.grid_a1_1, Place.Kind.SHOP),
        "market_b": make_place("王集超市", t.grid_b1_1, Place.Kind.SUPERMARKET),
        "school_a": make_place("常营小学", t.grid_a1_1, Place.Kind.SCHOOL),
    }
    today = timezone.localdate()
    start, end = today - dt.timedelta(days=10), today + dt.timedelta(days=30)
    fireworks = campaign_from_template(
        actor=t.user("admin"),
        template="fireworks",
        code="fw",
        starts_on=start,
        ends_on=end,
        regions=[t.county],
    )
    epidemic = campaign_from_template(
        actor=t.user("admin"),
        template="epidemic",
        code="ep",
        starts_on=start,
        ends_on=end,
        regions=[t.county],
    )
    fireworks = campaign_activate(actor=t.user("admin"), campaign=fireworks)
    epidemic = campaign_activate(actor=t.user("admin"), campaign=epidemic)
    return World(t, fireworks, epidemic, households, places)


HOUSEHOLD_OK = {"stock_found": "no", "letter_signed": "yes", "informed": "yes"}
EPIDEMIC_OK = {"returned": "no", "unwell": "no"}


@pytest.fixture
def as_user(client, world):
    """``as_user(name)``: the test client signed in as one of the shared county's users, with the world set up."""

    def _login(name):
        client.logout()
        client.force_login(world.territory.user(name))
        return client

    return _login
