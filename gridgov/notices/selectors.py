"""Reads of the notices app, limited to the user's scope. Roll-ups are set-based: one grouped query per level."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, Sum

from gridgov.core.exceptions import NotFound
from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.notices.models import (
    Delivery,
    DeliveryKind,
    DeliveryState,
    Notice,
    NoticeGrid,
    NoticeReport,
    NoticeState,
)
from gridgov.notices.policies import PUBLISHERS, NoticePolicy
from gridgov.territory.models import Level, Region, subtree_range


def notice_list(*, user, state: str | None = None, mine: bool = False):
    """Notices the user may see, newest first. ``mine`` keeps the ones sent to the user's own grids."""
    scope = scope_for(user)
    # Drafts only for those who could publish them; published and withdrawn notices for everyone they reach.
    visible = Q(
        pk__in=Notice.objects.filter(NoticePolicy.region_touch_q(user))
        .exclude(state=NoticeState.DRAFT)
        .values("pk")
    )
    if scope.root_paths(PUBLISHERS):
        visible |= Q(
            pk__in=Notice.objects.filter(
                scope.region_q(PUBLISHERS, field="regions__path"), state=NoticeState.DRAFT
            ).values("pk")
        )
    qs = Notice.objects.filter(visible)
    if state:
        qs = qs.filter(state=state)
    if mine:
        qs = qs.filter(
            Exists(
                NoticeGrid.objects.filter(
                    scope.region_q({Role.GRID_WORKER}, field="grid__path"), notice=OuterRef("pk")
                )
            )
        )
    return qs.select_related("created_by").order_by("-published_at", "-created_at", "-id")


def access_notice(user, pk) -> Notice:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    notice = notice_list(user=user).filter(pk=pk).first()
    if notice is None:
        raise NotFound()
    return notice


def my_grids_for(*, user, notices: list[Notice]) -> dict[int, list[NoticeGrid]]:
    """For a grid worker's list: the user's grids in each notice (read/acknowledged), one query."""
    scope = scope_for(user)
    rows = NoticeGrid.objects.filter(
        scope.region_q({Role.GRID_WORKER}, field="grid__path"), notice__in=[n.pk for n in notices]
    ).select_related("grid")
    out: dict[int, list[NoticeGrid]] = {}
    for row in rows:
        out.setdefault(row.notice_id, []).append(row)
    return out


# --- figures ----------------------------------------------------------------------------------------------------
@dataclass
class Figures:
    grids: int = 0
    read: int = 0
    acked: int = 0
    households_told: int = 0
    deliveries: dict = field(default_factory=lambda: {s: 0 for s in DeliveryState.values})

    @property
    def delivered(self) -> int:
        return self.deliveries.get(DeliveryState.SENT, 0)

    @property
    def total_deliveries(self) -> int:
        return sum(self.deliveries.values())

    @property
    def in_progress(self) -> bool:
        d = self.deliveries
        return bool(d[DeliveryState.PENDING] + d[DeliveryState.SENDING] + d[DeliveryState.FAILED])

    def pct(self, part: int) -> int:
        return round(100 * part / self.grids) if self.grids else 0

    @property
    def read_pct(self) -> int:
        return self.pct(self.read)

    @property
    def acked_pct(self) -> int:
        return self.pct(self.acked)


def _scope_q(user, field: str) -> Q:
    return scope_for(user).region_q(field=field, acting=False)


def notice_figures(*, user, notice: Notice) -> Figures:
    """The notice's totals within the user's scope: two queries."""
    grids = NoticeGrid.objects.filter(_scope_q(user, "grid__path"), notice=notice).aggregate(
        grids=Count("id"), read=Count("read_at"), acked=Count("acked_at"), told=Sum("households_told")
    )
    figures = Figures(grids["grids"], grids["read"], grids["acked"], grids["told"] or 0)
    for state, n in (
        Delivery.objects.filter(
            _scope_q(user, "notice_grid__grid__path"), notice=notice, kind=DeliveryKind.NOTICE
        )
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    ):
        figures.deliveries[state] = n
    return figures


LEVEL_FIELD = {Level.TOWNSHIP: "township", Level.VILLAGE: "village", Level.GRID: "grid"}


@dataclass
class RollupRow:
    region: Region
    figures: Figures


def notice_rollup(*, user, notice: Notice, parent: Region | None = None) -> list[RollupRow]:
    """Delivered / read / acknowledged by township (no parent), by village (a township) or by grid (a village):
    three queries whatever the number of rows."""
    if parent is None:
        level = Level.TOWNSHIP
    elif parent.level == Level.TOWNSHIP:
        level = Level.VILLAGE
    elif parent.level == Level.VILLAGE:
        level = Level.GRID
    else:
        return []
    key = LEVEL_FIELD[level]
    base = NoticeGrid.objects.filter(_scope_q(user, "grid__path"), notice=notice)
    if parent is not None:
        low, high = subtree_range(parent.path)
        base = base.filter(grid__path__gte=low, grid__path__lt=high)
    rows = {
        r[key]: r
        for r in base.values(key)
        .annotate(
            grids=Count("id"), read=Count("read_at"), acked=Count("acked_at"), told=Sum("households_told")
        )
        .order_by()
    }
    deliveries: dict[int, dict] = {}
    for region_id, state, n in (
        Delivery.objects.filter(notice=notice, kind=DeliveryKind.NOTICE, notice_grid__in=base)
        .values_list(f"notice_grid__{key}", "state")
        .annotate(n=Count("id"))
        .order_by()
    ):
        deliveries.setdefault(region_id, {s: 0 for s in DeliveryState.values})[state] = n
    regions = Region.objects.in_bulk(list(rows))
    out = []
    for region_id, r in rows.items():
        figures = Figures(r["grids"], r["read"], r["acked"], r["told"] or 0)
        figures.deliveries = deliveries.get(region_id, figures.deliveries)
        out.append(RollupRow(regions[region_id], figures))
    return sorted(out, key=lambda row: row.region.code)


