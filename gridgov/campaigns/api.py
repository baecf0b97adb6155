"""The campaigns API (/api/v1/campaigns/): campaigns, their figures, commitment letters, visits, venue and transport
checks, publicity and ledger exports. Thin adapters over ``campaigns.selectors`` and ``campaigns.services``."""

import tempfile
from pathlib import Path as FsPath

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Path, Query, Router, Status, UploadedFile
from ninja.pagination import paginate

from gridgov.api.pagination import PagePagination
from gridgov.api.schemas import ERRORS, ErrorOut
from gridgov.campaigns import selectors
from gridgov.campaigns.models import Campaign, TargetKind
from gridgov.campaigns.policies import CampaignPolicy
from gridgov.campaigns.schemas import (
    MAX_ID,
    CampaignDetailOut,
    CampaignIn,
    CampaignOut,
    CommitmentOut,
    FiguresOut,
    FormIn,
    FormOut,
    ImportOut,
    Kind,
    Ledger,
    LetterIn,
    LetterOut,
    LoudspeakerIn,
    LoudspeakerOut,
    PublicityIn,
    PublicityOut,
    PublicitySummaryOut,
    RecountOut,
    TeamMemberIn,
    TeamMemberOut,
    TodoOut,
    TransportCheckIn,
    TransportCheckOut,
    VenueCheckIn,
    VenueCheckOut,
    VisitDetailOut,
    VisitIn,
    VisitOut,
)
from gridgov.campaigns.services import (
    checks,
    counters,
    exports,
    fieldwork,
    imports,
    letters,
    publicity,
    setup,
)
from gridgov.core.exceptions import InvalidInput, NotAllowed, NotFound
from gridgov.registry.selectors import access_household, access_place
from gridgov.territory.models import Department
from gridgov.territory.selectors import access_region

router = Router(tags=["campaigns"])

WRITE_ERRORS = {**ERRORS, 403: ErrorOut}
ACTION_ERRORS = {**WRITE_ERRORS, 409: ErrorOut}
CAMPAIGN_ID = Path(..., ge=1, le=MAX_ID, description="专项行动 id")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_UPLOAD = 20 * 1024 * 1024
KIND_FORM = Form("household")
TARGET_ID_FORM = Form(..., ge=1, le=MAX_ID)
SIGNER_FORM = Form(..., max_length=50)
METHOD_FORM = Form("paper_photo", pattern="^(on_screen|paper_photo)$")


def _campaign(request, campaign_id) -> Campaign:
    return selectors.access_campaign(request.auth, campaign_id)


def _region(user, code: str, field: str):
    try:
        return access_region(user, code, include_retired=False)
    except NotFound:
        raise InvalidInput(fields={field: [_("区域不存在或不在您的管辖范围内。")]}) from None


def _target(user, kind: str, pk: int, field: str = "target_id"):
    try:
        return access_household(user, pk) if kind == TargetKind.HOUSEHOLD else access_place(user, pk)
    except NotFound:
        raise InvalidInput(fields={field: [_("对象不存在或不在您的管辖范围内。")]}) from None


def _region_filter(user, code: str | None):
    return access_region(user, code) if code else None


# --- campaigns -------------------------------------------------------------------------------------------------
@router.get("", response={200: list[CampaignOut], **ERRORS}, summary="Campaigns whose scope overlaps mine")
def campaign_index(request, state: Campaign.State | None = None):
    return selectors.campaign_list(user=request.auth, state=state or "")


@router.post("", response={201: CampaignDetailOut, **WRITE_ERRORS}, summary="Create a campaign (筹备中)")
def campaign_create(request, payload: CampaignIn):
    user = request.auth
    if not CampaignPolicy.can_manage(user):
        raise NotAllowed()
    regions = [_region(user, code, "regions") for code in payload.regions]
    lead = None
    if payload.lead_unit:
        lead = Department.objects.filter(code=payload.lead_unit, is_active=True).first()
        if lead is None:
            raise InvalidInput(fields={"lead_unit": [_("部门不存在或已停用。")]})
    common = {
        "actor": user,
        "code": payload.code,
        "starts_on": payload.starts_on,
        "ends_on": payload.ends_on,
        "regions": regions,
        "lead_unit": lead,
    }
    if payload.template:
        campaign = setup.campaign_from_template(template=payload.template, name=payload.name, **common)
    else:
        if not payload.name.strip():
            raise InvalidInput(fields={"name": [_("请填写名称。")]})
        campaign = setup.campaign_create(
            name=payload.name,
            kind=payload.kind,
            description=payload.description,
            target_households=payload.target_households,
            target_place_kinds=payload.target_place_kinds,
            **common,
        )
    return Status(201, selectors.access_campaign(user, campaign.pk))


