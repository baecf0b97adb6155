"""Campaigns (专项行动): the fireworks ban first, then clean-ups and air-quality assurance.

A campaign names its scope (regions), its targets (households, kinds of places), its work team, its letters and
the forms its visits fill in. The work on the ground is stored as rows: commitments (承诺书), visits with one
entry per campaign, venue checks, transport checks and publicity. ``GridCounter`` keeps per campaign × grid ×
target kind the figures the pages read, updated in the same transaction as each write; ``campaign_recount``
rebuilds them from the rows.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import BaseModel
from gridgov.registry.models import Household, Licence, Place
from gridgov.territory.models import Department, PathField, Region


class TargetKind(models.TextChoices):
    HOUSEHOLD = "household", _("住户")
    PLACE = "place", _("场所")
    VEHICLE = "vehicle", _("运输车辆")


def evidence_path(instance, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"campaigns/{instance._meta.model_name}/{uuid.uuid4().hex}.{suffix}"


class Campaign(BaseModel):
    class Kind(models.TextChoices):
        FIREWORKS = "fireworks", _("烟花爆竹禁燃禁放")
        ENVIRONMENT = "environment", _("农村人居环境整治")
        AIR = "air", _("空气质量保障")
        EPIDEMIC = "epidemic", _("疫情防控")
        OTHER = "other", _("其他")

    class State(models.TextChoices):
        DRAFT = "draft", _("筹备中")
        ACTIVE = "active", _("进行中")
        CLOSED = "closed", _("已结束")

    code = models.SlugField(_("代码"), max_length=48, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.DRAFT)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    description = models.TextField(_("工作要求"), blank=True)
    lead_unit = models.ForeignKey(
        Department,
        verbose_name=_("牵头单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    regions = models.ManyToManyField(Region, verbose_name=_("范围"), related_name="+")
    target_households = models.BooleanField(_("覆盖住户"), default=True)
    #: Kinds of places that must be covered, kept as "|shop|supermarket|" (like the registry's tags).
    target_place_kinds = models.CharField(_("覆盖场所类型"), max_length=200, blank=True)
    #: When the targets were last counted from the registry (starting the campaign, or a recount).
    counted_at = models.DateTimeField(_("对象统计时间"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("专项行动")
        verbose_name_plural = _("专项行动")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def place_kinds(self) -> list[str]:
        return [k for k in self.target_place_kinds.split("|") if k]

    def targets(self, kind: str) -> bool:
        return self.target_households if kind == TargetKind.HOUSEHOLD else bool(self.place_kinds)


class TeamMember(BaseModel):
    """A member of the campaign's work team (专班). Party secretaries and heads of each township are named as
    jointly responsible (党政同责、一岗双责)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="team")
    name = models.CharField(_("姓名"), max_length=50)
    position = models.CharField(_("职务"), max_length=100)
    duty = models.CharField(_("职责"), max_length=200)
    region = models.ForeignKey(
        Region, verbose_name=_("负责区域"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    jointly_responsible = models.BooleanField(_("党政同责"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("专班成员")
        verbose_name_plural = _("专班成员")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.position}"


class LetterTemplate(BaseModel):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="letters")
    target_kind = models.CharField(_("对象"), max_length=10, choices=TargetKind.choices)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"))

    class Meta:
        verbose_name = _("承诺书模板")
        verbose_name_plural = _("承诺书模板")
        ordering = ["campaign_id", "target_kind"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "target_kind"], name="letter_one_per_kind")
        ]

    def __str__(self) -> str:
        return self.title


