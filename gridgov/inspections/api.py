"""The inspections API: /api/v1/inspections/{plans,checklists,inspections,findings} and /api/v1/rectifications.

Thin adapters over the selectors (scope, including the secrecy of covert plans) and the services (rules, state).
A covert plan that is not yet reported answers 404 to everyone outside its organising unit and team, exactly as
a plan that does not exist.
"""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Path, Query, Router, Status, UploadedFile
from ninja.pagination import paginate

from gridgov.accounts.models import User
from gridgov.api.pagination import PagePagination
from gridgov.api.schemas import ERRORS, ErrorOut
from gridgov.cases.schemas import MAX_ID, RegionCode
from gridgov.core.exceptions import InvalidInput, NotFound
from gridgov.inspections import documents, selectors
from gridgov.inspections.models import ChecklistItem, Inspection
from gridgov.inspections.schemas import (
    AnswerOut,
    BoardOut,
    Bucket,
    ChecklistDetailOut,
    ChecklistOut,
    DrawCheckOut,
    DrawIn,
    FindingOut,
    InspectionDetailOut,
    InspectionOut,
    InspectionState,
    Mode,
    PlanDetailOut,
    PlanIn,
    PlanOut,
    PlanState,
    RectificationDetailOut,
    RectificationOut,
    ReinspectIn,
    ReportIn,
    Result,
    SeverityChoice,
    SubmitIn,
    TargetsIn,
)
from gridgov.inspections.services import carrying, plans, rectifying
from gridgov.territory.models import Department, Level, Region
from gridgov.territory.selectors import access_region

router = Router(tags=["inspections"])

WRITE_ERRORS = {**ERRORS, 403: ErrorOut}
ACTION_ERRORS = {**WRITE_ERRORS, 409: ErrorOut}

PLAN_ID = Path(..., ge=1, le=MAX_ID, description="计划 id")
ITEM_ID = Path(..., ge=1, le=MAX_ID, description="检查项 id")
OBJ_ID = Path(..., ge=1, le=MAX_ID)


def _field(field: str, message: str) -> InvalidInput:
    return InvalidInput(fields={field: [message]})


def _plan_detail(plan):
    plan.members_list = list(plan.members.order_by("username").values_list("username", flat=True))
    plan.draws_list = selectors.plan_draws(plan)
    return plan


def _annotated_plan(user, plan_id: int):
    plan = selectors.plan_list(user=user).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound()
    return plan


# --- checklists ------------------------------------------------------------------------------------------------


@router.get("/inspections/checklists", response={200: list[ChecklistOut], **ERRORS}, summary="Checklists")
def checklist_list(request):
    return list(selectors.checklist_list())


@router.get(
    "/inspections/checklists/{checklist_id}",
    response={200: ChecklistDetailOut, **ERRORS},
    summary="A checklist with its items",
)
def checklist_detail(request, checklist_id: int = OBJ_ID):
    checklist = selectors.access_checklist(checklist_id)
    checklist.items_list = selectors.checklist_items(checklist)
    checklist.item_count = len(checklist.items_list)
    return checklist


# --- plans -----------------------------------------------------------------------------------------------------


@router.get("/inspections/plans", response={200: list[PlanOut], **ERRORS}, summary="Plans in scope")
@paginate(PagePagination)
def plan_list(request, mode: Mode | None = None, state: PlanState | None = None):
    return selectors.plan_list(user=request.auth, mode=mode, state=state)


@router.post("/inspections/plans", response={201: PlanDetailOut, **WRITE_ERRORS}, summary="Create a plan")
def plan_create(request, payload: PlanIn):
    user = request.auth
    department = Department.objects.filter(code=payload.department, is_active=True).first()
    if department is None:
        raise _field("department", _("部门不存在或已停用。"))
    checklist = selectors.checklist_list().filter(code=payload.checklist).first()
    if checklist is None:
        raise _field("checklist", _("检查表不存在或已停用。"))
    members = list(User.objects.filter(username__in=payload.members, is_active=True))
    unknown = sorted(set(payload.members) - {m.username for m in members})
    if unknown:
        raise _field("members", _("用户不存在：%(names)s") % {"names": "、".join(unknown)})
    plan = plans.plan_create(
        actor=user,
        name=payload.name,
        mode=payload.mode,
        department=department,
        checklist=checklist,
        team_name=payload.team_name,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        members=members,
    )
    return Status(201, _plan_detail(_annotated_plan(user, plan.pk)))


