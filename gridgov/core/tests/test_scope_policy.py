"""The territory-scope policy: a grant covers its subtree, siblings see nothing of each other, leaders read."""

import pytest

from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.territory.models import Region
from gridgov.territory.policies import RegionPolicy


def visible_codes(user) -> set[str]:
    return set(Region.objects.filter(scope_for(user).region_q()).values_list("code", flat=True))


def test_county_grant_covers_the_whole_county(territory):
    assert visible_codes(territory.user("admin")) == set(Region.objects.values_list("code", flat=True))


def test_township_officer_sees_own_township_subtree_only(territory):
    codes = visible_codes(territory.user("township_a"))
    assert territory.township_a.code in codes
    assert territory.grid_a1_1.code in codes
    assert territory.township_b.code not in codes
    assert territory.grid_b1_1.code not in codes
    assert territory.county.code not in codes


def test_sibling_township_cannot_see_the_other(territory):
    scope = scope_for(territory.user("township_b"))
    assert not scope.can_see(territory.township_a)
    assert not scope.can_see(territory.village_a1)
    assert scope.can_see(territory.village_b1)


def test_parent_sees_child_but_child_does_not_see_parent(territory):
    assert scope_for(territory.user("township_a")).can_see(territory.grid_a1_2)
    assert not scope_for(territory.user("grid_a")).can_see(territory.village_a1)
    assert not scope_for(territory.user("grid_a")).can_see(territory.grid_a1_2)


def test_region_q_and_can_see_agree_for_every_user_and_region(territory):
    regions = list(Region.objects.all())
    for user in territory.users.values():
        scope = scope_for(user)
        assert visible_codes(user) == {r.code for r in regions if scope.can_see(r)}, user.username


def test_leader_reads_but_never_acts(territory):
    scope = scope_for(territory.user("leader"))
    assert scope.can_see(territory.grid_b1_1)
    assert scope.is_read_only
    assert not scope.can_act(territory.county, {Role.LEADER})
    assert not scope.can_act(territory.village_a1, set(Role.values))
    assert not RegionPolicy.can_manage_grids(territory.user("leader"), territory.village_a1)


def test_can_act_requires_the_role_in_that_subtree(territory):
    scope = scope_for(territory.user("township_a"))
    assert scope.can_act(territory.village_a1, {Role.TOWNSHIP_OFFICER})
    assert not scope.can_act(territory.village_b1, {Role.TOWNSHIP_OFFICER})
    assert not scope.can_act(territory.village_a1, {Role.COUNTY_ADMIN})


def test_user_without_grants_or_inactive_sees_nothing(territory):
    assert visible_codes(territory.user("nobody")) == set()
    admin = territory.user("admin")
    admin.is_active = False
    admin.save()
    admin.refresh_from_db()
    assert not scope_for(admin).can_see(territory.county)


def test_nested_grants_collapse_to_the_topmost(territory):
    from gridgov.territory.services import grant_add

    user = territory.user("township_a")
    grant_add(actor=None, user=user, role=Role.GRID_WORKER, region=territory.grid_a1_1)
    assert scope_for(user).root_paths() == [territory.township_a.path]


def test_grants_on_a_retired_grid_no_longer_give_scope(territory):
    grid = territory.grid_a1_2
    Region.objects.filter(pk=grid.pk).update(is_active=False, retired_at="2026-01-01T00:00:00Z")
    assert not scope_for(territory.user("grid_a2")).can_see(grid)


def test_scope_is_loaded_with_one_query_and_cached(territory, django_assert_num_queries):
    user = territory.user("township_a")
    with django_assert_num_queries(1):
        scope_for(user).can_see(territory.village_a1)
        scope_for(user).can_see(territory.village_b1)


@pytest.mark.parametrize(
    ("username", "region_attr", "expected"),
    [
        ("admin", "village_a1", True),
        ("township_a", "village_a1", True),
        ("township_a", "grid_a1_1", True),
        ("township_b", "village_a1", False),
        ("grid_a", "grid_a1_1", False),
        ("supervisor", "village_a1", False),
        ("officer", "village_a1", False),
    ],
)
def test_who_may_manage_grids(territory, username, region_attr, expected):
    assert (
        RegionPolicy.can_manage_grids(territory.user(username), getattr(territory, region_attr)) is expected
    )
