"""The per-grid counters the campaign pages read, and their recount from the raw rows.

Every write that changes a figure bumps its grid's counter row in the same transaction (``counters_bump``, one
UPDATE per grid touched, so a bulk import of thousands of rows costs one statement per grid, not per row).
``campaign_recount`` rebuilds every counter of a campaign with one GROUP BY per source table; it is how targets
follow the registry (households added or retired after the campaign started) and the cure for any drift.
"""

from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from gridgov.campaigns.models import (
    Campaign,
    Commitment,
    Finding,
    GridCounter,
    TargetKind,
    TransportCheck,
    VenueCheck,
    VisitEntry,
)
from gridgov.core.audit import audit_record
from gridgov.registry.models import Household, Place
from gridgov.territory.models import Level, Region, subtree_range

FIGURES = ("targets", "signed", "visited", "visits", "checked", "problems", "cases_opened")


def grid_meta(grid_ids) -> dict[int, tuple[int, int, str]]:
    """grid id → (village id, township id, path), in one query."""
    rows = Region.objects.filter(pk__in=set(grid_ids), level=Level.GRID).values_list(
        "pk", "parent_id", "parent__parent_id", "path"
    )
    return {pk: (village, township, path) for pk, village, township, path in rows}


def _ensure_rows(campaign_id: int, keys: set[tuple[int, str]]) -> None:
    """Creates the missing counter rows for (grid id, target kind) pairs."""
    if not keys:
        return
    grids = {grid for grid, _kind in keys}
    existing = set(
        GridCounter.objects.filter(campaign_id=campaign_id, grid_id__in=grids).values_list(
            "grid_id", "target_kind"
        )
    )
    missing = keys - existing
    if not missing:
        return
    meta = grid_meta(grid for grid, _kind in missing)
    GridCounter.objects.bulk_create(
        [
            GridCounter(
                campaign_id=campaign_id,
                grid_id=grid,
                village_id=meta[grid][0],
                township_id=meta[grid][1],
                grid_path=meta[grid][2],
                target_kind=kind,
            )
            for grid, kind in sorted(missing)
            if grid in meta
        ],
        ignore_conflicts=True,
    )


def campaign_write_lock(campaign_id: int) -> None:
    """Every writer of a campaign's rows takes this shared lock on the campaign row first; the recount and the
    spreadsheet import take it exclusively (``select_for_update``). So a recount never deletes a counter that a
    writer it did not count has bumped, and an import reads "already signed" only once no signing is in flight
    (else the two inserts of one household's letter meet on the unique constraint, or deadlock). Writers do not
    block one another. SQLite has one writer at a time and needs nothing."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {Campaign._meta.db_table} WHERE id = %s FOR SHARE",
                [campaign_id],
            )


def counters_bump(campaign_id: int, deltas: dict[tuple[int, str], dict[str, int]]) -> None:
    """Adds ``deltas`` {(grid id, target kind): {figure: n}} to the counters; call inside the writer's
    transaction. One UPDATE per (grid, kind) touched."""
    campaign_write_lock(campaign_id)
    deltas = {key: {f: n for f, n in change.items() if n} for key, change in deltas.items()}
    deltas = {key: change for key, change in deltas.items() if change}
    if not deltas:
        return
    _ensure_rows(campaign_id, set(deltas))
    for (grid, kind), change in deltas.items():
        GridCounter.objects.filter(campaign_id=campaign_id, grid_id=grid, target_kind=kind).update(
            **{figure: F(figure) + n for figure, n in change.items()}
        )


def counter_bump(campaign_id: int, grid_id: int, kind: str, **change: int) -> None:
    counters_bump(campaign_id, {(grid_id, kind): change})


def _scope_q(campaign: Campaign, field: str) -> Q:
    q = Q(pk__in=[])
    for region in campaign.regions.all():
        low, high = subtree_range(region.path)
        q |= Q(**{f"{field}__gte": low, f"{field}__lt": high})
    return q


def _count_targets(campaign: Campaign) -> dict[tuple[int, str], int]:
    """Active households and places of the targeted kinds, per grid, inside the campaign's scope."""
    counts: dict[tuple[int, str], int] = {}
    if campaign.target_households:
        rows = (
            Household.objects.filter(_scope_q(campaign, "grid__path"), is_active=True)
            .values("grid_id")
            .annotate(n=Count("id"))
            .values_list("grid_id", "n")
        )
        counts.update({(grid, TargetKind.HOUSEHOLD): n for grid, n in rows})
    if campaign.place_kinds:
        rows = (
            Place.objects.filter(
                _scope_q(campaign, "grid__path"), is_active=True, kind__in=campaign.place_kinds
            )
            .values("grid_id")
            .annotate(n=Count("id"))
            .values_list("grid_id", "n")
        )
        counts.update({(grid, TargetKind.PLACE): n for grid, n in rows})
    return counts


