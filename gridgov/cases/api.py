"""The cases API (/api/v1/cases/): filing, lists, the inbox, a case with its timeline, and the loop's actions.

Thin adapters: parse, access, call, render. Scope comes from the selectors (``case_list``, ``access_case``), who may
take an action from ``CasePolicy``, the state rules and their 409s from the services in ``cases.services``.
Reporters never leave: the output schemas have no field for their names or contacts.
"""

from django.db.models import Count
from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Path, Router, Status, UploadedFile
from ninja.pagination import paginate

from gridgov.accounts.models import User
from gridgov.api.pagination import PagePagination
from gridgov.api.schemas import ERRORS, ErrorOut
from gridgov.cases import selectors
from gridgov.cases.models import Case, CaseAttachment, CaseSource, CaseState, ExtensionRequest
from gridgov.cases.policies import REGION_READERS, CasePolicy
from gridgov.cases.schemas import (
    MAX_ID,
    Action,
    ActionIn,
    AttachmentOut,
    CaseDetailOut,
    CaseIn,
    CaseOut,
    CategoryGroupOut,
    DepartmentRef,
    EventOut,
    Phase,
    RegionCode,
    Slug,
    SourceFilter,
    StateFilter,
    UserRef,
    text,
    unit_of,
)
from gridgov.cases.services import extras, intake, loop
from gridgov.core.exceptions import InvalidInput, NotAllowed, NotFound
from gridgov.core.scope import scope_for
from gridgov.territory.models import Level
from gridgov.territory.selectors import access_region, department_list

router = Router(tags=["cases"])

#: Writes may also be refused (403: the case is visible, the action is not yours).
WRITE_ERRORS = {**ERRORS, 403: ErrorOut}
#: Actions may also meet a state that does not allow them (409), and change nothing.
ACTION_ERRORS = {**WRITE_ERRORS, 409: ErrorOut}

CASE_ID = Path(..., ge=1, le=MAX_ID, description="案件 id")
ATTACHMENT_ID = Path(..., ge=1, le=MAX_ID, description="附件 id")

#: What a download may be: the types attachment_add accepts (photos are sniffed, documents checked).
DOWNLOAD_TYPES = sorted({*extras.IMAGE_TYPES, *extras.DOCUMENT_TYPES})


# --- the case as the API shows it ---------------------------------------------------------------------------
# Reads beside the case row. They belong in cases.selectors (which this module may not edit today): the report
# summary, the case's attachments, the pending extension request, and the attachment lookup below.


def _report_summary(case: Case) -> dict:
    rows = case.reports.values("source").annotate(n=Count("id")).order_by("source")
    sources = [
        {"source": row["source"], "label": str(CaseSource(row["source"]).label), "count": row["n"]}
        for row in rows
    ]
    return {"count": sum(row["count"] for row in sources), "sources": sources}


