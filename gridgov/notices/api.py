"""The notices API, mounted at the API root: /notices… and /grid-groups/{grid_code}. Thin adapters: parse, access
(404 for missing or out of scope), call a service, render."""

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Path, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from gridgov.api.pagination import PagePagination
from gridgov.api.schemas import ERRORS, ErrorOut
from gridgov.core.exceptions import InvalidInput, NotAllowed, NotFound
from gridgov.notices import selectors
from gridgov.notices.models import GridGroup, Notice, NoticeReport, NoticeState
from gridgov.notices.policies import GridGroupPolicy, NoticePolicy
from gridgov.notices.schemas import (
    MAX_ID,
    AckIn,
    AckOut,
    GridGroupIn,
    GridGroupOut,
    NoticeDetailOut,
    NoticeIn,
    NoticeOut,
    ReportIn,
    ReportOut,
    RetryOut,
)
from gridgov.notices.services import notice_create, notice_grid_ack, notice_publish
from gridgov.notices.services.groups import grid_group_test, grid_group_upsert, grid_household_count
from gridgov.notices.services.notices import notice_attachments_add, notice_grid_for_user
from gridgov.notices.services.reports import notice_report_add, notice_report_photos_add
from gridgov.notices.services.sending import deliveries_retry_dead
from gridgov.territory.selectors import access_region

router = Router(tags=["notices"])

WRITE_ERRORS = {**ERRORS, 403: ErrorOut}
ACTION_ERRORS = {**WRITE_ERRORS, 409: ErrorOut}
NOTICE_ID = Path(..., ge=1, le=MAX_ID, description="通知 id")
REPORT_ID = Path(..., ge=1, le=MAX_ID, description="回报 id")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _read_uploads(files: list, field: str) -> list[tuple[str, bytes]]:
    """(name, bytes) of uploaded files; anything over 20 MB is refused before it is read into memory."""
    too_big = [f.name[:80] for f in files if f.size > MAX_UPLOAD_BYTES]
    if too_big:
        raise InvalidInput(
            fields={field: [_("%(name)s：文件超过 20MB。") % {"name": name} for name in too_big]}
        )
    return [(f.name, f.read()) for f in files]


# --- grid groups ------------------------------------------------------------------------------------------------
def _group_out(grid, group: GridGroup | None) -> dict:
    households = grid_household_count(grid)
    joined = group.households_joined if group else 0
    return {
        "grid_code": grid.code,
        "grid_name": grid.name,
        "name": group.name if group else "",
        "channel": group.channel if group else "none",
        "webhook_masked": group.webhook_masked if group else "",
        "has_secret": bool(group and group.secret_sealed),
        "households_joined": joined,
        "households": households,
        "coverage_pct": round(100 * joined / households) if households else 0,
        "last_test_at": group.last_test_at if group else None,
        "last_test_ok": group.last_test_ok if group else None,
        "last_test_error": group.last_test_error if group else "",
    }


@router.get("/grid-groups/{grid_code}", response={200: GridGroupOut, **ERRORS}, summary="A grid's group")
def grid_group_get(request, grid_code: str):
    grid = selectors.access_grid(request.auth, grid_code)
    return _group_out(grid, GridGroup.objects.filter(grid=grid).first())


@router.put(
    "/grid-groups/{grid_code}", response={200: GridGroupOut, **WRITE_ERRORS}, summary="Set a grid's group"
)
def grid_group_put(request, grid_code: str, payload: GridGroupIn):
    grid = selectors.access_grid(request.auth, grid_code)
    group = grid_group_upsert(
        actor=request.auth,
        grid=grid,
        channel=payload.channel,
        webhook_url=payload.webhook_url,
        secret=payload.secret,
        households_joined=payload.households_joined,
        name=payload.name,
    )
    return _group_out(grid, group)


@router.post(
    "/grid-groups/{grid_code}/test",
    response={200: GridGroupOut, **WRITE_ERRORS},
    summary="Send a test message",
)
def grid_group_test_api(request, grid_code: str):
    grid = selectors.access_grid(request.auth, grid_code)
    if not GridGroupPolicy.can_manage(request.auth, grid):
        raise NotAllowed()
    group = GridGroup.objects.filter(grid=grid).first()
    if group is None:
        raise InvalidInput(fields={"channel": [_("该网格尚未配置群。")]})
    return _group_out(grid, grid_group_test(actor=request.auth, group=group))


# --- notices ----------------------------------------------------------------------------------------------------
def _figures(user, notice) -> dict:
    f = selectors.notice_figures(user=user, notice=notice)
    return {
        "grids": f.grids,
        "read": f.read,
        "acknowledged": f.acked,
        "households_told": f.households_told,
        "deliveries": f.deliveries,
    }


def _notice_out(notice: Notice) -> dict:
    return {
        "id": notice.pk,
        "title": notice.title,
        "state": notice.state,
        "priority": notice.priority,
        "requires_ack": notice.requires_ack,
        "deadline": notice.deadline,
        "published_at": notice.published_at,
        "created_at": notice.created_at,
        "scope": [r.code for r in notice.regions.all()],
    }


def _detail(user, notice: Notice) -> dict:
    return {
        **_notice_out(notice),
        "body": notice.body,
        "audience": notice.audience,
        "figures": _figures(user, notice),
        "attachments": [
            {
                "id": a.pk,
                "name": a.name,
                "size": a.size,
                "url": reverse("notices:attachment", args=[notice.pk, a.pk]),
            }
            for a in notice.attachments.all()
        ],
    }