@router.get("/visits", response={200: list[VisitOut], **ERRORS}, summary="Visits in scope, newest first")
@paginate(PagePagination)
def visit_index(request, region: str | None = None, kind: Kind | None = None):
    return selectors.visit_list(
        user=request.auth, region=_region_filter(request.auth, region), kind=kind or ""
    )


@router.post(
    "/visits",
    response={201: VisitDetailOut, **ACTION_ERRORS},
    summary="One visit answering every active campaign's form (problems open cases)",
)
def visit_create(request, payload: VisitIn):
    user = request.auth
    target = _target(user, payload.target_kind, payload.target_id)
    visit = fieldwork.visit_record(
        actor=user,
        target=target,
        answers=payload.answers,
        note=payload.note,
        latitude=payload.latitude,
        longitude=payload.longitude,
        client_key=payload.client_key,
    )
    return Status(201, selectors.access_visit(user, visit.pk))


@router.get(
    "/visits/{visit_id}", response={200: VisitDetailOut, **ERRORS}, summary="One visit and its answers"
)
def visit_detail(request, visit_id: int = Path(..., ge=1, le=MAX_ID)):
    return selectors.access_visit(request.auth, visit_id)


@router.get("/{campaign_id}", response={200: CampaignDetailOut, **ERRORS}, summary="A campaign")
def campaign_detail(request, campaign_id: int = CAMPAIGN_ID):
    return _campaign(request, campaign_id)


@router.post(
    "/{campaign_id}/activate", response={200: CampaignDetailOut, **ACTION_ERRORS}, summary="Start it"
)
def campaign_activate(request, campaign_id: int = CAMPAIGN_ID):
    campaign = setup.campaign_activate(actor=request.auth, campaign=_campaign(request, campaign_id))
    return selectors.access_campaign(request.auth, campaign.pk)


@router.post("/{campaign_id}/close", response={200: CampaignDetailOut, **ACTION_ERRORS}, summary="End it")
def campaign_close(request, campaign_id: int = CAMPAIGN_ID):
    campaign = setup.campaign_close(actor=request.auth, campaign=_campaign(request, campaign_id))
    return selectors.access_campaign(request.auth, campaign.pk)


@router.post(
    "/{campaign_id}/team",
    response={201: TeamMemberOut, **WRITE_ERRORS},
    summary="Name a member of the work team (专班)",
)
def team_member_create(request, payload: TeamMemberIn, campaign_id: int = CAMPAIGN_ID):
    campaign = _campaign(request, campaign_id)
    region = _region(request.auth, payload.region, "region") if payload.region else None
    member = setup.team_member_add(
        actor=request.auth,
        campaign=campaign,
        name=payload.name,
        position=payload.position,
        duty=payload.duty,
        region=region,
        jointly_responsible=payload.jointly_responsible,
    )
    return Status(201, member)


@router.put(
    "/{campaign_id}/letters/{kind}",
    response={200: LetterOut, **WRITE_ERRORS},
    summary="Set the letter template (承诺书) for households or places",
)
def letter_set(request, payload: LetterIn, kind: Kind, campaign_id: int = CAMPAIGN_ID):
    campaign = _campaign(request, campaign_id)
    return setup.letter_template_set(
        actor=request.auth, campaign=campaign, target_kind=kind, title=payload.title, body=payload.body
    )


@router.put(
    "/{campaign_id}/forms/{kind}",
    response={200: FormOut, **WRITE_ERRORS},
    summary="Set the visit form (questions as data) for households or places",
)
def form_set(request, payload: FormIn, kind: Kind, campaign_id: int = CAMPAIGN_ID):
    campaign = _campaign(request, campaign_id)
    return setup.visit_form_set(
        actor=request.auth,
        campaign=campaign,
        target_kind=kind,
        title=payload.title,
        questions=[q.dict() for q in payload.questions],
    )


