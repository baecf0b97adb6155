"""The tips API (/api/v1/tips/) for staff: tips and rewards in scope, the phone-in door, the reward actions and
the rules. The public files tips through the pages (/tips/new) or Open311 (/open311/v2/), not here.

Thin adapters over ``gridgov.tips.services``; scope from ``gridgov.tips.selectors``; who may from ``TipPolicy``.
"""

from django.utils.translation import gettext as _
from ninja import Path, Router, Status
from ninja.pagination import paginate

from gridgov.api.pagination import PagePagination
from gridgov.api.schemas import ERRORS, ErrorOut
from gridgov.cases.models import Category
from gridgov.cases.schemas import MAX_ID, Slug, text
from gridgov.core.exceptions import InvalidInput, NotAllowed, NotFound
from gridgov.territory.selectors import access_region
from gridgov.tips import selectors
from gridgov.tips.models import Reward, RewardRule, Tip
from gridgov.tips.policies import TipPolicy
from gridgov.tips.schemas import (
    ApproveIn,
    ChannelFilter,
    PayIn,
    PhoneTipIn,
    ProposeOut,
    RefuseIn,
    ReporterIn,
    ReporterOut,
    RewardFilter,
    RewardOut,
    RewardState,
    RuleIn,
    RuleOut,
    SpamIn,
    SpamOut,
    TipDetailOut,
    TipOut,
    TipReceiptOut,
)
from gridgov.tips.services import (
    public_status,
    reward_approve,
    reward_record_payment,
    reward_refuse,
    reward_rule_save,
    rewards_propose_for_closed_cases,
    tip_reporter_reveal,
    tip_submit,
    tip_void_spam,
)

router = Router(tags=["tips"])

WRITE_ERRORS = {**ERRORS, 403: ErrorOut}
ACTION_ERRORS = {**WRITE_ERRORS, 409: ErrorOut}
TIP_ID = Path(..., ge=1, le=MAX_ID, description="举报 id")
REWARD_ID = Path(..., ge=1, le=MAX_ID, description="奖励 id")


def _require_reader(user):
    if not TipPolicy.can_list(user):
        raise NotAllowed(_("您没有查看举报的权限。"))


def reward_data(reward: Reward) -> dict:
    return {
        "id": reward.pk,
        "tip_id": reward.tip_id,
        "case_number": reward.case.number,
        "category": reward.case.category.code,
        "state": reward.state,
        "state_label": reward.get_state_display(),
        "min_amount": reward.min_amount,
        "max_amount": reward.max_amount,
        "amount": reward.amount,
        "decision_note": reward.decision_note,
        "decided_at": reward.decided_at,
        "claimed_at": reward.claimed_at,
        "payment_method": reward.payment_method,
        "payment_reference": reward.payment_reference,
        "paid_at": reward.paid_at,
        "created_at": reward.created_at,
    }


def tip_data(tip: Tip, *, officer: bool) -> dict:
    case = tip.case
    reward = getattr(tip, "reward", None)
    return {
        "id": tip.pk,
        "case_id": case.pk,
        "case_number": case.number,
        "case_state": case.state,
        "category": case.category.code,
        "township": case.township.code,
        "region": case.region.code,
        "channel": tip.channel,
        "description": tip.description,
        "anonymous": tip.anonymous,
        "attached": tip.attached,
        "is_spam": tip.is_spam,
        "created_at": tip.created_at,
        "reward_state": reward.state if reward else None,
        "reporter_phone_masked": tip.reporter_phone_masked if officer else None,
        "tracking_code": tip.tracking_code if officer else None,
    }


def tip_detail_data(user, tip: Tip) -> dict:
    officer = TipPolicy.can_see_reporter(user, tip)
    status, notes = public_status(tip.case)
    reward = Reward.objects.filter(tip=tip).select_related("case", "case__category").first()
    data = tip_data(tip, officer=officer)
    data.update(
        {
            "address": tip.case.address,
            "public_status": status,
            "public_notes": [{"at": n.at, "action": n.action, "text": n.text} for n in notes],
            "reward": reward_data(reward) if reward else None,
        }
    )
    return data


