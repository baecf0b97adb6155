"""The public tip line (issue 5): tip submissions, in process and over HTTP.

1. In process: ``tip_submit`` (validation, the per-client rate check, duplicate search, the case through
   ``case_report``, the sealed Tip with its tracking code and hashed secret, the audit row) against its reference,
   a bare ``case_report`` of the same case (what a grid worker's report costs). The ratio is the price of the tip
   layer. ``q`` is tip_submit's query count.
2. Over HTTP: gunicorn (gthread, 2 workers × 4 threads, ``bench_cases.Server``) on 127.0.0.1 and a free port, on
   the benchmarks' database (``bench.floor_settings``). ``--tips-clients`` threads send ``POST /tips/new`` the way
   a phone does (CSRF cookie and token, the form's signed start time, an anonymous tip of a random public
   category, village and address), beside the framework floor of the cases benchmark (``POST /bench/floor``: a
   token check and one insert, ``bench.floor_urls``). Both kinds move to a new connection from a new loopback
   source address (127.x.y.z) every 5 requests: the public arrive from many addresses, and the per-client limit
   of GRIDGOV_TIP_RATE_PER_CLIENT_HOUR tips an hour counts by address. Runs alternate (``--tips-rounds`` each).

Default scale runs in about a minute; ``--tips-requests 5000 --tips-clients 16`` for a longer run.
"""

import itertools
import math
import random
import re
import statistics
import time

from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bench.bench_cases import create_floor_table, load_county, make_user
from bench.common import Report, Server, compare, count_arg, load
from gridgov.accounts.services import api_token_create
from gridgov.cases.defaults import ensure_default_categories
from gridgov.cases.models import Case, CaseSource, Category, CategoryGroup
from gridgov.cases.services.intake import case_report
from gridgov.core.roles import Role
from gridgov.territory.models import Level, Region
from gridgov.tips.defaults import ensure_default_reward_rules
from gridgov.tips.models import Tip
from gridgov.tips.services import tip_submit

MODULE = "tips"
#: Each client connection takes the next loopback source address and sends PER_ADDRESS requests from it: fewer
#: than the per-client limit of tips an hour (GRIDGOV_TIP_RATE_PER_CLIENT_HOUR, 10 by default).
ADDRESSES = itertools.count(1_000_000)
PER_ADDRESS = 5


def add_arguments(parser) -> None:
    group = parser.add_argument_group("tips")
    group.add_argument(
        "--tips-calls",
        type=count_arg(20, 100_000),
        default=300,
        metavar="N",
        help="in-process tip_submit / case_report pairs (300)",
    )
    group.add_argument(
        "--tips-clients", type=count_arg(1, 64), default=4, metavar="N", help="HTTP client threads (4)"
    )
    group.add_argument(
        "--tips-requests",
        type=count_arg(10, 100_000),
        default=200,
        metavar="N",
        help="requests in each HTTP run (200)",
    )
    group.add_argument(
        "--tips-rounds", type=count_arg(1, 10), default=2, metavar="N", help="floor/tip runs each (2)"
    )
    group.add_argument("--tips-no-http", action="store_true", help="skip the HTTP part")


def source_address(n: int) -> str:
    """A distinct loopback address for the n-th request (127.0.0.0/8 is all loopback on Linux)."""
    n += 256
    return f"127.{(n >> 16) & 255}.{(n >> 8) & 255}.{max(1, n & 255)}"


# --- 1. in process -----------------------------------------------------------------------------------------------
def in_process(args, report: Report, categories, villages) -> None:
    rng = random.Random(args.seed)
    targets = [
        (rng.choice(categories), rng.choice(villages), f"{rng.randint(1, 999)} 号 {n}", n)
        for n in range(args.tips_calls)
    ]
    print(f"\ntips: tip_submit against a bare case_report of the same case, {len(targets)} calls each")

    def gridgov(target):
        category, village, address, n = target
        return tip_submit(
            category=category,
            region=village,
            description="有人在路边非法销售烟花爆竹。",
            address=address,
            anonymous=True,
            client_key=source_address(n),
        ).tip.case.category_id

    def reference(target):
        category, village, address, _n = target
        return case_report(
            actor=None,
            category=category,
            region=village,
            title="群众举报：" + category.name,
            description="有人在路边非法销售烟花爆竹。",
            source=CaseSource.TIP,
            address=address,
        ).category_id

    compare(
        report,
        MODULE,
        "tip_submit vs case_report",
        targets,
        gridgov,
        reference,
        same=lambda g, r: g == r,
        note="ratio = price of the tip layer",
    )


# --- 2. over HTTP ------------------------------------------------------------------------------------------------
def post_load(url: str, make, total: int, clients: int, *, headers: dict, ok: int) -> dict:
    """``total`` POSTs to ``url`` from ``clients`` threads; each thread moves to a new connection from a new loopback
    address every PER_ADDRESS requests. ``make(i)`` gives (body, "data" or "json")."""
    import httpx

    def connect(_k):
        # plain HTTP to 127.0.0.1: no certificate store to load for every new client
        transport = httpx.HTTPTransport(local_address=source_address(next(ADDRESSES)), verify=False)
        return httpx.Client(transport=transport, timeout=15, headers=headers, verify=False)

    def send(http, i, _k):
        body, kind = make(i)
        return http.post(url, **{kind: body}).status_code

    return load(send, total, clients, ok=ok, connect=connect, renew=PER_ADDRESS)