@router.post(
    "/{campaign_id}/recount",
    response={200: RecountOut, **WRITE_ERRORS},
    summary="Rebuild the counters from the rows",
)
def campaign_recount(request, campaign_id: int = CAMPAIGN_ID):
    campaign = _campaign(request, campaign_id)
    if not CampaignPolicy.can_manage(request.auth):
        raise NotAllowed()
    return {"rows": counters.campaign_recount(actor=request.auth, campaign=campaign)}


@router.get(
    "/{campaign_id}/figures",
    response={200: FiguresOut, **ERRORS},
    summary="Coverage, visits, problems and cases of a region and the regions one level down",
)
def campaign_figures(
    request, campaign_id: int = CAMPAIGN_ID, region: str | None = Query(None, max_length=15)
):
    campaign = _campaign(request, campaign_id)
    node = selectors.access_figures_region(request.auth, campaign, region)
    figures = selectors.campaign_figures(campaign=campaign, region=node)
    return {
        "region": figures.region,
        "total": figures.total.as_dict(),
        "rows": [row.as_dict() for row in figures.rows],
        "county_coverage": figures.county_coverage,
        "best": figures.best.as_dict() if figures.best else None,
        "worst": figures.worst.as_dict() if figures.worst else None,
        "township_rank": figures.township_rank,
        "townships": figures.townships,
    }


@router.get(
    "/{campaign_id}/todo",
    response={200: list[TodoOut], **ERRORS},
    summary="Households or places not yet visited (what=visit) or not yet signed (what=sign)",
)
@paginate(PagePagination)
def campaign_todo(
    request,
    campaign_id: int = CAMPAIGN_ID,
    kind: Kind = "household",
    what: str = Query("visit", pattern="^(visit|sign)$"),
    region: str | None = None,
    near: str | None = Query(
        None, max_length=40, description="纬度,经度（如 34.065127,114.853216）：由近到远"
    ),
):
    campaign = _campaign(request, campaign_id)
    position = selectors.parse_near(near) if near else None
    if near and position is None:
        raise InvalidInput(fields={"near": [_("位置须为“纬度,经度”，且在国内。")]})
    qs = selectors.todo_list(
        user=request.auth,
        campaign=campaign,
        kind=kind,
        what=what,
        region=_region_filter(request.auth, region),
        near=position,
    )
    return _TodoRows(qs, kind)


class _TodoRows:
    """Turns the page of households or places into TodoOut rows after pagination sliced it."""

    def __init__(self, qs, kind):
        self.qs, self.kind = qs, kind

    def count(self):
        return self.qs.count()

    def __getitem__(self, item):
        return [
            {
                "id": t.pk,
                "kind": self.kind,
                "label": f"{t.code} {t.head_name}" if self.kind == TargetKind.HOUSEHOLD else t.name,
                "address": t.address,
                "grid": t.grid,
                "is_signed": t.is_signed,
                "is_visited": t.is_visited,
                "longitude": t.longitude,
                "latitude": t.latitude,
                "distance_m": selectors.distance_metres(getattr(t, "distance2", None)),
            }
            for t in self.qs[item]
        ]


# --- commitment letters ------------------------------------------------------------------------------------------
@router.get(
    "/{campaign_id}/commitments",
    response={200: list[CommitmentOut], **ERRORS},
    summary="Signed letters in scope",
)
@paginate(PagePagination)
def commitment_index(
    request, campaign_id: int = CAMPAIGN_ID, region: str | None = None, kind: Kind | None = None
):
    campaign = _campaign(request, campaign_id)
    return selectors.commitment_list(
        user=request.auth, campaign=campaign, region=_region_filter(request.auth, region), kind=kind or ""
    )


