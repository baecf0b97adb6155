"""Rewards: rules per category, proposals when a rewardable case closes, the officer's decision, the reporter's
claim and the payment. Every step is audited; one case never pays more than its rule allows."""

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.models import Case, CaseState, Category
from gridgov.core.audit import audit_record
from gridgov.core.crypto import seal
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.core.identity import IdentityError, normalize_phone
from gridgov.tips.models import Reward, RewardRule, Tip
from gridgov.tips.policies import TipPolicy
from gridgov.tips.services.codes import normalize_code, secret_matches
from gridgov.tips.services.submit import tip_setting

PAYING_STATES = (Reward.State.APPROVED, Reward.State.CLAIMED, Reward.State.PAID)


def _positive_int(value, field):
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(fields={field: [_("请填写整数金额（元）。")]}) from None
    if number < 0 or number > 10_000_000:
        raise InvalidInput(fields={field: [_("金额超出范围。")]})
    return number


@transaction.atomic
def reward_rule_save(
    *,
    actor,
    category: Category,
    min_amount,
    max_amount,
    qualifies: str = "",
    shared: str = "first",
    is_active: bool = True,
) -> RewardRule:
    """Creates or changes the rule of a category (county admin)."""
    if not TipPolicy.can_edit_rules(actor):
        raise NotAllowed(_("只有系统管理员可以修改奖励标准。"))
    low, high = _positive_int(min_amount, "min_amount"), _positive_int(max_amount, "max_amount")
    errors = {}
    if high < 1:
        errors["max_amount"] = [_("最高金额须大于 0。")]
    elif low > high:
        errors["min_amount"] = [_("最低金额不能高于最高金额。")]
    if shared not in RewardRule.Shared.values:
        errors["shared"] = [_("请选择多人举报时的奖励方式。")]
    if not category.reward_eligible:
        errors["category"] = [_("该类别不在有奖举报范围内。")]
    if errors:
        raise InvalidInput(fields=errors)
    rule = RewardRule.objects.select_for_update().filter(category=category).first() or RewardRule(
        category=category
    )
    before = {"min": rule.min_amount, "max": rule.max_amount, "shared": rule.shared, "active": rule.is_active}
    rule.min_amount, rule.max_amount, rule.shared, rule.is_active = low, high, shared, bool(is_active)
    rule.qualifies = (qualifies or "").strip()[:1000]
    rule.updated_by = actor
    rule.full_clean()
    rule.save()
    audit_record(
        actor=actor,
        action="tips.rule_save",
        obj=rule,
        changes={
            "before": before,
            "after": {"min": low, "max": high, "shared": shared, "active": rule.is_active},
        },
    )
    return rule


def _valid_tips(case: Case) -> list[Tip]:
    """The tips that may earn the case's reward, earliest first: not spam, filed before the case closed, on the
    case or on a case merged into it."""
    tips = Tip.objects.filter(Q(case=case) | Q(case__merged_into=case), is_spam=False)
    if case.closed_at:
        tips = tips.filter(created_at__lte=case.closed_at)
    return list(tips.order_by("created_at", "id"))


