"""Deliveries against a local bot receiver: every delivery ends sent or dead, none is recorded sent twice."""

import base64
import datetime as dt
import hashlib
import hmac
import urllib.parse

import httpx
import pytest
from django.utils import timezone

from gridgov.notices.models import Delivery, DeliveryChannel, DeliveryState
from gridgov.notices.services import notice_create
from gridgov.notices.services.sending import (
    BotLimiter,
    build_request,
    deliveries_claim,
    deliveries_retry_dead,
    deliveries_send_due,
    dingtalk_signed_url,
    post,
)
from gridgov.notices.tests.conftest import tomorrow

pytestmark = pytest.mark.django_db


def _notice(territory, **extra):
    return notice_create(
        actor=territory.user("admin"),
        title="烟花爆竹禁放通告",
        body="春节期间全县禁止燃放烟花爆竹。",
        regions=[territory.county],
        requires_ack=True,
        deadline=tomorrow(),
        **extra,
    )


def _states(notice):
    return dict(
        (state, n)
        for state, n in Delivery.objects.filter(notice=notice)
        .values_list("state")
        .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
    )


def test_publish_sends_one_message_per_bot_group(territory, groups, receiver, publish):
    notice = _notice(territory)
    publish(territory.user("admin"), notice)
    # 8 grids, 7 with a bot (one is "none"): all sent, each bot reached exactly once
    assert _states(notice) == {"sent": 7}
    assert sum(receiver.accepted.values()) == 7
    assert receiver.duplicates() == {}
    wecom = receiver.bodies[f"wc{territory.grid_a1_1.code}"][0]
    assert wecom["msgtype"] == "markdown" and "烟花爆竹禁放通告" in wecom["markdown"]["content"]
    assert "http://testserver/notices/r/" in wecom["markdown"]["content"]
    ding = receiver.bodies[f"dt{territory.grid_a1_2.code}"][0]
    assert ding["markdown"]["title"].endswith("烟花爆竹禁放通告")


def test_failures_retry_with_backoff_and_end_sent_or_dead(territory, groups, receiver, publish):
    a1 = f"wc{territory.grid_a1_1.code}"
    b1 = f"wc{territory.grid_b1_1.code}"
    receiver.script(a1, "http500", "timeout", "ok")  # third attempt succeeds
    receiver.script(b1, "error", "notjson", "http500", "error")  # four attempts: dead
    notice = _notice(territory)
    publish(territory.user("admin"), notice)
    first = Delivery.objects.get(notice=notice, group=groups[territory.grid_a1_1.code])
    assert first.state == DeliveryState.FAILED and first.attempts == 1 and first.last_error == "HTTP 500"
    assert first.next_attempt_at > timezone.now() + dt.timedelta(seconds=8)
    # nothing is due before the backoff has passed
    assert deliveries_send_due().claimed == 0
    now = timezone.now()
    for minutes in (1, 5, 30, 60):
        deliveries_send_due(now=now + dt.timedelta(minutes=minutes))
    first.refresh_from_db()
    assert first.state == DeliveryState.SENT and first.attempts == 3
    dead = Delivery.objects.get(notice=notice, group=groups[territory.grid_b1_1.code])
    assert dead.state == DeliveryState.DEAD and dead.attempts == 4 and "93000" in dead.last_error
    assert set(_states(notice)) == {"sent", "dead"}
    assert receiver.duplicates() == {}
    assert receiver.requests[a1] == 3 and receiver.requests[b1] == 4


def test_rate_limit_answer_waits_without_using_an_attempt(territory, groups, receiver, publish):
    key = f"wc{territory.grid_a1_1.code}"
    ding = f"dt{territory.grid_a1_2.code}"
    receiver.script(key, "ratelimit", "ratelimit")
    receiver.script(ding, "ratelimit")
    notice = _notice(territory)
    publish(territory.user("admin"), notice)
    delivery = Delivery.objects.get(notice=notice, group=groups[territory.grid_a1_1.code])
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 0
    assert "45009" in delivery.last_error
    assert "130101" in Delivery.objects.get(notice=notice, channel=DeliveryChannel.DINGTALK).last_error
    limiter = BotLimiter(0)
    deliveries_send_due(now=timezone.now() + dt.timedelta(minutes=2), limiter=limiter)
    deliveries_send_due(now=timezone.now() + dt.timedelta(minutes=4), limiter=limiter)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and delivery.attempts == 1
    assert receiver.accepted[key] == 1 and receiver.accepted[ding] == 1


