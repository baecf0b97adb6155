"""Notices down the grid: grid groups (how gridgov reaches a grid's WeChat/WeCom/DingTalk group), notices, the
per-grid roll-up rows, per-recipient read receipts, deliveries (one message to one channel, with its attempts) and
reports back from the grids."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import BaseModel
from gridgov.territory.models import Region


class Channel(models.TextChoices):
    NONE = "none", _("仅站内")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")


class GridGroup(BaseModel):
    """A grid's group chat and how gridgov reaches it. The webhook URL (with its key) and the DingTalk signing
    secret are sealed; only a masked form is ever shown."""

    grid = models.OneToOneField(
        Region, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="notice_group"
    )
    name = models.CharField(_("群名称"), max_length=100, blank=True)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices, default=Channel.NONE)
    webhook_sealed = models.TextField(_("Webhook 地址（密文）"), blank=True, editable=False)
    webhook_masked = models.CharField(_("Webhook 地址"), max_length=120, blank=True, editable=False)
    # Identifies the bot for its rate limit without revealing the URL: several grids may share one bot.
    bot_key = models.CharField(max_length=32, blank=True, editable=False, db_index=True)
    secret_sealed = models.TextField(_("加签密钥（密文）"), blank=True, editable=False)
    households_joined = models.PositiveIntegerField(_("入群户数"), default=0)
    last_test_at = models.DateTimeField(_("最近测试时间"), null=True, blank=True)
    last_test_ok = models.BooleanField(_("最近测试成功"), null=True, blank=True)
    last_test_error = models.CharField(_("最近测试错误"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("网格群")
        verbose_name_plural = _("网格群")
        ordering = ["grid__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel="none") | ~Q(webhook_sealed=""), name="gridgroup_channel_has_webhook"
            )
        ]

    def __str__(self) -> str:
        return self.name or str(self.grid_id)


class Priority(models.TextChoices):
    NORMAL = "normal", _("一般")
    IMPORTANT = "important", _("重要")
    URGENT = "urgent", _("紧急")


class Audience(models.TextChoices):
    GROUPS = "groups", _("网格群")
    GRID_WORKERS = "grid_workers", _("网格员")
    TOWNSHIP_OFFICERS = "township_officers", _("乡镇(街道)工作人员")


DEFAULT_AUDIENCE = [Audience.GROUPS.value, Audience.GRID_WORKERS.value]


class NoticeState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class Notice(BaseModel):
    """One notice sent to every grid below its regions."""

    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("正文"), max_length=4000)
    regions = models.ManyToManyField(Region, verbose_name=_("范围"), related_name="notices")
    audience = models.JSONField(_("发送对象"), default=list)
    state = models.CharField(
        _("状态"), max_length=16, choices=NoticeState.choices, default=NoticeState.DRAFT, db_index=True
    )
    priority = models.CharField(
        _("紧急程度"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    requires_ack = models.BooleanField(_("需要确认转达"), default=False)
    deadline = models.DateTimeField(_("确认截止时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("起草人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    fanned_out_at = models.DateTimeField(_("分发时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("逾期上报时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "-published_at"], name="notice_state_published_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="draft") | Q(published_at__isnull=False), name="notice_published_has_time"
            )
        ]

    def __str__(self) -> str:
        return self.title


class NoticeAttachment(BaseModel):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to="notices/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"), default=0)

    class Meta:
        verbose_name = _("通知附件")
        verbose_name_plural = _("通知附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class NoticeGrid(models.Model):
    """The notice in one grid: the unit of the roll-ups (read, acknowledged) by township → village → grid."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="grids")
    grid = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(_("首次阅读"), null=True, blank=True)
    acked_at = models.DateTimeField(_("转达时间"), null=True, blank=True)
    acked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    households_told = models.PositiveIntegerField(_("告知户数"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("逾期上报时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知网格")
        verbose_name_plural = _("通知网格")
        constraints = [models.UniqueConstraint(fields=["notice", "grid"], name="noticegrid_unique")]
        indexes = [
            models.Index(fields=["notice", "township", "village"], name="noticegrid_rollup_idx"),
            models.Index(fields=["grid", "notice"], name="noticegrid_grid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}/{self.grid_id}"


class Receipt(models.Model):
    """One recipient of a notice in a grid: the grid's group (user is null) or a person. Its link token is never
    stored: only its SHA-256."""

    notice_grid = models.ForeignKey(NoticeGrid, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    read_count = models.PositiveIntegerField(_("打开次数"), default=0)

    class Meta:
        verbose_name = _("回执")
        verbose_name_plural = _("回执")
        constraints = [
            models.UniqueConstraint(fields=["notice_grid", "user"], name="receipt_unique_user"),
            models.UniqueConstraint(
                fields=["notice_grid"], condition=Q(user__isnull=True), name="receipt_unique_group"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice_grid_id}/{self.user_id or 'group'}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已送达")
    FAILED = "failed", _("失败待重试")
    DEAD = "dead", _("发送失败")


class DeliveryKind(models.TextChoices):
    NOTICE = "notice", _("通知")
    REMINDER = "reminder", _("提醒")
    ESCALATION = "escalation", _("逾期上报")


class DeliveryChannel(models.TextChoices):
    WECOM = "wecom", _("企业微信")
    DINGTALK = "dingtalk", _("钉钉")
    SMS = "sms", _("短信")


class Delivery(models.Model):
    """One message to one destination, with its attempts. A sender claims it with a conditional UPDATE (state,
    lease, claim token) before sending and records the outcome only while it still holds the claim."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    # The recipient whose link the message carries; none for a message to a township officer about a grid.
    receipt = models.ForeignKey(
        Receipt, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    notice_grid = models.ForeignKey(
        NoticeGrid, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=DeliveryKind.choices, default=DeliveryKind.NOTICE)
    channel = models.CharField(max_length=16, choices=DeliveryChannel.choices)
    group = models.ForeignKey(GridGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    phone_sealed = models.TextField(blank=True)
    bot_key = models.CharField(max_length=32, blank=True)
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    idempotency_key = models.CharField(max_length=32, unique=True)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("投递")
        verbose_name_plural = _("投递")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="delivery_due_idx"),
            models.Index(fields=["notice", "state"], name="delivery_notice_state_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False), name="delivery_sent_has_time"
            ),
            models.UniqueConstraint(
                fields=["receipt", "channel", "kind"],
                condition=Q(kind="notice"),
                name="delivery_one_notice_per_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.pk}:{self.state}"


class ReportOutcome(models.TextChoices):
    DONE = "done", _("已完成")
    PROBLEM = "problem", _("有问题")


class NoticeReport(BaseModel):
    """A grid's answer to a notice: done or a problem, with a number, a note and photos."""

    notice_grid = models.ForeignKey(NoticeGrid, on_delete=models.CASCADE, related_name="reports")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("结果"), max_length=16, choices=ReportOutcome.choices)
    number = models.PositiveIntegerField(_("数量"), null=True, blank=True)
    note = models.TextField(_("说明"), max_length=2000, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("案件"),
    )

    class Meta:
        verbose_name = _("回报")
        verbose_name_plural = _("回报")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.notice_grid_id}:{self.outcome}"


class NoticeReportPhoto(models.Model):
    report = models.ForeignKey(NoticeReport, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to="notices/reports/%Y/%m/")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