@router.get("", response={200: list[TipOut], **WRITE_ERRORS}, summary="Tips in scope, newest first")
@paginate(PagePagination)
def tip_list(
    request,
    reward: RewardFilter | None = None,
    channel: ChannelFilter | None = None,
    spam: bool | None = None,
    q: text(50) = "",
):
    user = request.auth
    _require_reader(user)
    officer = TipPolicy.is_reward_officer(user)
    tips = selectors.tip_list(user=user, reward=reward or "", channel=channel or "", spam=spam, q=q)
    return _TipPage(tips, officer)


class _TipPage:
    """A queryset wrapper that the paginator slices and counts, turning each tip into its API dict."""

    def __init__(self, queryset, officer: bool):
        self.queryset, self.officer = queryset, officer

    def count(self):
        return self.queryset.count()

    def __getitem__(self, item):
        return [tip_data(tip, officer=self.officer) for tip in self.queryset[item]]


@router.post(
    "/phone", response={201: TipReceiptOut, **WRITE_ERRORS}, summary="Enter a tip taken on the reward hotline"
)
def tip_phone(request, payload: PhoneTipIn):
    user = request.auth
    if not TipPolicy.can_take_phone_tips(user):
        raise NotAllowed(_("您没有登记电话举报的权限。"))
    category = Category.objects.filter(code=payload.category, is_active=True, public=True).first()
    if category is None:
        raise InvalidInput(fields={"category": [_("请选择向公众开放举报的类别。")]})
    try:
        region = access_region(user, payload.region, include_retired=False)
    except NotFound:
        raise InvalidInput(fields={"region": [_("发生地不存在或不在您的管辖范围内。")]}) from None
    receipt = tip_submit(
        category=category,
        region=region,
        description=payload.description,
        address=payload.address,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        anonymous=payload.anonymous,
        channel=Tip.Channel.PHONE,
        actor=user,
    )
    tip = receipt.tip
    return Status(
        201,
        {
            "id": tip.pk,
            "tracking_code": tip.tracking_code,
            "secret": receipt.secret,
            "case_number": tip.case.number,
            "attached": tip.attached,
        },
    )


# --- rewards (before /{tip_id} for readability; the int path never matches these) --------------------------


@router.get("/rewards", response={200: list[RewardOut], **WRITE_ERRORS}, summary="Rewards in scope")
@paginate(PagePagination)
def reward_list(request, state: RewardState | None = None):
    user = request.auth
    _require_reader(user)
    return _RewardPage(selectors.reward_list(user=user, state=state or ""))


class _RewardPage:
    def __init__(self, queryset):
        self.queryset = queryset

    def count(self):
        return self.queryset.count()

    def __getitem__(self, item):
        return [reward_data(reward) for reward in self.queryset[item]]


@router.post("/rewards/propose", response={200: ProposeOut, **WRITE_ERRORS}, summary="Propose rewards now")
def reward_propose(request):
    """Proposes rewards for closed rewardable cases without one (the task does the same on a schedule)."""
    if not TipPolicy.is_reward_officer(request.auth):
        raise NotAllowed(_("只有有奖举报办可以提出奖励。"))
    return {"proposed": rewards_propose_for_closed_cases()}


@router.get("/rewards/{reward_id}", response={200: RewardOut, **WRITE_ERRORS}, summary="One reward")
def reward_detail(request, reward_id: int = REWARD_ID):
    _require_reader(request.auth)
    return reward_data(selectors.access_reward(request.auth, reward_id))


def _decider_reward(user, reward_id) -> Reward:
    reward = selectors.access_reward(user, reward_id)
    if not TipPolicy.can_decide(user, reward):
        raise NotAllowed(_("只有有奖举报办可以办理奖励。"))
    return reward


