"""Grid groups: how gridgov reaches each grid's group chat, imported in bulk and tested with one message."""

import hashlib
import urllib.parse
from dataclasses import dataclass

import httpx
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.audit import audit_record
from gridgov.core.crypto import seal, unseal
from gridgov.core.exceptions import InvalidInput, NotAllowed
from gridgov.notices.models import Channel, GridGroup
from gridgov.notices.policies import GridGroupPolicy
from gridgov.territory.models import Level, Region

#: The query parameter that carries each bot's key.
KEY_PARAM = {Channel.WECOM: "key", Channel.DINGTALK: "access_token"}
MAX_HOUSEHOLDS = 100000


def mask_webhook(url: str) -> str:
    """https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a…ff6e → host and the key's ends only."""
    if not url:
        return ""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    key = (query.get("key") or query.get("access_token") or [""])[0]
    shown = f"{key[:4]}…{key[-4:]}" if len(key) > 8 else "…"
    return f"{parts.scheme}://{parts.netloc}{parts.path}?…{shown}"[:120]


def bot_key_for(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:32] if url else ""


DEFAULT_WEBHOOK_HOSTS = ("qyapi.weixin.qq.com", "oapi.dingtalk.com")


def webhook_hosts() -> set[str]:
    """Hosts a webhook may point at (``GRIDGOV_NOTICES_WEBHOOK_HOSTS``; a private WeCom deployment adds its own)."""
    from django.conf import settings

    return {h.lower() for h in getattr(settings, "GRIDGOV_NOTICES_WEBHOOK_HOSTS", DEFAULT_WEBHOOK_HOSTS)}


def validate_webhook(channel: str, url: str) -> list[str]:
    """Errors for the webhook URL of ``channel`` (empty list when it is fine)."""
    if channel == Channel.NONE:
        return []
    if not url:
        return [_("请填写 Webhook 地址。")]
    if len(url) > 500:
        return [_("Webhook 地址过长。")]
    try:
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return [_("Webhook 地址格式不正确。")]
    if parts.scheme not in ("http", "https") or not host:
        return [_("Webhook 地址须以 https:// 开头。")]
    allowed = webhook_hosts()
    if host not in allowed:
        # Only the bots' own hosts: an arbitrary URL would let the test button reach into the intranet.
        return [_("Webhook 地址的主机须为 %(hosts)s 之一。") % {"hosts": "、".join(sorted(allowed))}]
    param = KEY_PARAM[channel]
    if not urllib.parse.parse_qs(parts.query).get(param):
        return [_("Webhook 地址缺少参数 %(param)s。") % {"param": param}]
    return []


def _clean(grid: Region | None, channel: str, url: str, secret: str, households) -> tuple[dict, int | None]:
    errors: dict[str, list[str]] = {}
    if grid is None or grid.level != Level.GRID or not grid.is_active:
        errors["grid"] = [_("须是在用的网格。")]
    if channel not in Channel.values:
        errors["channel"] = [_("渠道须为 wecom、dingtalk 或 none。")]
    elif problems := validate_webhook(channel, url):
        errors["webhook_url"] = problems
    if secret and channel != Channel.DINGTALK:
        errors["secret"] = [_("只有钉钉机器人使用加签密钥。")]
    elif len(secret) > 200:
        errors["secret"] = [_("加签密钥过长。")]
    number = None
    if households not in (None, ""):
        try:
            number = int(str(households).strip().removesuffix(".0"))
        except ValueError:
            number = -1
        if not 0 <= number <= MAX_HOUSEHOLDS:
            errors["households_joined"] = [_("入群户数须为 0 到 100000 之间的整数。")]
    return errors, number


def _apply(group: GridGroup, *, channel, url, secret, households, name, keep_secret: bool) -> None:
    group.channel = channel
    if channel == Channel.NONE:
        group.webhook_sealed = group.webhook_masked = group.bot_key = group.secret_sealed = ""
    else:
        if url:
            group.webhook_sealed, group.webhook_masked, group.bot_key = (
                seal(url),
                mask_webhook(url),
                bot_key_for(url),
            )
        if channel != Channel.DINGTALK:
            group.secret_sealed = ""
        elif secret or not keep_secret:
            group.secret_sealed = seal(secret)
    if households is not None:
        group.households_joined = households
    if name is not None:
        group.name = name[:100]