@router.get("/inspections/plans/{plan_id}", response={200: PlanDetailOut, **ERRORS}, summary="A plan")
def plan_detail(request, plan_id: int = PLAN_ID):
    return _plan_detail(_annotated_plan(request.auth, plan_id))


@router.post(
    "/inspections/plans/{plan_id}/targets",
    response={201: list[InspectionOut], **ACTION_ERRORS},
    summary="Add places or townships as targets",
)
def plan_targets(request, payload: TargetsIn, plan_id: int = PLAN_ID):
    from gridgov.registry.models import Place

    user = request.auth
    plan = selectors.access_plan(user, plan_id)
    places = list(Place.objects.filter(pk__in=payload.places).select_related("grid"))
    missing = sorted(set(payload.places) - {p.pk for p in places})
    if missing:
        raise _field("places", _("场所不存在：%(ids)s") % {"ids": ", ".join(map(str, missing))})
    townships = list(Region.objects.filter(code__in=payload.townships, level=Level.TOWNSHIP))
    missing_t = sorted(set(payload.townships) - {t.code for t in townships})
    if missing_t:
        raise _field("townships", _("乡镇不存在：%(codes)s") % {"codes": ", ".join(missing_t)})
    created = plans.plan_add_targets(actor=user, plan=plan, places=places, townships=townships)
    return Status(201, created)


@router.post(
    "/inspections/plans/{plan_id}/draws",
    response={201: DrawCheckOut, **ACTION_ERRORS},
    summary="Draw targets at random (双随机), recorded",
)
def plan_draw(request, payload: DrawIn, plan_id: int = PLAN_ID):
    user = request.auth
    plan = selectors.access_plan(user, plan_id)
    region = None
    if payload.region:
        try:
            region = access_region(user, payload.region, include_retired=False)
        except NotFound:
            raise _field("region", _("区域不存在或不在您的管辖范围内。")) from None
    draw = plans.plan_draw(
        actor=user,
        plan=plan,
        count=payload.count,
        region=region,
        kinds=payload.kinds,
        risks=payload.risks,
        industries=payload.industries,
        seed=payload.seed,
    )
    return Status(201, {"draw": draw, **plans.draw_verify(draw)})


@router.get(
    "/inspections/plans/{plan_id}/draws/{draw_id}",
    response={200: DrawCheckOut, **ERRORS},
    summary="A recorded draw, run again to check it",
)
def plan_draw_check(request, plan_id: int = PLAN_ID, draw_id: int = OBJ_ID):
    plan = selectors.access_plan(request.auth, plan_id)
    draw = next((d for d in selectors.plan_draws(plan) if d.pk == draw_id), None)
    if draw is None:
        raise NotFound()
    return {"draw": draw, **plans.draw_verify(draw)}


@router.post(
    "/inspections/plans/{plan_id}/report",
    response={200: PlanDetailOut, **ACTION_ERRORS},
    summary="Report the plan (通报); a covert plan becomes visible",
)
def plan_report(request, payload: ReportIn, plan_id: int = PLAN_ID):
    user = request.auth
    plan = selectors.access_plan(user, plan_id)
    plans.plan_report(actor=user, plan=plan, note=payload.note)
    return _plan_detail(_annotated_plan(user, plan_id))


# --- inspections ---------------------------------------------------------------------------------------------


@router.get("/inspections/inspections", response={200: list[InspectionOut], **ERRORS}, summary="Inspections")
@paginate(PagePagination)
def inspection_list(
    request,
    plan: int | None = Query(None, ge=1, le=MAX_ID),
    place: int | None = Query(None, ge=1, le=MAX_ID),
    state: InspectionState | None = None,
):
    user = request.auth
    plan_obj = selectors.access_plan(user, plan) if plan else None
    qs = selectors.inspection_list(user=request.auth, plan=plan_obj)
    if place:
        qs = qs.filter(place_id=place)
    if state:
        qs = qs.filter(state=state)
    return qs


def _inspection_detail(inspection):
    inspection.answers_list = list(inspection.answers.order_by("item__sort_order", "item_id"))
    return inspection


@router.get(
    "/inspections/inspections/{inspection_id}",
    response={200: InspectionDetailOut, **ERRORS},
    summary="An inspection with its answers",
)
def inspection_detail(request, inspection_id: int = OBJ_ID):
    return _inspection_detail(selectors.access_inspection(request.auth, inspection_id))