@router.post(
    "/{campaign_id}/commitments",
    response={201: CommitmentOut, **ACTION_ERRORS},
    summary="Record a signed letter (signature on screen or photo of the paper letter)",
)
def commitment_create(
    request,
    campaign_id: int = CAMPAIGN_ID,
    target_kind: Kind = KIND_FORM,
    target_id: int = TARGET_ID_FORM,
    signer_name: str = SIGNER_FORM,
    method: str = METHOD_FORM,
    evidence: File[UploadedFile] = None,
):
    campaign = _campaign(request, campaign_id)
    target = _target(request.auth, target_kind, target_id)
    commitment = fieldwork.commitment_sign(
        actor=request.auth,
        campaign=campaign,
        target=target,
        signer_name=signer_name,
        method=method,
        evidence=evidence,
    )
    return Status(201, selectors.commitment_list(user=request.auth, campaign=campaign).get(pk=commitment.pk))


@router.post(
    "/{campaign_id}/commitments/import",
    response={200: ImportOut, **ACTION_ERRORS},
    summary="Bulk signing from a spreadsheet (.xlsx/.csv): row-numbered errors, good rows stored",
)
def commitment_import(request, file: File[UploadedFile], campaign_id: int = CAMPAIGN_ID):
    campaign = _campaign(request, campaign_id)
    if not CampaignPolicy.fieldwork_anywhere(request.auth):
        raise NotAllowed()
    if file.size and file.size > MAX_UPLOAD:
        raise InvalidInput(fields={"file": [_("文件不能超过 20 MB。")]})
    with tempfile.TemporaryDirectory() as folder:
        path = FsPath(folder) / "upload"
        with open(path, "wb") as out:
            for chunk in file.chunks():
                out.write(chunk)
        result = imports.commitment_import(
            actor=request.auth, campaign=campaign, path=path, filename=file.name
        )
    return result.as_dict()