def test_bot_limit_spreads_messages_of_one_bot(territory, receiver, publish):
    """Grids sharing one bot: with 2 messages a minute, the third waits (no attempt used) and goes later."""
    from gridgov.notices.models import Channel
    from gridgov.notices.services.groups import grid_group_upsert

    for grid in (territory.grid_a1_1, territory.grid_a1_2, territory.grid_b1_1):
        grid_group_upsert(
            actor=None, grid=grid, channel=Channel.WECOM, webhook_url=receiver.wecom_url("shared")
        )
    notice = _notice(territory)
    limiter = BotLimiter(per_minute=2)
    stats = deliveries_send_due(limiter=limiter, notice_id=notice.pk)  # not fanned out yet: nothing
    assert stats.claimed == 0
    from gridgov.notices.services.notices import notice_fan_out, notice_publish

    notice_publish(actor=territory.user("admin"), notice=notice)
    notice_fan_out(notice_id=notice.pk)
    stats = deliveries_send_due(limiter=limiter)
    assert (stats.sent, stats.deferred) == (2, 1)
    held = Delivery.objects.get(notice=notice, state=DeliveryState.PENDING)
    assert held.attempts == 0 and held.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)
    assert receiver.accepted["shared"] == 2


def test_worker_dying_mid_send_is_resent_once_after_the_lease(territory, groups, receiver, publish, settings):
    settings.GRIDGOV_NOTICES_BACKOFF_SECONDS = [10]
    key = f"wc{territory.grid_b1_1.code}"
    receiver.script(key, "http500")  # the first round fails so the delivery stays for our "worker"
    notice = _notice(territory)
    publish(territory.user("admin"), notice)
    later = timezone.now() + dt.timedelta(minutes=1)
    # worker 1 claims, sends, the remote accepts, and the worker dies before recording
    claim, claimed = deliveries_claim(now=later)
    assert [d.group.grid_id for d in claimed] == [territory.grid_b1_1.pk]
    with httpx.Client() as client:
        assert post(client, build_request(claimed[0])).ok
    # while the lease runs nobody else may send it
    assert deliveries_send_due(now=later + dt.timedelta(seconds=30)).claimed == 0
    # after the lease a second run claims and sends again: the remote saw it twice (the documented window),
    # gridgov records one successful send
    stats = deliveries_send_due(now=later + dt.timedelta(minutes=5))
    assert stats.sent == 1
    delivery = Delivery.objects.get(pk=claimed[0].pk)
    assert delivery.state == DeliveryState.SENT and delivery.attempts == 3
    assert receiver.accepted[key] == 2
    # the dead worker coming back cannot record anything with its stale claim
    from gridgov.notices.services.sending import _record_sent

    assert _record_sent(claim, [delivery.pk]) == 0
    assert Delivery.objects.filter(notice=notice, state=DeliveryState.SENT).count() == 7


def test_stale_worker_failure_does_not_overwrite_a_later_success(territory, groups, receiver, publish):
    key = f"wc{territory.grid_b1_1.code}"
    receiver.script(key, "http500")
    notice = _notice(territory)
    publish(territory.user("admin"), notice)
    later = timezone.now() + dt.timedelta(minutes=1)
    claim, claimed = deliveries_claim(now=later)
    deliveries_send_due(now=later + dt.timedelta(minutes=5))  # lease expired: a second worker sends it
    from gridgov.notices.services.sending import Outcome, _record_failure

    assert _record_failure(claim, claimed[0], Outcome(False, False, "late"), later, BotLimiter(0)) == "lost"
    assert Delivery.objects.get(pk=claimed[0].pk).state == DeliveryState.SENT


def test_dingtalk_signature_is_checked_by_the_receiver(territory, groups, receiver, publish):
    receiver.secrets[f"dt{territory.grid_a1_2.code}"] = "another-secret"
    notice = _notice(territory)
    publish(territory.user("admin"), notice)
    delivery = Delivery.objects.get(notice=notice, channel=DeliveryChannel.DINGTALK)
    assert delivery.state == DeliveryState.FAILED and "310000" in delivery.last_error