@router.post(
    "/rewards/{reward_id}/approve", response={200: RewardOut, **ACTION_ERRORS}, summary="Approve an amount"
)
def reward_approve_api(request, payload: ApproveIn, reward_id: int = REWARD_ID):
    reward = _decider_reward(request.auth, reward_id)
    reward = reward_approve(
        actor=request.auth,
        reward=reward,
        amount=payload.amount,
        violation_confirmed=payload.violation_confirmed,
        note=payload.note,
    )
    return reward_data(reward)


@router.post(
    "/rewards/{reward_id}/refuse", response={200: RewardOut, **ACTION_ERRORS}, summary="Refuse, with a reason"
)
def reward_refuse_api(request, payload: RefuseIn, reward_id: int = REWARD_ID):
    reward = _decider_reward(request.auth, reward_id)
    return reward_data(reward_refuse(actor=request.auth, reward=reward, reason=payload.reason))


@router.post(
    "/rewards/{reward_id}/pay", response={200: RewardOut, **ACTION_ERRORS}, summary="Record the payment"
)
def reward_pay_api(request, payload: PayIn, reward_id: int = REWARD_ID):
    reward = _decider_reward(request.auth, reward_id)
    reward = reward_record_payment(
        actor=request.auth,
        reward=reward,
        method=payload.method,
        reference=payload.reference,
        paid_at=payload.paid_at,
    )
    return reward_data(reward)


# --- rules ------------------------------------------------------------------------------------------------------


def rule_data(rule: RewardRule) -> dict:
    return {
        "category": rule.category.code,
        "category_name": rule.category.name,
        "min_amount": rule.min_amount,
        "max_amount": rule.max_amount,
        "qualifies": rule.qualifies,
        "shared": rule.shared,
        "is_active": rule.is_active,
    }


@router.get("/rules", response={200: list[RuleOut], **ERRORS}, summary="Reward rules per category")
def rule_list(request):
    return [rule_data(rule) for rule in selectors.reward_rule_list()]


@router.put(
    "/rules/{category}", response={200: RuleOut, **WRITE_ERRORS}, summary="Set a category's rule (admin)"
)
def rule_put(request, payload: RuleIn, category: Slug):
    if not TipPolicy.can_edit_rules(request.auth):
        raise NotAllowed(_("只有系统管理员可以修改奖励标准。"))
    found = Category.objects.filter(code=category).first()
    if found is None:
        raise NotFound()
    rule = reward_rule_save(
        actor=request.auth,
        category=found,
        min_amount=payload.min_amount,
        max_amount=payload.max_amount,
        qualifies=payload.qualifies,
        shared=payload.shared,
        is_active=payload.is_active,
    )
    return rule_data(rule)


# --- one tip ------------------------------------------------------------------------------------------------


@router.get(
    "/{tip_id}",
    response={200: TipDetailOut, **WRITE_ERRORS},
    summary="One tip, its public progress and reward",
)
def tip_detail(request, tip_id: int = TIP_ID):
    _require_reader(request.auth)
    return tip_detail_data(request.auth, selectors.access_tip(request.auth, tip_id))


@router.post(
    "/{tip_id}/reporter",
    response={200: ReporterOut, **WRITE_ERRORS},
    summary="The reporter in clear (reward officer; written to the access log)",
)
def tip_reporter(request, payload: ReporterIn, tip_id: int = TIP_ID):
    tip = selectors.access_tip(request.auth, tip_id)
    reporter = tip_reporter_reveal(actor=request.auth, tip=tip, reason=payload.reason)
    return {"name": reporter.name, "phone": reporter.phone, "claim_contact": reporter.claim_contact}


@router.post(
    "/{tip_id}/void-spam", response={200: SpamOut, **ACTION_ERRORS}, summary="Void a spam tip and its case"
)
def tip_spam(request, payload: SpamIn, tip_id: int = TIP_ID):
    tip = selectors.access_tip(request.auth, tip_id)
    if not TipPolicy.can_void_spam(request.auth, tip):
        raise NotAllowed(_("只有监督中心可以作废恶意举报。"))
    marked = tip_void_spam(actor=request.auth, tip=tip, note=payload.note)
    tip.case.refresh_from_db(fields=["state"])
    return {"tips_marked": marked, "case_state": tip.case.state}