def _report_out(report: NoticeReport, grid_code: str) -> dict:
    return {
        "id": report.pk,
        "grid_code": grid_code,
        "outcome": report.outcome,
        "number": report.number,
        "note": report.note,
        "case_number": report.case.number if report.case_id else None,
        "created_at": report.created_at,
        "photos": [
            {"id": p.pk, "name": p.name, "url": reverse("notices:report_photo", args=[report.pk, p.pk])}
            for p in report.photos.all()
        ],
    }


class NoticeFilter(Schema):
    state: NoticeState | None = None
    mine: bool = False


@router.get("/notices", response={200: list[NoticeOut], **ERRORS}, summary="Notices in scope")
@paginate(PagePagination)
def notices_get(request, filters: Query[NoticeFilter]):
    qs = selectors.notice_list(user=request.auth, state=filters.state, mine=filters.mine)
    return _PagedNotices(qs)


class _PagedNotices:
    """A queryset wrapper that renders only the page asked for (regions prefetched for that page)."""

    def __init__(self, qs):
        self.qs = qs

    def count(self):
        return self.qs.count()

    def __getitem__(self, item):
        return [_notice_out(n) for n in self.qs.prefetch_related("regions")[item]]


@router.post("/notices", response={201: NoticeDetailOut, **WRITE_ERRORS}, summary="Draft a notice")
def notices_post(request, payload: NoticeIn):
    regions = []
    for index, code in enumerate(dict.fromkeys(payload.scope)):
        try:
            regions.append(access_region(request.auth, code, include_retired=False))
        except NotFound:
            raise InvalidInput(
                fields={
                    "scope": [
                        _("第 %(n)d 项：区域 %(code)s 不存在或不在您的管辖范围内。")
                        % {"n": index + 1, "code": code}
                    ]
                }
            ) from None
    notice = notice_create(
        actor=request.auth,
        title=payload.title,
        body=payload.body,
        regions=regions,
        audience=payload.audience,
        requires_ack=payload.requires_ack,
        deadline=payload.deadline,
        priority=payload.priority,
    )
    return Status(201, _detail(request.auth, notice))


@router.get(
    "/notices/{notice_id}", response={200: NoticeDetailOut, **ERRORS}, summary="A notice with its figures"
)
def notice_get(request, notice_id: int = NOTICE_ID):
    return _detail(request.auth, selectors.access_notice(request.auth, notice_id))


@router.post(
    "/notices/{notice_id}/publish",
    response={200: NoticeDetailOut, **ACTION_ERRORS},
    summary="Publish a draft",
)
def notice_publish_api(request, notice_id: int = NOTICE_ID):
    notice = selectors.access_notice(request.auth, notice_id)
    notice = notice_publish(actor=request.auth, notice=notice)
    return _detail(request.auth, notice)


@router.post(
    "/notices/{notice_id}/ack", response={200: AckOut, **ACTION_ERRORS}, summary="已转达: acknowledge"
)
def notice_ack_api(request, payload: AckIn, notice_id: int = NOTICE_ID):
    notice = selectors.access_notice(request.auth, notice_id)
    ng = notice_grid_for_user(user=request.auth, notice=notice, grid_code=payload.grid_code)
    ng = notice_grid_ack(actor=request.auth, notice_grid=ng, households_told=payload.households_told)
    return {
        "notice_id": notice.pk,
        "grid_code": ng.grid.code,
        "acked_at": ng.acked_at,
        "households_told": ng.households_told,
    }


@router.post(
    "/notices/{notice_id}/reports",
    response={201: ReportOut, **ACTION_ERRORS},
    summary="Report back from a grid",
)
def notice_report_api(request, payload: ReportIn, notice_id: int = NOTICE_ID):
    notice = selectors.access_notice(request.auth, notice_id)
    ng = notice_grid_for_user(user=request.auth, notice=notice, grid_code=payload.grid_code)
    report = notice_report_add(
        actor=request.auth, notice_grid=ng, outcome=payload.outcome, number=payload.number, note=payload.note
    )
    return Status(201, _report_out(report, ng.grid.code))


@router.post(
    "/notices/{notice_id}/attachments",
    response={201: NoticeDetailOut, **ACTION_ERRORS},
    summary="Attach files to a draft (multipart, field files)",
)
def notice_attachments_api(request, files: File[list[UploadedFile]], notice_id: int = NOTICE_ID):
    notice = selectors.access_notice(request.auth, notice_id)
    notice_attachments_add(actor=request.auth, notice=notice, files=_read_uploads(files, "attachments"))
    return Status(201, _detail(request.auth, notice))


@router.post(
    "/notices/{notice_id}/reports/{report_id}/photos",
    response={201: ReportOut, **ACTION_ERRORS},
    summary="Add photos to one's report (multipart, field photos)",
)
def notice_report_photos_api(
    request, photos: File[list[UploadedFile]], notice_id: int = NOTICE_ID, report_id: int = REPORT_ID
):
    notice = selectors.access_notice(request.auth, notice_id)
    report = (
        NoticeReport.objects.filter(pk=report_id, notice_grid__notice=notice)
        .select_related("notice_grid__grid", "case")
        .first()
    )
    if report is None or report.author_id != request.auth.pk:
        raise NotFound()
    notice_report_photos_add(actor=request.auth, report=report, photos=_read_uploads(photos, "photos"))
    return Status(201, _report_out(report, report.notice_grid.grid.code))


@router.post(
    "/notices/{notice_id}/retry", response={200: RetryOut, **ACTION_ERRORS}, summary="Retry dead deliveries"
)
def notice_retry_api(request, notice_id: int = NOTICE_ID):
    notice = selectors.access_notice(request.auth, notice_id)
    if not NoticePolicy.can_manage(request.auth, notice):
        raise NotAllowed()
    return {"retried": deliveries_retry_dead(actor=request.auth, notice=notice)}
