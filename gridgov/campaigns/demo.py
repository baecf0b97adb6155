"""The demo county's running fireworks-ban campaign (烟花爆竹禁燃禁放专项行动), with an epidemic screening that
visits the same doors, partial coverage that differs by township, venue and transport checks and publicity.

Campaigns, letters, forms, team and the few problems that open cases go through the services; the bulk of the
fieldwork (thousands of signed letters and visits) is written set-based with ``bulk_create`` (the way a
spreadsheet import writes), then ``campaign_recount`` builds the counters from those rows. Fixed seed: every run
gives the same figures. Idempotent: nothing happens when the campaign exists.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from gridgov.campaigns.models import (
    Campaign,
    Commitment,
    LoudspeakerSchedule,
    PublicityActivity,
    TargetKind,
    VenueCheck,
    Visit,
    VisitEntry,
)
from gridgov.campaigns.services.checks import transport_check_record
from gridgov.campaigns.services.counters import campaign_recount
from gridgov.campaigns.services.fieldwork import visit_record
from gridgov.campaigns.services.setup import campaign_activate, campaign_from_template, team_member_add
from gridgov.registry.models import Household, Licence, Place
from gridgov.territory.models import Department, Level, Region

SEED = 20260101
COUNTY_CODE = "411627"
FIREWORKS_CODE = "fireworks-ban"
EPIDEMIC_CODE = "epidemic-screening"
BATCH = 2000
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "建国伟芳军红敏静丽强磊洋艳勇杰娟涛明超秀霞平刚"
#: How many of the visits answer "fireworks found" (each opens a case through the services).
PROBLEM_VISITS = 12


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def demo_load(*, today: dt.date, households: int) -> int:
    county = Region.objects.filter(code=COUNTY_CODE).first()
    if county is None or Campaign.objects.filter(code=FIREWORKS_CODE).exists():
        return 0
    rng = random.Random(SEED)
    created = 0
    with transaction.atomic():
        lead = Department.objects.filter(code="gongan").first()
        start, end = today - dt.timedelta(days=21), today + dt.timedelta(days=60)
        fireworks = campaign_from_template(
            actor=None,
            template="fireworks",
            code=FIREWORKS_CODE,
            starts_on=start,
            ends_on=end,
            regions=[county],
            lead_unit=lead,
        )
        epidemic = campaign_from_template(
            actor=None,
            template="epidemic",
            code=EPIDEMIC_CODE,
            starts_on=start,
            ends_on=end,
            regions=[county],
            lead_unit=Department.objects.filter(code="weijian").first(),
        )
        townships = list(Region.objects.filter(parent=county, level=Level.TOWNSHIP).order_by("code"))
        team_member_add(
            actor=None,
            campaign=fireworks,
            name="县长",
            position="县人民政府县长",
            duty="总指挥",
            region=county,
            sort_order=1,
        )
        team_member_add(
            actor=None,
            campaign=fireworks,
            name="分管副县长",
            position="县人民政府副县长",
            duty="常务副总指挥，统筹调度",
            region=county,
            sort_order=2,
        )
        for i, township in enumerate(townships):
            for position in ("党委书记", "乡镇长"):
                team_member_add(
                    actor=None,
                    campaign=fireworks,
                    name=_name(rng),
                    position=f"{township.name}{position}",
                    duty="本乡镇禁燃禁放第一责任人（党政同责、一岗双责）",
                    region=township,
                    jointly_responsible=True,
                    sort_order=10 + i,
                )
        created += 2 + 2 + 2 * len(townships)
        campaign_activate(actor=None, campaign=fireworks)
        campaign_activate(actor=None, campaign=epidemic)
        fireworks.refresh_from_db()
        epidemic.refresh_from_db()
        # Each township has its own pace: between a quarter and nine tenths of its households signed.
        pace = {t.pk: 0.25 + 0.65 * rng.random() for t in townships}
        if households:
            created += _fieldwork(rng, fireworks, epidemic, pace, today)
        created += _publicity(rng, fireworks, county, townships, pace, today)
    if households:
        created += _problems(rng, fireworks, epidemic)
    created += _transport(rng, fireworks, today)
    for campaign in (fireworks, epidemic):
        campaign_recount(actor=None, campaign=campaign)
    return created


def _moment(rng: random.Random, today: dt.date, days: int = 20) -> dt.datetime:
    day = today - dt.timedelta(days=rng.randrange(days))
    return timezone.make_aware(dt.datetime.combine(day, dt.time(8 + rng.randrange(10), rng.randrange(60))))


def _fieldwork(rng, fireworks, epidemic, pace, today) -> int:
    """Signed letters and visits for a share of each township's households and shops, written in bulk."""
    low, high = COUNTY_CODE + "/", COUNTY_CODE + "0"
    rows = list(
        Household.objects.filter(is_active=True, grid__path__gte=low, grid__path__lt=high)
        .values_list("pk", "grid_id", "grid__parent__parent_id", "head_name")
        .order_by("pk")
    )
    commitments, visits, plans = [], [], []
    for pk, grid, township, head in rows:
        share = pace.get(township, 0.5)
        signed = rng.random() < share
        visited = rng.random() < share * 0.9
        when = _moment(rng, today)
        if signed:
            commitments.append(
                Commitment(
                    campaign=fireworks,
                    target_kind=TargetKind.HOUSEHOLD,
                    household_id=pk,
                    grid_id=grid,
                    signer_name=head,
                    method=rng.choice([Commitment.Method.BULK, Commitment.Method.PAPER_PHOTO]),
                    signed_at=when,
                )
            )
        if visited:
            visits.append(
                Visit(target_kind=TargetKind.HOUSEHOLD, household_id=pk, grid_id=grid, visited_at=when)
            )
            plans.append((pk, grid, signed, rng.random() < 0.08))
    places = list(
        Place.objects.filter(
            is_active=True, kind__in=fireworks.place_kinds, grid__path__gte=low, grid__path__lt=high
        )
        .values_list("pk", "grid_id", "grid__parent__parent_id", "person_in_charge", "kind")
        .order_by("pk")
    )
    checks = []
    for pk, grid, township, person, kind in places:
        share = pace.get(township, 0.5)
        when = _moment(rng, today)
        if rng.random() < share:
            commitments.append(
                Commitment(
                    campaign=fireworks,
                    target_kind=TargetKind.PLACE,
                    place_id=pk,
                    grid_id=grid,
                    signer_name=person or "负责人",
                    method=Commitment.Method.PAPER_PHOTO,
                    signed_at=when,
                )
            )
        if rng.random() < min(1.0, share + 0.1):
            licensed = kind == Place.Kind.FIREWORKS_RETAIL
            checks.append(
                VenueCheck(
                    campaign=fireworks,
                    place_id=pk,
                    grid_id=grid,
                    sells_fireworks=licensed,
                    stock_found=licensed,
                    result=VenueCheck.Result.PASSED if licensed else VenueCheck.Result.NO_FIREWORKS,
                    checked_at=when,
                    first=True,
                )
            )
    Commitment.objects.bulk_create(commitments, batch_size=BATCH)
    VenueCheck.objects.bulk_create(checks, batch_size=BATCH)
    Visit.objects.bulk_create(visits, batch_size=BATCH)
    entries = []
    for visit, (pk, grid, signed, returned) in zip(visits, plans, strict=True):
        entries.append(
            VisitEntry(
                visit=visit,
                campaign=fireworks,
                target_kind=TargetKind.HOUSEHOLD,
                household_id=pk,
                grid_id=grid,
                answers={"stock_found": False, "letter_signed": signed, "informed": True},
                first=True,
            )
        )
        entries.append(
            VisitEntry(
                visit=visit,
                campaign=epidemic,
                target_kind=TargetKind.HOUSEHOLD,
                household_id=pk,
                grid_id=grid,
                answers={"returned": returned, "returnee_unreported": False, "unwell": False},
                first=True,
            )
        )
    VisitEntry.objects.bulk_create(entries, batch_size=BATCH)
    return len(commitments) + len(checks) + len(visits) + len(entries)


