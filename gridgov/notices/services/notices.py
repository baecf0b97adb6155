"""Drafting, publishing and fanning out notices; read receipts, acknowledgements, reminders and escalation."""

import base64
import hashlib
import hmac
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.audit import audit_record
from gridgov.core.crypto import seal
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed, NotFound, errors_from_validation
from gridgov.core.models import Notification
from gridgov.core.roles import Role
from gridgov.notices.models import (
    DEFAULT_AUDIENCE,
    Audience,
    Channel,
    Delivery,
    DeliveryChannel,
    DeliveryKind,
    DeliveryState,
    GridGroup,
    Notice,
    NoticeGrid,
    NoticeState,
    Priority,
    Receipt,
)
from gridgov.notices.policies import NoticePolicy
from gridgov.territory.models import PATH_SEPARATOR, Grant, Level, Region, subtree_range

BATCH = 1000


# --- settings ---------------------------------------------------------------------------------------------------
def site_url() -> str:
    return getattr(settings, "GRIDGOV_SITE_URL", "http://127.0.0.1:8000").rstrip("/")


def sms_enabled() -> bool:
    return bool(getattr(settings, "GRIDGOV_SMS_GATEWAY_URL", ""))


# --- link tokens ------------------------------------------------------------------------------------------------
def receipt_token(notice_grid_id: int, user_id: int | None) -> str:
    """The recipient's link token. Derived with the server key (like a password-reset token), so the database
    holds only its hash; rebuilding it needs SECRET_KEY."""
    message = f"gridgov-notice-receipt\x00{notice_grid_id}\x00{user_id or 0}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, "sha256").digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def receipt_link(notice_grid_id: int, user_id: int | None) -> str:
    return f"{site_url()}/notices/r/{receipt_token(notice_grid_id, user_id)}/"


# --- drafting and publishing ------------------------------------------------------------------------------------
def _clean_audience(audience) -> list[str]:
    if audience is None:
        return list(DEFAULT_AUDIENCE)
    values = [str(a) for a in audience]
    wrong = [a for a in values if a not in Audience.values]
    if wrong or not values:
        raise InvalidInput(
            fields={"audience": [_("发送对象无效：%(values)s") % {"values": ", ".join(wrong) or "-"}]}
        )
    return sorted(set(values), key=Audience.values.index)


