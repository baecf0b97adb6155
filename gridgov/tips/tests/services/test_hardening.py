"""What the review of the tip line found: codes in logs and file names, forms sent twice, naive payment times,
the database's own guards on rewards, and the rate limit under a burst of concurrent tips."""

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from gridgov.cases.models import CaseAttachment
from gridgov.core.exceptions import InvalidInput
from gridgov.core.models import AccessLog, AuditLog
from gridgov.tips.models import Reward, Tip
from gridgov.tips.services import (
    TipRateLimited,
    reward_approve,
    reward_claim,
    reward_record_payment,
    tip_reporter_reveal,
    tip_submit,
    tip_void_spam,
)
from gridgov.tips.services.codes import secret_matches
from gridgov.tips.tests.helpers import closed_with_reward, make_tip


def test_audit_and_access_logs_never_carry_the_tracking_code(territory, sale, photo):
    """The county admin reads the audit log; a code there (with the secret) is half of a reward claim."""
    receipt = make_tip(territory, sale, photos=[photo], client_key="1.2.3.4")
    with pytest.raises(InvalidInput):
        reward_claim(tracking_code=receipt.tracking_code, secret="WRONGWRONG")
    tip_reporter_reveal(actor=territory.user("reward"), tip=receipt.tip, reason="核实")
    tip_void_spam(actor=territory.user("supervisor"), tip=receipt.tip, note="恶意举报")
    code = receipt.tracking_code
    rows = [(r.action, r.object_repr, str(r.changes)) for r in AuditLog.objects.all()]
    assert {"tip.submit", "tips.claim_failed", "tips.void_spam"} <= {action for action, *_ in rows}
    for row in rows:
        assert code not in " ".join(row) and receipt.secret not in " ".join(row), row
    access = AccessLog.objects.get()
    assert code not in access.object_repr and access.object_id == str(receipt.tip.pk)


def test_photo_names_carry_no_code(territory, sale, photo):
    receipt = make_tip(territory, sale, photos=[photo])
    attachment = CaseAttachment.objects.get(case=receipt.tip.case)
    assert attachment.original_name == "tip-photo-1.png"


def test_the_same_form_sent_twice_files_one_tip(territory, sale):
    first = make_tip(territory, sale, client_key="10.0.0.1", submission_key="page-1")
    again = make_tip(territory, sale, client_key="10.0.0.1", submission_key="page-1")
    assert Tip.objects.count() == 1 and again.tip.pk == first.tip.pk
    assert again.tracking_code == first.tracking_code
    # the second answer is the one the reporter keeps: its secret works, the first one no longer does
    tip = Tip.objects.get()
    assert secret_matches(tip.secret, again.secret) and not secret_matches(tip.secret, first.secret)
    assert AuditLog.objects.filter(action="tip.resubmit", object_id=str(tip.pk)).count() == 1
    # another client, another page load, or another text (back, edit, send) is another tip
    make_tip(territory, sale, client_key="10.0.0.2", submission_key="page-1")
    make_tip(territory, sale, client_key="10.0.0.1", submission_key="page-2")
    make_tip(territory, sale, client_key="10.0.0.1", submission_key="page-1", description="另一家也在卖鞭炮")
    assert Tip.objects.count() == 4


@override_settings(GRIDGOV_TIP_RATE_PER_CLIENT_HOUR=1)
def test_a_form_sent_again_is_not_refused_by_the_rate_limit(territory, sale):
    first = make_tip(territory, sale, client_key="10.0.0.1", submission_key="page-1")
    assert make_tip(territory, sale, client_key="10.0.0.1", submission_key="page-1").tip.pk == first.tip.pk
    with pytest.raises(TipRateLimited):
        make_tip(territory, sale, client_key="10.0.0.1", submission_key="page-2")


def _claimed(territory, sale):
    receipt, reward = closed_with_reward(territory, sale)
    reward_approve(actor=territory.user("reward"), reward=reward, amount=1000, violation_confirmed=True)
    return reward_claim(tracking_code=receipt.tracking_code, secret=receipt.secret)


def test_a_payment_time_without_offset_is_local_time(territory, sale):
    reward = _claimed(territory, sale)
    naive = dt.datetime.now() + dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as caught:
        reward_record_payment(actor=territory.user("reward"), reward=reward, method="cash", paid_at=naive)
    assert "paid_at" in caught.value.fields


