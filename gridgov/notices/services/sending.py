"""Sending deliveries to WeCom and DingTalk group bots and to the SMS gateway.

How a delivery is sent at most once as far as gridgov can tell:

1. A sender *claims* due deliveries with one conditional UPDATE: state pending/failed and due, or state sending
   with an expired lease. The UPDATE sets state=sending, a fresh claim token, the lease and attempts+1. Two
   senders can never both hold one delivery: the second UPDATE no longer matches.
2. It sends (many at once, from a thread pool; the database is only touched from the calling thread).
3. It records the outcome with an UPDATE that also requires its claim token: a sender whose lease expired and
   whose delivery was claimed again by another records nothing. "sent" is written once, with ``sent_at``.

The remaining at-least-once window: a sender dies (or loses its database) after the remote accepted a message and
before the outcome is recorded. When the lease expires the delivery is claimed and sent again. The lease outlasts
the whole batch (every wave of requests taking the full timeout), so a slow sender is never overtaken while its
request may still be in flight. The SMS gateway receives the delivery's idempotency key (``Idempotency-Key``
header and ``out_id``) and can drop the repeat; WeCom and DingTalk bots take no such key, so a group may then see
a message twice. gridgov still records one successful send.

Answers: HTTP 2xx with a JSON ``errcode`` (or ``code``) of 0 is success. Rate-limit answers (WeCom 45009,
DingTalk 130101, HTTP 429) wait for the bot's window without using an attempt; other errcodes, HTTP errors and
timeouts use an attempt and retry with backoff until the last, which makes the delivery dead. Past
``GRIDGOV_NOTICES_RATE_LIMIT_MAX_WAIT_HOURS`` rate-limit answers use attempts too, and deliveries of a withdrawn
notice are never claimed (they end dead): every delivery ends sent or dead.
"""

import base64
import hashlib
import hmac
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.audit import audit_record
from gridgov.core.crypto import unseal
from gridgov.core.exceptions import Conflict
from gridgov.notices.models import (
    Delivery,
    DeliveryChannel,
    DeliveryKind,
    DeliveryState,
    Notice,
    NoticeState,
    Priority,
)
from gridgov.notices.services.notices import receipt_link

RATE_LIMIT_CODES = {45009, 130101}


# --- settings ---------------------------------------------------------------------------------------------------
def _setting(name, default):
    return getattr(settings, name, default)


def backoff_seconds() -> list[int]:
    """Waits before the 2nd, 3rd … attempt; the attempt after the last wait is the last."""
    return list(_setting("GRIDGOV_NOTICES_BACKOFF_SECONDS", [30, 120, 600, 1800]))


def max_attempts() -> int:
    return len(backoff_seconds()) + 1


def rate_limit_max_wait_hours() -> float:
    return float(_setting("GRIDGOV_NOTICES_RATE_LIMIT_MAX_WAIT_HOURS", 24))


def http_timeout() -> float:
    return float(_setting("GRIDGOV_NOTICES_HTTP_TIMEOUT", 10.0))


def lease_seconds() -> float:
    # Longer than a request can take, so a live sender is never overtaken.
    return max(float(_setting("GRIDGOV_NOTICES_LEASE_SECONDS", 60)), 3 * http_timeout())


# --- per-bot rate limits ----------------------------------------------------------------------------------------
class BotLimiter:
    """A token bucket per bot (WeCom and DingTalk allow about 20 messages a minute each), in this process.

    ``per_minute=0`` switches limits off. Several worker processes each keep their own buckets: give each a share
    of the bot's limit (``GRIDGOV_NOTICES_BOT_PER_MINUTE``) when running more than one.
    """

    def __init__(self, per_minute: int, burst: int | None = None):
        self.per_minute = per_minute
        self.burst = burst or per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._paused: dict[str, float] = {}
        self._lock = threading.Lock()

    def take(self, bot: str, now: float) -> float:
        """0 when a message may go now (a token is taken), else the seconds to wait."""
        if not self.per_minute or not bot:
            return 0.0
        with self._lock:
            paused = self._paused.get(bot, 0.0)
            if paused > now:
                return paused - now
            tokens, stamp = self._buckets.get(bot, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - stamp) * self.per_minute / 60.0)
            if tokens >= 1.0:
                self._buckets[bot] = (tokens - 1.0, now)
                return 0.0
            self._buckets[bot] = (tokens, now)
            return (1.0 - tokens) * 60.0 / self.per_minute

    def pause(self, bot: str, until: float) -> None:
        with self._lock:
            self._paused[bot] = max(self._paused.get(bot, 0.0), until)
            self._buckets[bot] = (0.0, until)


_limiters: dict[int, BotLimiter] = {}


