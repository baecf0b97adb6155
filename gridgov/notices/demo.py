"""The demo county's notices: a group record for every grid of 常营镇 and 王集乡 (channel "none": the demo never
sends traffic outside; households joined ≈ 70–95 % of the registry), a published fireworks-ban notice to the whole
county with part of its grids acknowledged and one problem reported back, and a draft air-quality warning.

Idempotent: when the demo's notice exists, nothing is added.
"""

import datetime as dt
import random

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.demo.accounts import CHANGYING_CODE, COUNTY_CODE, WANGJI_CODE
from gridgov.notices.models import Channel, GridGroup, Notice, NoticeGrid, ReportOutcome
from gridgov.notices.services import notice_create, notice_fan_out, notice_grid_ack, notice_publish
from gridgov.notices.services.reports import notice_report_add
from gridgov.registry.models import Household
from gridgov.territory.models import Level, Region

DEMO_TITLE = "关于春节期间全县禁止燃放烟花爆竹的通告"
DEMO_BODY = (
    "根据《太康县烟花爆竹燃放管理规定》，自腊月二十三至正月十六，全县范围内禁止燃放烟花爆竹。\n"
    "请各网格员将本通告转达到户，重点告知红白事操办户、经营户，发现违规燃放、非法储存及时上报。"
)


@transaction.atomic
def demo_load(*, today: dt.date, households: int) -> int:
    if Notice.objects.filter(title=DEMO_TITLE).exists():
        return 0
    rng = random.Random(6)
    created = 0
    townships = list(Region.objects.filter(code__in=[CHANGYING_CODE, WANGJI_CODE]))
    grids = []
    for township in townships:
        grids += list(
            Region.objects.under(township).filter(level=Level.GRID, is_active=True).order_by("code")
        )
    counts = dict(
        Household.objects.filter(grid__in=grids, is_active=True)
        .values("grid")
        .annotate(n=Count("id"))
        .values_list("grid", "n")
    )
    existing = set(GridGroup.objects.filter(grid__in=grids).values_list("grid_id", flat=True))
    rows = [
        GridGroup(
            grid=grid,
            name=f"{grid.parent.name if grid.parent_id else ''}{grid.name}群"[:100],
            channel=Channel.NONE,
            households_joined=int(counts.get(grid.pk, 0) * rng.uniform(0.7, 0.95)),
        )
        for grid in grids
        if grid.pk not in existing
    ]
    GridGroup.objects.bulk_create(rows)
    created += len(rows)

    county = Region.objects.filter(code=COUNTY_CODE).first()
    admin = User.objects.filter(username="admin").first()
    if county is None:
        return created
    deadline = timezone.now() + dt.timedelta(days=2)
    notice = notice_create(
        actor=admin,
        title=DEMO_TITLE,
        body=DEMO_BODY,
        regions=[county],
        requires_ack=True,
        deadline=deadline,
        priority="important",
    )
    notice_publish(actor=admin, notice=notice)
    created += 1 + notice_fan_out(notice_id=notice.pk)
    # part of the county has relayed it already; the demo grid workers' own grids have not
    workers = {
        u.username: u for u in User.objects.filter(username__in=["grid1", "grid2", "changying", "wangji"])
    }
    rows = list(
        NoticeGrid.objects.filter(notice=notice).select_related("grid", "township").order_by("grid__code")
    )
    officer_of = {CHANGYING_CODE: workers.get("changying"), WANGJI_CODE: workers.get("wangji")}
    for index, ng in enumerate(rows):
        officer = officer_of.get(ng.township.code)
        if officer is None or index % 3 == 0:
            continue
        notice_grid_ack(actor=officer, notice_grid=ng, households_told=rng.randint(20, 120))
        created += 1
    worker = workers.get("grid1")
    mine = next((ng for ng in rows if worker and ng.grid.grants.filter(user=worker).exists()), None)
    if mine is not None:
        NoticeGrid.objects.filter(pk=mine.pk).update(acked_at=None, acked_by=None, households_told=None)
        notice_report_add(
            actor=worker,
            notice_grid=mine,
            outcome=ReportOutcome.PROBLEM,
            number=2,
            note="两户经营户仍有烟花爆竹存货，已劝其停售，请镇里协调查收。",
        )
        created += 1
    notice_create(
        actor=admin,
        title="重污染天气橙色预警：请通知群众减少露天焚烧",
        body="预计未来三天出现重污染天气，请各网格提醒群众不要露天焚烧秸秆、垃圾。",
        regions=townships or [county],
        priority="urgent",
    )
    return created + 1
