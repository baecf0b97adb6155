"""Reads of the grid, already limited to what the user may see."""

from django.db.models import Count, Q
from django.db.models.functions import Length, Substr

from gridgov.core.exceptions import NotFound
from gridgov.core.scope import scope_for
from gridgov.territory.models import Department, Level, Region


def access_region(user, code: str, *, include_retired: bool = True) -> Region:
    """The region with this code if the user may see it; NotFound for missing and out of scope alike."""
    code = str(code)
    if not (code.isascii() and code.isdigit()) or len(code) > 15:
        # Region codes are 6–15 ASCII digits: anything else (a NUL byte PostgreSQL refuses, say) is simply not one.
        raise NotFound()
    # Two levels of parents: enough to know a grid's township (cases.services.intake.township_of) without a query.
    region = Region.objects.select_related("parent__parent").filter(code=code).first()
    if (
        region is None
        or not scope_for(user).can_see(region)
        or (not include_retired and not region.is_active)
    ):
        raise NotFound()
    return region


def region_roots(*, user):
    """The topmost regions the user's grants cover, with their active child counts."""
    scope = scope_for(user)
    return _with_child_counts(Region.objects.filter(path__in=scope.root_paths()).order_by("path"))


def region_children(*, user, region: Region, include_retired: bool = False):
    """Children of a region the user may see, each with ``child_count`` (active children) and ``grid_count``
    (active grids in its subtree). Two queries whatever the number of children."""
    if not scope_for(user).can_see(region):
        raise NotFound()
    qs = Region.objects.filter(parent=region)
    if not include_retired:
        qs = qs.filter(is_active=True)
    children = list(_with_child_counts(qs.order_by("code")))
    counts = grid_counts_by_child(region, children)
    for child in children:
        child.grid_count = 1 if child.level == Level.GRID else counts.get(child.path, 0)
    return children


def _with_child_counts(qs):
    return qs.annotate(child_count=Count("children", filter=Q(children__is_active=True)))


def grid_counts_by_child(region: Region, children: list[Region]) -> dict[str, int]:
    """Active grids under each child, in one grouped query: children of one parent share a path length."""
    if not children or region.level in (Level.VILLAGE, Level.GRID):
        return {}
    length = len(children[0].path)
    if any(len(child.path) != length for child in children):
        # Mixed code lengths under one parent (a renamed township kept old codes): count per child instead.
        return {child.path: Region.objects.under(child).grids().active().count() for child in children}
    rows = (
        Region.objects.under(region)
        .grids()
        .active()
        .annotate(prefix=Substr("path", 1, length))
        .values("prefix")
        .annotate(n=Count("id"))
    )
    return {row["prefix"]: row["n"] for row in rows}


def region_level_counts(*, user) -> dict[str, int]:
    """Active regions in the user's scope, counted per level, in one grouped query."""
    rows = (
        Region.objects.filter(scope_for(user).region_q(), is_active=True)
        .values("level")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["level"]: row["n"] for row in rows}


def region_ancestors(region: Region) -> list[Region]:
    """The ancestors of a region, top first, in one query."""
    codes = region.ancestor_codes()[:-1]
    if not codes:
        return []
    return list(Region.objects.filter(code__in=codes).annotate(path_len=Length("path")).order_by("path_len"))


def region_breadcrumbs(*, user, region: Region) -> list[tuple[Region, bool]]:
    """(region, may_open) for each ancestor and the region itself."""
    scope = scope_for(user)
    return [(r, scope.can_see(r)) for r in [*region_ancestors(region), region]]


def region_subtree_grids(*, user, region: Region, include_retired: bool = False):
    if not scope_for(user).can_see(region):
        raise NotFound()
    qs = Region.objects.under(region).grids().select_related("parent")
    return qs if include_retired else qs.active()


def region_search(*, user, query: str, limit: int = 20):
    query = (query or "").strip()
    if not query:
        return Region.objects.none()
    qs = Region.objects.filter(scope_for(user).region_q()).filter(is_active=True)
    qs = qs.filter(code__startswith=query) if query.isdigit() else qs.filter(name__contains=query)
    return qs.select_related("parent").order_by("path")[:limit]


def department_list(*, county: Region | None = None, active_only: bool = True):
    qs = Department.objects.select_related("county")
    if county is not None:
        qs = qs.filter(county=county)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs
