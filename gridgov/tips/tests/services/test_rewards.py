import io

import pytest

from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.core.models import AccessLog, AuditLog
from gridgov.tips.models import Reward, RewardRule
from gridgov.tips.services import (
    ClaimLocked,
    public_status,
    reward_approve,
    reward_claim,
    reward_record_payment,
    reward_refuse,
    reward_rule_save,
    rewards_propose_for_closed_cases,
    tip_reporter_reveal,
    tip_submit,
    tip_void_spam,
)
from gridgov.tips.tests.conftest import close_case


def tip(territory, category, **extra):
    data = dict(category=category, region=territory.village_a1, description="村口小卖部在卖烟花爆竹")
    data.update(extra)
    return tip_submit(**data)


def test_default_rules_cover_every_reward_eligible_category(categories):
    eligible = {c.pk for c in categories.values() if c.reward_eligible}
    assert set(RewardRule.objects.values_list("category_id", flat=True)) == eligible
    rule = RewardRule.objects.get(category__code="fireworks_illegal_sale")
    assert (rule.min_amount, rule.max_amount) == (1000, 10000)


def test_only_county_admin_edits_rules_and_range_is_checked(territory, sale, categories):
    with pytest.raises(NotAllowed):
        reward_rule_save(actor=territory.user("reward"), category=sale, min_amount=1, max_amount=2)
    with pytest.raises(InvalidInput) as caught:
        reward_rule_save(actor=territory.user("admin"), category=sale, min_amount=500, max_amount=100)
    assert "min_amount" in caught.value.fields
    with pytest.raises(InvalidInput) as caught:
        reward_rule_save(
            actor=territory.user("admin"), category=categories["rural_piling"], min_amount=1, max_amount=2
        )
    assert "category" in caught.value.fields
    rule = reward_rule_save(
        actor=territory.user("admin"), category=sale, min_amount=2000, max_amount=8000, shared="split"
    )
    assert (rule.min_amount, rule.max_amount, rule.shared) == (2000, 8000, "split")
    assert AuditLog.objects.filter(action="tips.rule_save", object_id=str(rule.pk)).exists()


def test_whole_flow_from_tip_to_paid_reward(territory, sale):
    receipt = tip(territory, sale, reporter_name="王举报", reporter_phone="13912345678")
    assert rewards_propose_for_closed_cases() == 0  # open case: nothing yet
    close_case(territory, receipt.tip.case)
    assert rewards_propose_for_closed_cases() == 1
    assert rewards_propose_for_closed_cases() == 0  # idempotent
    reward = Reward.objects.get(tip=receipt.tip)
    assert (reward.state, reward.min_amount, reward.max_amount) == ("proposed", 1000, 10000)
    officer = territory.user("reward")
    with pytest.raises(NotAllowed):
        reward_approve(
            actor=territory.user("commander"), reward=reward, amount=2000, violation_confirmed=True
        )
    with pytest.raises(InvalidInput) as caught:
        reward_approve(actor=officer, reward=reward, amount=2000, violation_confirmed=False)
    assert "violation_confirmed" in caught.value.fields
    with pytest.raises(InvalidInput) as caught:
        reward_approve(actor=officer, reward=reward, amount=20000, violation_confirmed=True)
    assert "amount" in caught.value.fields
    with pytest.raises(Conflict):  # not claimed yet
        reward_record_payment(actor=officer, reward=reward, method="bank")
    reward = reward_approve(actor=officer, reward=reward, amount=3000, violation_confirmed=True)
    assert reward.state == "approved" and reward.amount == 3000
    with pytest.raises(InvalidInput) as caught:
        reward_claim(tracking_code=receipt.tracking_code, secret="WRONGONE")
    assert "secret" in caught.value.fields
    reward = reward_claim(tracking_code=receipt.tracking_code.lower(), secret=receipt.secret)
    assert reward.state == "claimed"
    with pytest.raises(Conflict):
        reward_claim(tracking_code=receipt.tracking_code, secret=receipt.secret)
    with pytest.raises(InvalidInput) as caught:
        reward_record_payment(actor=officer, reward=reward, method="gold")
    assert "method" in caught.value.fields
    reward = reward_record_payment(actor=officer, reward=reward, method="bank", reference="NO.123")
    assert reward.state == "paid" and reward.paid_by == officer and reward.paid_at
    actions = list(AuditLog.objects.filter(object_type="tips.reward").values_list("action", flat=True))
    assert sorted(actions) == sorted(
        ["tips.reward_propose", "tips.reward_approve", "tips.reward_claim", "tips.reward_pay"]
    )
    assert AuditLog.objects.filter(action="tips.claim_failed").count() == 1
    receipt.tip.case.refresh_from_db()
    status, notes = public_status(receipt.tip.case)
    assert status == "closed" and notes[-1].action == "close"


def test_refusal_needs_a_reason(territory, sale):
    receipt = tip(territory, sale)
    close_case(territory, receipt.tip.case)
    rewards_propose_for_closed_cases()
    reward = Reward.objects.get()
    with pytest.raises(InvalidInput):
        reward_refuse(actor=territory.user("reward"), reward=reward, reason="  ")
    reward = reward_refuse(actor=territory.user("reward"), reward=reward, reason="举报内容与查处事实不符")
    assert reward.state == "refused"
    with pytest.raises(Conflict):
        reward_approve(actor=territory.user("reward"), reward=reward, amount=1000, violation_confirmed=True)
    with pytest.raises(Conflict):
        reward_claim(tracking_code=receipt.tracking_code, secret=receipt.secret, contact="13900001111")


def test_first_valid_reporter_only_and_spam_never_counts(territory, sale):
    first = tip(territory, sale, address="东头小卖部")
    second = tip(territory, sale, address="东头小卖部")
    assert second.tip.case_id == first.tip.case_id
    first.tip.is_spam = True
    first.tip.save(update_fields=["is_spam"])
    close_case(territory, first.tip.case)
    assert rewards_propose_for_closed_cases() == 1
    assert Reward.objects.get().tip_id == second.tip.pk


def test_shared_tips_split_and_the_case_never_pays_more_than_the_rule(territory, sale):
    reward_rule_save(
        actor=territory.user("admin"), category=sale, min_amount=1000, max_amount=9000, shared="split"
    )
    receipts = [tip(territory, sale, address="东头小卖部") for _ in range(3)]
    close_case(territory, receipts[0].tip.case)
    assert rewards_propose_for_closed_cases() == 3
    rewards = list(Reward.objects.order_by("id"))
    assert [(r.min_amount, r.max_amount) for r in rewards] == [(333, 3000)] * 3
    officer = territory.user("reward")
    for reward in rewards[:2]:
        reward_approve(actor=officer, reward=reward, amount=3000, violation_confirmed=True)
    # the rule is lowered meanwhile: the case's total stays within the rule as it stands
    reward_rule_save(
        actor=territory.user("admin"), category=sale, min_amount=100, max_amount=7000, shared="split"
    )
    with pytest.raises(InvalidInput) as caught:
        reward_approve(actor=officer, reward=rewards[2], amount=3000, violation_confirmed=True)
    assert "7000" in caught.value.fields["amount"][0]
    reward_approve(actor=officer, reward=rewards[2], amount=1000, violation_confirmed=True)


def test_anonymous_reporter_claims_with_code_and_secret_and_leaves_a_contact(territory, sale):
    receipt = tip(territory, sale, anonymous=True)
    close_case(territory, receipt.tip.case)
    rewards_propose_for_closed_cases()
    reward = reward_approve(
        actor=territory.user("reward"), reward=Reward.objects.get(), amount=1000, violation_confirmed=True
    )
    with pytest.raises(InvalidInput) as caught:
        reward_claim(tracking_code=receipt.tracking_code, secret=receipt.secret)
    assert "contact" in caught.value.fields
    reward = reward_claim(tracking_code=receipt.tracking_code, secret=receipt.secret, contact="13900001111")
    assert reward.state == "claimed"
    revealed = tip_reporter_reveal(actor=territory.user("reward"), tip=receipt.tip, reason="发放奖励")
    assert (revealed.name, revealed.phone, revealed.claim_contact) == ("", "", "13900001111")