def _problems(rng, fireworks, epidemic) -> int:
    """A few visits that found fireworks at home or an unreported returnee: through the service, opening cases."""
    low, high = COUNTY_CODE + "/", COUNTY_CODE + "0"
    candidates = list(
        Household.objects.filter(is_active=True, grid__path__gte=low, grid__path__lt=high)
        .exclude(pk__in=VisitEntry.objects.filter(campaign=fireworks).values("household_id"))
        .select_related("grid")
        .order_by("pk")[:2000]
    )
    created = 0
    for household in rng.sample(candidates, min(PROBLEM_VISITS, len(candidates))):
        stock = rng.random() < 0.7
        visit_record(
            actor=None,
            target=household,
            answers={
                fireworks.pk: {"stock_found": stock, "letter_signed": False, "informed": True},
                epidemic.pk: {"returned": not stock, "returnee_unreported": not stock, "unwell": False},
            },
            note="入户排查发现，已现场劝导" if stock else "返乡人员未报备，已督促报备",
        )
        created += 3
    return created


def _transport(rng, fireworks, today) -> int:
    permits = list(Licence.objects.filter(kind=Licence.Kind.FIREWORKS_TRANSPORT).select_related("grid")[:4])
    grids = list(Region.objects.filter(level=Level.GRID, code__startswith=COUNTY_CODE).order_by("code")[:40])
    if not grids:
        return 0
    created = 0
    plates = ["豫P3K172", "豫P6A905", "豫PB2231", "豫P0M588", "豫P7H319"]
    for i, plate in enumerate(plates):
        permit = permits[i] if i < len(permits) else None
        transport_check_record(
            actor=None,
            campaign=fireworks,
            grid=permit.grid if permit and permit.grid.level == Level.GRID else grids[(i * 7) % len(grids)],
            vehicle_plate=plate,
            driver_name=_name(rng),
            permit_number=permit.number if permit else "",
            route_matches=bool(permit) and i != 1,
            quantity_matches=bool(permit),
            place_name="省道S213检查点" if i % 2 else "县道X021检查点",
        )
        created += 1
    return created