def test_dingtalk_sign_matches_the_documented_formula():
    url = dingtalk_signed_url(
        "https://oapi.dingtalk.com/robot/send?access_token=abc", "SECxyz", 1700000000000
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    digest = hmac.new(b"SECxyz", b"1700000000000\nSECxyz", hashlib.sha256).digest()
    assert query["timestamp"] == ["1700000000000"]
    assert query["sign"] == [base64.b64encode(digest).decode()]
    assert "%2B" in url or "%2F" in url or "%3D" in url  # the sign is URL-encoded


def test_retry_dead_gives_fresh_attempts(
    territory, groups, receiver, publish, settings, django_capture_on_commit_callbacks
):
    settings.GRIDGOV_NOTICES_BACKOFF_SECONDS = []
    key = f"wc{territory.grid_a1_1.code}"
    receiver.script(key, "error")
    notice = _notice(territory)
    publish(territory.user("admin"), notice)
    assert (
        Delivery.objects.get(notice=notice, group=groups[territory.grid_a1_1.code]).state
        == DeliveryState.DEAD
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_retry_dead(actor=territory.user("admin"), notice=notice) == 1
    assert (
        Delivery.objects.get(notice=notice, group=groups[territory.grid_a1_1.code]).state
        == DeliveryState.SENT
    )
    assert receiver.accepted[key] == 1


def test_sms_to_grid_workers_carries_idempotency_key(territory, groups, receiver, publish, settings):
    settings.GRIDGOV_SMS_GATEWAY_URL = receiver.sms_url()
    settings.GRIDGOV_SMS_GATEWAY_TOKEN = "sms-token"
    settings.GRIDGOV_SMS_TEMPLATE = "SMS_0001"
    worker = territory.user("grid_a")
    worker.phone = "13800138000"
    worker.save()
    notice = _notice(territory)
    publish(territory.user("admin"), notice)
    sms = Delivery.objects.get(notice=notice, channel=DeliveryChannel.SMS)
    assert sms.state == DeliveryState.SENT
    assert "13800138000" not in sms.phone_sealed
    body = receiver.bodies[sms.idempotency_key][0]
    headers = receiver.headers[sms.idempotency_key][0]
    assert body["phone"] == "13800138000" and body["template"] == "SMS_0001"
    assert body["out_id"] == sms.idempotency_key and headers["Authorization"] == "Bearer sms-token"
    assert body["params"]["link"].startswith("http://testserver/notices/r/")


def test_limiter_token_bucket_refills():
    limiter = BotLimiter(per_minute=60, burst=2)
    assert limiter.take("bot", 0.0) == 0 and limiter.take("bot", 0.0) == 0
    assert limiter.take("bot", 0.0) == pytest.approx(1.0)
    assert limiter.take("bot", 1.0) == 0
    assert limiter.take("other", 1.0) == 0
    limiter.pause("bot", 100.0)
    assert limiter.take("bot", 50.0) == pytest.approx(50.0)
    assert BotLimiter(0).take("bot", 0.0) == 0


def test_batch_lease_outlasts_every_wave_of_the_batch(settings):
    from gridgov.notices.services.sending import batch_lease_seconds

    settings.GRIDGOV_NOTICES_HTTP_TIMEOUT = 10
    settings.GRIDGOV_NOTICES_LEASE_SECONDS = 60
    # 500 deliveries, 64 at a time: 8 waves that may each take the full 10 s timeout
    assert batch_lease_seconds(500, 64) >= 8 * 10
    assert batch_lease_seconds(10, 64) == 60  # never below the configured lease
    settings.GRIDGOV_NOTICES_LEASE_SECONDS = 5
    assert batch_lease_seconds(10, 64) >= 3 * 10  # nor below three timeouts


def test_withdrawn_notice_in_flight_or_waiting_is_never_sent_and_ends_dead(
    territory, groups, receiver, publish
):
    """A message in flight at the withdrawal (its worker then dies) or rate-limited just after it is not sent
    once the lease or the wait is over: it ends dead."""
    from gridgov.notices.services.notices import notice_withdraw
    from gridgov.notices.services.sending import Outcome, _record_failure

    in_flight, limited = f"wc{territory.grid_b1_1.code}", f"wc{territory.grid_a1_1.code}"
    receiver.script(in_flight, "http500")
    receiver.script(limited, "http500")
    notice = _notice(territory)
    publish(territory.user("admin"), notice)
    later = timezone.now() + dt.timedelta(minutes=1)
    claim, claimed = deliveries_claim(now=later)
    assert len(claimed) == 2
    notice_withdraw(actor=territory.user("admin"), notice=notice)
    rate_limited = next(d for d in claimed if d.group.grid_id == territory.grid_a1_1.pk)
    assert _record_failure(
        claim, rate_limited, Outcome(False, True, "errcode 45009"), later, BotLimiter(0)
    ) == ("deferred")
    stats = deliveries_send_due(now=later + dt.timedelta(minutes=10), limiter=BotLimiter(0))
    assert stats.claimed == 0
    assert receiver.accepted[in_flight] == 0 and receiver.accepted[limited] == 0
    for delivery in Delivery.objects.filter(pk__in=[d.pk for d in claimed]):
        assert delivery.state == DeliveryState.DEAD
    assert set(_states(notice)) == {"sent", "dead"}


def test_a_bot_rate_limiting_for_ever_still_ends_dead(territory, groups, receiver, publish, settings):
    """Rate-limit answers wait without using attempts, but only for so long: past the longest wait they count as
    failures and the delivery ends dead instead of waiting for ever."""
    settings.GRIDGOV_NOTICES_BACKOFF_SECONDS = [10]
    settings.GRIDGOV_NOTICES_RATE_LIMIT_MAX_WAIT_HOURS = 24
    key = f"wc{territory.grid_a1_1.code}"
    receiver.script(key, *["ratelimit"] * 6)
    notice = _notice(territory)
    publish(territory.user("admin"), notice)
    delivery = Delivery.objects.get(notice=notice, group=groups[territory.grid_a1_1.code])
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 0
    limiter = BotLimiter(0)
    deliveries_send_due(now=timezone.now() + dt.timedelta(hours=1), limiter=limiter)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 0  # within the wait: no attempt
    deliveries_send_due(now=timezone.now() + dt.timedelta(hours=25), limiter=limiter)
    deliveries_send_due(now=timezone.now() + dt.timedelta(hours=26), limiter=limiter)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DEAD and delivery.attempts == 2 and "45009" in delivery.last_error
    assert receiver.accepted[key] == 0