@transaction.atomic
def notice_create(
    *,
    actor,
    title: str,
    body: str,
    regions: list[Region],
    audience: list[str] | None = None,
    requires_ack: bool = False,
    deadline: datetime | None = None,
    priority: str | None = None,
) -> Notice:
    """Drafts a notice to every grid below ``regions``. The actor must be allowed to publish in all of them
    (``actor=None`` is the system, e.g. an air-quality warning)."""
    regions = list(dict.fromkeys(regions))
    if deadline is not None and timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline)  # read in the county's time zone
    errors: dict[str, list[str]] = {}
    if not regions:
        errors["scope"] = [_("请选择至少一个发送范围。")]
    elif any(not r.is_active for r in regions):
        errors["scope"] = [_("范围中包含已撤销的区域。")]
    if requires_ack and deadline is None:
        errors["deadline"] = [_("需要确认转达的通知须设置截止时间。")]
    if deadline is not None and deadline <= timezone.now():
        errors["deadline"] = [_("截止时间须晚于现在。")]
    elif deadline is not None and deadline > timezone.now() + timedelta(days=366):
        errors["deadline"] = [_("截止时间不能晚于一年以后。")]
    if priority is not None and priority not in Priority.values:
        errors["priority"] = [_("紧急程度无效。")]
    if errors:
        raise InvalidInput(fields=errors)
    if actor is not None and not NoticePolicy.can_publish_in(actor, regions):
        raise NotAllowed(_("您只能在自己负责的区域内发布通知。"))
    notice = Notice(
        title=(title or "").strip(),
        body=(body or "").strip(),
        audience=_clean_audience(audience),
        requires_ack=requires_ack,
        deadline=deadline,
        priority=priority or Priority.NORMAL,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    try:
        notice.full_clean()
    except ValidationError as exc:
        raise InvalidInput(fields=errors_from_validation(exc)) from exc
    notice.save()
    notice.regions.set(regions)
    audit_record(
        actor=actor,
        action="notice.create",
        obj=notice,
        changes={"scope": [r.code for r in regions], "requires_ack": requires_ack},
    )
    return notice


@transaction.atomic
def notice_publish(*, actor, notice: Notice) -> Notice:
    """Publishes a draft; the fan-out (one delivery per grid group and channel, in-app notices) runs in the
    background once the transaction commits. The given instance is updated too."""
    given, notice = notice, Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.state != NoticeState.DRAFT:
        raise Conflict(_("只有草稿可以发布。"))
    regions = list(notice.regions.all())
    if actor is not None and not NoticePolicy.can_publish_in(actor, regions):
        raise NotAllowed(_("您只能在自己负责的区域内发布通知。"))
    if notice.deadline is not None and notice.deadline <= timezone.now():
        raise InvalidInput(fields={"deadline": [_("截止时间已过，请修改后再发布。")]})
    notice.state = NoticeState.PUBLISHED
    notice.published_at = timezone.now()
    notice.published_by = actor if getattr(actor, "pk", None) else None
    notice.save(update_fields=["state", "published_at", "published_by", "updated_at"])
    audit_record(actor=actor, action="notice.publish", obj=notice)
    given.state, given.published_at, given.published_by = (
        notice.state,
        notice.published_at,
        notice.published_by,
    )
    from gridgov.notices.tasks import notice_fan_out_task

    transaction.on_commit(lambda: notice_fan_out_task.enqueue(notice.pk))
    return notice


def _grids_in(regions: list[Region]):
    q = Q(pk__in=[])
    for region in regions:
        low, high = subtree_range(region.path)
        q |= Q(path__gte=low, path__lt=high)
    return Region.objects.filter(q, level=Level.GRID, is_active=True)


def _codes(path: str) -> list[str]:
    return [c for c in path.split(PATH_SEPARATOR) if c]


@transaction.atomic
def notice_fan_out(*, notice_id: int) -> int:
    """Creates the notice's grids, receipts, deliveries and in-app notices, set-based; idempotent. Returns the
    number of deliveries created."""
    notice = Notice.objects.select_for_update().filter(pk=notice_id).first()
    if notice is None or notice.state != NoticeState.PUBLISHED or notice.fanned_out_at is not None:
        return 0
    regions = list(notice.regions.all())
    grids = list(_grids_in(regions).values_list("id", "path"))
    ancestor_codes = {code for _id, path in grids for code in _codes(path)[-3:-1]}
    ids_by_code = dict(
        Region.objects.filter(code__in=ancestor_codes, level__in=[Level.TOWNSHIP, Level.VILLAGE]).values_list(
            "code", "id"
        )
    )
    rows = []
    for grid_id, path in grids:
        codes = _codes(path)
        village, township = (
            ids_by_code.get(codes[-2]),
            ids_by_code.get(codes[-3]) if len(codes) >= 3 else None,
        )
        if village is None or township is None:
            continue  # a grid must sit under a village and a township to be rolled up
        rows.append(NoticeGrid(notice=notice, grid_id=grid_id, village_id=village, township_id=township))
    NoticeGrid.objects.bulk_create(rows, batch_size=BATCH)
    notice_grids = dict(NoticeGrid.objects.filter(notice=notice).values_list("grid_id", "id"))
    audience = set(notice.audience)
    receipts: list[Receipt] = []
    if Audience.GROUPS in audience:
        receipts += [
            Receipt(notice_grid_id=ng, user=None, token_hash=token_hash(receipt_token(ng, None)))
            for ng in notice_grids.values()
        ]
    workers: dict[int, list[int]] = {}
    users: dict[int, User] = {}
    if Audience.GRID_WORKERS in audience and notice_grids:
        for user_id, region_id in Grant.objects.filter(
            role=Role.GRID_WORKER, region_id__in=list(notice_grids), user__is_active=True
        ).values_list("user_id", "region_id"):
            workers.setdefault(region_id, []).append(user_id)
        users = User.objects.in_bulk({u for us in workers.values() for u in us})
        receipts += [
            Receipt(
                notice_grid_id=notice_grids[grid],
                user_id=u,
                token_hash=token_hash(receipt_token(notice_grids[grid], u)),
            )
            for grid, us in workers.items()
            for u in us
        ]
    Receipt.objects.bulk_create(receipts, batch_size=BATCH)
    groups = {
        g.grid_id: g
        for g in GridGroup.objects.filter(grid_id__in=list(notice_grids))
        .exclude(channel=Channel.NONE)
        .only("id", "grid_id", "channel", "bot_key")
    }
    grid_of = {ng: grid for grid, ng in notice_grids.items()}
    deliveries = []
    now = timezone.now()
    sms = sms_enabled()
    for receipt in Receipt.objects.filter(notice_grid__notice=notice).values(
        "id", "notice_grid_id", "user_id"
    ):
        grid_id = grid_of[receipt["notice_grid_id"]]
        base = {
            "notice": notice,
            "receipt_id": receipt["id"],
            "notice_grid_id": receipt["notice_grid_id"],
            "kind": DeliveryKind.NOTICE,
            "next_attempt_at": now,
            "idempotency_key": uuid.uuid4().hex,
        }
        if receipt["user_id"] is None:
            group = groups.get(grid_id)
            if group is not None:
                deliveries.append(Delivery(channel=group.channel, group=group, bot_key=group.bot_key, **base))
        elif sms:
            phone = users[receipt["user_id"]].phone
            if phone:
                deliveries.append(
                    Delivery(channel=DeliveryChannel.SMS, phone_sealed=seal(phone), bot_key="sms", **base)
                )
    Delivery.objects.bulk_create(deliveries, batch_size=BATCH)
    _notify_users(notice, users.values(), audience, regions)
    notice.fanned_out_at = now
    notice.save(update_fields=["fanned_out_at", "updated_at"])
    from gridgov.notices.tasks import deliveries_send_task

    if deliveries:
        transaction.on_commit(lambda: deliveries_send_task.enqueue(notice.pk))
    return len(deliveries)


def _notify_users(notice: Notice, workers, audience: set, regions: list[Region]) -> None:
    url = f"/notices/{notice.pk}/"
    title = (_("新通知：%(title)s") % {"title": notice.title})[:200]
    recipients = {u.pk for u in workers}
    if Audience.TOWNSHIP_OFFICERS in audience:
        q = Q(pk__in=[])
        for region in regions:
            low, high = subtree_range(region.path)
            # officers of townships inside the scope, and of the township containing a smaller scope
            q |= Q(region__path__gte=low, region__path__lt=high)
            q |= Q(
                region__path__in=[
                    PATH_SEPARATOR.join(_codes(region.path)[:i]) + PATH_SEPARATOR
                    for i in range(1, len(_codes(region.path)))
                ]
            )
        recipients |= set(
            Grant.objects.filter(q, role=Role.TOWNSHIP_OFFICER, region__level=Level.TOWNSHIP).values_list(
                "user_id", flat=True
            )
        )
    Notification.objects.bulk_create(
        [Notification(recipient_id=u, title=title, url=url, body=notice.body[:500]) for u in recipients],
        batch_size=BATCH,
    )


@transaction.atomic
def notice_withdraw(*, actor, notice: Notice) -> Notice:
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.state == NoticeState.WITHDRAWN:
        raise Conflict(_("通知已撤回。"))
    if actor is not None and not NoticePolicy.can_manage(actor, notice):
        raise NotAllowed()
    notice.state = NoticeState.WITHDRAWN
    if notice.published_at is None:
        notice.published_at = timezone.now()
    notice.save(update_fields=["state", "published_at", "updated_at"])
    # Messages not yet sent are not sent any more.
    Delivery.objects.filter(notice=notice, state__in=[DeliveryState.PENDING, DeliveryState.FAILED]).update(
        state=DeliveryState.DEAD, last_error=_("通知已撤回")
    )
    audit_record(actor=actor, action="notice.withdraw", obj=notice)
    return notice


# --- reading and acknowledging ----------------------------------------------------------------------------------
def _mark_read(receipt_id: int, notice_grid_id: int, now) -> None:
    Receipt.objects.filter(pk=receipt_id, read_at__isnull=True).update(read_at=now)
    NoticeGrid.objects.filter(pk=notice_grid_id, read_at__isnull=True).update(read_at=now)


@transaction.atomic
def receipt_open(*, token: str) -> Receipt:
    """Records that a link was opened: the first time sets "read"; a reused link only counts. A wrong token
    is NotFound."""
    if not token or len(token) > 64:
        raise NotFound()
    receipt = (
        Receipt.objects.select_related("notice_grid__notice", "notice_grid__grid", "user")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if receipt is None or receipt.notice_grid.notice.state != NoticeState.PUBLISHED:
        raise NotFound()
    now = timezone.now()
    _mark_read(receipt.pk, receipt.notice_grid_id, now)
    Receipt.objects.filter(pk=receipt.pk).update(read_count=F("read_count") + 1)
    receipt.refresh_from_db()
    receipt.notice_grid.refresh_from_db()
    return receipt


def receipt_mark_read_for_user(*, user, notice: Notice) -> None:
    """A signed-in grid worker opening the notice page reads it too."""
    now = timezone.now()
    for receipt_id, ng_id in Receipt.objects.filter(
        notice_grid__notice=notice, user=user, read_at__isnull=True
    ).values_list("id", "notice_grid_id"):
        _mark_read(receipt_id, ng_id, now)


def _clean_households(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= 100000:
        raise InvalidInput(fields={"households_told": [_("告知户数须为 0 到 100000 之间的整数。")]})
    return number


@transaction.atomic
def notice_grid_ack(*, actor, notice_grid: NoticeGrid, households_told=None) -> NoticeGrid:
    """已转达: the grid's worker (or a township officer above it) confirms the notice reached the grid."""
    households = _clean_households(households_told)
    notice_grid = (
        NoticeGrid.objects.select_for_update().select_related("notice", "grid").get(pk=notice_grid.pk)
    )
    if notice_grid.notice.state != NoticeState.PUBLISHED:
        raise Conflict(_("通知未发布或已撤回。"))
    if not NoticePolicy.can_respond(actor, notice_grid.grid):
        raise NotAllowed(_("只有本网格的网格员可以确认转达。"))
    if notice_grid.acked_at is not None:
        raise Conflict(
            _("本网格已于 %(time)s 确认转达。")
            % {"time": timezone.localtime(notice_grid.acked_at).strftime("%m-%d %H:%M")},
            code="already_acked",
        )
    now = timezone.now()
    notice_grid.acked_at, notice_grid.acked_by, notice_grid.households_told = now, actor, households
    notice_grid.read_at = notice_grid.read_at or now
    notice_grid.save(update_fields=["acked_at", "acked_by", "households_told", "read_at"])
    Receipt.objects.filter(notice_grid=notice_grid, user=actor, read_at__isnull=True).update(read_at=now)
    audit_record(
        actor=actor,
        action="notice.ack",
        obj=notice_grid.notice,
        changes={"grid": notice_grid.grid.code, "households": households},
    )
    return notice_grid


def notice_grid_for_user(*, user, notice: Notice, grid_code: str | None = None) -> NoticeGrid:
    """The grid of ``notice`` that ``user`` answers for: the named one, or the user's only grid in it."""
    from gridgov.core.scope import scope_for

    qs = NoticeGrid.objects.filter(notice=notice).select_related("grid", "notice")
    scope = scope_for(user)
    qs = qs.filter(
        scope.region_q({Role.GRID_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_ADMIN}, field="grid__path")
    )
    if grid_code:
        found = qs.filter(grid__code=grid_code).first()
        if found is None:
            raise NotFound()
        return found
    rows = list(qs[:2])
    if len(rows) != 1:
        raise InvalidInput(fields={"grid": [_("请指明网格编码。")]})
    return rows[0]


def receipt_ack(*, token: str, households_told=None) -> NoticeGrid:
    """已转达 from a grid worker's personal link: the token stands for the worker."""
    receipt = receipt_open(token=token)
    if receipt.user is None:
        raise NotAllowed(_("群链接不能确认转达，请网格员登录或使用本人短信链接。"))
    return notice_grid_ack(
        actor=receipt.user, notice_grid=receipt.notice_grid, households_told=households_told
    )


# --- reminders and escalation -----------------------------------------------------------------------------------
def remind_before() -> timedelta:
    return timedelta(hours=getattr(settings, "GRIDGOV_NOTICES_REMIND_BEFORE_HOURS", 2))


def notices_remind_due(*, now=None) -> int:
    """Reminds every grid that has not acknowledged a notice whose deadline is near; once per grid."""
    now = now or timezone.now()
    rows = list(
        NoticeGrid.objects.filter(
            notice__state=NoticeState.PUBLISHED,
            notice__requires_ack=True,
            notice__deadline__gt=now,
            notice__deadline__lte=now + remind_before(),
            acked_at__isnull=True,
            reminded_at__isnull=True,
        ).values_list("id", "notice_id", "grid_id")
    )
    if not rows:
        return 0
    with transaction.atomic():
        # Re-read under lock: a concurrent run (the periodic task beside the command) that reminded some of these
        # grids since the read above has committed, and they must not be reminded twice.
        rows = list(
            NoticeGrid.objects.select_for_update()
            .filter(pk__in=[r[0] for r in rows], reminded_at__isnull=True)
            .values_list("id", "notice_id", "grid_id")
        )
        if not rows:
            return 0
        ids = [r[0] for r in rows]
        NoticeGrid.objects.filter(pk__in=ids, reminded_at__isnull=True).update(reminded_at=now)
        notices = Notice.objects.in_bulk({r[1] for r in rows})
        receipts = list(
            Receipt.objects.filter(notice_grid_id__in=ids).values(
                "id", "notice_grid_id", "user_id", "user__phone"
            )
        )
        groups = {
            g.grid_id: g
            for g in GridGroup.objects.filter(grid_id__in=[r[2] for r in rows]).exclude(channel=Channel.NONE)
        }
        grid_of = {r[0]: r[2] for r in rows}
        notice_of = {r[0]: r[1] for r in rows}
        deliveries, notes = [], []
        for receipt in receipts:
            notice = notices[notice_of[receipt["notice_grid_id"]]]
            base = {
                "notice": notice,
                "receipt_id": receipt["id"],
                "notice_grid_id": receipt["notice_grid_id"],
                "kind": DeliveryKind.REMINDER,
                "next_attempt_at": now,
                "idempotency_key": uuid.uuid4().hex,
            }
            if receipt["user_id"] is None:
                group = groups.get(grid_of[receipt["notice_grid_id"]])
                if group is not None:
                    deliveries.append(
                        Delivery(channel=group.channel, group=group, bot_key=group.bot_key, **base)
                    )
                continue
            notes.append(
                Notification(
                    recipient_id=receipt["user_id"],
                    title=(_("请在截止前确认转达：%(title)s") % {"title": notice.title})[:200],
                    url=f"/notices/{notice.pk}/",
                )
            )
            if sms_enabled() and receipt["user__phone"]:
                deliveries.append(
                    Delivery(
                        channel=DeliveryChannel.SMS,
                        phone_sealed=seal(receipt["user__phone"]),
                        bot_key="sms",
                        **base,
                    )
                )
        Delivery.objects.bulk_create(deliveries, batch_size=BATCH)
        Notification.objects.bulk_create(notes, batch_size=BATCH)
    return len(rows)


def notices_escalate_overdue(*, now=None) -> int:
    """After the deadline, tells each township's officers which of their grids have not acknowledged (in-app and
    by SMS when a gateway is set); once per grid. Returns the number of grids escalated."""
    now = now or timezone.now()
    rows = list(
        NoticeGrid.objects.filter(
            notice__state=NoticeState.PUBLISHED,
            notice__requires_ack=True,
            notice__deadline__lte=now,
            acked_at__isnull=True,
            escalated_at__isnull=True,
        ).values_list("id", "notice_id", "township_id", "grid__name")
    )
    if not rows:
        return 0
    with transaction.atomic():
        # Re-read under lock, as for reminders: a concurrent run must not escalate the same grids again.
        rows = list(
            NoticeGrid.objects.select_for_update(of=("self",))
            .filter(pk__in=[r[0] for r in rows], escalated_at__isnull=True)
            .values_list("id", "notice_id", "township_id", "grid__name")
        )
        if not rows:
            return 0
        NoticeGrid.objects.filter(pk__in=[r[0] for r in rows], escalated_at__isnull=True).update(
            escalated_at=now
        )
        by_pair: dict[tuple[int, int], list[str]] = {}
        for _id, notice_id, township_id, grid_name in rows:
            by_pair.setdefault((notice_id, township_id), []).append(grid_name)
        officers: dict[int, list[tuple[int, str]]] = {}
        for user_id, region_id, phone in Grant.objects.filter(
            role=Role.TOWNSHIP_OFFICER, region_id__in={t for _n, t in by_pair}, user__is_active=True
        ).values_list("user_id", "region_id", "user__phone"):
            officers.setdefault(region_id, []).append((user_id, phone))
        notices = Notice.objects.in_bulk({n for n, _t in by_pair})
        notes, deliveries = [], []
        for (notice_id, township_id), names in by_pair.items():
            notice = notices[notice_id]
            title = _("逾期未确认：%(title)s（%(count)d 个网格）") % {
                "title": notice.title,
                "count": len(names),
            }
            for user_id, phone in officers.get(township_id, []):
                notes.append(
                    Notification(
                        recipient_id=user_id,
                        title=title[:200],
                        url=f"/notices/{notice_id}/",
                        body="、".join(names)[:1000],
                    )
                )
                if sms_enabled() and phone:
                    deliveries.append(
                        Delivery(
                            notice=notice,
                            kind=DeliveryKind.ESCALATION,
                            channel=DeliveryChannel.SMS,
                            phone_sealed=seal(phone),
                            bot_key="sms",
                            next_attempt_at=now,
                            idempotency_key=uuid.uuid4().hex,
                        )
                    )
        Notification.objects.bulk_create(notes, batch_size=BATCH)
        Delivery.objects.bulk_create(deliveries, batch_size=BATCH)
        Notice.objects.filter(pk__in=list(notices), escalated_at__isnull=True).update(escalated_at=now)
    return len(rows)


# --- attachments ------------------------------------------------------------------------------------------------
ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".txt", ".jpg", ".jpeg", ".png")
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_ATTACHMENTS = 10


@transaction.atomic
def notice_attachments_add(*, actor, notice: Notice, files) -> list:
    """Attaches files (name, bytes) to a draft; each is checked by name and size, all or none are stored."""
    from django.core.files.base import ContentFile

    from gridgov.notices.models import NoticeAttachment

    if notice.state != NoticeState.DRAFT:
        raise Conflict(_("只有草稿可以添加附件。"))
    if actor is not None and not NoticePolicy.can_manage(actor, notice):
        raise NotAllowed()
    files = list(files)
    problems = []
    if notice.attachments.count() + len(files) > MAX_ATTACHMENTS:
        problems.append(_("每条通知最多 %(n)d 个附件。") % {"n": MAX_ATTACHMENTS})
    for name, data in files:
        if not name.lower().endswith(ATTACHMENT_SUFFIXES):
            problems.append(_("%(name)s：不支持的文件类型。") % {"name": name[:80]})
        elif len(data) > MAX_ATTACHMENT_BYTES:
            problems.append(_("%(name)s：文件超过 20MB。") % {"name": name[:80]})
    if problems:
        raise InvalidInput(fields={"attachments": problems})
    saved = []
    for name, data in files:
        attachment = NoticeAttachment(notice=notice, name=name[:200], size=len(data))
        suffix = "." + name.rsplit(".", 1)[-1].lower()
        attachment.file.save(f"n{notice.pk}{suffix}", ContentFile(data), save=False)
        attachment.save()
        saved.append(attachment)
    audit_record(actor=actor, action="notice.attach", obj=notice, changes={"files": [n for n, _d in files]})
    return saved
