"""Heavy-pollution warnings: issued on a daily AQI series (observed or forecast) under a preset, recorded with who
issued them and why, and published as a notice to every grid of the affected townships."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.air import warnings as rules
from gridgov.air.models import (
    WARNING_ORDER,
    AirWarning,
    NoticeState,
    WarningBasis,
    WarningLevel,
    WarningPreset,
    WarningState,
)
from gridgov.air.policies import AirPolicy
from gridgov.core.audit import audit_record
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.territory.models import Level, Region

MAX_SERIES_DAYS = 30


def clean_series(series) -> list[dict]:
    """[{date, aqi}] in date order, consecutive days, AQI whole numbers 0–500 or None (missing)."""
    if not isinstance(series, list | tuple) or not series:
        raise InvalidInput(fields={"series": [_("请给出至少一天的日 AQI。")]})
    if len(series) > MAX_SERIES_DAYS:
        raise InvalidInput(fields={"series": [_("最多 %(n)s 天。") % {"n": MAX_SERIES_DAYS}]})
    out = []
    for i, item in enumerate(series, start=1):
        try:
            day = (
                item["date"]
                if isinstance(item["date"], dt.date)
                else dt.date.fromisoformat(str(item["date"]))
            )
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(fields={"series": [_("第 %(n)s 天的日期无效。") % {"n": i}]}) from None
        aqi = item.get("aqi")
        if aqi is not None and (isinstance(aqi, bool) or not isinstance(aqi, int) or not 0 <= aqi <= 500):
            raise InvalidInput(fields={"series": [_("第 %(n)s 天的 AQI 须为 0–500 的整数。") % {"n": i}]})
        if out and day != out[-1]["date"] + dt.timedelta(days=1):
            raise InvalidInput(fields={"series": [_("第 %(n)s 天：日期须逐日连续。") % {"n": i}]})
        out.append({"date": day, "aqi": aqi})
    return out


def warning_suggest(*, preset: WarningPreset, series: list[dict]) -> str | None:
    return rules.level_for(preset.rules, [item["aqi"] for item in series])


def _notice_text(warning: AirWarning, townships: list[Region]) -> tuple[str, str]:
    level = warning.get_level_display()
    title = _("【%(level)s】重污染天气预警（%(start)s 至 %(end)s）") % {
        "level": level,
        "start": warning.starts_on.isoformat(),
        "end": warning.ends_on.isoformat(),
    }
    series = "，".join(
        f"{item['date'][5:]} {item['aqi'] if item['aqi'] is not None else '—'}" for item in warning.series
    )
    body = _(
        "%(level)s：%(start)s 至 %(end)s，%(townships)s。\n"
        "依据（%(basis)s日 AQI）：%(series)s。\n"
        "发布理由：%(reason)s\n"
        "请各网格立即转达辖区住户：减少户外活动，严禁露天焚烧秸秆和垃圾，停止燃放烟花爆竹，工地落实扬尘管控。"
    ) % {
        "level": level,
        "start": warning.starts_on.isoformat(),
        "end": warning.ends_on.isoformat(),
        "townships": "、".join(t.name for t in townships),
        "basis": warning.get_basis_display(),
        "series": series,
        "reason": warning.reason,
    }
    return title, body


def _publish_notice(
    *, actor, title: str, body: str, regions: list[Region], requires_ack: bool = True
) -> int | None:
    """Publishes through the notices capability; None when this installation has none (the warning then waits
    in the "notice pending" state)."""
    try:
        from gridgov.notices.models import Priority
        from gridgov.notices.services import notice_create, notice_publish
    except ImportError:
        return None
    hours = getattr(settings, "GRIDGOV_AIR_WARNING_ACK_HOURS", 4)
    notice = notice_create(
        actor=actor,
        title=title,
        body=body,
        regions=regions,
        requires_ack=requires_ack,
        deadline=timezone.now() + dt.timedelta(hours=hours) if requires_ack else None,
        priority=Priority.URGENT if requires_ack else Priority.IMPORTANT,
    )
    return notice_publish(actor=actor, notice=notice).pk


@transaction.atomic
def warning_issue(
    *,
    actor,
    preset: WarningPreset,
    townships: list[Region],
    series: list[dict],
    basis: str,
    reason: str,
    level: str | None = None,
) -> AirWarning:
    """Issues a warning. The level is the one the preset's rules reach on the series unless the issuer names one
    (a forecaster's judgement), which the warning keeps beside the rules' suggestion. ``reason`` is required."""
    townships = list(dict.fromkeys(townships))
    errors: dict[str, list[str]] = {}
    if not townships:
        errors["townships"] = [_("请选择至少一个乡镇。")]
    elif any(t.level != Level.TOWNSHIP or not t.is_active for t in townships):
        errors["townships"] = [_("只能选择在用的乡镇（街道）。")]
    if basis not in WarningBasis.values:
        errors["basis"] = [_("依据数据无效。")]
    if level is not None and level not in WarningLevel.values:
        errors["level"] = [_("预警级别无效。")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("请写明发布理由。")]
    if not preset.is_active:
        errors["preset"] = [_("该分级方案已停用。")]
    if errors:
        raise InvalidInput(fields=errors)
    series = clean_series(series)
    if actor is None or not AirPolicy.can_issue_in(actor, townships):
        raise NotAllowed(_("只有县级管理员和指挥中心可以发布其辖区的重污染天气预警。"))
    suggested = warning_suggest(preset=preset, series=series)
    if level is None:
        if suggested is None:
            raise InvalidInput(
                fields={"level": [_("该序列未达到任何预警级别；如仍需发布，请选择级别并写明理由。")]}
            )
        level = suggested
    now = timezone.now()
    warning = AirWarning(
        preset=preset,
        level=level,
        suggested_level=suggested or "",
        basis=basis,
        series=[{"date": item["date"].isoformat(), "aqi": item["aqi"]} for item in series],
        reason=reason,
        starts_on=series[0]["date"],
        ends_on=series[-1]["date"],
        issued_by=actor,
        issued_at=now,
        notice_state=NoticeState.PENDING,
    )
    warning.full_clean(exclude=["townships"])
    warning.save()
    warning.townships.set(townships)
    title, body = _notice_text(warning, townships)
    notice_id = _publish_notice(actor=actor, title=title, body=body, regions=townships)
    if notice_id is not None:
        warning.notice_id = notice_id
        warning.notice_state = NoticeState.PUBLISHED
        warning.save(update_fields=["notice_id", "notice_state", "updated_at"])
    audit_record(
        actor=actor,
        action="air.warning_issue",
        obj=warning,
        changes={
            "level": level,
            "suggested_level": suggested,
            "preset": preset.code,
            "townships": [t.code for t in townships],
            "reason": reason,
            "notice": notice_id,
        },
    )
    return warning


@transaction.atomic
def warning_lift(*, actor, warning: AirWarning, reason: str) -> AirWarning:
    warning = AirWarning.objects.select_for_update().get(pk=warning.pk)
    townships = list(warning.townships.all())
    if actor is None or not AirPolicy.can_issue_in(actor, townships):
        raise NotAllowed(_("只有县级管理员和指挥中心可以解除其辖区的预警。"))
    if warning.state != WarningState.ISSUED:
        raise Conflict(_("该预警已解除。"))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("请写明解除理由。")]})
    warning.state = WarningState.LIFTED
    warning.lifted_by = actor
    warning.lifted_at = timezone.now()
    warning.lift_reason = reason
    warning.save(update_fields=["state", "lifted_by", "lifted_at", "lift_reason", "updated_at"])
    _publish_notice(
        actor=actor,
        title=_("【解除】%(level)s（%(start)s 起）")
        % {"level": warning.get_level_display(), "start": warning.starts_on},
        body=_("%(level)s 解除。理由：%(reason)s") % {"level": warning.get_level_display(), "reason": reason},
        regions=townships,
        requires_ack=False,
    )
    audit_record(actor=actor, action="air.warning_lift", obj=warning, changes={"reason": reason})
    return warning


def level_rank(level: str) -> int:
    return WARNING_ORDER.index(level)