def test_api_payment_time_without_offset_is_no_500(territory, sale, client):
    reward = _claimed(territory, sale)
    client.force_login(territory.user("reward"))
    url = f"/api/v1/tips/rewards/{reward.pk}/pay"
    future = (dt.datetime.now() + dt.timedelta(days=2)).replace(microsecond=0).isoformat()
    response = client.post(url, {"method": "bank", "paid_at": future}, content_type="application/json")
    assert response.status_code == 400 and "paid_at" in response.content.decode()
    response = client.post(url, {"method": "bank"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "paid"


def test_the_database_keeps_an_amount_in_its_range(territory, sale):
    _receipt, reward = closed_with_reward(territory, sale)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reward.objects.filter(pk=reward.pk).update(state="approved", amount=reward.max_amount + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reward.objects.filter(pk=reward.pk).update(min_amount=reward.max_amount + 1)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs real concurrent connections; the test database on SQLite is a shared in-memory file",
)
@pytest.mark.django_db(transaction=True)
@override_settings(GRIDGOV_TIP_RATE_PER_CLIENT_HOUR=2, GRIDGOV_TIP_RATE_PER_PHONE_DAY=3)
def test_the_rate_limits_hold_under_a_burst(territory):
    from gridgov.cases.defaults import ensure_default_categories
    from gridgov.cases.models import Category, CategoryGroup
    from gridgov.tips.services import ensure_default_reward_rules

    ensure_default_categories(CategoryGroup, Category)  # a flushed transactional database has none
    ensure_default_reward_rules()
    sale = Category.objects.get(code="fireworks_illegal_sale")
    results, lock = [], threading.Lock()

    def burst(count, extra):
        barrier = threading.Barrier(count)

        def one(index):
            try:
                barrier.wait(timeout=10)
                tip_submit(
                    category=sale,
                    region=territory.village_a1,
                    description=f"村口小卖部在卖烟花爆竹 {index}",
                    address=f"东街 {index} 号",
                    **extra(index),
                )
                outcome = "ok"
            except TipRateLimited:
                outcome = "limited"
            finally:
                connection.close()
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    burst(8, lambda i: {"client_key": "10.9.9.9"})
    assert sorted(results) == ["limited"] * 6 + ["ok"] * 2
    assert Tip.objects.count() == 2
    results.clear()
    burst(8, lambda i: {"client_key": f"10.8.8.{i}", "reporter_phone": "13912345678"})
    assert sorted(results) == ["limited"] * 5 + ["ok"] * 3
    assert Tip.objects.count() == 5


def test_the_migration_scrubs_codes_stored_before_the_fix(territory, sale, photo):
    import importlib

    from django.apps import apps

    receipt = make_tip(territory, sale, photos=[photo])
    code = receipt.tracking_code
    CaseAttachment.objects.filter(case=receipt.tip.case).update(original_name=f"tip-{code}-1.png")
    AuditLog.objects.filter(action="tip.submit").update(object_repr=code)
    kept = AuditLog.objects.create(action="x", object_type="tips.tip", object_id="1", object_repr="#1")
    importlib.import_module("gridgov.tips.migrations.0004_scrub_tracking_codes").scrub(apps, None)
    assert CaseAttachment.objects.get(case=receipt.tip.case).original_name == "tip-photo-1.png"
    assert AuditLog.objects.get(action="tip.submit").object_repr == f"#{receipt.tip.pk}"
    kept.refresh_from_db()
    assert kept.object_repr == "#1"


def _race(*calls):
    """Runs the calls at once, each on its own connection; returns "ok" or the error's class name per call."""
    results, barrier = [], threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
            results.append("ok")
        except Exception as exc:  # the outcome is what is compared
            results.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(results)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs real concurrent connections; the test database on SQLite is a shared in-memory file",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_and_claims_stay_within_the_rules(territory):
    from gridgov.cases.defaults import ensure_default_categories
    from gridgov.cases.models import Category, CategoryGroup
    from gridgov.tips.services import ensure_default_reward_rules, reward_rule_save, rewards_propose_for_case
    from gridgov.tips.tests.conftest import close_case

    ensure_default_categories(CategoryGroup, Category)
    ensure_default_reward_rules()
    sale = Category.objects.get(code="fireworks_illegal_sale")
    admin, officer = territory.user("admin"), territory.user("reward")
    reward_rule_save(actor=admin, category=sale, min_amount=1000, max_amount=9000, shared="split")
    first = make_tip(territory, sale, address="东头小卖部")
    second = make_tip(territory, sale, address="东头小卖部", reporter_phone="13700007777")
    rewards = rewards_propose_for_case(case=close_case(territory, first.tip.case))
    assert [(r.min_amount, r.max_amount) for r in rewards] == [(500, 4500)] * 2
    # the rule is lowered while both wait: together they may no longer pay 9,000
    reward_rule_save(actor=admin, category=sale, min_amount=500, max_amount=5000, shared="split")
    outcome = _race(
        *(
            lambda r=r: reward_approve(actor=officer, reward=r, amount=4500, violation_confirmed=True)
            for r in rewards
        )
    )
    assert outcome == ["InvalidInput", "ok"]
    approved = Reward.objects.get(state="approved")
    assert approved.amount == 4500 and Reward.objects.filter(state="proposed").count() == 1
    # the reporter taps "claim" three times at once: one claim, two conflicts
    receipt = {first.tip.pk: first, second.tip.pk: second}[approved.tip_id]
    outcome = _race(
        *(lambda: reward_claim(tracking_code=receipt.tracking_code, secret=receipt.secret) for _ in range(3))
    )
    assert outcome == ["Conflict", "Conflict", "ok"]
    assert Reward.objects.get(pk=approved.pk).state == "claimed"


def test_a_form_sent_again_never_changes_the_secret_of_a_rewarded_tip(territory, sale):
    receipt, _reward = closed_with_reward(territory, sale, client_key="10.0.0.1", submission_key="page-1")
    with pytest.raises(InvalidInput):
        make_tip(territory, sale, client_key="10.0.0.1", submission_key="page-1")
    assert secret_matches(Tip.objects.get().secret, receipt.secret)
