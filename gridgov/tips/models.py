"""The public tip line (有奖举报): one Tip per reporter submission, reward rules per category, rewards.

Several Tips may point to one Case (duplicates attach to the open case); each reporter keeps their own tracking
code and claim secret. The reporter's name and phone are sealed (``gridgov.core.crypto``); only the reward officer
reads them, and each read is written to the access log.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import Case, Category


class Tip(models.Model):
    class Channel(models.TextChoices):
        WEB = "web", _("网上举报")
        PHONE = "phone", _("举报电话")
        OPEN311 = "open311", _("Open311")

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="tips")
    tracking_code = models.CharField(_("查询码"), max_length=16, unique=True)
    #: HMAC of the claim secret (the plain secret is shown once, on the receipt).
    secret = models.CharField(_("领奖密钥摘要"), max_length=64, editable=False)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    description = models.TextField(_("举报内容"))
    anonymous = models.BooleanField(_("匿名"), default=False)
    reporter_name_sealed = models.TextField(blank=True, editable=False)
    reporter_phone_sealed = models.TextField(blank=True, editable=False)
    reporter_phone_masked = models.CharField(_("联系电话"), max_length=30, blank=True, editable=False)
    #: Blind index of the normalised phone, for per-phone rate limits and "other tips from this number".
    reporter_phone_index = models.CharField(max_length=32, blank=True, editable=False)
    #: Blind index of the client (IP address or an integration's key), for per-client rate limits.
    client_index = models.CharField(max_length=32, blank=True, editable=False)
    #: Blind index of the client and the form it sent (one page load): a form sent twice (a double tap, a retried
    #: request) files one tip, and the second answer gives the same tracking code.
    submission_index = models.CharField(max_length=32, blank=True, editable=False)
    attached = models.BooleanField(_("并入已有案件"), default=False)
    is_spam = models.BooleanField(_("恶意/垃圾举报"), default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    claim_failures = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("举报时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("举报")
        verbose_name_plural = _("举报")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at"], name="tip_created_idx"),
            models.Index(fields=["reporter_phone_index", "created_at"], name="tip_phone_rate_idx"),
            models.Index(fields=["client_index", "created_at"], name="tip_client_rate_idx"),
            models.Index(fields=["case", "created_at"], name="tip_case_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["submission_index"],
                condition=~Q(submission_index=""),
                name="tip_submission_unique",
            )
        ]

    def __str__(self) -> str:
        # Not the tracking code: str() lands in the audit log and the access log, which the county admin reads,
        # and the code (with the secret) is what claims a reward.
        return f"#{self.pk}"

    @property
    def tracking_code_display(self) -> str:
        code = self.tracking_code
        return f"{code[:4]}-{code[4:8]}-{code[8:]}" if len(code) > 8 else code


class TipRateKey(models.Model):
    """One row per rate-limited key (a client's or a phone's blind index), locked by every tip of that key while it
    counts and inserts: the limit then holds under a burst of concurrent submissions (PostgreSQL's row lock; on
    SQLite the IMMEDIATE write transaction serialises them anyway)."""

    key = models.CharField(max_length=40, primary_key=True)
    # set by every tip of the key; rows unused for longer than the longest rate window are purged
    last_used = models.DateTimeField(null=True, db_index=True)

    def __str__(self) -> str:
        return self.key


class RewardRule(models.Model):
    """How much a confirmed tip of a category earns, and who qualifies (policy is data: the county edits it)."""

    class Shared(models.TextChoices):
        FIRST = "first", _("只奖励首位有效举报人")
        SPLIT = "split", _("多名举报人平分")

    category = models.OneToOneField(
        Category, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="reward_rule"
    )
    min_amount = models.PositiveIntegerField(_("最低金额（元）"))
    max_amount = models.PositiveIntegerField(_("最高金额（元）"))
    qualifies = models.TextField(_("奖励条件"), blank=True)
    shared = models.CharField(
        _("多人举报同一问题"), max_length=8, choices=Shared.choices, default=Shared.FIRST
    )
    is_active = models.BooleanField(_("在用"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("奖励标准")
        verbose_name_plural = _("奖励标准")
        ordering = ["category__group__sort_order", "category__sort_order", "category__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_amount__gte=models.F("min_amount")), name="reward_rule_range_ordered"
            ),
            models.CheckConstraint(condition=Q(max_amount__gte=1), name="reward_rule_max_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.category.name} ¥{self.min_amount}–{self.max_amount}"


class Reward(models.Model):
    """A reward for one tip: proposed when its case closes, then approved (or refused), claimed and paid."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("待审核")
        APPROVED = "approved", _("已核定，待领取")
        REFUSED = "refused", _("不予奖励")
        CLAIMED = "claimed", _("已申领，待发放")
        PAID = "paid", _("已发放")

    class Method(models.TextChoices):
        BANK = "bank", _("银行转账")
        WECHAT = "wechat", _("微信转账")
        ALIPAY = "alipay", _("支付宝转账")
        CASH = "cash", _("现金（当面领取）")

    tip = models.OneToOneField(Tip, verbose_name=_("举报"), on_delete=models.PROTECT, related_name="reward")
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PROPOSED)
    min_amount = models.PositiveIntegerField(_("最低金额（元）"))
    max_amount = models.PositiveIntegerField(_("最高金额（元）"))
    amount = models.PositiveIntegerField(_("核定金额（元）"), null=True, blank=True)
    decision_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("申领时间"), null=True, blank=True)
    #: Where an anonymous reporter wants to be paid or called (sealed; reward officer only).
    claim_contact_sealed = models.TextField(blank=True, editable=False)
    payment_method = models.CharField(_("发放方式"), max_length=10, choices=Method.choices, blank=True)
    payment_reference = models.CharField(_("凭证号"), max_length=100, blank=True)
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("举报奖励")
        verbose_name_plural = _("举报奖励")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"], name="reward_state_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["proposed", "refused"]) | Q(amount__isnull=False),
                name="reward_decided_has_amount",
            ),
            models.CheckConstraint(
                condition=~Q(state="paid") | Q(paid_at__isnull=False, paid_by__isnull=False),
                name="reward_paid_has_payment",
            ),
            models.CheckConstraint(
                condition=Q(max_amount__gte=models.F("min_amount")), name="reward_range_ordered"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True)
                | Q(amount__gte=models.F("min_amount"), amount__lte=models.F("max_amount")),
                name="reward_amount_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tip_id} {self.state}"
