"""The closed loop (GB/T 30428): 信息收集 → 立案 → 派遣 → 处置 → 反馈 → 核查结案 → 评价.

A Case carries its state and the timestamps every indicator needs; each transition adds a CaseEvent in the same
transaction. Reports (CaseReport) are kept per case so that merging duplicates keeps every reporter.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import BaseModel
from gridgov.territory.models import Department, Region


class DeadlineUnit(models.TextChoices):
    HOURS = "hours", _("工作时")
    DAYS = "days", _("工作日")


class CategoryGroup(BaseModel):
    """大类."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("案件大类")
        verbose_name_plural = _("案件大类")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Category(BaseModel):
    """小类: who handles it by default, how long they have, and when a case is opened and closed."""

    group = models.ForeignKey(
        CategoryGroup, verbose_name=_("大类"), on_delete=models.PROTECT, related_name="categories"
    )
    code = models.SlugField(_("代码"), max_length=48, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    default_department_code = models.SlugField(
        _("默认责任部门代码"),
        max_length=32,
        blank=True,
        help_text=_("如 yingji（应急管理局）；空则由乡镇处置"),
    )
    deadline_value = models.PositiveSmallIntegerField(_("处置时限"))
    deadline_unit = models.CharField(_("时限单位"), max_length=8, choices=DeadlineUnit.choices)
    register_condition = models.TextField(_("立案条件"), blank=True)
    close_condition = models.TextField(_("结案条件"), blank=True)
    reward_eligible = models.BooleanField(_("可获举报奖励"), default=False)
    public = models.BooleanField(_("向公众开放举报"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("案件小类")
        verbose_name_plural = _("案件小类")
        ordering = ["group__sort_order", "sort_order", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(deadline_value__gte=1), name="category_deadline_positive")
        ]

    def __str__(self) -> str:
        return f"{self.group.name} / {self.name}"

    @property
    def deadline_label(self) -> str:
        return f"{self.deadline_value} {self.get_deadline_unit_display()}"


class CaseState(models.TextChoices):
    REPORTED = "reported", _("已受理")
    REGISTERED = "registered", _("已立案")
    VOIDED = "voided", _("已作废")
    DISPATCHED = "dispatched", _("已派遣")
    HANDLING = "handling", _("处置中")
    RESOLVED = "resolved", _("待核查")
    CLOSED = "closed", _("已结案")
    MERGED = "merged", _("已合并")


OPEN_STATES = (
    CaseState.REPORTED,
    CaseState.REGISTERED,
    CaseState.DISPATCHED,
    CaseState.HANDLING,
    CaseState.RESOLVED,
)
#: States in which the deadline clock runs.
CLOCK_STATES = (CaseState.DISPATCHED, CaseState.HANDLING)


class CaseSource(models.TextChoices):
    GRID_REPORT = "grid_report", _("网格员上报")
    HOTLINE = "hotline", _("热线受理")
    REFERRAL = "referral", _("上级交办")
    TIP = "tip", _("群众举报")
    INSPECTION = "inspection", _("督查检查")
    SENSOR = "sensor", _("监测预警")
    VISIT = "visit", _("入户走访")
    NOTICE = "notice", _("通知回报")


class Case(BaseModel):
    number = models.CharField(_("案件编号"), max_length=20, unique=True)
    # No single-column index on category, township or unit_department: the composite indexes below lead with
    # them and serve those lookups, and every filed case would pay for the extra index updates.
    category = models.ForeignKey(
        Category, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    region = models.ForeignKey(
        Region, verbose_name=_("发生地"), on_delete=models.PROTECT, related_name="cases"
    )
    township = models.ForeignKey(
        Region,
        verbose_name=_("所属乡镇"),
        on_delete=models.PROTECT,
        related_name="township_cases",
        db_index=False,
    )
    source = models.CharField(_("来源"), max_length=16, choices=CaseSource.choices)
    title = models.CharField(_("标题"), max_length=100)
    description = models.TextField(_("问题描述"))
    address = models.CharField(_("地点"), max_length=200, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    state = models.CharField(_("状态"), max_length=12, choices=CaseState.choices, default=CaseState.REPORTED)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit_department = models.ForeignKey(
        Department,
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    unit_township = models.ForeignKey(
        Region,
        verbose_name=_("责任乡镇"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="unit_cases",
        db_index=False,  # a partial index below
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # a partial index below
    )
    registered_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("处置时限"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("处置反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    is_suspended = models.BooleanField(_("挂账中"), default=False)
    suspended_at = models.DateTimeField(_("挂账时间"), null=True, blank=True)
    is_overdue = models.BooleanField(_("已超期"), default=False)
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("延期次数"), default=0)
    return_count = models.PositiveSmallIntegerField(_("回退次数"), default=0)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
        db_index=False,  # a partial index below
    )

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "due_at"], name="case_state_due_idx"),
            models.Index(fields=["township", "created_at"], name="case_township_created_idx"),
            models.Index(
                fields=["unit_department", "state"],
                name="case_department_state_idx",
                condition=Q(unit_department__isnull=False),
            ),
            models.Index(fields=["category", "region", "created_at"], name="case_duplicate_idx"),
            models.Index(fields=["created_at"], name="case_created_idx"),
            # The indicators' scan counts by these timestamps over a period. Partial, as are the indexes on the
            # columns a new case leaves empty: filing a case then updates none of them. A range or equality on
            # the column implies IS NOT NULL, so both SQLite and PostgreSQL still use them.
            models.Index(
                fields=["registered_at"], name="case_registered_idx", condition=Q(registered_at__isnull=False)
            ),
            models.Index(
                fields=["dispatched_at"], name="case_dispatched_idx", condition=Q(dispatched_at__isnull=False)
            ),
            models.Index(fields=["closed_at"], name="case_closed_idx", condition=Q(closed_at__isnull=False)),
            models.Index(fields=["assignee"], name="case_assignee_idx", condition=Q(assignee__isnull=False)),
            models.Index(
                fields=["unit_township"],
                name="case_unit_township_idx",
                condition=Q(unit_township__isnull=False),
            ),
            models.Index(
                fields=["merged_into"], name="case_merged_into_idx", condition=Q(merged_into__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_department__isnull=True) | Q(unit_township__isnull=True),
                name="case_one_responsible_unit",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["dispatched", "handling", "resolved", "closed"])
                | Q(due_at__isnull=False),
                name="case_dispatched_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def unit(self):
        return self.unit_department or self.unit_township

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class CaseReport(models.Model):
    """One report of the problem. A merged case keeps the reports of the cases merged into it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reports")
    source = models.CharField(_("来源"), max_length=16, choices=CaseSource.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reporter_name = models.CharField(_("报告人姓名"), max_length=50, blank=True)
    reporter_contact_sealed = models.TextField(blank=True, editable=False)
    reporter_contact_masked = models.CharField(_("联系方式"), max_length=30, blank=True, editable=False)
    description = models.TextField(_("描述"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("案件报告")
        verbose_name_plural = _("案件报告")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_source_display()}"


class CaseEvent(models.Model):
    """The timeline: one row per transition or action, written with it."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="events", db_index=False
    )  # timeline idx
    action = models.CharField(_("动作"), max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_state = models.CharField(_("原状态"), max_length=12, choices=CaseState.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=12, choices=CaseState.choices, blank=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("案件动态")
        verbose_name_plural = _("案件动态")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="case_event_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


def attachment_path(instance, filename: str) -> str:
    return f"cases/{instance.case_id}/{filename}"


class CaseAttachment(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", _("照片")
        DOCUMENT = "document", _("文件")

    class Phase(models.TextChoices):
        REPORT = "report", _("上报")
        BEFORE = "before", _("处置前")
        AFTER = "after", _("处置后")
        VERIFY = "verify", _("核查")
        OTHER = "other", _("其他")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    phase = models.CharField(_("阶段"), max_length=10, choices=Phase.choices, default=Phase.REPORT)
    file = models.FileField(_("文件"), upload_to=attachment_path)
    thumbnail = models.FileField(_("缩略图"), upload_to=attachment_path, blank=True)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("案件附件")
        verbose_name_plural = _("案件附件")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class CaseLink(models.Model):
    """追根溯源: an illegal sale points to the case of its supplier, its carrier, or a case of the same source."""

    class Kind(models.TextChoices):
        SUPPLIED_BY = "supplied_by", _("货源来自")
        TRANSPORTED_BY = "transported_by", _("运输方")
        SAME_SOURCE = "same_source", _("同一来源")

    from_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_out")
    to_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("关系"), max_length=16, choices=Kind.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("案件关联")
        verbose_name_plural = _("案件关联")
        constraints = [
            models.UniqueConstraint(fields=["from_case", "to_case", "kind"], name="case_link_unique"),
            models.CheckConstraint(condition=~Q(from_case=models.F("to_case")), name="case_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.from_case_id} {self.kind} {self.to_case_id}"


class ExtensionRequest(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REFUSED = "refused", _("已驳回")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extension_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("延期理由"))
    extra_value = models.PositiveSmallIntegerField(_("延长"))
    extra_unit = models.CharField(_("单位"), max_length=8, choices=DeadlineUnit.choices)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(state="pending"), name="extension_one_pending_per_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} +{self.extra_value}{self.extra_unit}"


class CaseCounter(models.Model):
    """The last case number issued each day: numbers are 'YYYYMMDD' + a 5-digit sequence."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day} {self.last}"


class CaseDayCount(models.Model):
    """The indicators' counters, kept on write: per local day, township (where the problem is) and responsible
    unit (0 = none), how many cases took each step that day. Written by the cases services in the same
    transaction as the step (``gridgov.cases.services.counts``), rebuilt from the cases by ``cases_recount``.

    What is additive by day is counted here: 受理/立案/派遣 by the day of the step, and, for closed cases (whose
    row never changes again), the closure family by the day of closure and, for late closures, the case's
    deadline day and closure day, from which the 往期应结未结 of any period is a difference of two running sums.
    Open cases are not counted here: their 应结案 is read live (docs/indicators.md, "How they are computed")."""

    day = models.DateField()
    # no index of its own: a period is read through the unique key's leading day, not township by township
    township = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_index=False)
    department_key = models.BigIntegerField(default=0)  # Department id, 0 = none
    unit_township_key = models.BigIntegerField(default=0)  # Region id of the township as unit, 0 = none
    accepted = models.IntegerField(db_default=0)
    registered = models.IntegerField(db_default=0)
    dispatched = models.IntegerField(db_default=0)
    closed = models.IntegerField(db_default=0)
    closed_on_time = models.IntegerField(db_default=0)
    closed_reworked = models.IntegerField(db_default=0)
    closed_extended = models.IntegerField(db_default=0)
    handled = models.IntegerField(db_default=0)
    handling_us = models.BigIntegerField(db_default=0)
    late_due = models.IntegerField(db_default=0)
    late_due_reworked = models.IntegerField(db_default=0)
    late_due_extended = models.IntegerField(db_default=0)
    late_closed = models.IntegerField(db_default=0)
    late_closed_reworked = models.IntegerField(db_default=0)
    late_closed_extended = models.IntegerField(db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "township", "department_key", "unit_township_key"], name="case_day_count_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.township_id} {self.department_key} {self.unit_township_key}"
