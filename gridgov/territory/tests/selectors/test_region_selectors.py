import pytest

from gridgov.core.exceptions import NotFound
from gridgov.territory.selectors import (
    access_region,
    region_ancestors,
    region_breadcrumbs,
    region_children,
    region_roots,
    region_search,
    region_subtree_grids,
)
from gridgov.territory.services import grid_add, grid_retire


def test_children_carry_child_and_grid_counts(territory):
    grid_add(actor=None, village=territory.village_a1, name="第3网格")
    children = region_children(user=territory.user("admin"), region=territory.county)
    assert [(c.code, c.child_count, c.grid_count) for c in children] == [
        (territory.township_a.code, 2, 5),
        (territory.township_b.code, 2, 4),
    ]


def test_retired_grids_are_left_out_of_counts_and_lists(territory):
    grid = territory.village_a2.children.first()
    grid_retire(actor=None, grid=grid, reason="合并")
    townships = region_children(user=territory.user("admin"), region=territory.county)
    assert townships[0].grid_count == 3
    villages = region_children(user=territory.user("admin"), region=territory.township_a)
    assert {v.code: v.child_count for v in villages}[territory.village_a2.code] == 1
    assert grid not in region_children(user=territory.user("admin"), region=territory.village_a2)
    assert grid in region_children(
        user=territory.user("admin"), region=territory.village_a2, include_retired=True
    )


def test_children_outside_scope_raise_not_found(territory):
    with pytest.raises(NotFound):
        region_children(user=territory.user("township_b"), region=territory.township_a)


def test_children_query_count_does_not_grow_with_children(territory, django_assert_num_queries):
    from gridgov.accounts.models import User

    user = User.objects.get(username="admin")  # a fresh instance: its scope is not cached yet
    with django_assert_num_queries(3):  # scope, children, grid counts
        region_children(user=user, region=territory.county)
    for i in range(15):
        grid_add(actor=None, village=territory.village_b2, name=f"加密网格{i}")
    user = User.objects.get(username="admin")
    with django_assert_num_queries(3):
        assert len(region_children(user=user, region=territory.county)) == 2


def test_access_region_hides_existence_outside_scope(territory):
    assert access_region(territory.user("grid_a"), territory.grid_a1_1.code) == territory.grid_a1_1
    for code in (territory.village_a1.code, territory.grid_b1_1.code, "000000000000000", "abc"):
        with pytest.raises(NotFound):
            access_region(territory.user("grid_a"), code)


@pytest.mark.parametrize(
    "code", ["41\x001627", "s\x7f\x00", "", "４１１６２７", "411627101201001999", "4116-27"]
)
def test_access_region_treats_anything_but_digits_as_missing(territory, code, django_assert_num_queries):
    # no query at all: PostgreSQL refuses a NUL byte in a text comparison, and no such code can exist anyway
    with django_assert_num_queries(0), pytest.raises(NotFound):
        access_region(territory.user("admin"), code)


def test_a_campaign_with_a_nul_byte_in_a_region_code_is_a_400(territory, client_for):
    # a caller of access_region: before, PostgreSQL refused the query and the request ended in a 500
    campaign = {
        "template": "fireworks",
        "name": "禁放",
        "regions": ["s\x7f\x00"],
        "starts_on": "2026-12-01",
        "ends_on": "2027-02-28",
    }
    response = client_for(territory.user("admin")).post(
        "/api/v1/campaigns", campaign, content_type="application/json"
    )
    assert response.status_code == 400, response.content


def test_roots_are_the_users_topmost_regions(territory):
    assert [r.code for r in region_roots(user=territory.user("township_a"))] == [territory.township_a.code]
    assert list(region_roots(user=territory.user("nobody"))) == []


def test_ancestors_and_breadcrumbs(territory, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert [r.code for r in region_ancestors(territory.grid_a1_1)] == [
            territory.county.code,
            territory.township_a.code,
            territory.village_a1.code,
        ]
    crumbs = region_breadcrumbs(user=territory.user("grid_a"), region=territory.grid_a1_1)
    assert [(r.name, may_open) for r, may_open in crumbs] == [
        ("太康县", False),
        ("常营镇", False),
        ("常营西村", False),
        ("第1网格", True),
    ]


def test_subtree_grids_and_search_respect_scope(territory):
    grids = region_subtree_grids(user=territory.user("township_a"), region=territory.township_a)
    assert {g.code for g in grids} == {
        territory.village_a1.code + "001",
        territory.village_a1.code + "002",
        territory.village_a2.code + "001",
        territory.village_a2.code + "002",
    }
    assert [r.code for r in region_search(user=territory.user("township_a"), query="王集")] == []
    assert [r.code for r in region_search(user=territory.user("admin"), query="王集")] == [
        territory.township_b.code,
        territory.village_b1.code,
    ]
    assert [r.code for r in region_search(user=territory.user("township_b"), query="411627202201")] == [
        territory.village_b1.code,
        territory.village_b1.code + "001",
        territory.village_b1.code + "002",
    ]
    assert list(region_search(user=territory.user("township_a"), query="411627202201")) == []