@transaction.atomic
def rewards_propose_for_case(*, case: Case) -> list[Reward]:
    """Proposes the rewards of one closed case (idempotent: a case with any reward gets none again)."""
    case = Case.objects.select_for_update().select_related("category").get(pk=case.pk)
    if case.state != CaseState.CLOSED or not case.category.reward_eligible:
        return []
    rule = RewardRule.objects.filter(category_id=case.category_id, is_active=True).first()
    if rule is None or Reward.objects.filter(case=case).exists():
        return []
    tips = _valid_tips(case)
    if not tips:
        return []
    if rule.shared == RewardRule.Shared.FIRST:
        shares = [(tips[0], rule.min_amount, rule.max_amount)]
    else:
        n = len(tips)
        shares = [(tip, max(1, rule.min_amount // n), max(1, rule.max_amount // n)) for tip in tips]
    rewards = []
    for tip, low, high in shares:
        reward = Reward.objects.create(tip=tip, case=case, min_amount=low, max_amount=high)
        audit_record(
            actor=None,
            action="tips.reward_propose",
            obj=reward,
            changes={"case": case.number, "range": [low, high]},
        )
        rewards.append(reward)
    return rewards


def rewards_propose_for_closed_cases(*, limit: int = 500) -> int:
    """Proposes rewards for every closed rewardable case that has valid tips and no reward yet. Called by the
    task, by the command and by the reward officer's pages; cheap when there is nothing to do."""
    case_ids = (
        Case.objects.filter(
            state=CaseState.CLOSED,
            category__reward_eligible=True,
            category__reward_rule__is_active=True,
        )
        .filter(Q(tips__is_spam=False) | Q(merged_cases__tips__is_spam=False))
        .exclude(pk__in=Reward.objects.values("case_id"))
        .values_list("pk", flat=True)
        .distinct()[:limit]
    )
    made = 0
    for case in Case.objects.filter(pk__in=list(case_ids)):
        made += len(rewards_propose_for_case(case=case))
    return made


def _lock(reward: Reward) -> Reward:
    return (
        Reward.objects.select_for_update(of=("self",))
        .select_related("case", "case__region", "tip")
        .get(pk=reward.pk)
    )


def _require_state(reward: Reward, *states) -> None:
    if reward.state not in states:
        raise Conflict(
            _("奖励当前状态为“%(state)s”，不能执行此操作。") % {"state": reward.get_state_display()},
            code="invalid_transition",
        )


@transaction.atomic
def reward_approve(*, actor, reward: Reward, amount, violation_confirmed: bool, note: str = "") -> Reward:
    """核定奖励: the reward officer confirms the violation was established and sets an amount within the range."""
    reward = _lock(reward)
    if not TipPolicy.can_decide(actor, reward):
        raise NotAllowed(_("只有有奖举报办可以核定奖励。"))
    _require_state(reward, Reward.State.PROPOSED)
    if not violation_confirmed:
        raise InvalidInput(fields={"violation_confirmed": [_("核定奖励前须确认违法事实已查证属实。")]})
    amount = _positive_int(amount, "amount")
    if not reward.min_amount <= amount <= reward.max_amount:
        raise InvalidInput(
            fields={
                "amount": [
                    _("金额须在 %(low)d–%(high)d 元之间。")
                    % {"low": reward.min_amount, "high": reward.max_amount}
                ]
            }
        )
    Case.objects.select_for_update().filter(pk=reward.case_id).first()  # serialises approvals of one case
    rule = RewardRule.objects.filter(category_id=reward.case.category_id).first()
    cap = rule.max_amount if rule else reward.max_amount
    others = (
        Reward.objects.filter(case_id=reward.case_id, state__in=PAYING_STATES)
        .exclude(pk=reward.pk)
        .aggregate(total=Sum("amount"))["total"]
        or 0
    )
    if others + amount > cap:
        raise InvalidInput(
            fields={
                "amount": [
                    _("本案奖励合计不能超过 %(cap)d 元（已核定 %(others)d 元）。")
                    % {"cap": cap, "others": others}
                ]
            }
        )
    reward.state, reward.amount = Reward.State.APPROVED, amount
    reward.decision_note = (note or "").strip()[:300]
    reward.decided_by, reward.decided_at = actor, timezone.now()
    reward.save(update_fields=["state", "amount", "decision_note", "decided_by", "decided_at"])
    audit_record(actor=actor, action="tips.reward_approve", obj=reward, changes={"amount": amount})
    return reward


@transaction.atomic
def reward_refuse(*, actor, reward: Reward, reason: str) -> Reward:
    """不予奖励, with the reason the reporter will read."""
    reward = _lock(reward)
    if not TipPolicy.can_decide(actor, reward):
        raise NotAllowed(_("只有有奖举报办可以决定奖励。"))
    _require_state(reward, Reward.State.PROPOSED)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("不予奖励须说明理由。")]})
    reward.state, reward.decision_note = Reward.State.REFUSED, reason[:300]
    reward.decided_by, reward.decided_at = actor, timezone.now()
    reward.save(update_fields=["state", "decision_note", "decided_by", "decided_at"])
    audit_record(
        actor=actor, action="tips.reward_refuse", obj=reward, changes={"reason": reward.decision_note}
    )
    return reward


