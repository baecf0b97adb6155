"""Inspections (明查) and covert visits (暗访): plans, checklists, inspections, findings and rectifications.

A plan names its organising department, its team and its checklist; its targets are places from the registry
(drawn at random and recorded, 双随机) or townships. Each target is one Inspection, carried out on a phone with an
Answer per checklist item. A failed item becomes a Finding; the findings of one inspection make one
Rectification (整改通知), tracked as a case in the closed loop and closed or reopened by re-inspection (复查).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import BaseModel
from gridgov.registry.models import Place
from gridgov.territory.models import Department, PathField, Region


class Severity(models.TextChoices):
    GENERAL = "general", _("一般隐患")
    MAJOR = "major", _("重大隐患")


class Checklist(BaseModel):
    class Subject(models.TextChoices):
        PLACE = "place", _("场所")
        TOWNSHIP = "township", _("乡镇(单位)工作")

    code = models.SlugField(_("代码"), max_length=48, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    subject = models.CharField(_("检查对象"), max_length=16, choices=Subject.choices)
    description = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("检查表")
        verbose_name_plural = _("检查表")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    class Answer(models.TextChoices):
        YES_NO = "yes_no", _("是否符合")
        NUMBER = "number", _("数值")
        TEXT = "text", _("文字")

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="items")
    code = models.SlugField(_("代码"), max_length=48)
    topic = models.CharField(_("分组"), max_length=50)
    text = models.CharField(_("检查内容"), max_length=300)
    rule = models.CharField(_("依据"), max_length=300)
    answer_type = models.CharField(_("答案类型"), max_length=8, choices=Answer.choices, default=Answer.YES_NO)
    severity = models.CharField(_("不符合时隐患等级"), max_length=8, choices=Severity.choices)
    deadline_days = models.PositiveSmallIntegerField(_("整改时限(工作日)"))
    stop_if_failed = models.BooleanField(_("不符合时责令停止相关活动"), default=False)
    category_code = models.SlugField(_("案件类别代码"), max_length=48)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("检查项")
        verbose_name_plural = _("检查项")
        ordering = ["checklist_id", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["checklist", "code"], name="checklist_item_code_unique"),
            models.CheckConstraint(
                condition=Q(deadline_days__gte=1), name="checklist_item_deadline_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.text


class Plan(BaseModel):
    class Mode(models.TextChoices):
        OVERT = "overt", _("明查")
        COVERT = "covert", _("暗访")

    class State(models.TextChoices):
        ACTIVE = "active", _("进行中")
        REPORTED = "reported", _("已通报")

    name = models.CharField(_("名称"), max_length=100)
    mode = models.CharField(_("方式"), max_length=8, choices=Mode.choices)
    department = models.ForeignKey(
        Department, verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="inspection_plans"
    )
    county = models.ForeignKey(Region, verbose_name=_("县"), on_delete=models.PROTECT, related_name="+")
    checklist = models.ForeignKey(
        Checklist, verbose_name=_("检查表"), on_delete=models.PROTECT, related_name="plans"
    )
    team_name = models.CharField(_("督导组"), max_length=100)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("组员"), related_name="inspection_plans", blank=True
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.ACTIVE)
    reported_at = models.DateTimeField(_("通报时间"), null=True, blank=True)
    report_note = models.TextField(_("通报说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("检查计划")
        verbose_name_plural = _("检查计划")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["department", "state"], name="plan_department_state_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="plan_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(state="active", reported_at__isnull=True)
                | Q(state="reported", reported_at__isnull=False),
                name="plan_reported_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_hidden(self) -> bool:
        """A covert plan not yet reported: only its organising unit knows of it."""
        return self.mode == self.Mode.COVERT and self.state != self.State.REPORTED


class Draw(models.Model):
    """One random draw of targets (双随机): the filter, the population, the seed and what came out, so that anyone
    can run it again and get the same places."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="draws")
    seed = models.BigIntegerField(_("随机种子"))
    criteria = models.JSONField(_("抽取条件"))
    population_count = models.PositiveIntegerField(_("总体数量"))
    population_digest = models.CharField(_("总体摘要"), max_length=64)
    requested = models.PositiveIntegerField(_("抽取数量"))
    result = models.JSONField(_("抽中场所"))
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("抽取人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("随机抽取记录")
        verbose_name_plural = _("随机抽取记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.plan_id} #{self.pk}"


class Inspection(BaseModel):
    class State(models.TextChoices):
        PLANNED = "planned", _("待检查")
        DRAFT = "draft", _("检查中")
        SUBMITTED = "submitted", _("已提交")

    class Kind(models.TextChoices):
        REGULAR = "regular", _("检查")
        REINSPECTION = "reinspection", _("复查")

    plan = models.ForeignKey(
        Plan, verbose_name=_("计划"), on_delete=models.PROTECT, related_name="inspections"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.REGULAR)
    place = models.ForeignKey(
        Place,
        verbose_name=_("场所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    # The place's grid, or the township visited: scope is decided on its path.
    region = models.ForeignKey(Region, verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey(
        Region, verbose_name=_("所属乡镇"), on_delete=models.PROTECT, related_name="+"
    )
    region_path = PathField(max_length=255, editable=False)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PLANNED)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scheduled_on = models.DateField(_("计划日期"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    note = models.TextField(_("检查意见"), blank=True)
    rectification = models.ForeignKey(
        "Rectification",
        verbose_name=_("复查的整改"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reinspections",
    )
    passed = models.BooleanField(_("复查通过"), null=True, blank=True)
    finding_count = models.PositiveSmallIntegerField(_("隐患数"), default=0)

    class Meta:
        verbose_name = _("检查")
        verbose_name_plural = _("检查")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["place", "created_at"], name="inspection_place_idx"),
            models.Index(fields=["plan", "state"], name="inspection_plan_state_idx"),
            models.Index(fields=["region_path"], name="inspection_region_path_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "place"],
                condition=Q(kind="regular", place__isnull=False),
                name="inspection_plan_place_unique",
            ),
            models.CheckConstraint(
                condition=~Q(state="submitted") | Q(submitted_at__isnull=False),
                name="inspection_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_name} · {self.plan}"

    @property
    def target_name(self) -> str:
        return self.place.name if self.place_id else self.township.name


class Answer(models.Model):
    class Result(models.TextChoices):
        PASS = "pass", _("符合")
        FAIL = "fail", _("不符合")
        NA = "na", _("不适用")

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("结论"), max_length=4, choices=Result.choices)
    value = models.CharField(_("记录值"), max_length=200, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    photo = models.FileField(_("照片"), upload_to="inspections/%Y/%m/", blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("检查记录")
        verbose_name_plural = _("检查记录")
        ordering = ["item__sort_order", "item_id"]
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="answer_one_per_item")]

    def __str__(self) -> str:
        return f"{self.inspection_id} {self.item_id} {self.result}"


class Rectification(BaseModel):
    class State(models.TextChoices):
        OPEN = "open", _("整改中")
        REOPENED = "reopened", _("复查未通过")
        CLOSED = "closed", _("已销号")

    number = models.CharField(_("通知书编号"), max_length=24, unique=True)
    inspection = models.OneToOneField(
        Inspection, verbose_name=_("检查"), on_delete=models.PROTECT, related_name="rectification_order"
    )
    plan = models.ForeignKey(
        Plan, verbose_name=_("计划"), on_delete=models.PROTECT, related_name="rectifications"
    )
    place = models.ForeignKey(
        Place,
        verbose_name=_("场所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    party_name = models.CharField(_("被检查单位"), max_length=100)
    region = models.ForeignKey(Region, verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey(
        Region, verbose_name=_("所属乡镇"), on_delete=models.PROTECT, related_name="+"
    )
    region_path = PathField(max_length=255, editable=False)
    department = models.ForeignKey(
        Department, verbose_name=_("责任部门"), on_delete=models.PROTECT, related_name="rectifications"
    )
    severity = models.CharField(_("隐患等级"), max_length=8, choices=Severity.choices)
    stop_required = models.BooleanField(_("责令停止相关活动"), default=False)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    issued_at = models.DateTimeField(_("下达时间"))
    due_at = models.DateTimeField(_("整改期限"))
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    fail_count = models.PositiveSmallIntegerField(_("复查未通过次数"), default=0)
    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("案件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rectification",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("下达人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("整改通知")
        verbose_name_plural = _("整改通知")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["state", "due_at"], name="rectification_state_due_idx"),
            models.Index(fields=["region_path", "state", "due_at"], name="rectification_region_idx"),
            models.Index(fields=["department", "state"], name="rectification_department_idx"),
            models.Index(fields=["place", "issued_at"], name="rectification_place_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="closed", closed_at__isnull=False)
                | (~Q(state="closed") & Q(closed_at__isnull=True)),
                name="rectification_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.party_name}"

    @property
    def is_open(self) -> bool:
        return self.state != self.State.CLOSED


class Finding(models.Model):
    """A failed checklist item: a hazard (隐患) against the place, or against the township or unit visited."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    item = models.ForeignKey(
        ChecklistItem, verbose_name=_("检查项"), on_delete=models.PROTECT, related_name="+"
    )
    severity = models.CharField(_("隐患等级"), max_length=8, choices=Severity.choices)
    description = models.TextField(_("隐患描述"))
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="findings")
    township = models.ForeignKey(
        Region, verbose_name=_("所属乡镇"), on_delete=models.PROTECT, related_name="+"
    )
    region_path = PathField(max_length=255, editable=False)
    covert = models.BooleanField(_("暗访发现"), default=False)
    rectification = models.ForeignKey(
        Rectification, null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    created_at = models.DateTimeField(_("发现时间"))

    class Meta:
        verbose_name = _("隐患")
        verbose_name_plural = _("隐患")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["place", "created_at"], name="finding_place_idx"),
            models.Index(fields=["township", "covert", "created_at"], name="finding_township_idx"),
            models.Index(fields=["region_path"], name="finding_region_path_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="finding_one_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} {self.description[:40]}"


class NoticeCounter(models.Model):
    """The last rectification-notice number issued each year."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year} {self.last}"