#: Letters and first visits count towards coverage only while their household or place is still in the registry
#: (在册): coverage is signed targets over targets, and a retired household is no longer a target.
STILL_TARGETED = Q(target_kind=TargetKind.HOUSEHOLD, household__is_active=True) | Q(
    target_kind=TargetKind.PLACE, place__is_active=True
)


def campaign_counts(campaign: Campaign) -> dict[tuple[int, str], dict[str, int]]:
    """Every figure of every grid, computed from the raw rows (the recount's truth). "signed" and "visited"
    count only households and places still in the registry; visits, problems and cases count all the work."""
    figures: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for key, n in _count_targets(campaign).items():
        figures[key]["targets"] = n
    for grid, kind, n in (
        Commitment.objects.filter(STILL_TARGETED, campaign=campaign)
        .values("grid_id", "target_kind")
        .annotate(n=Count("id"))
        .values_list("grid_id", "target_kind", "n")
    ):
        figures[(grid, kind)]["signed"] = n
    for grid, kind, visits, visited in (
        VisitEntry.objects.filter(campaign=campaign)
        .values("grid_id", "target_kind")
        .annotate(visits=Count("id"), visited=Count("id", filter=Q(first=True) & STILL_TARGETED))
        .values_list("grid_id", "target_kind", "visits", "visited")
    ):
        figures[(grid, kind)]["visits"] = visits
        figures[(grid, kind)]["visited"] = visited
    for grid, n in (
        VenueCheck.objects.filter(campaign=campaign, first=True)
        .values("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    ):
        figures[(grid, TargetKind.PLACE)]["checked"] = n
    for grid, n in (
        TransportCheck.objects.filter(campaign=campaign)
        .values("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    ):
        figures[(grid, TargetKind.VEHICLE)]["checked"] = n
    for grid, kind, problems, cases in (
        Finding.objects.filter(campaign=campaign)
        .values("grid_id", "target_kind")
        .annotate(problems=Count("id"), cases=Count("case_id"))
        .values_list("grid_id", "target_kind", "problems", "cases")
    ):
        figures[(grid, kind)]["problems"] = problems
        figures[(grid, kind)]["cases_opened"] = cases
    return figures


@transaction.atomic
def campaign_recount(*, actor, campaign: Campaign) -> int:
    """Rebuilds the campaign's counters from the raw rows; returns the number of counter rows."""
    campaign = Campaign.objects.select_for_update().prefetch_related("regions").get(pk=campaign.pk)
    figures = campaign_counts(campaign)
    GridCounter.objects.filter(campaign=campaign).delete()
    meta = grid_meta(grid for grid, _kind in figures)
    rows = [
        GridCounter(
            campaign=campaign,
            grid_id=grid,
            village_id=meta[grid][0],
            township_id=meta[grid][1],
            grid_path=meta[grid][2],
            target_kind=kind,
            **values,
        )
        for (grid, kind), values in sorted(figures.items())
        if grid in meta
    ]
    GridCounter.objects.bulk_create(rows, batch_size=1000)
    campaign.counted_at = timezone.now()
    campaign.save(update_fields=["counted_at", "updated_at"])
    audit_record(actor=actor, action="campaign_recount", obj=campaign, changes={"rows": len(rows)})
    return len(rows)


def counter_snapshot(campaign: Campaign) -> dict[tuple[int, str], dict[str, int]]:
    """The stored counters, keyed like ``campaign_counts`` (rows that are all zero left out)."""
    out = {}
    for row in GridCounter.objects.filter(campaign=campaign).values("grid_id", "target_kind", *FIGURES):
        values = {f: row[f] for f in FIGURES}
        if any(values.values()):
            out[(row["grid_id"], row["target_kind"])] = values
    return out


def totals(campaign: Campaign) -> dict[str, int]:
    return GridCounter.objects.filter(campaign=campaign).aggregate(**{f: Sum(f) for f in FIGURES})
