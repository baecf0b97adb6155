"""Schemas of the notices API (/api/v1/notices, /api/v1/grid-groups). Webhook URLs and secrets are write-only:
outputs show a masked URL and whether a secret is set."""

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from gridgov.notices.models import Audience, Channel, NoticeState, Priority, ReportOutcome

NO_NUL = r"^[^\x00]*$"
MAX_ID = 2**63 - 1


def text(max_length: int, *, required: bool = False):
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1 if required else 0, max_length=max_length, pattern=NO_NUL
        ),
    ]


RegionCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6,15}$")]
GridCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{15}$")]


class GridGroupIn(Schema):
    channel: Literal[tuple(Channel.values)]
    webhook_url: text(500) = Field("", description="完整 Webhook 地址；留空则保留已存的地址")
    secret: text(200) = Field("", description="钉钉加签密钥；留空则保留已存的密钥")
    households_joined: int | None = Field(None, ge=0, le=100000)
    name: text(100) | None = None


class GridGroupOut(Schema):
    grid_code: str
    grid_name: str
    name: str
    channel: str
    webhook_masked: str
    has_secret: bool
    households_joined: int
    households: int
    coverage_pct: int
    last_test_at: dt.datetime | None
    last_test_ok: bool | None
    last_test_error: str


class NoticeIn(Schema):
    title: text(120, required=True)
    body: text(4000, required=True)
    scope: list[RegionCode] = Field(..., min_length=1, max_length=200, description="区划代码列表")
    audience: list[Literal[tuple(Audience.values)]] | None = None
    requires_ack: bool = False
    deadline: dt.datetime | None = None
    priority: Literal[tuple(Priority.values)] | None = None


class DeliveryFigures(Schema):
    pending: int
    sending: int
    sent: int
    failed: int
    dead: int


class FiguresOut(Schema):
    grids: int
    read: int
    acknowledged: int
    households_told: int
    deliveries: DeliveryFigures


class NoticeOut(Schema):
    id: int
    title: str
    state: Literal[tuple(NoticeState.values)]
    priority: str
    requires_ack: bool
    deadline: dt.datetime | None
    published_at: dt.datetime | None
    created_at: dt.datetime
    scope: list[str]


class FileOut(Schema):
    id: int
    name: str
    size: int | None = None
    url: str = Field(description="下载地址（须登录且能看到该通知）")


class NoticeDetailOut(NoticeOut):
    body: str
    audience: list[str]
    figures: FiguresOut
    attachments: list[FileOut]


class AckIn(Schema):
    grid_code: GridCode | None = None
    households_told: int | None = Field(None, ge=0, le=100000)


class AckOut(Schema):
    notice_id: int
    grid_code: str
    acked_at: dt.datetime
    households_told: int | None


class ReportIn(Schema):
    grid_code: GridCode | None = None
    outcome: Literal[tuple(ReportOutcome.values)]
    number: int | None = Field(None, ge=0, le=1_000_000)
    note: text(2000) = ""


class ReportOut(Schema):
    id: int
    grid_code: str
    outcome: str
    number: int | None
    note: str
    case_number: str | None
    created_at: dt.datetime
    photos: list[FileOut] = []


class RetryOut(Schema):
    retried: int