class VisitForm(BaseModel):
    """The questions a visit answers for one campaign and one target kind, as data.

    ``questions`` is a list of {"key", "label", "type" (yes_no, number, text, choice), "required", "choices",
    "problem_if" (the answer that signals a problem), "category" (the case category it opens)}.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="forms")
    target_kind = models.CharField(_("对象"), max_length=10, choices=TargetKind.choices)
    title = models.CharField(_("标题"), max_length=100)
    questions = models.JSONField(_("问题"), default=list)

    class Meta:
        verbose_name = _("走访表单")
        verbose_name_plural = _("走访表单")
        ordering = ["campaign_id", "target_kind"]
        constraints = [models.UniqueConstraint(fields=["campaign", "target_kind"], name="form_one_per_kind")]

    def __str__(self) -> str:
        return self.title


class Commitment(BaseModel):
    """A signed commitment letter (承诺书) of one household or one place."""

    class Method(models.TextChoices):
        ON_SCREEN = "on_screen", _("手机签名")
        PAPER_PHOTO = "paper_photo", _("纸质拍照")
        BULK = "bulk", _("批量导入")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="commitments")
    target_kind = models.CharField(_("对象"), max_length=10, choices=TargetKind.choices)
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Region, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(_("签字人"), max_length=50)
    method = models.CharField(_("方式"), max_length=12, choices=Method.choices)
    evidence = models.FileField(_("凭证"), upload_to=evidence_path, blank=True)
    signed_at = models.DateTimeField(_("签署时间"))
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收取人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("承诺书")
        verbose_name_plural = _("承诺书")
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["campaign", "grid"], name="commitment_campaign_grid_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "household"],
                condition=Q(household__isnull=False),
                name="commitment_one_per_household",
            ),
            models.UniqueConstraint(
                fields=["campaign", "place"],
                condition=Q(place__isnull=False),
                name="commitment_one_per_place",
            ),
            models.CheckConstraint(
                condition=Q(target_kind="household", household__isnull=False, place__isnull=True)
                | Q(target_kind="place", place__isnull=False, household__isnull=True),
                name="commitment_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.signer_name}"


class Visit(BaseModel):
    """One visit to a household or place, answering the forms of every campaign active there."""

    target_kind = models.CharField(_("对象"), max_length=10, choices=TargetKind.choices)
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Region, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("走访人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    visited_at = models.DateTimeField(_("走访时间"))
    note = models.TextField(_("备注"), blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    # Sent by the phone page and API clients so that a resubmitted visit (double tap, retry on a bad network)
    # returns the visit already stored instead of counting it twice and opening its cases again.
    client_key = models.UUIDField(_("提交标识"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("走访")
        verbose_name_plural = _("走访")
        ordering = ["-visited_at", "-id"]
        indexes = [models.Index(fields=["grid", "visited_at"], name="visit_grid_time_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_kind="household", household__isnull=False, place__isnull=True)
                | Q(target_kind="place", place__isnull=False, household__isnull=True),
                name="visit_one_target",
            ),
            models.UniqueConstraint(fields=["client_key"], name="visit_client_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_kind_display()} {self.visited_at:%Y-%m-%d}"


class VisitEntry(models.Model):
    """A visit's answers to one campaign's form. ``first`` marks the first visit of this target in the campaign
    (what "visited" counts), ``problems`` how many answers signalled a problem."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="entries")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="visit_entries")
    target_kind = models.CharField(max_length=10, choices=TargetKind.choices)
    household = models.ForeignKey(Household, null=True, on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey(Place, null=True, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField(_("回答"), default=dict)
    first = models.BooleanField(default=False)
    problems = models.PositiveSmallIntegerField(_("问题数"), default=0)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        indexes = [
            models.Index(fields=["campaign", "household"], name="visitentry_campaign_hh_idx"),
            models.Index(fields=["campaign", "place"], name="visitentry_campaign_place_idx"),
            models.Index(fields=["campaign", "grid"], name="visitentry_campaign_grid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id}/{self.campaign_id}"


class Finding(BaseModel):
    """A problem found by campaign work, and the case it opened in the closed loop."""

    class Source(models.TextChoices):
        VISIT = "visit", _("入户走访")
        VENUE = "venue", _("场所排查")
        TRANSPORT = "transport", _("运输检查")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="findings")
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    target_kind = models.CharField(max_length=10, choices=TargetKind.choices)
    grid = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    grid_path = PathField(max_length=255)
    visit_entry = models.ForeignKey(
        VisitEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="findings"
    )
    question = models.CharField(_("问题"), max_length=48, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("案件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("发现问题")
        verbose_name_plural = _("发现问题")
        indexes = [models.Index(fields=["campaign", "grid_path"], name="finding_campaign_path_idx")]


class VenueCheck(BaseModel):
    """排查登记: a shop or supermarket checked for fireworks."""

    class Result(models.TextChoices):
        PASSED = "passed", _("合格")
        NO_FIREWORKS = "no_fireworks", _("不售烟花爆竹")
        PROBLEM = "problem", _("发现问题")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="venue_checks")
    place = models.ForeignKey(Place, verbose_name=_("场所"), on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    sells_fireworks = models.BooleanField(_("销售烟花爆竹"))
    stock_found = models.BooleanField(_("发现存货"))
    licence = models.ForeignKey(
        Licence,
        verbose_name=_("查验许可证"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    licence_number = models.CharField(_("许可证号"), max_length=64, blank=True)
    result = models.CharField(_("结果"), max_length=16, choices=Result.choices)
    note = models.TextField(_("备注"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("排查人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("排查时间"))
    finding = models.OneToOneField(Finding, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    first = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("场所排查")
        verbose_name_plural = _("场所排查")
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["campaign", "grid"], name="venuecheck_campaign_grid_idx")]


class TransportCheck(BaseModel):
    """运输监管: a vehicle checked on the road against the registry's transport permits."""

    class Result(models.TextChoices):
        PASSED = "passed", _("合格")
        FAILED = "failed", _("不合格")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="transport_checks")
    grid = models.ForeignKey(
        Region, verbose_name=_("检查地点所在网格"), on_delete=models.PROTECT, related_name="+"
    )
    place_name = models.CharField(_("检查地点"), max_length=100, blank=True)
    vehicle_plate = models.CharField(_("车牌号"), max_length=16)
    driver_name = models.CharField(_("驾驶员"), max_length=50)
    permit_number = models.CharField(_("运输许可证号"), max_length=64, blank=True)
    licence = models.ForeignKey(
        Licence,
        verbose_name=_("运输许可证"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    route = models.CharField(_("实际路线"), max_length=200, blank=True)
    quantity = models.CharField(_("实载数量"), max_length=50, blank=True)
    permit_valid = models.BooleanField(_("许可有效"), default=False)
    route_matches = models.BooleanField(_("路线相符"), default=False)
    quantity_matches = models.BooleanField(_("数量相符"), default=False)
    result = models.CharField(_("结果"), max_length=8, choices=Result.choices)
    reasons = models.CharField(_("不合格原因"), max_length=300, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("检查时间"))
    finding = models.OneToOneField(Finding, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("运输检查")
        verbose_name_plural = _("运输检查")
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["campaign", "grid"], name="transport_campaign_grid_idx")]


class Channel(models.TextChoices):
    WEBSITE = "website", _("网站")
    RADIO = "radio", _("广播")
    TV = "tv", _("电视")
    LOUDSPEAKER = "loudspeaker", _("大喇叭")
    WECHAT = "wechat", _("微信群")
    VAN = "van", _("宣传车")
    BANNER = "banner", _("条幅")
    LEAFLET = "leaflet", _("明白纸")
    NOTICE = "notice", _("网格通知")
    OTHER = "other", _("其他")


class PublicityActivity(BaseModel):
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="publicity")
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    region = models.ForeignKey(Region, verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    happened_at = models.DateTimeField(_("时间"))
    count = models.PositiveIntegerField(_("数量"), default=1)
    description = models.CharField(_("内容"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("宣传活动")
        verbose_name_plural = _("宣传活动")
        ordering = ["-happened_at", "-id"]
        indexes = [models.Index(fields=["campaign", "happened_at"], name="publicity_campaign_time_idx")]


class EvidencePhoto(BaseModel):
    """A photo taken at a visit or of a publicity activity (several each, checked to be images)."""

    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    publicity = models.ForeignKey(
        PublicityActivity, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(_("照片"), upload_to=evidence_path)

    class Meta:
        verbose_name = _("现场照片")
        verbose_name_plural = _("现场照片")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visit__isnull=False, publicity__isnull=True)
                | Q(visit__isnull=True, publicity__isnull=False),
                name="evidencephoto_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.image.name


class LoudspeakerSchedule(BaseModel):
    """Which village's loudspeaker (大喇叭) plays the campaign's message, on which days and at which hours."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="loudspeakers")
    village = models.ForeignKey(
        Region, verbose_name=_("村(社区)"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    #: "07:00-07:30,12:00-12:30,18:30-19:00"
    hours = models.CharField(_("播放时段"), max_length=200)

    class Meta:
        verbose_name = _("大喇叭播放安排")
        verbose_name_plural = _("大喇叭播放安排")
        ordering = ["village__code", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="loudspeaker_dates_ordered"
            )
        ]


class GridCounter(models.Model):
    """The figures of one campaign in one grid for one target kind, kept up to date on every write.

    ``village`` and ``township`` are copied from the grid so that a roll-up is one GROUP BY on this table.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="counters")
    grid = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    grid_path = PathField(max_length=255)
    target_kind = models.CharField(max_length=10, choices=TargetKind.choices)
    targets = models.PositiveIntegerField(default=0)
    signed = models.PositiveIntegerField(default=0)
    visited = models.PositiveIntegerField(default=0)
    visits = models.PositiveIntegerField(default=0)
    checked = models.PositiveIntegerField(default=0)
    problems = models.PositiveIntegerField(default=0)
    cases_opened = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "grid", "target_kind"], name="gridcounter_unique")
        ]
        indexes = [models.Index(fields=["campaign", "grid_path"], name="gridcounter_campaign_path_idx")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.grid_id}/{self.target_kind}"


class SigningImport(BaseModel):
    """A spreadsheet of signed paper letters recorded in the background; the page follows its counters."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="imports")
    filename = models.CharField(_("文件名"), max_length=200)
    stored_path = models.CharField(max_length=300, editable=False)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已读取"), default=0)
    created = models.PositiveIntegerField(_("新增"), default=0)
    skipped = models.PositiveIntegerField(_("已签跳过"), default=0)
    rejected = models.PositiveIntegerField(_("有误"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    message = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("承诺书导入")
        verbose_name_plural = _("承诺书导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, int(self.processed_rows * 100 / self.total_rows)) if self.total_rows else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
