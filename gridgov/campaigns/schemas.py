"""Payloads and answers of the campaigns API. Signers' names appear only in the commitment ledger, which only the
roles that read households see; no schema carries an ID number or a phone."""

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

MAX_ID = 2**62
Kind = Literal["household", "place"]
Ledger = Literal["commitments", "visits", "venue_checks", "transport_checks", "publicity"]


class RegionRef(Schema):
    code: str
    name: str
    level: str


class QuestionOut(Schema):
    key: str
    label: str
    type: str
    required: bool
    choices: list[str] = []
    problem_if: Any = None
    category: str = ""


class FormOut(Schema):
    target_kind: str
    title: str
    questions: list[QuestionOut]


class LetterOut(Schema):
    target_kind: str
    title: str
    body: str


class TeamMemberOut(Schema):
    name: str
    position: str
    duty: str
    region: RegionRef | None = None
    jointly_responsible: bool


class CampaignOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    state: str
    starts_on: dt.date
    ends_on: dt.date
    lead_unit: str | None = None
    regions: list[RegionRef]
    target_households: bool
    target_place_kinds: list[str]
    counted_at: dt.datetime | None = Field(None, description="对象数按此时的台账统计（启动或重算时）")

    @staticmethod
    def resolve_lead_unit(obj):
        return obj.lead_unit.name if obj.lead_unit_id else None

    @staticmethod
    def resolve_regions(obj):
        return list(obj.regions.all())

    @staticmethod
    def resolve_target_place_kinds(obj):
        return obj.place_kinds


class CampaignDetailOut(CampaignOut):
    description: str
    team: list[TeamMemberOut]
    letters: list[LetterOut]
    forms: list[FormOut]

    @staticmethod
    def resolve_team(obj):
        return list(obj.team.select_related("region"))

    @staticmethod
    def resolve_letters(obj):
        return list(obj.letters.all())

    @staticmethod
    def resolve_forms(obj):
        return list(obj.forms.all())


