"""Notices down the grid (issue 6): publishing to every grid group against bots that answer after 100 ms.

A receiver in a process of its own (``python -m gridgov.notices.testing``) on 127.0.0.1 answers like WeCom and
DingTalk group bots after ``--latency`` seconds, Nagle off, listen backlog 1024. ``--groups`` grids (default 500;
``--groups 5000`` for the issue's figure) each get a group with its own bot (every fifth a DingTalk robot with a
signing secret, the rest WeCom).

1. Reference: a plain sequential loop of ``httpx`` posts to the same receiver (about 10 a second at 100 ms).
2. Limits off, no failures: publish a county-wide notice, fan it out, send every delivery
   (``deliveries_send_due``). Figure: deliveries per second, and the ratio to the reference. Goal: ≥ 20×.
3. Limits on (20 messages a minute per bot) and 30 % of answers failing (errcode 93000), short backoff
   (``--backoff``): the time until every delivery is sent or dead.

Both sending runs check, against the receiver's own count, that no delivery was lost (every one ends sent or dead,
and each one recorded sent was accepted by its bot) and none was duplicated (no bot accepted a notice twice).
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from django.conf import settings
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from bench.common import Report, count_arg
from gridgov.core.crypto import seal
from gridgov.notices.models import Channel, Delivery, DeliveryState, GridGroup
from gridgov.notices.services import notice_create, notice_fan_out, notice_publish
from gridgov.notices.services.groups import bot_key_for, mask_webhook
from gridgov.notices.services.sending import BotLimiter, deliveries_send_due, next_due_at
from gridgov.territory.models import Level, Region
from gridgov.territory.services import DivisionRow, divisions_import

MODULE = "notices"
GOAL = 20.0
COUNTY = "411627"


def add_arguments(parser) -> None:
    group = parser.add_argument_group("notices")
    group.add_argument(
        "--groups", type=count_arg(10, 50_000), default=500, metavar="N", help="grid groups (500)"
    )
    group.add_argument("--latency", type=float, default=0.1, metavar="S", help="bot answer latency (0.1 s)")
    group.add_argument(
        "--concurrency", type=count_arg(1, 512), default=64, metavar="N", help="sender threads (64)"
    )
    group.add_argument(
        "--reference-posts", type=count_arg(5, 1000), default=30, metavar="N", help="sequential posts (30)"
    )
    group.add_argument("--fail-ratio", type=float, default=0.3, metavar="R", help="failing answers (0.3)")
    group.add_argument(
        "--backoff",
        default="1,2,4,8",
        metavar="S,S,…",
        help="retry waits in seconds for the failure run (1,2,4,8)",
    )


# --- set-up -----------------------------------------------------------------------------------------------------
def build_grids(groups: int) -> list[Region]:
    """A county with townships of 10 villages of 5 grids, enough for ``groups`` grids."""
    villages_needed = -(-groups // 5)
    townships = -(-villages_needed // 10)
    rows = [DivisionRow(0, COUNTY, "太康县", "county", "411600")]
    made = 0
    for t in range(1, townships + 1):
        township = f"{COUNTY}{100 + t:03d}"
        rows.append(DivisionRow(0, township, f"第{t}镇", "township", COUNTY))
        for v in range(1, 11):
            if made >= villages_needed:
                break
            village = f"{township}{200 + v:03d}"
            rows.append(DivisionRow(0, village, f"第{t}镇{v}村", "village", township))
            rows += [DivisionRow(0, f"{village}{g:03d}", f"第{g}网格", "grid", village) for g in range(1, 6)]
            made += 1
    divisions_import(actor=None, rows=rows)
    return list(Region.objects.filter(level=Level.GRID).order_by("code")[:groups])


def make_groups(grids: list[Region], base: str) -> None:
    """One bot per grid (set-up, not measured: bulk_create of sealed URLs)."""
    rows = []
    for i, grid in enumerate(grids):
        if i % 5 == 4:
            url = f"{base}/robot/send?access_token=dt{grid.code}"
            channel, secret = Channel.DINGTALK, seal(f"SEC{grid.code}")
        else:
            url = f"{base}/cgi-bin/webhook/send?key=wc{grid.code}"
            channel, secret = Channel.WECOM, ""
        rows.append(
            GridGroup(
                grid=grid,
                channel=channel,
                webhook_sealed=seal(url),
                webhook_masked=mask_webhook(url),
                bot_key=bot_key_for(url),
                secret_sealed=secret,
            )
        )
    GridGroup.objects.bulk_create(rows, batch_size=1000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_receiver(latency: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "gridgov.notices.testing", "--port", str(port), "--delay", str(latency)],
        cwd=Path(settings.BASE_DIR),
        stdout=subprocess.DEVNULL,
        env={**os.environ},
    )
    for _ in range(100):
        try:
            httpx.get(f"{base}/_stats", timeout=1.0)
            return process, base
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the bot receiver did not start")


def receiver_config(base: str, **config) -> None:
    httpx.post(f"{base}/_config", json=config, timeout=5.0).raise_for_status()


def receiver_stats(base: str) -> dict:
    return httpx.get(f"{base}/_stats", timeout=10.0).json()


# --- the runs ---------------------------------------------------------------------------------------------------
def reference(base: str, posts: int) -> float:
    """Posts per second of a plain sequential httpx loop."""
    payload = {"msgtype": "markdown", "markdown": {"content": "reference"}}
    with httpx.Client(timeout=10.0) as client:
        client.post(f"{base}/cgi-bin/webhook/send?key=ref-warm", json=payload)
        t0 = time.perf_counter()
        for i in range(posts):
            client.post(f"{base}/cgi-bin/webhook/send?key=ref{i}", json=payload).raise_for_status()
        return posts / (time.perf_counter() - t0)


def publish_notice(title: str):
    county = Region.objects.get(code=COUNTY)
    notice = notice_create(actor=None, title=title, body="春节期间全县禁止燃放烟花爆竹。", regions=[county])
    # The benchmark drives fan-out and sending itself, timed: the queued tasks go to a backend that keeps them.
    with override_settings(TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}):
        notice_publish(actor=None, notice=notice)
        t0 = time.perf_counter()
        created = notice_fan_out(notice_id=notice.pk)
        return notice, created, time.perf_counter() - t0


def send_until_done(notice, *, limiter: BotLimiter, concurrency: int, progress) -> tuple[float, int]:
    """Sends until every delivery of ``notice`` is sent or dead; (seconds, sending rounds)."""
    t0 = time.perf_counter()
    rounds = 0
    while True:
        stats = deliveries_send_due(notice_id=notice.pk, limit=5000, concurrency=concurrency, limiter=limiter)
        rounds += 1
        progress.update(stats.sent + stats.dead)  # finished deliveries
        open_ = Delivery.objects.filter(notice=notice).exclude(
            state__in=[DeliveryState.SENT, DeliveryState.DEAD]
        )
        if not open_.exists():
            return time.perf_counter() - t0, rounds
        if stats.claimed == 0 or stats.claimed == stats.deferred:
            due = next_due_at(notice_id=notice.pk)
            wait = (due - timezone.now()).total_seconds() if due else 0.05
            time.sleep(min(max(wait, 0.02), 5.0))


def check(notice, base: str, stats_before: dict) -> dict:
    """Lost and duplicated, from gridgov's table and the receiver's count."""
    states = dict(
        Delivery.objects.filter(notice=notice).values_list("state").annotate(n=Count("id")).order_by()
    )
    after = receiver_stats(base)["accepted"]
    keys = {}
    for delivery in Delivery.objects.filter(notice=notice).select_related("group__grid"):
        prefix = "dt" if delivery.channel == Channel.DINGTALK else "wc"
        keys[f"{prefix}{delivery.group.grid.code}"] = delivery.state
    accepted_now = {k: after.get(k, 0) - stats_before.get(k, 0) for k in keys}
    duplicated = sum(1 for n in accepted_now.values() if n > 1)
    # lost: a delivery neither sent nor dead, or recorded sent though its bot never accepted it
    lost = sum(1 for state in keys.values() if state not in (DeliveryState.SENT, DeliveryState.DEAD))
    lost += sum(1 for k, state in keys.items() if state == DeliveryState.SENT and accepted_now[k] == 0)
    unrecorded = sum(1 for k, state in keys.items() if state == DeliveryState.DEAD and accepted_now[k] > 0)
    return {"states": states, "lost": lost, "duplicated": duplicated, "accepted_but_dead": unrecorded}


def run(args, report: Report) -> None:
    from tqdm import tqdm

    print(f"\nnotices: {args.groups:,} grid groups, bots answering after {args.latency * 1000:.0f} ms")
    t0 = time.perf_counter()
    grids = build_grids(args.groups)
    process, base = start_receiver(args.latency)
    try:
        make_groups(grids, base)
        print(
            f"notices: {len(grids):,} grids and groups in {time.perf_counter() - t0:.1f} s; receiver at {base}"
        )

        ref_rate = reference(base, args.reference_posts)
        print(f"reference: sequential httpx loop {ref_rate:.1f} posts/s ({args.reference_posts} posts)")

        # 2. limits off, no failures
        settings.GRIDGOV_NOTICES_BACKOFF_SECONDS = [1, 2, 4, 8]
        notice, created, fan_out_s = publish_notice("禁放通告（限速关）")
        before = receiver_stats(base)["accepted"]
        with tqdm(total=created, desc="limits off", unit="msg", leave=False) as bar:
            seconds, rounds = send_until_done(
                notice, limiter=BotLimiter(0), concurrency=args.concurrency, progress=bar
            )
        result = check(notice, base, before)
        rate = created / seconds
        ratio = rate / ref_rate
        verdict = "ok" if ratio >= GOAL else "BELOW GOAL"
        print(
            f"limits off: {created:,} deliveries (fan-out {fan_out_s:.2f} s) sent in {seconds:.2f} s = "
            f"{rate:,.0f} deliveries/s, {ratio:.1f}× the sequential loop (goal ≥ {GOAL:.0f}×: {verdict}); "
            f"rounds {rounds}; states {result['states']}; lost={result['lost']} duplicated={result['duplicated']}"
        )
        report.figures.append(
            {
                "module": MODULE,
                "figure": "deliveries per second, limits off",
                "groups": created,
                "value": round(rate, 1),
                "reference_posts_per_s": round(ref_rate, 2),
                "ratio": round(ratio, 1),
                "goal_ratio": GOAL,
                "fan_out_s": round(fan_out_s, 3),
                "lost": result["lost"],
                "duplicated": result["duplicated"],
            }
        )

        # 3. limits on, 30 % failures
        backoff = [int(x) for x in args.backoff.split(",") if x.strip()]
        settings.GRIDGOV_NOTICES_BACKOFF_SECONDS = backoff
        receiver_config(base, fail_ratio=args.fail_ratio)
        notice, created, fan_out_s = publish_notice("禁放通告（限速开、30% 失败）")
        before = receiver_stats(base)["accepted"]
        with tqdm(total=created, desc="limits on, failures", unit="msg", leave=False) as bar:
            seconds, rounds = send_until_done(
                notice, limiter=BotLimiter(20), concurrency=args.concurrency, progress=bar
            )
        result = check(notice, base, before)
        attempts = Delivery.objects.filter(notice=notice).values_list("attempts", flat=True)
        print(
            f"limits on, {args.fail_ratio:.0%} failing, backoff {backoff} s: all {created:,} done in {seconds:.2f} s "
            f"({rounds} rounds, {sum(attempts):,} attempts); states {result['states']}; "
            f"lost={result['lost']} duplicated={result['duplicated']} accepted-but-dead={result['accepted_but_dead']}"
        )
        report.figures.append(
            {
                "module": MODULE,
                "figure": "time to done, limits on, failures",
                "groups": created,
                "fail_ratio": args.fail_ratio,
                "backoff_s": backoff,
                "value_s": round(seconds, 2),
                "attempts": sum(attempts),
                "states": result["states"],
                "lost": result["lost"],
                "duplicated": result["duplicated"],
            }
        )
        receiver_config(base, fail_ratio=0.0)
    finally:
        process.terminate()
        process.wait(timeout=10)