@router.post(
    "/inspections/inspections/{inspection_id}/answers/{item_id}",
    response={200: AnswerOut, **ACTION_ERRORS},
    summary="Save one answer (part-way saving; sending it again replaces it)",
)
def answer_save(
    request,
    result: Form[Result],
    inspection_id: int = OBJ_ID,
    item_id: int = ITEM_ID,
    value: Form[str] = "",
    note: Form[str] = "",
    photo: File[UploadedFile] = None,
):
    user = request.auth
    inspection = selectors.access_inspection(user, inspection_id)
    item = ChecklistItem.objects.filter(pk=item_id).first()
    if item is None:
        raise _field("item", _("检查项不存在。"))
    for name, text_value, limit in (("value", value, 200), ("note", note, 500)):
        if "\x00" in text_value or len(text_value) > limit:
            raise _field(name, _("内容无效或过长。"))
    return carrying.answer_save(
        actor=user, inspection=inspection, item=item, result=result, value=value, note=note, photo=photo
    )


@router.post(
    "/inspections/inspections/{inspection_id}/submit",
    response={200: InspectionDetailOut, **ACTION_ERRORS},
    summary="Submit: failed items become findings and, for an overt plan, a rectification",
)
def inspection_submit(request, payload: SubmitIn, inspection_id: int = OBJ_ID):
    user = request.auth
    inspection = selectors.access_inspection(user, inspection_id)
    carrying.inspection_submit(
        actor=user,
        inspection=inspection,
        note=payload.note,
        latitude=payload.latitude,
        longitude=payload.longitude,
    )
    return _inspection_detail(selectors.access_inspection(user, inspection_id))


@router.get("/inspections/findings", response={200: list[FindingOut], **ERRORS}, summary="Findings (隐患)")
@paginate(PagePagination)
def finding_list(
    request,
    township: RegionCode | None = None,
    covert: bool | None = None,
    severity: SeverityChoice | None = None,
):
    user = request.auth
    region = None
    if township:
        region = Region.objects.filter(code=township, level=Level.TOWNSHIP).first()
        if region is None:
            raise _field("township", _("乡镇不存在。"))
    return selectors.finding_list(user=user, township=region, covert=covert, severity=severity)


# --- rectifications ---------------------------------------------------------------------------------------------


@router.get("/rectifications", response={200: list[RectificationOut], **ERRORS}, summary="Rectifications")
@paginate(PagePagination)
def rectification_list(request, bucket: Bucket | None = None, township: RegionCode | None = None):
    user = request.auth
    region = None
    if township:
        region = Region.objects.filter(code=township, level=Level.TOWNSHIP).first()
        if region is None:
            raise _field("township", _("乡镇不存在。"))
    return selectors.rectification_list(user=user, bucket=bucket, township=region)


@router.get("/rectifications/board", response={200: BoardOut, **ERRORS}, summary="Rectification board counts")
def rectification_board(request):
    return selectors.rectification_board(user=request.auth)


@router.get(
    "/rectifications/{rectification_id}",
    response={200: RectificationDetailOut, **ERRORS},
    summary="A rectification with its findings",
)
def rectification_detail(request, rectification_id: int = OBJ_ID):
    rect = selectors.access_rectification(request.auth, rectification_id)
    rect.findings_list = list(
        rect.findings.select_related("item", "township").order_by("item__sort_order", "id")
    )
    rect.waiting_visit = (
        rect.reinspections.filter(state=Inspection.State.PLANNED).values_list("pk", flat=True).first()
    )
    return rect


@router.post(
    "/rectifications/{rectification_id}/reinspect",
    response={200: RectificationOut, **ACTION_ERRORS},
    summary="Re-inspection (复查): pass closes, fail reopens",
)
def rectification_reinspect(request, payload: ReinspectIn, rectification_id: int = OBJ_ID):
    user = request.auth
    rect = selectors.access_rectification(user, rectification_id)
    rectifying.rectification_reinspect(
        actor=user, rectification=rect, passed=payload.passed, note=payload.note, visit_id=payload.visit
    )
    return selectors.access_rectification(user, rectification_id)


@router.get(
    "/rectifications/{rectification_id}/notice.docx",
    response={200: None, **ERRORS},
    summary="The rectification notice (整改通知书) as .docx",
)
def rectification_notice(request, rectification_id: int = OBJ_ID):
    rect = selectors.access_rectification(request.auth, rectification_id)
    return _docx(rect)


def _docx(rect) -> HttpResponse:
    response = HttpResponse(
        documents.notice_docx(rect),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="{rect.number}.docx"'
    return response