class ClaimLocked(Conflict):
    code = "claim_locked"


def reward_claim(*, tracking_code: str, secret: str, contact: str = "") -> Reward:
    """The reporter claims an approved reward with the code and the secret from the receipt. A reporter who left
    no phone (anonymous ones) leaves a number to be called on for payment; it is sealed like the tip's.

    Wrong secrets are counted outside the claim's transaction, so that the count survives the error; after
    GRIDGOV_TIP_CLAIM_MAX_FAILURES of them the code can only be claimed in person."""
    code = normalize_code(tracking_code)
    tip = Tip.objects.filter(tracking_code=code).first() if code else None
    if tip is None:
        raise InvalidInput(fields={"tracking_code": [_("查询码不存在。")]})
    if tip.claim_failures >= tip_setting("CLAIM_MAX_FAILURES", 10):
        raise ClaimLocked(_("领奖密钥错误次数过多，请携带回执拨打举报电话或到有奖举报办办理。"))
    if not secret_matches(tip.secret, secret):
        with transaction.atomic():
            Tip.objects.filter(pk=tip.pk).update(claim_failures=F("claim_failures") + 1)
            audit_record(actor=None, action="tips.claim_failed", obj=tip, changes={})
        raise InvalidInput(fields={"secret": [_("领奖密钥不正确。")]})
    contact = (contact or "").strip()
    phone = ""
    if contact:
        try:
            phone = normalize_phone(contact)
        except IdentityError as exc:
            raise InvalidInput(fields={"contact": [str(exc)]}) from exc
    with transaction.atomic():
        reward = Reward.objects.filter(tip=tip).first()
        if reward is None:
            raise Conflict(_("该举报暂无可领取的奖励。"), code="no_reward")
        reward = _lock(reward)
        _require_state(reward, Reward.State.APPROVED)
        if not phone and not tip.reporter_phone_sealed:
            raise InvalidInput(fields={"contact": [_("请留下领奖联系电话，工作人员将联系您发放奖励。")]})
        reward.state, reward.claimed_at = Reward.State.CLAIMED, timezone.now()
        reward.claim_contact_sealed = seal(phone)
        reward.save(update_fields=["state", "claimed_at", "claim_contact_sealed"])
        audit_record(
            actor=None, action="tips.reward_claim", obj=reward, changes={"contact_given": bool(phone)}
        )
    return reward


@transaction.atomic
def reward_record_payment(*, actor, reward: Reward, method: str, reference: str = "", paid_at=None) -> Reward:
    """发放: how, when and by whom the claimed reward was paid."""
    reward = _lock(reward)
    if not TipPolicy.can_decide(actor, reward):
        raise NotAllowed(_("只有有奖举报办可以登记发放。"))
    _require_state(reward, Reward.State.CLAIMED)
    if method not in Reward.Method.values:
        raise InvalidInput(fields={"method": [_("请选择发放方式。")]})
    now = timezone.now()
    paid_at = paid_at or now
    if timezone.is_naive(paid_at):  # a time typed without an offset is the county's local time
        paid_at = timezone.make_aware(paid_at, timezone.get_default_timezone())
    if paid_at > now:
        raise InvalidInput(fields={"paid_at": [_("发放时间不能晚于现在。")]})
    if reward.claimed_at and paid_at < reward.claimed_at.replace(second=0, microsecond=0):
        raise InvalidInput(fields={"paid_at": [_("发放时间不能早于申领时间。")]})
    reward.state, reward.payment_method = Reward.State.PAID, method
    reward.payment_reference = (reference or "").strip()[:100]
    reward.paid_at, reward.paid_by = paid_at, actor
    reward.save(update_fields=["state", "payment_method", "payment_reference", "paid_at", "paid_by"])
    audit_record(
        actor=actor,
        action="tips.reward_pay",
        obj=reward,
        changes={"amount": reward.amount, "method": method, "reference": reward.payment_reference},
    )
    return reward