def _publicity(rng, fireworks, county, townships, pace, today) -> int:
    activities = [
        PublicityActivity(
            campaign=fireworks,
            channel="tv",
            region=county,
            happened_at=_moment(rng, today, 5),
            count=14,
            description="县电视台滚动播出禁燃禁放通告",
        ),
        PublicityActivity(
            campaign=fireworks,
            channel="website",
            region=county,
            happened_at=_moment(rng, today, 20),
            count=1,
            description="县政府网站发布禁燃禁放通告",
        ),
        PublicityActivity(
            campaign=fireworks,
            channel="radio",
            region=county,
            happened_at=_moment(rng, today, 7),
            count=30,
            description="县广播电台每日播报",
        ),
    ]
    schedules = []
    villages = list(Region.objects.filter(level=Level.VILLAGE, parent__in=townships).order_by("code"))
    channels = ["banner", "leaflet", "wechat", "van", "loudspeaker"]
    for village in villages:
        share = pace.get(village.parent_id, 0.5)
        if rng.random() > share + 0.1:
            continue  # some villages have had no publicity: the page lists them
        for _ in range(1 + rng.randrange(3)):
            channel = rng.choice(channels)
            count = {"leaflet": 50 + rng.randrange(300), "banner": 1 + rng.randrange(4)}.get(
                channel, 1 + rng.randrange(5)
            )
            activities.append(
                PublicityActivity(
                    campaign=fireworks,
                    channel=channel,
                    region=village,
                    happened_at=_moment(rng, today, 12),
                    count=count,
                    description="",
                )
            )
        if rng.random() < 0.4:
            schedules.append(
                LoudspeakerSchedule(
                    campaign=fireworks,
                    village=village,
                    starts_on=today - dt.timedelta(days=7),
                    ends_on=today + dt.timedelta(days=30),
                    hours="07:00-07:30,12:00-12:30,18:30-19:00",
                )
            )
    PublicityActivity.objects.bulk_create(activities, batch_size=BATCH)
    LoudspeakerSchedule.objects.bulk_create(schedules, batch_size=BATCH)
    return len(activities) + len(schedules)