@router.get(
    "/{campaign_id}/letter",
    response=ERRORS,
    summary="The printable letter (.docx), pre-filled",
    openapi_extra={"responses": {"200": {"description": "docx", "content": {DOCX: {}}}}},
)
def letter_download(
    request,
    campaign_id: int = CAMPAIGN_ID,
    kind: Kind = "household",
    target_id: int = Query(..., ge=1, le=MAX_ID),
):
    campaign = _campaign(request, campaign_id)
    target = (
        access_household(request.auth, target_id)
        if kind == TargetKind.HOUSEHOLD
        else access_place(request.auth, target_id)
    )
    data = letters.letter_docx(campaign=campaign, target=target)
    response = HttpResponse(data, content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="letter-{campaign.code}-{kind}-{target.pk}.docx"'
    return response


# --- venue and transport checks ----------------------------------------------------------------------------------
@router.get("/{campaign_id}/venue-checks", response={200: list[VenueCheckOut], **ERRORS}, summary="排查登记")
@paginate(PagePagination)
def venue_check_index(
    request,
    campaign_id: int = CAMPAIGN_ID,
    region: str | None = None,
    result: str | None = Query(None, max_length=16),
):
    campaign = _campaign(request, campaign_id)
    return selectors.venue_check_list(
        user=request.auth, campaign=campaign, region=_region_filter(request.auth, region), result=result or ""
    )


@router.post(
    "/{campaign_id}/venue-checks",
    response={201: VenueCheckOut, **ACTION_ERRORS},
    summary="Check a shop or supermarket (problems open cases)",
)
def venue_check_create(request, payload: VenueCheckIn, campaign_id: int = CAMPAIGN_ID):
    campaign = _campaign(request, campaign_id)
    place = _target(request.auth, TargetKind.PLACE, payload.place_id, field="place_id")
    check = checks.venue_check_record(
        actor=request.auth,
        campaign=campaign,
        place=place,
        sells_fireworks=payload.sells_fireworks,
        stock_found=payload.stock_found,
        licence_number=payload.licence_number,
        note=payload.note,
    )
    return Status(201, selectors.venue_check_list(user=request.auth, campaign=campaign).get(pk=check.pk))


@router.get(
    "/{campaign_id}/transport-checks", response={200: list[TransportCheckOut], **ERRORS}, summary="运输监管"
)
@paginate(PagePagination)
def transport_check_index(
    request,
    campaign_id: int = CAMPAIGN_ID,
    region: str | None = None,
    result: str | None = Query(None, max_length=8),
):
    campaign = _campaign(request, campaign_id)
    return selectors.transport_check_list(
        user=request.auth, campaign=campaign, region=_region_filter(request.auth, region), result=result or ""
    )


@router.post(
    "/{campaign_id}/transport-checks",
    response={201: TransportCheckOut, **ACTION_ERRORS},
    summary="Check a vehicle against the registry's transport permits (a failure opens a case)",
)
def transport_check_create(request, payload: TransportCheckIn, campaign_id: int = CAMPAIGN_ID):
    campaign = _campaign(request, campaign_id)
    grid = _region(request.auth, payload.grid, "grid")
    check = checks.transport_check_record(
        actor=request.auth, campaign=campaign, grid=grid, **payload.dict(exclude={"grid"})
    )
    return Status(201, selectors.transport_check_list(user=request.auth, campaign=campaign).get(pk=check.pk))


# --- publicity ---------------------------------------------------------------------------------------------------
@router.get(
    "/{campaign_id}/publicity", response={200: list[PublicityOut], **ERRORS}, summary="宣传 activities"
)
@paginate(PagePagination)
def publicity_index(
    request,
    campaign_id: int = CAMPAIGN_ID,
    region: str | None = None,
    channel: str | None = Query(None, max_length=12),
):
    campaign = _campaign(request, campaign_id)
    return selectors.publicity_list(
        user=request.auth,
        campaign=campaign,
        region=_region_filter(request.auth, region),
        channel=channel or "",
    )


@router.post(
    "/{campaign_id}/publicity", response={201: PublicityOut, **ACTION_ERRORS}, summary="Log publicity"
)
def publicity_create(request, payload: PublicityIn, campaign_id: int = CAMPAIGN_ID):
    campaign = _campaign(request, campaign_id)
    region = _region(request.auth, payload.region, "region")
    activity = publicity.publicity_record(
        actor=request.auth,
        campaign=campaign,
        channel=payload.channel,
        region=region,
        happened_at=payload.happened_at,
        count=payload.count,
        description=payload.description,
    )
    return Status(201, activity)


@router.post(
    "/{campaign_id}/loudspeakers",
    response={201: LoudspeakerOut, **ACTION_ERRORS},
    summary="Schedule a village's loudspeaker (大喇叭)",
)
def loudspeaker_create(request, payload: LoudspeakerIn, campaign_id: int = CAMPAIGN_ID):
    campaign = _campaign(request, campaign_id)
    village = _region(request.auth, payload.village, "village")
    schedule = publicity.loudspeaker_schedule_add(
        actor=request.auth,
        campaign=campaign,
        village=village,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        hours=payload.hours,
    )
    return Status(201, schedule)


@router.get(
    "/{campaign_id}/publicity/summary",
    response={200: PublicitySummaryOut, **ERRORS},
    summary="Channels per township or village, and villages with no publicity in the last N days",
)
def publicity_summary(
    request,
    campaign_id: int = CAMPAIGN_ID,
    region: str | None = Query(None, max_length=15),
    days: int = Query(7, ge=1, le=366),
):
    campaign = _campaign(request, campaign_id)
    node = selectors.access_figures_region(request.auth, campaign, region)
    summary = selectors.publicity_summary(campaign=campaign, region=node, days=days)
    return {
        "region": summary.region,
        "days": summary.days,
        "rows": [
            {"region": r.region, "channels": r.channels, "total": r.total, "last_at": r.last_at}
            for r in summary.rows
        ],
        "silent_villages": summary.silent_villages,
    }


# --- exports ----------------------------------------------------------------------------------------------------
@router.get(
    "/{campaign_id}/exports/{ledger}",
    response=ERRORS,
    summary="A ledger (台账) as .xlsx",
    openapi_extra={"responses": {"200": {"description": "xlsx", "content": {XLSX: {}}}}},
)
def ledger_download(request, ledger: Ledger, campaign_id: int = CAMPAIGN_ID, region: str | None = None):
    campaign = _campaign(request, campaign_id)
    node = _region_filter(request.auth, region)
    # Not a context manager: the response streams the file and closes (and so removes) it when done.
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
    exports.ledger_export(user=request.auth, campaign=campaign, ledger=ledger, path=handle.name, region=node)
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=f"{campaign.code}-{ledger}.xlsx", content_type=XLSX
    )
