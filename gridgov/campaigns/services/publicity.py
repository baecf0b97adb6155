"""宣传: publicity activities by channel and loudspeaker (大喇叭) schedules."""

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.campaigns.models import Campaign, Channel, LoudspeakerSchedule, PublicityActivity
from gridgov.campaigns.policies import CampaignPolicy, campaign_covers
from gridgov.campaigns.services.fieldwork import photo_files, photos_attach
from gridgov.core.audit import audit_record
from gridgov.core.exceptions import InvalidInput, NotAllowed
from gridgov.territory.models import Level, Region

HOURS_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
MAX_COUNT = 1_000_000


def _check_region(actor, campaign: Campaign, region: Region, field: str = "region") -> None:
    if region is None or not region.is_active:
        raise InvalidInput(fields={field: [_("请选择区域。")]})
    if actor is not None and not CampaignPolicy.can_log_publicity(actor, region.path):
        raise NotAllowed(_("该区域不在您的管辖范围内。"))
    if not campaign_covers(campaign, region.path):
        raise InvalidInput(fields={field: [_("该区域不在本专项行动的范围内。")]})


@transaction.atomic
def publicity_record(
    *,
    actor,
    campaign: Campaign,
    channel: str,
    region: Region,
    happened_at: dt.datetime | None = None,
    count: int = 1,
    description: str = "",
    photos=None,
) -> PublicityActivity:
    _check_region(actor, campaign, region)
    errors = {}
    if channel not in Channel.values:
        errors["channel"] = [_("请选择宣传渠道。")]
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = -1
    if not 1 <= count <= MAX_COUNT:
        errors["count"] = [_("数量须为 1 至 %(max)d 之间的整数。") % {"max": MAX_COUNT}]
    description = (description or "").strip()
    if len(description) > 300:
        errors["description"] = [_("内容不能超过 300 个字。")]
    happened_at = happened_at or timezone.now()
    if timezone.is_naive(happened_at):  # a time without a zone is the county's local time
        happened_at = timezone.make_aware(happened_at)
    if happened_at > timezone.now() + dt.timedelta(hours=1):
        errors["happened_at"] = [_("时间不能晚于现在。")]
    stored = []
    try:
        stored = photo_files(photos)
    except InvalidInput as exc:
        errors.update(exc.fields)
    if errors:
        raise InvalidInput(fields=errors)
    activity = PublicityActivity(
        campaign=campaign,
        channel=channel,
        region=region,
        happened_at=happened_at,
        count=count,
        description=description,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    activity.save()
    photos_attach(activity, stored, field="publicity")
    audit_record(actor=actor, action="campaign_publicity", obj=activity, changes={"channel": channel})
    return activity


def clean_hours(hours: str) -> str:
    parts = [p.strip() for p in re.split(r"[,，;；\s]+", hours or "") if p.strip()]
    if not parts or not all(HOURS_RE.match(p) and p[:5] < p[6:] for p in parts):
        raise InvalidInput(fields={"hours": [_("播放时段格式如 07:00-07:30,18:30-19:00。")]})
    return ",".join(sorted(parts))


@transaction.atomic
def loudspeaker_schedule_add(
    *, actor, campaign: Campaign, village: Region, starts_on: dt.date, ends_on: dt.date, hours: str
) -> LoudspeakerSchedule:
    _check_region(actor, campaign, village, field="village")
    if village.level != Level.VILLAGE:
        raise InvalidInput(fields={"village": [_("大喇叭按村(社区)安排。")]})
    errors = {}
    if not starts_on:
        errors["starts_on"] = [_("请填写开始日期。")]
    if not ends_on:
        errors["ends_on"] = [_("请填写结束日期。")]
    elif starts_on and ends_on < starts_on:
        errors["ends_on"] = [_("结束日期不能早于开始日期。")]
    try:
        hours = clean_hours(hours)
    except InvalidInput as exc:
        errors.update(exc.fields)
    if errors:
        raise InvalidInput(fields=errors)
    schedule = LoudspeakerSchedule.objects.create(
        campaign=campaign, village=village, starts_on=starts_on, ends_on=ends_on, hours=hours
    )
    audit_record(actor=actor, action="campaign_loudspeaker", obj=schedule, changes={"village": village.code})
    return schedule
