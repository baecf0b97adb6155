"""Schemas of the cases API (/api/v1/cases/).

Reporters stay private (ARCHITECTURE §7): no output schema here has a field for a reporter's name or contact,
so no endpoint can send them by accident; a case shows only how many reports it has and from which sources.
"""

import datetime as dt
from typing import Annotated, Literal

from django.urls import reverse
from ninja import Field, Schema
from pydantic import StringConstraints

from gridgov.cases.models import CaseAttachment, CaseLink, CaseSource, CaseState, DeadlineUnit
from gridgov.territory.schemas import RegionRef

# --- input types ------------------------------------------------------------------------------------------

#: PostgreSQL text cannot hold NUL: refuse it at the door (a 400 naming the field) rather than in the database.
NO_NUL = r"^[^\x00]*$"
MAX_ID = 2**63 - 1  # BigAutoField; a larger number would overflow the database driver


def text(max_length: int, *, required: bool = False):
    """Free text, stripped; ``required`` means not blank."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1 if required else 0, max_length=max_length, pattern=NO_NUL
        ),
    ]


def choice(*values: str) -> type:
    """One of the given values, as a Literal so that the OpenAPI schema lists them."""
    return Literal[values]


RegionCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{1,15}$")]
Slug = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=48, pattern=r"^[-\w]+$")
]
#: A department by id (digits) or by code (slug).
DepartmentRef = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32, pattern=r"^[-\w]+$")]
CaseNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{8,20}$")]
Username = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150, pattern=NO_NUL)
]
Note = text(2000)

#: The sources a person can file through this API; the tip line, inspections and sensors have their own doors.
FiledSource = choice(CaseSource.GRID_REPORT, CaseSource.HOTLINE, CaseSource.REFERRAL)
StateFilter = choice("open", *CaseState.values)
SourceFilter = choice(*CaseSource.values)
Phase = choice(*CaseAttachment.Phase.values)
LinkKind = choice(*CaseLink.Kind.values)
Unit = choice(*DeadlineUnit.values)

ACTIONS = (
    "register",
    "void",
    "dispatch",
    "accept",
    "return",
    "resolve",
    "close",
    "rework",
    "request_extension",
    "approve_extension",
    "refuse_extension",
    "suspend",
    "resume",
    "link",
    "merge",
)
Action = choice(*ACTIONS)


class CaseIn(Schema):
    category: Slug = Field(..., description="案件小类代码，见 GET /cases/categories")
    region: RegionCode = Field(..., description="发生地：乡镇、村或网格的区划代码")
    title: text(100, required=True)
    description: text(5000, required=True)
    address: text(200) = ""
    latitude: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    source: FiledSource = CaseSource.GRID_REPORT
    reporter_name: text(50) = Field("", description="来电人姓名（仅热线受理；只有有奖举报办可见）")
    reporter_contact: text(30) = Field(
        "", description="来电人电话（仅热线受理；加密保存，只有有奖举报办可见）"
    )


class ActionIn(Schema):
    """One body for every action; each action reads the fields it needs and names any that are missing."""

    note: Note = Field("", description="说明；作废、回退、处置反馈、返工、延期申请、驳回、挂账必填")
    department: DepartmentRef | None = Field(None, description="dispatch：责任部门代码（或 id）")
    township: RegionCode | None = Field(None, description="dispatch：责任乡镇区划代码")
    assignee: Username | None = Field(None, description="dispatch：责任人用户名（须属于责任单位）")
    value: int | None = Field(None, ge=1, le=60, description="request_extension：延长的工作日或工作时数")
    unit: Unit | None = Field(None, description="request_extension：hours（工作时）或 days（工作日）")
    target: CaseNumber | None = Field(None, description="link：被关联案件的编号")
    kind: LinkKind | None = Field(None, description="link：关系类型")
    into: CaseNumber | None = Field(None, description="merge：并入的案件编号")


# --- output -----------------------------------------------------------------------------------------------


class UserRef(Schema):
    username: str
    display_name: str

    @staticmethod
    def resolve_display_name(obj) -> str:
        return obj.display_name or obj.username


class CategoryRef(Schema):
    code: str
    name: str
    group: str

    @staticmethod
    def resolve_group(obj) -> str:
        return obj.group.name


class UnitOut(Schema):
    kind: Literal["department", "township"]
    code: str
    name: str


class DepartmentRefOut(Schema):
    id: int
    code: str
    name: str


def unit_of(case) -> dict | None:
    if case.unit_department_id:
        department = case.unit_department
        return {"kind": "department", "code": department.code, "name": department.name}
    if case.unit_township_id:
        township = case.unit_township
        return {"kind": "township", "code": township.code, "name": township.name}
    return None


class CaseOut(Schema):
    id: int
    number: str
    title: str
    category: CategoryRef
    region: RegionRef
    township: RegionRef
    source: str
    source_label: str
    state: str
    state_label: str
    unit: UnitOut | None
    assignee: UserRef | None
    due_at: dt.datetime | None
    is_overdue: bool
    is_suspended: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_source_label(obj) -> str:
        return str(obj.get_source_display())

    @staticmethod
    def resolve_state_label(obj) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_unit(obj):
        return unit_of(obj)

    @staticmethod
    def resolve_assignee(obj):
        return obj.assignee if obj.assignee_id else None


#: The operation that streams an attachment (its url_name in gridgov.cases.api).
ATTACHMENT_URL_NAME = "api-v1:case_attachment_download"


def attachment_url(attachment) -> str:
    return reverse(
        ATTACHMENT_URL_NAME, kwargs={"case_id": attachment.case_id, "attachment_id": attachment.pk}
    )


class AttachmentOut(Schema):
    id: int
    kind: str
    phase: str
    phase_label: str
    original_name: str
    content_type: str
    size: int
    url: str
    thumbnail_url: str | None
    event_id: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_phase_label(obj) -> str:
        return str(obj.get_phase_display())

    @staticmethod
    def resolve_url(obj) -> str:
        return attachment_url(obj)

    @staticmethod
    def resolve_thumbnail_url(obj) -> str | None:
        return f"{attachment_url(obj)}?thumbnail=true" if obj.thumbnail else None


#: Event details that may leave the server. Services put other things in ``data`` too (later: a tip's tracking
#: code); only these keys, which name units, users, durations and case numbers, are shown.
EVENT_DATA_KEYS = frozenset({"unit", "assignee", "value", "to", "from", "kind", "into"})


class EventOut(Schema):
    id: int
    action: str
    actor: UserRef | None
    from_state: str
    to_state: str
    note: str
    data: dict
    created_at: dt.datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_actor(obj):
        return obj.actor if obj.actor_id else None

    @staticmethod
    def resolve_data(obj) -> dict:
        data = obj.data if isinstance(obj.data, dict) else {}
        return {key: value for key, value in data.items() if key in EVENT_DATA_KEYS}

    @staticmethod
    def resolve_attachments(obj):
        return list(obj.attachments.all())


class LinkOut(Schema):
    kind: str
    kind_label: str
    number: str = Field(..., description="另一案件的编号")
    case_id: int | None = Field(None, description="另一案件的 id；不在您的管辖范围内时为 null")
    note: str
    created_at: dt.datetime


class ChainOut(Schema):
    outgoing: list[LinkOut] = Field(..., description="本案指向的案件（货源、运输方、同一来源）")
    incoming: list[LinkOut] = Field(..., description="指向本案的案件")


class SourceCount(Schema):
    source: str
    label: str
    count: int


class ReportsOut(Schema):
    """How often and through which doors the problem was reported: never who reported it."""

    count: int
    sources: list[SourceCount]


class RoutingOut(Schema):
    township: RegionRef
    department: DepartmentRefOut | None


class ExtensionOut(Schema):
    value: int
    unit: str
    unit_label: str
    reason: str
    requested_by: UserRef
    created_at: dt.datetime

    @staticmethod
    def resolve_value(obj) -> int:
        return obj.extra_value

    @staticmethod
    def resolve_unit(obj) -> str:
        return obj.extra_unit

    @staticmethod
    def resolve_unit_label(obj) -> str:
        return str(obj.get_extra_unit_display())


class CaseBrief(Schema):
    id: int
    number: str
    title: str
    state: str
    created_at: dt.datetime


class CaseDetailOut(CaseOut):
    description: str
    address: str
    latitude: float | None
    longitude: float | None
    registered_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    accepted_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    voided_at: dt.datetime | None
    suspended_at: dt.datetime | None
    escalated_at: dt.datetime | None
    rework_count: int
    extension_count: int
    return_count: int
    merged_into: str | None = Field(None, description="并入的案件编号")
    timeline: list[EventOut]
    chain: ChainOut
    reports: ReportsOut
    attachments: list[AttachmentOut]
    routing: RoutingOut | None = Field(None, description="派遣参考（仅已立案时）：所在乡镇与类别建议的部门")
    pending_extension: ExtensionOut | None
    duplicates: list[CaseBrief] = Field(..., description="疑似重复、可合并的案件（仅已受理、已立案时）")

    # The parts read beside the case row (see gridgov.cases.api.case_detail_data) arrive in ``obj.api_detail``;
    # several share a name with a reverse relation of Case (reports, attachments), hence the resolvers.

    @staticmethod
    def resolve_merged_into(obj) -> str | None:
        return obj.merged_into.number if obj.merged_into_id else None

    @staticmethod
    def resolve_timeline(obj):
        return obj.api_detail["timeline"]

    @staticmethod
    def resolve_chain(obj):
        return obj.api_detail["chain"]

    @staticmethod
    def resolve_reports(obj):
        return obj.api_detail["reports"]

    @staticmethod
    def resolve_attachments(obj):
        return obj.api_detail["attachments"]

    @staticmethod
    def resolve_routing(obj):
        return obj.api_detail["routing"]

    @staticmethod
    def resolve_pending_extension(obj):
        return obj.api_detail["pending_extension"]

    @staticmethod
    def resolve_duplicates(obj):
        return obj.api_detail["duplicates"]


class CategoryOut(Schema):
    code: str
    name: str
    deadline_value: int
    deadline_unit: str
    deadline_unit_label: str
    department_code: str
    public: bool
    reward_eligible: bool
    register_condition: str
    close_condition: str

    @staticmethod
    def resolve_deadline_unit_label(obj) -> str:
        return str(obj.get_deadline_unit_display())

    @staticmethod
    def resolve_department_code(obj) -> str:
        return obj.default_department_code


class CategoryGroupOut(Schema):
    code: str
    name: str
    categories: list[CategoryOut]