@transaction.atomic
def grid_group_upsert(
    *,
    actor,
    grid: Region,
    channel: str,
    webhook_url: str = "",
    secret: str = "",
    households_joined=None,
    name: str | None = None,
) -> GridGroup:
    """Sets a grid's group. Leaving the URL or the secret empty keeps the stored one (they are never shown back)."""
    webhook_url, secret = (webhook_url or "").strip(), (secret or "").strip()
    if actor is not None and not GridGroupPolicy.can_manage(actor, grid):
        raise NotAllowed(_("您不能管理该网格的群。"))
    group = GridGroup.objects.select_for_update().filter(grid=grid).first()
    stored_url = unseal(group.webhook_sealed) if group and group.webhook_sealed else ""
    errors, households = _clean(grid, channel, webhook_url or stored_url, secret, households_joined)
    if errors:
        raise InvalidInput(fields=errors)
    if households is not None and households > grid_household_count(grid):
        raise InvalidInput(
            fields={
                "households_joined": [
                    _("入群户数不能多于本网格在册户数（%(n)d）。") % {"n": grid_household_count(grid)}
                ]
            }
        )
    created = group is None
    group = group or GridGroup(grid=grid)
    _apply(
        group,
        channel=channel,
        url=webhook_url,
        secret=secret,
        households=households,
        name=name,
        keep_secret=True,
    )
    group.full_clean()
    group.save()
    audit_record(
        actor=actor,
        action="grid_group.create" if created else "grid_group.update",
        obj=group,
        changes={"grid": grid.code, "channel": channel, "households_joined": group.households_joined},
    )
    return group


def grid_household_count(grid: Region) -> int:
    from gridgov.registry.models import Household

    return Household.objects.filter(grid=grid, is_active=True).count()


# --- bulk import ------------------------------------------------------------------------------------------------
HEADERS = {
    "grid_code": ("网格编码", "grid_code", "网格代码"),
    "name": ("群名称", "name"),
    "channel": ("渠道", "channel"),
    "webhook_url": ("webhook地址", "webhook", "webhook_url", "机器人地址"),
    "secret": ("加签密钥", "secret"),
    "households_joined": ("入群户数", "households_joined"),
}
CONTROL_CHARACTERS = frozenset(chr(c) for c in range(32)) - {"\t"}
CHANNEL_WORDS = {"企业微信": Channel.WECOM, "钉钉": Channel.DINGTALK, "无": Channel.NONE, "": Channel.NONE}


@dataclass
class ImportResult:
    created: int
    updated: int
    errors: list[str]


def _columns(headers: list[str]) -> dict[str, int]:
    lowered = [h.strip().lower().replace(" ", "") for h in headers]
    found = {}
    for key, names in HEADERS.items():
        for name in names:
            if name.lower() in lowered:
                found[key] = lowered.index(name.lower())
                break
    return found


