"""Schemas of the inspections API (/api/v1/inspections/…, /api/v1/rectifications/…)."""

import datetime as dt
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import StringConstraints

from gridgov.cases.schemas import MAX_ID, NO_NUL, RegionCode, text
from gridgov.inspections.models import Answer, Inspection, Plan, Severity
from gridgov.registry.models import Place

DepartmentCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[-\w]+$")
]
ChecklistCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=48, pattern=r"^[-\w]+$")
]
Username = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150, pattern=NO_NUL)
]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

Mode = Literal[tuple(Plan.Mode.values)]
PlanState = Literal[tuple(Plan.State.values)]
Result = Literal[tuple(Answer.Result.values)]
InspectionState = Literal[tuple(Inspection.State.values)]
SeverityChoice = Literal[tuple(Severity.values)]
Bucket = Literal["open", "due_soon", "overdue", "reopened", "closed"]
PlaceKind = Literal[tuple(Place.Kind.values)]
PlaceRisk = Literal[tuple(Place.Risk.values)]
PlaceIndustry = Literal[tuple(Place.Industry.values)]


class Ref(Schema):
    id: int
    name: str


class DepartmentOut(Schema):
    id: int
    code: str
    name: str


class ItemOut(Schema):
    id: int
    code: str
    topic: str
    text: str
    rule: str
    answer_type: str
    severity: str
    deadline_days: int
    stop_if_failed: bool
    category_code: str


class ChecklistOut(Schema):
    id: int
    code: str
    name: str
    subject: str
    description: str
    item_count: int = 0


class ChecklistDetailOut(ChecklistOut):
    items: list[ItemOut]

    @staticmethod
    def resolve_items(obj):
        return obj.items_list


class PlanIn(Schema):
    name: text(100, required=True)
    mode: Mode
    department: DepartmentCode = Field(..., description="组织单位代码，如 yingji、huanbao")
    checklist: ChecklistCode = Field(..., description="检查表代码，见 GET /inspections/checklists")
    team_name: text(100, required=True) = Field(..., description="督导组")
    members: list[Username] = Field(default_factory=list, max_length=50, description="组员用户名")
    starts_on: dt.date
    ends_on: dt.date


class PlanOut(Schema):
    id: int
    name: str
    mode: str
    state: str
    department: DepartmentOut
    checklist: ChecklistOut
    team_name: str
    starts_on: dt.date
    ends_on: dt.date
    reported_at: dt.datetime | None
    target_count: int = 0
    done_count: int = 0


class DrawOut(Schema):
    id: int
    seed: int
    criteria: dict
    population_count: int
    population_digest: str
    requested: int
    result: list[int]
    created_at: dt.datetime


class PlanDetailOut(PlanOut):
    members: list[str]
    draws: list[DrawOut]
    report_note: str

    @staticmethod
    def resolve_members(obj):
        return obj.members_list

    @staticmethod
    def resolve_draws(obj):
        return obj.draws_list


class TargetsIn(Schema):
    places: list[Id] = Field(default_factory=list, max_length=500)
    townships: list[RegionCode] = Field(default_factory=list, max_length=100)


class DrawIn(Schema):
    count: int = Field(..., ge=1, le=1000)
    region: RegionCode | None = None
    kinds: list[PlaceKind] = Field(default_factory=list, max_length=20)
    risks: list[PlaceRisk] = Field(default_factory=list, max_length=10)
    industries: list[PlaceIndustry] = Field(default_factory=list, max_length=20)
    seed: int | None = Field(None, ge=0, lt=2**62)


class DrawCheckOut(Schema):
    draw: DrawOut
    population_unchanged: bool
    population_count_now: int
    result_reproduced: bool | None


class ReportIn(Schema):
    note: text(2000) = ""


class InspectionOut(Schema):
    id: int
    plan_id: int
    kind: str
    state: str
    target: str
    place_id: int | None
    township: str
    township_code: str
    scheduled_on: dt.date | None
    started_at: dt.datetime | None
    submitted_at: dt.datetime | None
    finding_count: int
    passed: bool | None

    @staticmethod
    def resolve_target(obj) -> str:
        return obj.target_name

    @staticmethod
    def resolve_township(obj) -> str:
        return obj.township.name

    @staticmethod
    def resolve_township_code(obj) -> str:
        return obj.township.code


class AnswerOut(Schema):
    item_id: int
    result: str
    value: str
    note: str
    answered_at: dt.datetime


class InspectionDetailOut(InspectionOut):
    latitude: float | None
    longitude: float | None
    note: str
    answers: list[AnswerOut]

    @staticmethod
    def resolve_answers(obj):
        return obj.answers_list


class AnswerIn(Schema):
    result: Result
    value: text(200) = ""
    note: text(500) = ""


class SubmitIn(Schema):
    note: text(2000) = ""
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class FindingOut(Schema):
    id: int
    inspection_id: int
    item: str
    rule: str
    severity: str
    description: str
    place_id: int | None
    township: str
    covert: bool
    rectification_id: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_item(obj) -> str:
        return obj.item.text

    @staticmethod
    def resolve_rule(obj) -> str:
        return obj.item.rule

    @staticmethod
    def resolve_township(obj) -> str:
        return obj.township.name


class RectificationOut(Schema):
    id: int
    number: str
    party_name: str
    place_id: int | None
    township: str
    department: DepartmentOut
    severity: str
    stop_required: bool
    state: str
    issued_at: dt.datetime
    due_at: dt.datetime
    closed_at: dt.datetime | None
    fail_count: int
    overdue: bool
    case_number: str | None

    @staticmethod
    def resolve_township(obj) -> str:
        return obj.township.name

    @staticmethod
    def resolve_case_number(obj) -> str | None:
        return obj.case.number if obj.case_id else None

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj.state != "closed" and obj.due_at < timezone.now()


class RectificationDetailOut(RectificationOut):
    findings: list[FindingOut]
    waiting_visit: int | None = Field(None, description="the re-inspection waiting to be recorded (复查)")

    @staticmethod
    def resolve_findings(obj):
        return obj.findings_list


class BoardOut(Schema):
    open: int
    due_soon: int
    overdue: int
    reopened: int
    closed: int


class ReinspectIn(Schema):
    passed: bool
    note: text(2000) = ""
    # The re-inspection being recorded (the rectification's `waiting_visit`): with it, a
    # retried or concurrent request answers 409 instead of counting a second failure.
    visit: Id | None = None