def form_tokens(base: str) -> tuple[str, str, str]:
    """(csrf cookie, csrf form token, signed start time) from one GET of the public form."""
    import httpx

    response = httpx.get(f"{base}/tips/new", timeout=15)
    response.raise_for_status()
    html = response.text
    cookie = response.cookies["csrftoken"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    started = re.search(r'name="started" value="([^"]+)"', html).group(1)
    return cookie, token, started


def over_http(args, report: Report, categories, villages, floor_user) -> None:
    import httpx

    _token, plain = api_token_create(actor=None, user=floor_user, name="bench")
    # The pages need the static files' manifest, as production has it (`make demo` runs the same command).
    call_command("collectstatic", interactive=False, verbosity=0)
    create_floor_table()
    connection.close()  # nothing of ours holds the database while the server writes
    print(
        f"\ntips: POST /tips/new over HTTP, gunicorn gthread 2 workers × 4 threads on 127.0.0.1; {args.tips_clients}"
        f" client threads, {args.tips_requests} requests a run, {args.tips_rounds} runs each, alternating;"
        f" a new connection from a new loopback address every {PER_ADDRESS} requests"
    )
    with Server("tips") as server:
        cookie, token, started = form_tokens(server.base)
        time.sleep(3.2)  # the form's minimum fill time (GRIDGOV_TIP_MIN_FILL_SECONDS, 3 s by default)
        rng = random.Random(args.seed)
        plan = [
            (rng.choice(categories), rng.choice(villages), rng.randint(1, 999))
            for _ in range(args.tips_requests)
        ]

        def tip_body(i):
            category, village, number = plan[i % len(plan)]
            return (
                {
                    "csrfmiddlewaretoken": token,
                    "started": started,
                    "category": str(category.pk),
                    "township": str(village.parent_id),
                    "village": str(village.pk),
                    "address": f"{village.name} {number} 号",
                    "description": "路边有人非法销售烟花爆竹，摊上摆着很多鞭炮。",
                    "anonymous": "on",
                },
                "data",
            )

        tip_headers = {"Cookie": f"csrftoken={cookie}"}
        floor_headers = {"Authorization": f"Bearer {plain}"}

        def floor_body(i):
            return {"title": f"群众举报 {i}"}, "json"

        probe = httpx.post(f"{server.base}/tips/new", data=tip_body(0)[0], headers=tip_headers, timeout=15)
        if probe.status_code != 302:
            print(f"  !! POST /tips/new answered {probe.status_code}: {probe.text[:300]}")
            report.figures.append({"module": MODULE, "figure": "tips over HTTP", "error": probe.status_code})
            return
        warm = max(20, args.tips_requests // 10)
        post_load(
            f"{server.base}/bench/floor", floor_body, warm, args.tips_clients, headers=floor_headers, ok=201
        )
        post_load(f"{server.base}/tips/new", tip_body, warm, args.tips_clients, headers=tip_headers, ok=302)
        runs = {"floor": [], "tips": []}
        for _ in range(args.tips_rounds):
            for kind, url, make, headers, ok in (
                ("floor", f"{server.base}/bench/floor", floor_body, floor_headers, 201),
                ("tips", f"{server.base}/tips/new", tip_body, tip_headers, 302),
            ):
                result = post_load(url, make, args.tips_requests, args.tips_clients, headers=headers, ok=ok)
                runs[kind].append(result)
                print(
                    f"  {kind:<6} {result['rate']:8.1f} req/s  p50 {result['p50_ms']:7.1f} ms  p99 {result['p99_ms']:7.1f} ms"
                    f"  ({result['ok']} ok in {result['wall_s']:.1f} s; statuses {result['statuses']})",
                    flush=True,
                )
    summary = {}
    for kind, results in runs.items():
        summary[kind] = {
            "rate": statistics.mean(r["rate"] for r in results),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": max(r["p99_ms"] for r in results),
            "errors": sum(n for r in results for s, n in r["statuses"].items() if s not in (201, 302)),
        }
    floor, tips = summary["floor"], summary["tips"]
    share = tips["rate"] / floor["rate"] if floor["rate"] else math.nan
    print(
        f"\n  floor (auth + one raw INSERT)  {floor['rate']:8.1f} req/s   p50 {floor['p50_ms']:6.1f} ms   p99 {floor['p99_ms']:6.1f} ms"
        f"\n  tips  (POST /tips/new)         {tips['rate']:8.1f} tips/s  p50 {tips['p50_ms']:6.1f} ms   p99 {tips['p99_ms']:6.1f} ms"
        f"\n  tips / floor = {share:.2f}; errors: floor {floor['errors']}, tips {tips['errors']}"
    )
    report.figures.append(
        {
            "module": MODULE,
            "figure": "public tips over HTTP",
            "clients": args.tips_clients,
            "requests_per_run": args.tips_requests,
            "rounds": args.tips_rounds,
            "floor": {k: round(v, 1) for k, v in floor.items()},
            "tips": {k: round(v, 1) for k, v in tips.items()},
            "ratio": round(share, 2),
        }
    )


def run(args, report: Report) -> None:
    t0 = time.perf_counter()
    county, _departments = load_county()
    ensure_default_categories(CategoryGroup, Category)
    ensure_default_reward_rules()
    categories = list(Category.objects.filter(public=True, is_active=True).select_related("group"))
    villages = list(Region.objects.filter(level=Level.VILLAGE, is_active=True).select_related("parent"))
    print(
        f"\ntips: 太康县 loaded ({len(villages):,} villages, {len(categories)} public categories) "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    before = timezone.now()
    in_process(args, report, categories, villages)
    filed = Case.objects.filter(created_at__gte=before).count()
    print(f"tips: {Tip.objects.count():,} tips, {filed:,} cases filed in process")
    if not args.tips_no_http:
        over_http(args, report, categories, villages, make_user("bench_tips_floor", Role.GRID_WORKER, county))
