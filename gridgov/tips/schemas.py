"""Schemas of the tips API (/api/v1/tips/).

The reporter is private (ARCHITECTURE §7): only ``TipOut.reporter_phone_masked`` and ``ReporterOut`` carry any of
it, and the API fills them for the reward officer alone (the clear text only through POST …/reporter, logged).
"""

import datetime as dt

from ninja import Field, Schema

from gridgov.cases.schemas import RegionCode, Slug, choice, text
from gridgov.tips.models import Reward, RewardRule, Tip

RewardState = choice(*Reward.State.values)
RewardFilter = choice("none", *Reward.State.values)
ChannelFilter = choice(*Tip.Channel.values)
Method = choice(*Reward.Method.values)
Shared = choice(*RewardRule.Shared.values)


class NoteOut(Schema):
    at: dt.datetime
    action: str
    text: str


class RewardOut(Schema):
    id: int
    tip_id: int
    case_number: str
    category: str
    state: RewardState
    state_label: str
    min_amount: int
    max_amount: int
    amount: int | None
    decision_note: str
    decided_at: dt.datetime | None
    claimed_at: dt.datetime | None
    payment_method: str
    payment_reference: str
    paid_at: dt.datetime | None
    created_at: dt.datetime


class TipOut(Schema):
    id: int
    case_id: int
    case_number: str
    case_state: str
    category: str
    township: str
    region: str
    channel: str
    description: str
    anonymous: bool
    attached: bool
    is_spam: bool
    created_at: dt.datetime
    reward_state: str | None
    #: Reward officer only; null for everyone else.
    reporter_phone_masked: str | None = None
    #: Reward officer only (the reporter needs it to claim; nobody else has a use for it).
    tracking_code: str | None = None


class TipDetailOut(TipOut):
    address: str
    public_status: str
    public_notes: list[NoteOut]
    reward: RewardOut | None


class ReporterIn(Schema):
    reason: text(200, required=True) = Field(..., description="查看事由，记入个人信息访问日志")


class ReporterOut(Schema):
    name: str
    phone: str
    claim_contact: str


class SpamIn(Schema):
    note: text(300, required=True)


class SpamOut(Schema):
    tips_marked: int
    case_state: str


class PhoneTipIn(Schema):
    category: Slug = Field(..., description="向公众开放举报的案件小类代码")
    region: RegionCode = Field(..., description="发生地：乡镇、村或网格代码")
    description: text(2000, required=True)
    address: text(200) = ""
    reporter_name: text(50) = ""
    reporter_phone: text(30) = ""
    anonymous: bool = False


class TipReceiptOut(Schema):
    id: int
    tracking_code: str
    secret: str = Field(..., description="领奖密钥：只在此返回一次，请读给来电人")
    case_number: str
    attached: bool


class ApproveIn(Schema):
    amount: int = Field(..., ge=0, le=10_000_000)
    violation_confirmed: bool
    note: text(300) = ""


class RefuseIn(Schema):
    reason: text(300, required=True)


class PayIn(Schema):
    method: Method
    reference: text(100) = ""
    paid_at: dt.datetime | None = None


class ProposeOut(Schema):
    proposed: int


class RuleOut(Schema):
    category: str
    category_name: str
    min_amount: int
    max_amount: int
    qualifies: str
    shared: str
    is_active: bool


class RuleIn(Schema):
    min_amount: int = Field(..., ge=0, le=10_000_000)
    max_amount: int = Field(..., ge=1, le=10_000_000)
    qualifies: text(1000) = ""
    shared: Shared = RewardRule.Shared.FIRST
    is_active: bool = True
