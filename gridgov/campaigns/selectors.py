"""Reads of the campaigns app, limited to the user's scope, with their joins done.

Figures come from the per-grid counters (``GridCounter``): a roll-up is one GROUP BY over the counter rows under a
region (grids → village → township → county by the copied village and township columns), whatever the number of
households and visits. "Cases closed" is counted at read time from the findings joined to their cases, because a
case closes in the closed loop, which does not (and should not) know about campaigns; findings are a small share
of the rows and are indexed by (campaign, grid path).
"""

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db.models import (
    Avg,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone

from gridgov.campaigns.models import (
    Campaign,
    Channel,
    Commitment,
    EvidencePhoto,
    Finding,
    GridCounter,
    LoudspeakerSchedule,
    PublicityActivity,
    TargetKind,
    TransportCheck,
    VenueCheck,
    Visit,
    VisitEntry,
)
from gridgov.campaigns.policies import CampaignPolicy
from gridgov.campaigns.services.counters import FIGURES
from gridgov.cases.models import CaseState
from gridgov.core.exceptions import NotFound
from gridgov.core.scope import scope_for
from gridgov.notices.models import Notice, NoticeState
from gridgov.registry.models import LATITUDE_RANGE, LONGITUDE_RANGE, Household, Place
from gridgov.registry.policies import READ_ROLES, RegistryPolicy
from gridgov.territory.models import Level, Region, subtree_range

#: The column of GridCounter (and Finding) that groups the children of a region of each level.
CHILD_COLUMN = {
    Level.COUNTY: "township_id",
    Level.TOWNSHIP: "village_id",
    Level.VILLAGE: "grid_id",
    Level.GRID: "grid_id",
}


def _pk(value) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < pk < 2**62:
        raise NotFound()
    return pk


# --- campaigns -------------------------------------------------------------------------------------------------
def campaign_list(*, user, state: str = "") -> list[Campaign]:
    """The campaigns whose scope overlaps the user's (three queries: campaigns, their regions and letters)."""
    qs = (
        Campaign.objects.select_related("lead_unit")
        .prefetch_related("regions", "letters")
        .order_by("-starts_on", "-id")
    )
    if state:
        qs = qs.filter(state=state)
    return [c for c in qs if CampaignPolicy.can_see_campaign(user, c)]


def access_campaign(user, pk) -> Campaign:
    campaign = (
        Campaign.objects.select_related("lead_unit")
        .prefetch_related("regions", "forms", "letters")
        .filter(pk=_pk(pk))
        .first()
    )
    if campaign is None or not CampaignPolicy.can_see_campaign(user, campaign):
        raise NotFound()
    return campaign


def home_region(user) -> Region | None:
    """Where the user's figures start: the topmost region of their scope."""
    return scope_for(user).root_regions().first()


def access_figures_region(user, campaign: Campaign, code: str | None) -> Region:
    """A region whose figures the user may read: in their scope (404 otherwise)."""
    region = Region.objects.filter(code=str(code)[:15]).first() if code else home_region(user)
    if region is None or not scope_for(user).can_see(region):
        raise NotFound()
    return region


# --- figures ---------------------------------------------------------------------------------------------------
def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class KindFigures:
    targets: int = 0
    signed: int = 0
    visited: int = 0
    visits: int = 0
    checked: int = 0
    problems: int = 0
    cases_opened: int = 0

    def add(self, other: "KindFigures") -> None:
        for f in FIGURES:
            setattr(self, f, getattr(self, f) + getattr(other, f))

    @property
    def signed_rate(self):
        return _ratio(self.signed, self.targets)

    @property
    def visited_rate(self):
        return _ratio(self.visited, self.targets)

    @property
    def checked_rate(self):
        return _ratio(self.checked, self.targets)

    def as_dict(self) -> dict:
        out = {f: getattr(self, f) for f in FIGURES}
        out.update(
            signed_rate=self.signed_rate, visited_rate=self.visited_rate, checked_rate=self.checked_rate
        )
        return out


@dataclass
class FigureRow:
    region: Region
    kinds: dict[str, KindFigures] = field(default_factory=dict)
    cases_closed: int = 0

    def kind(self, name: str) -> KindFigures:
        return self.kinds.setdefault(name, KindFigures())

    @property
    def household(self) -> KindFigures:
        return self.kind(TargetKind.HOUSEHOLD)

    @property
    def place(self) -> KindFigures:
        return self.kind(TargetKind.PLACE)

    @property
    def vehicle(self) -> KindFigures:
        return self.kind(TargetKind.VEHICLE)

    def _sum(self, name):
        return sum(getattr(k, name) for k in self.kinds.values())

    @property
    def targets(self):
        return self._sum("targets")

    @property
    def signed(self):
        return self._sum("signed")

    @property
    def visited(self):
        return self._sum("visited")

    @property
    def visits(self):
        return self._sum("visits")

    @property
    def problems(self):
        return self._sum("problems")

    @property
    def cases_opened(self):
        return self._sum("cases_opened")

    @property
    def coverage(self):
        """Commitment coverage over every target kind: the figure townships are ranked by."""
        return _ratio(self.signed, self.targets)

    @property
    def visit_coverage(self):
        return _ratio(self.household.visited + self.place.visited, self.targets)

    def as_dict(self) -> dict:
        return {
            "region": {"code": self.region.code, "name": self.region.name, "level": self.region.level},
            "kinds": {name: k.as_dict() for name, k in sorted(self.kinds.items())},
            "targets": self.targets,
            "signed": self.signed,
            "visited": self.visited,
            "visits": self.visits,
            "problems": self.problems,
            "cases_opened": self.cases_opened,
            "cases_closed": self.cases_closed,
            "coverage": self.coverage,
            "visit_coverage": self.visit_coverage,
        }


@dataclass
class Figures:
    region: Region
    total: FigureRow
    rows: list[FigureRow]
    county_coverage: float | None = None
    best: FigureRow | None = None
    worst: FigureRow | None = None
    township_rank: int | None = None
    townships: int = 0


def _grouped(campaign_id: int, column: str, low: str | None = None, high: str | None = None):
    qs = GridCounter.objects.filter(campaign_id=campaign_id)
    if low is not None:
        qs = qs.filter(grid_path__gte=low, grid_path__lt=high)
    return qs.values(column, "target_kind").annotate(**{f: Sum(f) for f in FIGURES}).order_by()


def _closed(campaign_id: int, column: str, low: str, high: str) -> dict[int, int]:
    rows = (
        Finding.objects.filter(
            campaign_id=campaign_id, grid_path__gte=low, grid_path__lt=high, case__state=CaseState.CLOSED
        )
        .values(column)
        .annotate(n=Count("id"))
        .order_by()
        .values_list(column, "n")
    )
    return dict(rows)


def _fill(rows_by_id: dict[int, FigureRow], grouped, column: str) -> None:
    for record in grouped:
        row = rows_by_id.get(record[column])
        if row is None:
            continue
        row.kinds[record["target_kind"]] = KindFigures(**{f: record[f] or 0 for f in FIGURES})


def campaign_figures(*, campaign: Campaign, region: Region, compare: bool = True) -> Figures:
    """The figures of ``region`` and of each region one level down, from the counters.

    Queries: the children, the counters grouped by child, the closed cases grouped by child, and (``compare``)
    the county's townships for the average and the best and worst township. Access is the caller's business
    (``access_figures_region``).
    """
    column = CHILD_COLUMN.get(region.level, "grid_id")
    low, high = subtree_range(region.path)
    children = (
        [region]
        if region.level == Level.GRID
        else list(Region.objects.filter(parent=region).order_by("code"))
    )
    rows = {child.pk: FigureRow(child) for child in children}
    _fill(rows, _grouped(campaign.pk, column, low, high), column)
    for pk, n in _closed(campaign.pk, column, low, high).items():
        if pk in rows:
            rows[pk].cases_closed = n
    total = FigureRow(region)
    for row in rows.values():
        for name, kind in row.kinds.items():
            total.kind(name).add(kind)
        total.cases_closed += row.cases_closed
    figures = Figures(region=region, total=total, rows=list(rows.values()))
    if compare and region.level in (Level.COUNTY, Level.TOWNSHIP):
        _compare(figures, campaign)
    return figures


def _compare(figures: Figures, campaign: Campaign) -> None:
    """The county average (all targets), and the best and worst township by commitment coverage."""
    if figures.region.level == Level.COUNTY:
        townships = {row.region.pk: row for row in figures.rows}
        county_total = figures.total
    else:
        names = Region.objects.filter(parent_id=figures.region.parent_id, level=Level.TOWNSHIP)
        townships = {r.pk: FigureRow(r) for r in names}
        _fill(townships, _grouped(campaign.pk, "township_id"), "township_id")
        county_total = FigureRow(figures.region)
        for row in townships.values():
            for name, kind in row.kinds.items():
                county_total.kind(name).add(kind)
    ranked = sorted(
        (r for r in townships.values() if r.targets), key=lambda r: (-(r.coverage or 0), r.region.code)
    )
    figures.county_coverage = county_total.coverage
    figures.townships = len(ranked)
    if ranked:
        figures.best, figures.worst = ranked[0], ranked[-1]
    if figures.region.level == Level.TOWNSHIP:
        figures.township_rank = next(
            (i + 1 for i, r in enumerate(ranked) if r.region.pk == figures.region.pk), None
        )


def campaign_totals(*, campaigns, region: Region) -> dict[int, FigureRow]:
    """Each campaign's figures in ``region`` (for the campaign list), in one query whatever the number of
    campaigns."""
    low, high = subtree_range(region.path)
    out = {c.pk: FigureRow(region) for c in campaigns}
    rows = (
        GridCounter.objects.filter(campaign__in=list(out), grid_path__gte=low, grid_path__lt=high)
        .values("campaign_id", "target_kind")
        .annotate(**{f: Sum(f) for f in FIGURES})
        .order_by()
    )
    for record in rows:
        out[record["campaign_id"]].kinds[record["target_kind"]] = KindFigures(
            **{f: record[f] or 0 for f in FIGURES}
        )
    return out


# --- the grid worker's round ------------------------------------------------------------------------------------
#: Metres in a degree of latitude (and of longitude at the equator) on the WGS-84 mean sphere.
METRES_PER_DEGREE = 111_195


def parse_near(value) -> tuple[float, float] | None:
    """ "34.065127,114.853216" (latitude first, as phones and maps write it) → (lat, lng); None if it is not a
    position in China."""
    parts = str(value or "").replace("，", ",").split(",")
    if len(parts) != 2:
        return None
    try:
        lat, lng = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    if not (
        float(LATITUDE_RANGE[0]) <= lat <= float(LATITUDE_RANGE[1])
        and float(LONGITUDE_RANGE[0]) <= lng <= float(LONGITUDE_RANGE[1])
    ):
        return None
    return round(lat, 6), round(lng, 6)


def distance_squared(lat: float, lng: float) -> ExpressionWrapper:
    """Equirectangular squared distance in degrees² from (lat, lng), in SQL on SQLite and PostgreSQL alike:
    ((Δlng·cos lat)² + Δlat²); NULL for rows without coordinates. Over a county the error against the great
    circle is well under one per cent, and the order is what the grid worker needs."""
    dx = (Cast("longitude", FloatField()) - Value(lng)) * Value(math.cos(math.radians(lat)))
    dy = Cast("latitude", FloatField()) - Value(lat)
    return ExpressionWrapper(dx * dx + dy * dy, output_field=FloatField())


def distance_metres(distance2: float | None) -> int | None:
    return None if distance2 is None else round(math.sqrt(distance2) * METRES_PER_DEGREE)


def todo_list(
    *,
    user,
    campaign: Campaign,
    kind: str = TargetKind.HOUSEHOLD,
    what: str = "visit",
    region: Region | None = None,
    q: str = "",
    near: tuple[float, float] | None = None,
):
    """Households (or places) in the user's scope that the campaign covers and that are not yet visited
    (``what="visit"``) or not yet signed (``what="sign"``), in ledger order, or nearest first from ``near``
    (lat, lng), with those that have no coordinates last in ledger order. Annotated with ``is_signed``,
    ``is_visited`` and (``near``) ``distance2`` (squared degrees; ``distance_metres`` turns it to metres)."""
    model = Household if kind == TargetKind.HOUSEHOLD else Place
    read = "households" if kind == TargetKind.HOUSEHOLD else "places"
    qs = model.objects.filter(RegistryPolicy.read_q(user, read), is_active=True)
    scope = Q(pk__in=[])
    for r in campaign.regions.all():
        lo, hi = subtree_range(r.path)
        scope |= Q(grid__path__gte=lo, grid__path__lt=hi)
    qs = qs.filter(scope)
    if kind == TargetKind.PLACE:
        qs = qs.filter(kind__in=campaign.place_kinds)
    elif not campaign.target_households:
        qs = qs.none()
    if region is not None:
        lo, hi = subtree_range(region.path)
        qs = qs.filter(grid__path__gte=lo, grid__path__lt=hi)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(address__contains=q) | Q(code__startswith=q) | Q(head_name__contains=q)
            if kind == TargetKind.HOUSEHOLD
            else Q(name__contains=q) | Q(address__contains=q)
        )
    signed = Commitment.objects.filter(campaign=campaign, **{kind: OuterRef("pk")})
    visited = VisitEntry.objects.filter(campaign=campaign, **{kind: OuterRef("pk")})
    qs = qs.annotate(is_signed=Exists(signed), is_visited=Exists(visited))
    if what == "sign":
        qs = qs.filter(is_signed=False)
    elif what == "visit":
        qs = qs.filter(is_visited=False)
    order = ["grid__code", "code"] if kind == TargetKind.HOUSEHOLD else ["grid__code", "name", "id"]
    if near is not None:
        qs = qs.annotate(distance2=distance_squared(*near))
        order.insert(0, F("distance2").asc(nulls_last=True))
    return qs.select_related("grid", "grid__parent").order_by(*order)