def _visible_ids(user, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(selectors.case_list(user=user).filter(pk__in=ids).values_list("pk", flat=True))


def _chain(user, case: Case) -> dict:
    chain = selectors.case_chain(case)
    visible = _visible_ids(
        user, {link.to_case_id for link in chain["out"]} | {link.from_case_id for link in chain["in"]}
    )

    def row(link, other):
        return {
            "kind": link.kind,
            "kind_label": str(link.get_kind_display()),
            "number": other.number,
            "case_id": other.pk if other.pk in visible else None,
            "note": link.note,
            "created_at": link.created_at,
        }

    return {
        "outgoing": [row(link, link.to_case) for link in chain["out"]],
        "incoming": [row(link, link.from_case) for link in chain["in"]],
    }


def _duplicates(user, case: Case) -> list[dict]:
    if case.state not in (CaseState.REPORTED, CaseState.REGISTERED):
        return []
    found = intake.case_duplicates(case)
    # A case in a region the user reads is visible (CasePolicy.visible_q's first clause): no query for those;
    # the database decides for the rest (department, township unit, assignee, reporter).
    scope = scope_for(user)
    unsure = {o.pk for o in found if not scope.covers_path(o.region.path, REGION_READERS, acting=False)}
    visible = ({o.pk for o in found} - unsure) | _visible_ids(user, unsure)
    # plain dicts: the response validates them far faster than model instances read attribute by attribute
    return [
        {"id": o.pk, "number": o.number, "title": o.title, "state": o.state, "created_at": o.created_at}
        for o in found
        if o.pk in visible
    ]


def case_detail_data(user, case: Case) -> Case:
    """The case with what its page shows beside it, for CaseDetailOut."""
    routing = intake.case_routing(case) if case.state == CaseState.REGISTERED else None
    case.api_detail = {
        "timeline": list(selectors.case_timeline(case)),
        "chain": _chain(user, case),
        "reports": _report_summary(case),
        "attachments": list(case.attachments.order_by("created_at", "id")),
        "routing": routing,
        "pending_extension": case.extension_requests.filter(state=ExtensionRequest.State.PENDING)
        .select_related("requested_by")
        .first(),
        "duplicates": _duplicates(user, case),
    }
    return case


def _region_json(region) -> dict:
    return {"code": region.code, "name": region.name, "level": region.level}


def _user_json(user) -> dict | None:
    return {"username": user.username, "display_name": UserRef.resolve_display_name(user)} if user else None


def new_case_json(user, case: Case) -> dict:
    """CaseDetailOut of a case ``case_report`` has just filed, built from what the filing already holds (its one
    event and one report; no attachments, links, extension requests or routing yet), as plain values. The
    answer to the busiest write skips validating a whole CaseDetailOut from the model attribute by attribute;
    a test holds it equal to ``GET /cases/{id}`` of the same case. Only the duplicates are read."""
    event = case.filed_event
    source, state = CaseSource(case.source), CaseState(case.state)
    category = case.category
    return {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "category": {"code": category.code, "name": category.name, "group": category.group.name},
        "region": _region_json(case.region),
        "township": _region_json(case.township),
        "source": source.value,
        "source_label": str(source.label),
        "state": state.value,
        "state_label": str(state.label),
        "unit": unit_of(case),
        "assignee": _user_json(case.assignee),
        "due_at": case.due_at,
        "is_overdue": case.is_overdue,
        "is_suspended": case.is_suspended,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "description": case.description,
        "address": case.address,
        "latitude": None if case.latitude is None else float(case.latitude),
        "longitude": None if case.longitude is None else float(case.longitude),
        **{name: getattr(case, name) for name in CASE_MOMENTS},
        "rework_count": case.rework_count,
        "extension_count": case.extension_count,
        "return_count": case.return_count,
        "merged_into": None,
        "timeline": [
            {
                "id": event.pk,
                "action": event.action,
                "actor": _user_json(user if event.actor_id else None),
                "from_state": event.from_state,
                "to_state": event.to_state,
                "note": event.note,
                "data": EventOut.resolve_data(event),
                "created_at": event.created_at,
                "attachments": [],
            }
        ],
        "chain": {"outgoing": [], "incoming": []},
        "reports": {
            "count": 1,
            "sources": [{"source": source.value, "label": str(source.label), "count": 1}],
        },
        "attachments": [],
        "routing": None,
        "pending_extension": None,
        "duplicates": _duplicates(user, case),
    }


#: CaseDetailOut's moments after filing, all empty for a new case.
CASE_MOMENTS = (
    "registered_at",
    "dispatched_at",
    "accepted_at",
    "resolved_at",
    "closed_at",
    "voided_at",
    "suspended_at",
    "escalated_at",
)


# --- references in payloads and filters ---------------------------------------------------------------------


def _field_error(field: str, message: str) -> InvalidInput:
    return InvalidInput(fields={field: [message]})


def _department(user, value: str, *, county_id: int | None = None, field: str = "department"):
    """A department named by code (or, failing that, by id), in the case's county or one the user can see."""
    departments = department_list()
    if county_id is not None:
        departments = departments.filter(county_id=county_id)
    found = list(departments.filter(code=value))
    if not found and value.isdigit():
        found = list(departments.filter(pk=int(value)))
    scope = scope_for(user)
    found = [d for d in found if county_id is not None or scope.can_see(d.county)]
    if not found:
        raise _field_error(field, _("部门不存在或已停用。"))
    return found[0]


def _township(user, code: str, field: str = "township"):
    try:
        region = access_region(user, code, include_retired=False)
    except NotFound:
        region = None
    if region is None or region.level != Level.TOWNSHIP:
        raise _field_error(field, _("乡镇(街道)不存在或不在您的管辖范围内。"))
    return region


def _case_by_number(user, number: str, field: str) -> Case:
    other = selectors.case_list(user=user).filter(number=number).first()
    if other is None:
        raise _field_error(field, _("案件不存在或不在您的管辖范围内。"))
    return other


def _require(body: ActionIn, *fields: str) -> None:
    missing = {name: [_("此项必填。")] for name in fields if getattr(body, name) in (None, "")}
    if missing:
        raise InvalidInput(fields=missing)


# --- lists ----------------------------------------------------------------------------------------------------


@router.post("", response={201: CaseDetailOut, **WRITE_ERRORS}, summary="File a case (上报/受理)")
def case_create(request, payload: CaseIn):
    user = request.auth
    category = selectors.category_for_filing(payload.category)
    if category is None:
        raise _field_error("category", _("请选择在用的类别。"))
    try:
        region = selectors.region_for_filing(user, payload.region)
    except NotFound:
        raise _field_error("region", _("发生地不存在或不在您的管辖范围内。")) from None
    if payload.source != CaseSource.HOTLINE:
        stray = {
            name: [_("只有热线受理时才登记来电人。")]
            for name in ("reporter_name", "reporter_contact")
            if getattr(payload, name)
        }
        if stray:
            raise InvalidInput(fields=stray)
    case = intake.case_report(
        actor=user,
        category=category,
        region=region,
        title=payload.title,
        description=payload.description,
        source=payload.source,
        address=payload.address,
        latitude=payload.latitude,
        longitude=payload.longitude,
        reporter_name=payload.reporter_name,
        reporter_contact=payload.reporter_contact,
    )
    from gridgov.api.main import api  # the API renders it (its JSON encoder), as it renders every answer

    return api.create_response(request, new_case_json(user, case), status=201)


@router.get("", response={200: list[CaseOut], **ERRORS}, summary="Cases in scope, filtered")
@paginate(PagePagination)
def case_list(
    request,
    state: StateFilter | None = None,
    category: Slug | None = None,
    region: RegionCode | None = None,
    department: DepartmentRef | None = None,
    township: RegionCode | None = None,
    overdue: bool | None = None,
    source: SourceFilter | None = None,
    q: text(100) = "",
):
    """``state=open`` means any state still in the loop; ``category`` takes a 小类 or a 大类 code; ``region`` is
    where the problem is, ``department``/``township`` the responsible unit."""
    user = request.auth
    return selectors.case_list(
        user=user,
        state=state or "",
        category=category or "",
        region=access_region(user, region) if region else None,
        department_id=_department(user, department).pk if department else None,
        township_id=_township(user, township).pk if township else None,
        overdue=overdue,
        source=source or "",
        q=q,
    )


@router.get("/inbox", response={200: list[CaseOut], **ERRORS}, summary="What needs me now, overdue first")
@paginate(PagePagination)
def case_inbox(request):
    return selectors.case_inbox(user=request.auth)


@router.get(
    "/categories",
    response={200: list[CategoryGroupOut], **ERRORS},
    summary="Categories (大类 with their 小类), deadlines and default departments",
)
def category_groups(request):
    groups: dict[int, dict] = {}
    for category in selectors.category_list():
        group = groups.setdefault(
            category.group_id, {"code": category.group.code, "name": category.group.name, "categories": []}
        )
        group["categories"].append(category)
    return list(groups.values())


# --- one case ---------------------------------------------------------------------------------------------------


@router.get("/{case_id}", response={200: CaseDetailOut, **ERRORS}, summary="One case, its timeline and chain")
def case_detail(request, case_id: int = CASE_ID):
    case = selectors.access_case(request.auth, case_id)
    return case_detail_data(request.auth, case)


def _dispatch(user, case: Case, body: ActionIn):
    if (body.department is None) == (body.township is None):
        message = _("请指定一个责任单位：部门或乡镇。")
        raise InvalidInput(message, fields={"department": [message], "township": [message]})
    department = township = assignee = None
    if body.department is not None:
        department = _department(user, body.department, county_id=case.township.parent_id)
    else:
        township = _township(user, body.township)
    if body.assignee:
        assignee = User.objects.filter(username=body.assignee, is_active=True).first()
        if assignee is None:  # the same words as for a user outside the unit: no guessing of usernames
            raise _field_error("assignee", _("责任人须属于责任单位。"))
    return loop.case_dispatch(
        actor=user, case=case, department=department, township=township, assignee=assignee, note=body.note
    ).case


def _request_extension(user, case: Case, body: ActionIn):
    _require(body, "value", "unit")
    return loop.case_request_extension(
        actor=user, case=case, note=body.note, value=body.value, unit=body.unit
    ).case


def _link(user, case: Case, body: ActionIn):
    _require(body, "target", "kind")
    target = _case_by_number(user, body.target, "target")
    extras.case_link(actor=user, case=case, target=target, kind=body.kind, note=body.note)
    return case


def _merge(user, case: Case, body: ActionIn):
    _require(body, "into")
    into = _case_by_number(user, body.into, "into")
    return extras.case_merge(actor=user, case=case, into=into, note=body.note).case


def _simple(service):
    return lambda user, case, body: service(actor=user, case=case, note=body.note).case


ACTION_HANDLERS = {
    "register": _simple(loop.case_register),
    "void": _simple(loop.case_void),
    "dispatch": _dispatch,
    "accept": _simple(loop.case_accept),
    "return": _simple(loop.case_return),
    "resolve": _simple(loop.case_resolve),
    "close": _simple(loop.case_close),
    "rework": _simple(loop.case_rework),
    "request_extension": _request_extension,
    "approve_extension": _simple(loop.case_approve_extension),
    "refuse_extension": _simple(loop.case_refuse_extension),
    "suspend": _simple(loop.case_suspend),
    "resume": _simple(loop.case_resume),
    "link": _link,
    "merge": _merge,
}


@router.post(
    "/{case_id}/actions/{action}",
    response={200: CaseDetailOut, **ACTION_ERRORS},
    summary="Take an action of the loop (立案, 派遣, 签收, 处置反馈, 核查结案 …)",
)
def case_action(request, action: Action, payload: ActionIn | None = None, case_id: int = CASE_ID):
    """register, void, dispatch (``department`` or ``township``, optional ``assignee``), accept, return, resolve,
    close, rework, request_extension (``value``, ``unit``), approve_extension, refuse_extension, suspend, resume,
    link (``target``, ``kind``), merge (``into``). ``note`` is required for void, return, resolve, rework,
    request_extension, refuse_extension and suspend. 403: not yours to take; 409: not from the current state."""
    user = request.auth
    case = selectors.access_case(user, case_id)
    # Who may is answered before what was sent: a refused user learns nothing from validation. The service asks
    # the policy again under the row lock.
    if not CasePolicy.can_take(user, case, action):
        raise NotAllowed(_("您不能对此案件执行该操作。"))
    updated = ACTION_HANDLERS[action](user, case, payload or ActionIn())
    return case_detail_data(user, updated)


# --- attachments -----------------------------------------------------------------------------------------------


@router.post(
    "/{case_id}/attachments",
    response={201: AttachmentOut, **ACTION_ERRORS},
    summary="Attach a photo or document (before/after evidence)",
)
def attachment_upload(
    request,
    file: File[UploadedFile],
    phase: Form[Phase] = CaseAttachment.Phase.REPORT,
    event_id: Form[int | None] = None,
    case_id: int = CASE_ID,
):
    """``event_id`` ties the file to one of your own timeline events (the photos of a 处理反馈, say)."""
    user = request.auth
    case = selectors.access_case(user, case_id)
    if scope_for(user).is_read_only:
        raise NotAllowed(_("您的角色只能查看，不能上传附件。"))
    event = None
    if event_id is not None:
        event = case.events.filter(pk=event_id, actor=user).first() if 1 <= event_id <= MAX_ID else None
        if event is None:
            raise _field_error("event_id", _("只能关联您本人在此案件上的操作记录。"))
    if file.size is not None and file.size > extras.MAX_DOCUMENT_BYTES:
        raise _field_error("file", _("文件不能超过 20 MB。"))
    attachment = extras.attachment_add(actor=user, case=case, upload=file, phase=phase, event=event)
    return Status(201, attachment)


@router.get(
    "/{case_id}/attachments/{attachment_id}",
    response=ERRORS,
    url_name="case_attachment_download",
    summary="Download an attachment (or its thumbnail)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file",
                "content": {
                    kind: {"schema": {"type": "string", "format": "binary"}} for kind in DOWNLOAD_TYPES
                },
            }
        }
    },
)
def attachment_download(
    request, case_id: int = CASE_ID, attachment_id: int = ATTACHMENT_ID, thumbnail: bool = False
):
    case = selectors.access_case(request.auth, case_id)
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None or (thumbnail and not attachment.thumbnail):
        raise NotFound()
    is_photo = attachment.kind == CaseAttachment.Kind.PHOTO
    stored = attachment.thumbnail if thumbnail else attachment.file
    response = FileResponse(
        stored.open("rb"),
        content_type="image/jpeg" if thumbnail else attachment.content_type,
        as_attachment=not is_photo,  # photos show in the page; documents download, never render as ours
        filename=attachment.original_name,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
