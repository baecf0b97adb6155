"""Fixtures of the notices tests: a local bot receiver on 127.0.0.1 and grid groups pointing at it."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.notices.models import Channel
from gridgov.notices.services.groups import grid_group_upsert
from gridgov.notices.testing import BotReceiver
from gridgov.territory.models import Region


@pytest.fixture(autouse=True)
def _notice_settings(settings):
    settings.GRIDGOV_NOTICES_BACKOFF_SECONDS = [10, 60, 300]
    settings.GRIDGOV_NOTICES_HTTP_TIMEOUT = 0.5
    settings.GRIDGOV_NOTICES_BOT_PER_MINUTE = 0
    settings.GRIDGOV_NOTICES_RATE_LIMIT_WAIT_SECONDS = 60
    settings.GRIDGOV_SITE_URL = "http://testserver"
    settings.GRIDGOV_SMS_GATEWAY_URL = ""
    settings.GRIDGOV_NOTICES_WEBHOOK_HOSTS = ["qyapi.weixin.qq.com", "oapi.dingtalk.com", "127.0.0.1"]
    return settings


@pytest.fixture
def receiver():
    with BotReceiver(slow_seconds=1.5) as bots:
        yield bots


@pytest.fixture
def groups(territory, receiver):
    """Every grid of the territory gets a WeCom bot, except grid A1-2 (DingTalk, signed) and B2-2 (none)."""
    made = {}
    for grid in Region.objects.filter(level="grid").order_by("code"):
        if grid.code == territory.grid_a1_2.code:
            receiver.secrets[f"dt{grid.code}"] = "SEC-secret"
            made[grid.code] = grid_group_upsert(
                actor=None,
                grid=grid,
                channel=Channel.DINGTALK,
                webhook_url=receiver.dingtalk_url(f"dt{grid.code}"),
                secret="SEC-secret",
            )
        elif grid.code == "411627202202002":
            made[grid.code] = grid_group_upsert(actor=None, grid=grid, channel=Channel.NONE)
        else:
            made[grid.code] = grid_group_upsert(
                actor=None, grid=grid, channel=Channel.WECOM, webhook_url=receiver.wecom_url(f"wc{grid.code}")
            )
    return made


def tomorrow():
    return timezone.now() + dt.timedelta(days=1)


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """publish(actor, notice) running the background fan-out and first sending round as a worker would."""
    from gridgov.notices.services import notice_publish

    def _publish(actor, notice):
        with django_capture_on_commit_callbacks(execute=True):
            return notice_publish(actor=actor, notice=notice)

    return _publish


def count_queries(fn) -> int:
    """How many queries ``fn()`` runs (counted inside the capture: the test client's request_started signal
    resets the connection's query log, which would empty a count taken after it)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
        return len(ctx)