def test_claims_lock_after_repeated_wrong_secrets(territory, sale, settings):
    settings.GRIDGOV_TIP_CLAIM_MAX_FAILURES = 3
    receipt = tip(territory, sale)
    for _ in range(3):
        with pytest.raises(InvalidInput):
            reward_claim(tracking_code=receipt.tracking_code, secret="XXXXXXXX")
    with pytest.raises(ClaimLocked):
        reward_claim(tracking_code=receipt.tracking_code, secret=receipt.secret)


def test_only_the_reward_officer_reveals_and_it_is_logged(territory, sale):
    receipt = tip(territory, sale, reporter_name="王举报", reporter_phone="13912345678")
    for name in ("admin", "supervisor", "commander", "leader", "officer", "township_a", "grid_a"):
        with pytest.raises(NotAllowed):
            tip_reporter_reveal(actor=territory.user(name), tip=receipt.tip, reason="查看")
    with pytest.raises(InvalidInput):
        tip_reporter_reveal(actor=territory.user("reward"), tip=receipt.tip, reason="")
    revealed = tip_reporter_reveal(actor=territory.user("reward"), tip=receipt.tip, reason="核实举报")
    assert (revealed.name, revealed.phone) == ("王举报", "13912345678")
    log = AccessLog.objects.get()
    assert (log.actor, log.object_id, log.reason) == (
        territory.user("reward"),
        str(receipt.tip.pk),
        "核实举报",
    )


def test_voiding_spam_is_one_action_for_the_supervisor(territory, sale):
    first = tip(territory, sale)
    second = tip(territory, sale)
    with pytest.raises(NotAllowed):
        tip_void_spam(actor=territory.user("reward"), tip=first.tip, note="恶意")
    assert tip_void_spam(actor=territory.user("supervisor"), tip=first.tip, note="恶意重复举报") == 2
    first.tip.refresh_from_db()
    second.tip.refresh_from_db()
    assert first.tip.is_spam and second.tip.is_spam and first.tip.case.state == "voided"
    first.tip.case.refresh_from_db()
    assert public_status(first.tip.case)[0] == "closed"
    with pytest.raises(Conflict):
        tip_void_spam(actor=territory.user("supervisor"), tip=first.tip, note="again")


def test_the_command_and_the_task_propose_rewards(territory, sale):
    from django.core.management import call_command

    from gridgov.tips.tasks import rewards_propose_task

    first = tip(territory, sale, address="一号")
    second = tip(territory, sale, address="二号")
    close_case(territory, first.tip.case)
    call_command("tips_propose_rewards", stdout=io.StringIO())
    assert list(Reward.objects.values_list("tip_id", flat=True)) == [first.tip.pk]
    close_case(territory, second.tip.case)
    assert rewards_propose_task.call() == 1
    assert Reward.objects.count() == 2


def test_a_merged_case_follows_its_target_and_its_tips_count_for_the_reward(territory, sale):
    from gridgov.cases.services.extras import case_merge

    first = tip(territory, sale, address="东头小卖部")
    second = tip(territory, sale, address="东头那家小卖部")  # another address: another case at first
    assert second.tip.case_id != first.tip.case_id
    first.tip.is_spam = True  # the earliest tip turns out to be spam: the merged one is the first valid
    first.tip.save(update_fields=["is_spam"])
    case_merge(actor=territory.user("supervisor"), case=second.tip.case, into=first.tip.case)
    close_case(territory, first.tip.case)
    assert rewards_propose_for_closed_cases() == 1
    reward = Reward.objects.get()
    assert reward.tip_id == second.tip.pk and reward.case_id == first.tip.case_id
    second.tip.case.refresh_from_db()
    status, notes = public_status(second.tip.case)
    assert status == "closed" and [n.action for n in notes][-2:] == ["resolve", "close"]
    assert "merge" in [n.action for n in notes]