# --- ledgers ---------------------------------------------------------------------------------------------------
def _region_q(user, roles, field: str, region: Region | None) -> Q:
    q = scope_for(user).region_q(roles, field=field, acting=False)
    if region is not None:
        lo, hi = subtree_range(region.path)
        q &= Q(**{f"{field}__gte": lo, f"{field}__lt": hi})
    return q


def _target_q(user, prefix: str = "", region: Region | None = None) -> Q:
    """Rows of households and places (a visit, a letter) whose grid the user may read those targets in (under
    ``region`` if given); ``prefix`` reaches them through a relation (``visit__``)."""
    return (
        _region_q(user, READ_ROLES["households"], f"{prefix}grid__path", region)
        & Q(**{f"{prefix}target_kind": TargetKind.HOUSEHOLD})
    ) | (
        _region_q(user, READ_ROLES["places"], f"{prefix}grid__path", region)
        & Q(**{f"{prefix}target_kind": TargetKind.PLACE})
    )


def commitment_list(*, user, campaign: Campaign, region: Region | None = None, kind: str = ""):
    """Signed letters: who signed is personal data, so the household-reading roles see households' letters."""
    qs = Commitment.objects.filter(_target_q(user, region=region), campaign=campaign)
    if kind:
        qs = qs.filter(target_kind=kind)
    return qs.select_related("household", "place", "grid", "grid__parent", "collected_by").order_by(
        "-signed_at", "-id"
    )