def default_limiter() -> BotLimiter:
    """The process's buckets (the SMS gateway has no per-bot limit: its deliveries are not throttled here)."""
    per_minute = int(_setting("GRIDGOV_NOTICES_BOT_PER_MINUTE", 20))
    if per_minute not in _limiters:
        _limiters[per_minute] = BotLimiter(per_minute)
    return _limiters[per_minute]


# --- messages ---------------------------------------------------------------------------------------------------
PRIORITY_MARK = {Priority.URGENT: "【紧急】", Priority.IMPORTANT: "【重要】"}


def _message_text(delivery: Delivery, notice: Notice) -> tuple[str, str]:
    """(title, markdown body) of the message for this delivery."""
    link = receipt_link(delivery.notice_grid_id, delivery.receipt.user_id) if delivery.receipt_id else ""
    mark = PRIORITY_MARK.get(notice.priority, "")
    if delivery.kind == DeliveryKind.REMINDER:
        title = _("提醒：%(title)s") % {"title": notice.title}
        lines = [
            f"**{mark}{title}**",
            _("本网格尚未确认转达，截止时间 %(deadline)s。")
            % {
                "deadline": timezone.localtime(notice.deadline).strftime("%m-%d %H:%M")
                if notice.deadline
                else "-"
            },
        ]
    elif delivery.kind == DeliveryKind.ESCALATION:
        title = _("逾期未确认：%(title)s") % {"title": notice.title}
        lines = [f"**{title}**", _("贵乡镇有网格逾期未确认转达，请登录平台查看。")]
    else:
        title = f"{mark}{notice.title}"
        lines = [f"**{title}**", notice.body[:1500]]
        if notice.requires_ack and notice.deadline:
            lines.append(
                _("请网格员于 %(deadline)s 前点击链接确认转达。")
                % {"deadline": timezone.localtime(notice.deadline).strftime("%m-%d %H:%M")}
            )
    if link:
        details = _("查看详情")
        lines.append(f"[{details}]({link})")
    return title, "\n\n".join(lines)


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """DingTalk's 加签: sign = urlencode(base64(HMAC-SHA256(secret, "timestamp\\nsecret")))."""
    if not secret:
        return url
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


@dataclass
class Request:
    url: str
    payload: dict
    headers: dict = field(default_factory=dict)


def build_request(delivery: Delivery) -> Request:
    notice = delivery.notice
    title, text = _message_text(delivery, notice)
    if delivery.channel == DeliveryChannel.SMS:
        link = receipt_link(delivery.notice_grid_id, delivery.receipt.user_id) if delivery.receipt_id else ""
        headers = {"Idempotency-Key": delivery.idempotency_key}
        token = _setting("GRIDGOV_SMS_GATEWAY_TOKEN", "")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return Request(
            url=_setting("GRIDGOV_SMS_GATEWAY_URL", ""),
            payload={
                "phone": unseal(delivery.phone_sealed),
                "sign_name": _setting("GRIDGOV_SMS_SIGN_NAME", ""),
                "template": _setting("GRIDGOV_SMS_TEMPLATE", ""),
                "params": {"title": title[:60], "link": link},
                "out_id": delivery.idempotency_key,
            },
            headers=headers,
        )
    group = delivery.group
    if group is None:
        raise ValueError("group removed")
    url = unseal(group.webhook_sealed)
    if delivery.channel == DeliveryChannel.DINGTALK:
        return Request(
            url=dingtalk_signed_url(url, unseal(group.secret_sealed)),
            payload={"msgtype": "markdown", "markdown": {"title": title[:60], "text": text}},
        )
    return Request(url=url, payload={"msgtype": "markdown", "markdown": {"content": text}})


@dataclass
class Outcome:
    ok: bool
    rate_limited: bool = False
    error: str = ""