class CampaignIn(Schema):
    code: str = Field(..., min_length=1, max_length=48, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field("", max_length=100)
    template: Literal["fireworks", "epidemic"] | None = None
    kind: Literal["fireworks", "environment", "air", "epidemic", "other"] = "other"
    starts_on: dt.date
    ends_on: dt.date
    regions: list[str] = Field(..., min_length=1, max_length=200, description="区划代码")
    description: str = Field("", max_length=5000)
    lead_unit: str | None = Field(None, max_length=32, description="部门代码")
    target_households: bool = True
    target_place_kinds: list[str] = Field([], max_length=20)


class FigureOut(Schema):
    region: RegionRef
    kinds: dict[str, dict[str, float | int | None]]
    targets: int
    signed: int
    visited: int
    visits: int
    problems: int
    cases_opened: int
    cases_closed: int
    coverage: float | None
    visit_coverage: float | None


class FiguresOut(Schema):
    region: RegionRef
    total: FigureOut
    rows: list[FigureOut]
    county_coverage: float | None = None
    best: FigureOut | None = None
    worst: FigureOut | None = None
    township_rank: int | None = None
    townships: int = 0


class TodoOut(Schema):
    id: int
    kind: str
    label: str
    address: str
    grid: RegionRef
    is_signed: bool
    is_visited: bool
    longitude: float | None = None
    latitude: float | None = None
    distance_m: int | None = Field(None, description="离 near 的距离（米），无 near 或无坐标时为 null")


class CommitmentOut(Schema):
    id: int
    target_kind: str
    target_id: int
    target_label: str
    grid: RegionRef
    signer_name: str
    method: str
    signed_at: dt.datetime
    collected_by: str | None = None
    has_evidence: bool

    @staticmethod
    def resolve_target_id(obj):
        return obj.household_id or obj.place_id

    @staticmethod
    def resolve_target_label(obj):
        return f"{obj.household.code} {obj.household.head_name}" if obj.household_id else obj.place.name

    @staticmethod
    def resolve_collected_by(obj):
        return str(obj.collected_by) if obj.collected_by_id else None

    @staticmethod
    def resolve_has_evidence(obj):
        return bool(obj.evidence)


class ImportErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportOut(Schema):
    total: int
    created: int
    skipped: int
    errors: list[ImportErrorOut]


class VisitIn(Schema):
    target_kind: Kind
    target_id: int = Field(..., ge=1, le=MAX_ID)
    answers: dict[str, dict[str, Any]] = Field(..., description="专项行动 id → {问题代码: 回答}")
    note: str = Field("", max_length=2000)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    client_key: UUID | None = Field(
        None, description="客户端为每次填写生成的 UUID；重复提交同一标识时返回已记录的走访，不重复立案"
    )


class FindingOut(Schema):
    question: str
    case_number: str | None = None
    case_id: int | None = None


class VisitEntryOut(Schema):
    campaign_id: int
    campaign: str
    answers: dict[str, Any]
    problems: int
    first: bool
    findings: list[FindingOut]

    @staticmethod
    def resolve_campaign(obj):
        return obj.campaign.name

    @staticmethod
    def resolve_findings(obj):
        return [
            {
                "question": f.question,
                "case_number": f.case.number if f.case_id else None,
                "case_id": f.case_id,
            }
            for f in obj.findings.all()
        ]


class VisitOut(Schema):
    id: int
    target_kind: str
    target_id: int
    target_label: str
    grid: RegionRef
    visited_at: dt.datetime
    visited_by: str | None = None
    note: str

    @staticmethod
    def resolve_target_id(obj):
        return obj.household_id or obj.place_id

    @staticmethod
    def resolve_target_label(obj):
        return f"{obj.household.code} {obj.household.head_name}" if obj.household_id else obj.place.name

    @staticmethod
    def resolve_visited_by(obj):
        return str(obj.visited_by) if obj.visited_by_id else None


class VisitDetailOut(VisitOut):
    entries: list[VisitEntryOut]

    @staticmethod
    def resolve_entries(obj):
        return list(obj.entries.all())


class VenueCheckIn(Schema):
    place_id: int = Field(..., ge=1, le=MAX_ID)
    sells_fireworks: bool
    stock_found: bool
    licence_number: str = Field("", max_length=64)
    note: str = Field("", max_length=2000)


class VenueCheckOut(Schema):
    id: int
    place_id: int
    place: str
    grid: RegionRef
    sells_fireworks: bool
    stock_found: bool
    licence_number: str
    result: str
    case_number: str | None = None
    checked_by: str | None = None
    checked_at: dt.datetime

    @staticmethod
    def resolve_place(obj):
        return obj.place.name

    @staticmethod
    def resolve_case_number(obj):
        return obj.finding.case.number if obj.finding_id and obj.finding.case_id else None

    @staticmethod
    def resolve_checked_by(obj):
        return str(obj.checked_by) if obj.checked_by_id else None


class TransportCheckIn(Schema):
    grid: str = Field(..., max_length=15, description="检查地点所在网格的区划代码")
    place_name: str = Field("", max_length=100)
    vehicle_plate: str = Field(..., max_length=16)
    driver_name: str = Field(..., max_length=50)
    permit_number: str = Field("", max_length=64)
    route_matches: bool = False
    quantity_matches: bool = False
    route: str = Field("", max_length=200)
    quantity: str = Field("", max_length=50)


class TransportCheckOut(Schema):
    id: int
    grid: RegionRef
    place_name: str
    vehicle_plate: str
    driver_name: str
    permit_number: str
    permit_valid: bool
    route_matches: bool
    quantity_matches: bool
    result: str
    reasons: str
    case_number: str | None = None
    checked_at: dt.datetime

    @staticmethod
    def resolve_case_number(obj):
        return obj.finding.case.number if obj.finding_id and obj.finding.case_id else None


class PublicityIn(Schema):
    channel: str = Field(..., max_length=12)
    region: str = Field(..., max_length=15, description="区划代码")
    happened_at: dt.datetime | None = None
    count: int = Field(1, ge=1, le=1_000_000)
    description: str = Field("", max_length=300)


class PublicityOut(Schema):
    id: int
    channel: str
    region: RegionRef
    happened_at: dt.datetime
    count: int
    description: str


class LoudspeakerIn(Schema):
    village: str = Field(..., max_length=15)
    starts_on: dt.date
    ends_on: dt.date
    hours: str = Field(..., max_length=200)


class LoudspeakerOut(Schema):
    id: int
    village: RegionRef
    starts_on: dt.date
    ends_on: dt.date
    hours: str


class PublicityRowOut(Schema):
    region: RegionRef
    channels: dict[str, int]
    total: int
    last_at: dt.datetime | None = None


class PublicitySummaryOut(Schema):
    region: RegionRef
    days: int
    rows: list[PublicityRowOut]
    silent_villages: list[RegionRef]


class RecountOut(Schema):
    rows: int


class TeamMemberIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)
    position: str = Field(..., min_length=1, max_length=100)
    duty: str = Field(..., min_length=1, max_length=200)
    region: str | None = Field(None, max_length=15, description="负责区域的区划代码")
    jointly_responsible: bool = False


class LetterIn(Schema):
    title: str = Field(..., min_length=1, max_length=100)
    body: str = Field(..., min_length=1, max_length=10_000)


class QuestionIn(Schema):
    key: str = Field(..., max_length=48)
    label: str = Field(..., max_length=200)
    type: Literal["yes_no", "number", "text", "choice"] = "yes_no"
    required: bool = True
    choices: list[str] = Field([], max_length=50)
    problem_if: bool | float | str | None = None
    category: str = Field("", max_length=48)


class FormIn(Schema):
    title: str = Field(..., min_length=1, max_length=100)
    questions: list[QuestionIn] = Field(..., min_length=1, max_length=50)