def grid_groups_import(*, actor, path, filename: str | None = None, progress=None) -> ImportResult:
    """Reads a sheet of group settings (.xlsx or .csv). Every row is checked first; any error names its row and
    nothing is stored. ``progress(done, total)`` is called as rows are read."""
    from gridgov.core.scope import scope_for
    from gridgov.registry.readers import read_table

    table = read_table(path, filename=filename)
    columns = _columns(table.headers)
    if "grid_code" not in columns or "channel" not in columns:
        raise InvalidInput(
            _("缺少必需的列：网格编码、渠道"), fields={"file": [_("缺少必需的列：网格编码、渠道")]}
        )
    rows = []
    for number, cells in table.rows:

        def cell(key, cells=cells):
            index = columns.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        rows.append((number, {key: cell(key) for key in HEADERS}))
        if progress and len(rows) % 500 == 0:
            progress(len(rows), table.total)
    grids = {
        r.code: r
        for r in Region.objects.filter(code__in=[row["grid_code"] for _n, row in rows], level=Level.GRID)
    }
    existing = {g.grid_id: g for g in GridGroup.objects.filter(grid__in=list(grids.values()))}
    scope = scope_for(actor) if actor is not None else None
    households = _household_counts([g.pk for g in grids.values()])
    errors, plan, seen = [], [], set()
    for number, row in rows:
        channel = CHANNEL_WORDS.get(row["channel"], row["channel"].lower())
        grid = grids.get(row["grid_code"])
        problems = []
        if grid is None:
            problems.append(_("网格编码 %(code)s 不存在") % {"code": row["grid_code"] or "-"})
        elif scope is not None and not GridGroupPolicy.can_manage(actor, grid):
            problems.append(_("网格 %(code)s 不在您的管辖范围内") % {"code": grid.code})
        elif grid.pk in seen:
            problems.append(_("网格 %(code)s 重复出现") % {"code": grid.code})
        stored = existing.get(grid.pk) if grid else None
        url = row["webhook_url"] or (
            unseal(stored.webhook_sealed) if stored and stored.webhook_sealed else ""
        )
        if any(ch in value for value in row.values() for ch in CONTROL_CHARACTERS):
            # Cells with NUL or line breaks would corrupt a key or URL silently (and PostgreSQL refuses NUL).
            problems.append(_("含有不可见的控制字符"))
        field_errors, joined = _clean(grid, channel, url, row["secret"], row["households_joined"])
        field_errors.pop("grid", None) if grid is None else None
        for messages in field_errors.values():
            problems += messages
        if grid is not None and joined is not None and joined > households.get(grid.pk, 0):
            problems.append(
                _("入群户数 %(joined)d 多于在册户数 %(n)d")
                % {"joined": joined, "n": households.get(grid.pk, 0)}
            )
        if problems:
            errors.append(_("第 %(row)d 行：%(problems)s") % {"row": number, "problems": "；".join(problems)})
            continue
        seen.add(grid.pk)
        plan.append((grid, channel, row, joined))
    if not rows:
        errors.append(_("文件中没有数据行"))
    if errors:
        return ImportResult(0, 0, errors)
    created = updated = 0
    with transaction.atomic():
        for grid, channel, row, joined in plan:
            group = existing.get(grid.pk)
            if group is None:
                group, created = GridGroup(grid=grid), created + 1
            else:
                updated += 1
            _apply(
                group,
                channel=channel,
                url=row["webhook_url"],
                secret=row["secret"],
                households=joined,
                name=row["name"] or None,
                keep_secret=True,
            )
            group.save()
        audit_record(
            actor=actor,
            action="grid_group.import",
            obj=plan[0][0],
            changes={"created": created, "updated": updated, "file": filename or str(path)},
        )
    return ImportResult(created, updated, [])


def _household_counts(grid_ids: list[int]) -> dict[int, int]:
    from django.db.models import Count

    from gridgov.registry.models import Household

    return dict(
        Household.objects.filter(grid_id__in=grid_ids, is_active=True)
        .values("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    )


# --- the test button --------------------------------------------------------------------------------------------
@transaction.atomic
def grid_group_test(*, actor, group: GridGroup) -> GridGroup:
    """Sends one test message now and records whether the bot took it."""
    from gridgov.notices.services.sending import Request, dingtalk_signed_url, http_timeout, post

    if actor is not None and not GridGroupPolicy.can_manage(actor, group.grid):
        raise NotAllowed()
    if group.channel == Channel.NONE:
        raise InvalidInput(fields={"channel": [_("该网格群未配置机器人，无法发送测试消息。")]})
    text = _("【测试】这是来自网格化管理平台的测试消息（%(grid)s）。") % {"grid": group.grid.name}
    url = unseal(group.webhook_sealed)
    if group.channel == Channel.DINGTALK:
        request = Request(
            dingtalk_signed_url(url, unseal(group.secret_sealed)),
            {"msgtype": "text", "text": {"content": text}},
        )
    else:
        request = Request(url, {"msgtype": "text", "text": {"content": text}})
    with httpx.Client(timeout=min(http_timeout(), 10.0)) as client:
        outcome = post(client, request)
    group.last_test_at, group.last_test_ok, group.last_test_error = (
        timezone.now(),
        outcome.ok,
        outcome.error[:200],
    )
    group.save(update_fields=["last_test_at", "last_test_ok", "last_test_error", "updated_at"])
    audit_record(actor=actor, action="grid_group.test", obj=group, changes={"ok": outcome.ok})
    return group