def notice_unacked_grids(*, user, notice: Notice, parent: Region | None = None):
    """Grids in scope that have not acknowledged, with their village and township: one query."""
    qs = NoticeGrid.objects.filter(_scope_q(user, "grid__path"), notice=notice, acked_at__isnull=True)
    if parent is not None:
        low, high = subtree_range(parent.path)
        qs = qs.filter(grid__path__gte=low, grid__path__lt=high)
    return qs.select_related("grid", "village", "township").order_by("grid__code")


def notice_grid_rows(*, user, notice: Notice):
    """Every grid of the notice in scope, for the export."""
    return (
        NoticeGrid.objects.filter(_scope_q(user, "grid__path"), notice=notice)
        .select_related("grid", "village", "township", "acked_by")
        .annotate(
            sent=Count(
                "receipts__deliveries",
                filter=Q(
                    receipts__deliveries__state=DeliveryState.SENT,
                    receipts__deliveries__kind=DeliveryKind.NOTICE,
                ),
            ),
            dead=Count(
                "receipts__deliveries",
                filter=Q(
                    receipts__deliveries__state=DeliveryState.DEAD,
                    receipts__deliveries__kind=DeliveryKind.NOTICE,
                ),
            ),
        )
        .order_by("grid__code")
    )


def notice_reports(*, user, notice: Notice):
    return (
        NoticeReport.objects.filter(_scope_q(user, "notice_grid__grid__path"), notice_grid__notice=notice)
        .select_related("notice_grid__grid", "author", "case")
        .prefetch_related("photos")
        .order_by("-created_at", "-id")
    )


def notice_dead_deliveries(*, notice: Notice, limit: int = 50):
    return (
        Delivery.objects.filter(notice=notice, state=DeliveryState.DEAD)
        .select_related("notice_grid__grid")
        .order_by("id")[:limit]
    )


# --- grid groups ------------------------------------------------------------------------------------------------
def access_grid(user, code: str) -> Region:
    region = Region.objects.filter(code=str(code)[:15], level=Level.GRID).first()
    if region is None or not scope_for(user).can_see(region):
        raise NotFound()
    return region


def grid_group_list(*, user, parent: Region | None = None):
    """The grids in scope (under ``parent``) with their group (or none): one query."""
    qs = Region.objects.filter(_scope_q(user, "path"), level=Level.GRID, is_active=True)
    if parent is not None:
        low, high = subtree_range(parent.path)
        qs = qs.filter(path__gte=low, path__lt=high)
    return qs.select_related("notice_group", "parent").order_by("code")


@dataclass
class CoverageRow:
    region: Region
    grids: int
    groups: int
    bots: int
    households: int
    joined: int

    @property
    def coverage_pct(self) -> int:
        return round(100 * self.joined / self.households) if self.households else 0


def coverage_rollup(*, user, parent: Region | None = None) -> list[CoverageRow]:
    """Joined / households per child of ``parent`` (or per top region in scope): two grouped queries."""
    scope = scope_for(user)
    if parent is None:
        children = list(scope.root_regions())
        if len(children) == 1 and children[0].level != Level.GRID:
            parent = children[0]
    if parent is not None:
        if parent.level == Level.GRID:
            return []
        children = list(Region.objects.filter(parent=parent, is_active=True).order_by("code"))
    children = [c for c in children if scope.can_see(c)]
    if not children:
        return []
    counts_by_path: dict[str, dict] = {}
    households_by_path: dict[str, int] = {}
    # Siblings' paths have one length; roots at different levels are grouped one length at a time.
    for depth in sorted({len(c.path) for c in children}):
        group = [c for c in children if len(c.path) == depth]
        grids, households = _coverage_counts(group, depth)
        counts_by_path.update(grids)
        households_by_path.update(households)
    out = []
    for child in children:
        row = counts_by_path.get(child.path, {})
        out.append(
            CoverageRow(
                child,
                row.get("grids", 0),
                row.get("groups", 0),
                row.get("bots", 0),
                households_by_path.get(child.path, 0),
                row.get("joined") or 0,
            )
        )
    return out


def _coverage_counts(children: list[Region], depth: int) -> tuple[dict, dict]:
    """Grids, groups, bots and households joined, and registered households, by the ``depth``-long path prefix."""
    from django.db.models.functions import Substr

    from gridgov.registry.models import Household

    grid_scope = Q(pk__in=[])
    for child in children:
        low, high = subtree_range(child.path)
        grid_scope |= Q(path__gte=low, path__lt=high)
    grids = (
        Region.objects.filter(grid_scope, level=Level.GRID, is_active=True)
        .annotate(prefix=Substr("path", 1, depth))
        .values("prefix")
        .annotate(
            grids=Count("id"),
            groups=Count("notice_group"),
            bots=Count("notice_group", filter=~Q(notice_group__channel="none")),
            joined=Sum("notice_group__households_joined"),
        )
        .order_by()
    )
    households = (
        Household.objects.filter(is_active=True, grid__in=Region.objects.filter(grid_scope, level=Level.GRID))
        .annotate(prefix=Substr("grid__path", 1, depth))
        .values("prefix")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["prefix"]: row for row in grids}, {row["prefix"]: row["n"] for row in households}