def classify(response: httpx.Response) -> Outcome:
    if response.status_code == 429:
        return Outcome(False, True, "HTTP 429")
    if not 200 <= response.status_code < 300:
        return Outcome(False, False, f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        return Outcome(False, False, _("应答不是 JSON"))
    if not isinstance(body, dict):
        return Outcome(False, False, _("应答不是 JSON 对象"))
    code = body.get("errcode", body.get("code", 0))
    if code in (0, "0", "OK", "ok"):
        return Outcome(True)
    try:
        numeric = int(code)
    except (TypeError, ValueError):
        numeric = None
    message = f"errcode {code}: {str(body.get('errmsg') or body.get('message') or '')[:200]}"
    return Outcome(False, numeric in RATE_LIMIT_CODES, message)


def post(client: httpx.Client, request: Request) -> Outcome:
    try:
        response = client.post(request.url, json=request.payload, headers=request.headers)
    except httpx.TimeoutException:
        return Outcome(False, False, _("超时"))
    except httpx.HTTPError as exc:
        return Outcome(False, False, f"{type(exc).__name__}: {exc}"[:300])
    except Exception as exc:  # e.g. httpx.InvalidURL: one bad delivery must not abort the whole batch
        return Outcome(False, False, f"{type(exc).__name__}: {exc}"[:300])
    return classify(response)


# --- the sender -------------------------------------------------------------------------------------------------
@dataclass
class SendStats:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0
    lost_claims: int = 0

    def add(self, other: "SendStats") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _due_q(now) -> Q:
    return Q(state__in=[DeliveryState.PENDING, DeliveryState.FAILED], next_attempt_at__lte=now) | Q(
        state=DeliveryState.SENDING, lease_until__lt=now
    )


def batch_lease_seconds(limit: int, concurrency: int) -> float:
    """A lease that outlasts the whole batch: every wave of ``concurrency`` requests may take the full timeout, and
    the last delivery of the batch must not be reclaimed by another sender before this one has even sent it."""
    waves = -(-limit // max(concurrency, 1))
    return max(lease_seconds(), 2 * waves * http_timeout() + 10)


def deliveries_claim(
    *, now=None, limit: int = 500, notice_id: int | None = None, lease: float | None = None
) -> tuple[str, list[Delivery]]:
    """Claims up to ``limit`` due deliveries for this sender: (claim token, deliveries)."""
    now = now or timezone.now()
    lease = lease if lease is not None else lease_seconds()
    # A notice withdrawn while some of its messages were in flight or waiting for a retry or a rate-limit window:
    # those end dead here instead of going out after the withdrawal.
    Delivery.objects.filter(_due_q(now), notice__state=NoticeState.WITHDRAWN).update(
        state=DeliveryState.DEAD, lease_until=None, claim_token="", last_error=_("通知已撤回")
    )
    qs = Delivery.objects.filter(_due_q(now), notice__state=NoticeState.PUBLISHED)
    if notice_id is not None:
        qs = qs.filter(notice_id=notice_id)
    ids = list(qs.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
    if not ids:
        return "", []
    claim = uuid.uuid4().hex
    Delivery.objects.filter(_due_q(now), pk__in=ids, notice__state=NoticeState.PUBLISHED).update(
        state=DeliveryState.SENDING,
        claim_token=claim,
        lease_until=now + timedelta(seconds=lease),
        attempts=F("attempts") + 1,
    )
    claimed = list(
        Delivery.objects.filter(claim_token=claim, state=DeliveryState.SENDING).select_related(
            "notice", "group", "receipt"
        )
    )
    return claim, claimed


def _record_sent(claim: str, ids: list[int]) -> int:
    if not ids:
        return 0
    return Delivery.objects.filter(pk__in=ids, claim_token=claim, state=DeliveryState.SENDING).update(
        state=DeliveryState.SENT, sent_at=timezone.now(), lease_until=None, last_error=""
    )


def _record_failure(claim: str, delivery: Delivery, outcome: Outcome, now, limiter: BotLimiter) -> str:
    base = Delivery.objects.filter(pk=delivery.pk, claim_token=claim, state=DeliveryState.SENDING)
    # A bot that answers "rate limited" for ever would keep the delivery waiting for ever: past the longest wait
    # its answers use attempts like any failure, so that every delivery still ends sent or dead.
    if outcome.rate_limited and delivery.created_at >= now - timedelta(hours=rate_limit_max_wait_hours()):
        wait = float(_setting("GRIDGOV_NOTICES_RATE_LIMIT_WAIT_SECONDS", 60))
        limiter.pause(delivery.bot_key, time.monotonic() + wait)
        done = base.update(
            state=DeliveryState.PENDING,
            attempts=F("attempts") - 1,
            next_attempt_at=now + timedelta(seconds=wait),
            lease_until=None,
            last_error=outcome.error[:300],
        )
        return "deferred" if done else "lost"
    waits = backoff_seconds()
    if delivery.attempts >= max_attempts():
        done = base.update(state=DeliveryState.DEAD, lease_until=None, last_error=outcome.error[:300])
        return "dead" if done else "lost"
    wait = waits[min(delivery.attempts, len(waits)) - 1]
    done = base.update(
        state=DeliveryState.FAILED,
        next_attempt_at=now + timedelta(seconds=wait),
        lease_until=None,
        last_error=outcome.error[:300],
    )
    return "failed" if done else "lost"


def _release(claim: str, deliveries: list[tuple[Delivery, float]], now) -> None:
    """Gives back deliveries whose bot has no token left, without using an attempt."""
    by_wait: dict[int, list[int]] = defaultdict(list)
    for delivery, wait in deliveries:
        by_wait[int(wait) + 1].append(delivery.pk)
    for wait, ids in by_wait.items():
        Delivery.objects.filter(pk__in=ids, claim_token=claim, state=DeliveryState.SENDING).update(
            state=DeliveryState.PENDING,
            attempts=F("attempts") - 1,
            next_attempt_at=now + timedelta(seconds=wait),
            lease_until=None,
        )


def _prepare(delivery: Delivery) -> Request | Outcome:
    try:
        request = build_request(delivery)
    except Exception as exc:  # a removed group, a key that no longer opens the secret
        return Outcome(False, False, f"{type(exc).__name__}")
    if not request.url:
        return Outcome(False, False, _("未配置发送地址"))
    return request


def deliveries_send_due(
    *,
    now=None,
    limit: int = 500,
    notice_id: int | None = None,
    concurrency: int | None = None,
    limiter: BotLimiter | None = None,
    client: httpx.Client | None = None,
) -> SendStats:
    """Claims and sends one batch of due deliveries concurrently, recording each outcome as it arrives."""
    now = now or timezone.now()
    limiter = limiter or default_limiter()
    concurrency = concurrency or int(_setting("GRIDGOV_NOTICES_CONCURRENCY", 64))
    stats = SendStats()
    claim, claimed = deliveries_claim(
        now=now, limit=limit, notice_id=notice_id, lease=batch_lease_seconds(limit, concurrency)
    )
    stats.claimed = len(claimed)
    if not claimed:
        return stats
    ready, held = [], []
    mono = time.monotonic()
    for delivery in claimed:
        wait = limiter.take(delivery.bot_key if delivery.channel != DeliveryChannel.SMS else "", mono)
        (held.append((delivery, wait)) if wait > 0 else ready.append(delivery))
    _release(claim, held, now)
    stats.deferred += len(held)
    own_client = client is None
    if own_client:
        client = httpx.Client(
            timeout=http_timeout(),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
    pending_sent: list[int] = []
    last_flush = time.monotonic()

    def flush():
        nonlocal last_flush
        done = _record_sent(claim, pending_sent)
        stats.sent += done
        stats.lost_claims += len(pending_sent) - done
        pending_sent.clear()
        last_flush = time.monotonic()

    try:
        with ThreadPoolExecutor(max_workers=min(concurrency, max(1, len(ready)))) as pool:
            futures = {}
            for delivery in ready:
                prepared = _prepare(delivery)
                if isinstance(prepared, Outcome):
                    futures[pool.submit(lambda o=prepared: o)] = delivery
                else:
                    futures[pool.submit(post, client, prepared)] = delivery
            for future in as_completed(futures):
                delivery, outcome = futures[future], future.result()
                if outcome.ok:
                    # Successes are written in small groups: a sender that dies loses at most this many records,
                    # which the lease then re-sends (the at-least-once window above).
                    pending_sent.append(delivery.pk)
                    if len(pending_sent) >= 20 or time.monotonic() - last_flush > 0.2:
                        flush()
                    continue
                result = _record_failure(
                    claim, delivery, outcome, timezone.now() if now is None else now, limiter
                )
                if result == "lost":
                    stats.lost_claims += 1
                elif result == "deferred":
                    stats.deferred += 1
                else:
                    setattr(stats, result, getattr(stats, result) + 1)
            flush()
    finally:
        if own_client:
            client.close()
    return stats


def next_due_at(*, notice_id: int | None = None):
    """When the next waiting delivery falls due (None when none waits)."""
    qs = Delivery.objects.filter(state__in=[DeliveryState.PENDING, DeliveryState.FAILED])
    if notice_id is not None:
        qs = qs.filter(notice_id=notice_id)
    leased = Delivery.objects.filter(state=DeliveryState.SENDING)
    if notice_id is not None:
        leased = leased.filter(notice_id=notice_id)
    times = [
        t
        for t in (
            qs.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first(),
            leased.order_by("lease_until").values_list("lease_until", flat=True).first(),
        )
        if t is not None
    ]
    return min(times) if times else None


@transaction.atomic
def deliveries_retry_dead(*, actor, notice: Notice) -> int:
    """Gives the notice's dead deliveries a fresh set of attempts."""
    notice = Notice.objects.get(pk=notice.pk)
    if notice.state != "published":
        raise Conflict(_("只有已发布的通知可以重试。"))
    count = Delivery.objects.filter(notice=notice, state=DeliveryState.DEAD).update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error="", claim_token=""
    )
    audit_record(actor=actor, action="notice.retry_dead", obj=notice, changes={"deliveries": count})
    if count:
        from gridgov.notices.tasks import deliveries_send_task

        transaction.on_commit(lambda: deliveries_send_task.enqueue(notice.pk))
    return count