def access_evidence(user, kind: str, pk):
    """The stored file of a letter (``kind="letter"``, a Commitment) or a photo (an EvidencePhoto), when the
    user may read its household, place or publicity region (the same rules as the ledgers); NotFound otherwise,
    also for a letter without evidence."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    if kind == "letter":
        row = Commitment.objects.filter(_target_q(user), pk=pk).exclude(evidence="").only("evidence").first()
        file = row.evidence if row is not None else None
    elif kind == "photo":
        q = (Q(visit__isnull=False) & _target_q(user, "visit__")) | (
            Q(publicity__isnull=False) & _region_q(user, None, "publicity__region__path", None)
        )
        row = EvidencePhoto.objects.filter(q, pk=pk).only("image").first()
        file = row.image if row is not None else None
    else:
        file = None
    if not file:
        raise NotFound()
    return file


def visit_photos(*, target, kind: str, visits: int = 3) -> list[Visit]:
    """The last few visits of a household or place that kept photos, newest first, their photos prefetched
    (two queries whatever the number of visits and photos)."""
    has_photos = Exists(EvidencePhoto.objects.filter(visit=OuterRef("pk")))
    qs = Visit.objects.filter(has_photos, **{kind: target}).order_by("-visited_at", "-id")
    return list(qs.prefetch_related("photos")[:visits])


def visit_list(*, user, region: Region | None = None, campaign: Campaign | None = None, kind: str = ""):
    qs = Visit.objects.filter(_target_q(user, region=region))
    if campaign is not None:
        qs = qs.filter(entries__campaign=campaign)
    if kind:
        qs = qs.filter(target_kind=kind)
    return qs.select_related("household", "place", "grid", "grid__parent", "visited_by").order_by(
        "-visited_at", "-id"
    )


def access_visit(user, pk) -> Visit:
    visit = (
        visit_list(user=user)
        .prefetch_related("entries__campaign", "entries__findings__case")
        .filter(pk=_pk(pk))
        .first()
    )
    if visit is None:
        raise NotFound()
    return visit


def venue_check_list(*, user, campaign: Campaign, region: Region | None = None, result: str = ""):
    qs = VenueCheck.objects.filter(_region_q(user, None, "grid__path", region), campaign=campaign)
    if result:
        qs = qs.filter(result=result)
    return qs.select_related(
        "place", "grid", "grid__parent", "licence", "checked_by", "finding__case"
    ).order_by("-checked_at", "-id")


def transport_check_list(*, user, campaign: Campaign, region: Region | None = None, result: str = ""):
    qs = TransportCheck.objects.filter(_region_q(user, None, "grid__path", region), campaign=campaign)
    if result:
        qs = qs.filter(result=result)
    return qs.select_related("grid", "grid__parent", "licence", "checked_by", "finding__case").order_by(
        "-checked_at", "-id"
    )


def publicity_list(*, user, campaign: Campaign, region: Region | None = None, channel: str = ""):
    qs = PublicityActivity.objects.filter(_region_q(user, None, "region__path", region), campaign=campaign)
    if channel:
        qs = qs.filter(channel=channel)
    return qs.select_related("region", "region__parent", "recorded_by").order_by("-happened_at", "-id")


def loudspeaker_list(*, user, campaign: Campaign, region: Region | None = None):
    qs = LoudspeakerSchedule.objects.filter(_region_q(user, None, "village__path", region), campaign=campaign)
    return qs.select_related("village", "village__parent")


# --- publicity table -------------------------------------------------------------------------------------------
@dataclass
class PublicityRow:
    region: Region
    channels: dict[str, int] = field(default_factory=dict)
    total: int = 0
    last_at: dt.datetime | None = None


@dataclass
class PublicitySummary:
    region: Region
    channels: list[tuple[str, str]]
    rows: list[PublicityRow]
    silent_villages: list[Region]
    days: int
    notices_counted: bool


def publicity_summary(*, campaign: Campaign, region: Region, days: int = 7, today: dt.date | None = None):
    """Channels per child region (township or village), and the villages with no publicity in the last ``days``
    days (activities in the village or below, or a loudspeaker schedule running there). Three queries."""
    today = today or timezone.localdate()
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time.min))
    lo, hi = subtree_range(region.path)
    regions = {r.pk: r for r in Region.objects.filter(path__gte=lo, path__lt=hi).exclude(level=Level.GRID)}
    by_path = {r.path: r for r in regions.values()}
    child_depth = region.depth + 1
    children = sorted((r for r in regions.values() if r.depth == child_depth), key=lambda r: r.code)
    rows = {r.pk: PublicityRow(r) for r in children}
    active_villages: set[int] = set()
    records = (
        PublicityActivity.objects.filter(campaign=campaign, region__path__gte=lo, region__path__lt=hi)
        .values("region__path", "channel")
        .annotate(n=Sum("count"), recent=Count("id", filter=Q(happened_at__gte=since)))
        .order_by()
    )
    last = dict(
        PublicityActivity.objects.filter(campaign=campaign, region__path__gte=lo, region__path__lt=hi)
        .values("region__path")
        .annotate(m=Max("happened_at"))
        .order_by()
        .values_list("region__path", "m")
    )
    for record in records:
        path = record["region__path"]
        parts = [p for p in path.split("/") if p]
        target = None
        for child in children:
            if path.startswith(child.path):
                target = rows[child.pk]
                break
        if target is not None:
            target.channels[record["channel"]] = target.channels.get(record["channel"], 0) + record["n"]
            target.total += record["n"]
            when = last.get(path)
            if when and (target.last_at is None or when > target.last_at):
                target.last_at = when
        if record["recent"]:
            for depth in range(len(parts), 0, -1):
                node = by_path.get("/".join(parts[:depth]) + "/")
                if node is not None and node.level == Level.VILLAGE:
                    active_villages.add(node.pk)
                    break
    for village_id in LoudspeakerSchedule.objects.filter(
        campaign=campaign,
        village__path__gte=lo,
        village__path__lt=hi,
        starts_on__lte=today,
        ends_on__gte=today - dt.timedelta(days=days - 1),
    ).values_list("village_id", flat=True):
        active_villages.add(village_id)
    villages = sorted((r for r in regions.values() if r.level == Level.VILLAGE), key=lambda r: r.code)
    seen: dict[int, set[int]] = {child.pk: set() for child in children}
    for notice_id, path, when in published_notices(campaign):
        for child in children:
            if path.startswith(child.path) or child.path.startswith(path):
                row = rows[child.pk]
                if notice_id not in seen[child.pk]:
                    seen[child.pk].add(notice_id)
                    row.channels[Channel.NOTICE] = row.channels.get(Channel.NOTICE, 0) + 1
                    row.total += 1
                    if row.last_at is None or when > row.last_at:
                        row.last_at = when
        if when >= since:
            for village in villages:
                if path.startswith(village.path) or village.path.startswith(path):
                    active_villages.add(village.pk)
    silent = [v for v in villages if v.pk not in active_villages]
    return PublicitySummary(
        region=region,
        channels=[(c.value, str(c.label)) for c in Channel],
        rows=list(rows.values()),
        silent_villages=silent,
        days=days,
        notices_counted=True,
    )


def published_notices(campaign: Campaign):
    """Notices sent down the grid during the campaign count as publicity (channel 网格通知): (notice id, region
    path, published at) for each of their regions, in one query. Read only: the notices app owns them."""
    start = timezone.make_aware(dt.datetime.combine(campaign.starts_on, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(campaign.ends_on + dt.timedelta(days=1), dt.time.min))
    return list(
        Notice.regions.through.objects.filter(
            notice__state=NoticeState.PUBLISHED, notice__published_at__gte=start, notice__published_at__lt=end
        ).values_list("notice_id", "region__path", "notice__published_at")
    )


# --- publicity map -----------------------------------------------------------------------------------------------
@dataclass
class VillagePoint:
    region: Region
    longitude: float | None = None
    latitude: float | None = None
    located: int = 0  # located households the position is the centroid of
    total: int = 0  # activities' counts, notices sent to the village included
    recent: int = 0  # the same within the last ``days`` days
    last_on: dt.date | None = None
    days_since: int | None = None
    silent: bool = True

    def note(self, on: dt.date, *, count: int = 0, recent: int = 0) -> None:
        self.total += count
        self.recent += recent
        if self.last_on is None or on > self.last_on:
            self.last_on = on


def village_centroids(region: Region) -> dict[int, tuple[float, float, int]]:
    """village id → (longitude, latitude, located households): the mean position of the village's households
    that have coordinates, in one grouped query."""
    low, high = subtree_range(region.path)
    rows = (
        Household.objects.filter(
            grid__path__gte=low, grid__path__lt=high, is_active=True, longitude__isnull=False
        )
        .values("grid__parent_id")
        .annotate(lng=Avg("longitude"), lat=Avg("latitude"), n=Count("id"))
        .order_by()
        .values_list("grid__parent_id", "lng", "lat", "n")
    )
    return {village: (float(lng), float(lat), n) for village, lng, lat, n in rows}


def publicity_map(
    *, campaign: Campaign, region: Region, days: int = 7, today: dt.date | None = None
) -> list[VillagePoint]:
    """Every village under ``region`` with its position (its households' centroid, or none), the publicity it
    had (activities in the village or below, loudspeaker schedules, notices sent to it or above it), the days
    since the last, and whether it was silent in the last ``days`` days — the same rule as the silent list of
    ``publicity_summary``. Five queries whatever the number of villages."""
    today = today or timezone.localdate()
    since = today - dt.timedelta(days=days - 1)
    since_at = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    low, high = subtree_range(region.path)
    villages = {
        r.path: VillagePoint(r)
        for r in Region.objects.filter(path__gte=low, path__lt=high, level=Level.VILLAGE).order_by("code")
    }
    if region.level == Level.GRID and region.parent_id:  # a grid's map is its village's
        villages = {r.path: VillagePoint(r) for r in Region.objects.filter(pk=region.parent_id)}
    if not villages:
        return []
    depth = next(iter(villages.values())).region.depth

    def village_of(path: str) -> VillagePoint | None:
        parts = [p for p in path.split("/") if p]
        return villages.get("/".join(parts[: depth + 1]) + "/") if len(parts) > depth else None

    for path, n, recent, last in (
        PublicityActivity.objects.filter(campaign=campaign, region__path__gte=low, region__path__lt=high)
        .values("region__path")
        .annotate(
            n=Sum("count"), recent=Sum("count", filter=Q(happened_at__gte=since_at)), last=Max("happened_at")
        )
        .order_by()
        .values_list("region__path", "n", "recent", "last")
    ):
        point = village_of(path)
        if point is not None:
            point.note(timezone.localdate(last), count=n or 0, recent=recent or 0)
    for path, ends_on in LoudspeakerSchedule.objects.filter(
        campaign=campaign, village__path__gte=low, village__path__lt=high, starts_on__lte=today
    ).values_list("village__path", "ends_on"):
        point = villages.get(path)
        if point is not None:
            point.note(min(ends_on, today))
    noticed: set[tuple[int, str]] = set()
    for notice_id, path, when in published_notices(campaign):
        on = timezone.localdate(when)
        for point in villages.values():
            if (path.startswith(point.region.path) or point.region.path.startswith(path)) and (
                notice_id,
                point.region.path,
            ) not in noticed:
                noticed.add((notice_id, point.region.path))
                point.note(on, count=1, recent=int(on >= since))
    centroids = village_centroids(region if region.level != Level.GRID else region.parent)
    for point in villages.values():
        if point.region.pk in centroids:
            point.longitude, point.latitude, point.located = centroids[point.region.pk]
        if point.last_on is not None:
            point.days_since = (today - point.last_on).days
        point.silent = point.days_since is None or point.days_since >= days
    return list(villages.values())
