"""The registry (台账): households, residents, places and licences.

Personal numbers (resident ID, phones) are stored three ways: sealed (AES-GCM, ``*_sealed``), as a blind index
for exact lookup (``*_index``) and masked for display (``*_masked``). Lists and exports never need to decrypt.
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import BaseModel
from gridgov.territory.models import Region

TAG_SEPARATOR = "|"


def tags_to_text(tags) -> str:
    """Tags are kept as "|a|b|" so that "has tag a" is a portable LIKE '%|a|%'."""
    cleaned = sorted({t.strip() for t in tags if t and t.strip()})
    return TAG_SEPARATOR + TAG_SEPARATOR.join(cleaned) + TAG_SEPARATOR if cleaned else ""


def tags_from_text(text: str) -> list[str]:
    return [t for t in (text or "").split(TAG_SEPARATOR) if t]


class TaggedMixin(models.Model):
    tags = models.CharField(_("标签"), max_length=300, blank=True)

    class Meta:
        abstract = True

    @property
    def tag_list(self) -> list[str]:
        return tags_from_text(self.tags)


#: Where a household or place may lie: mainland China and its islands (the Nansha islands reach 3.8° N).
LONGITUDE_RANGE = (Decimal("73"), Decimal("136"))
LATITUDE_RANGE = (Decimal("3"), Decimal("54"))
COORDINATE_STEP = Decimal("0.000001")


class LocationSource(models.TextChoices):
    IMPORT = "import", _("台账导入")
    VISIT = "visit", _("走访定位")
    EDIT = "edit", _("手工编辑")


def parse_coordinate(value, label: str) -> Decimal | None:
    """A typed or imported coordinate as a Decimal of six places; empty is None. Raises ValueError with a
    Chinese message naming ``label`` (经度 or 纬度)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip().rstrip("°")).quantize(COORDINATE_STEP)
    except (InvalidOperation, ValueError):
        raise ValueError(_("%(label)s须为数字（如 114.853216）") % {"label": label}) from None
    if not number.is_finite():
        raise ValueError(_("%(label)s须为数字（如 114.853216）") % {"label": label})
    return number


def location_errors(longitude, latitude) -> dict[str, str]:
    """{field: Chinese message} for a pair that is half given or lies outside China; empty when fine."""
    errors = {}
    if (longitude is None) != (latitude is None):
        missing = "longitude" if longitude is None else "latitude"
        errors[missing] = str(_("经度和纬度须同时填写"))
        return errors
    if longitude is not None and not LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]:
        errors["longitude"] = str(_("经度须在 73–136 之间"))
    if latitude is not None and not LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]:
        errors["latitude"] = str(_("纬度须在 3–54 之间"))
    return errors


class LocatedMixin(models.Model):
    """A household's or place's position (WGS-84 degrees as phones give them), and where it came from: the
    ledger import, a grid worker's phone at a visit, or an edit. Both or neither."""

    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    # db_default too: rows written by raw SQL (bulk loads, benchmarks) that do not name the column get "".
    location_source = models.CharField(
        _("坐标来源"), max_length=8, choices=LocationSource.choices, blank=True, default="", db_default=""
    )
    location_at = models.DateTimeField(_("定位时间"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def has_location(self) -> bool:
        return self.longitude is not None and self.latitude is not None

    def clean(self):
        super().clean()
        errors = location_errors(self.longitude, self.latitude)
        if errors:
            raise ValidationError(errors)


def location_constraints(prefix: str) -> list[models.CheckConstraint]:
    """Both coordinates or neither, inside China's range, with a source when given."""
    return [
        models.CheckConstraint(
            condition=Q(longitude__isnull=True, latitude__isnull=True, location_source="")
            | Q(
                longitude__isnull=False,
                latitude__isnull=False,
                longitude__gte=LONGITUDE_RANGE[0],
                longitude__lte=LONGITUDE_RANGE[1],
                latitude__gte=LATITUDE_RANGE[0],
                latitude__lte=LATITUDE_RANGE[1],
            )
            & ~Q(location_source=""),
            name=f"{prefix}_location_valid",
        )
    ]


class Household(TaggedMixin, LocatedMixin, BaseModel):
    code = models.CharField(_("户编号"), max_length=32, unique=True)
    grid = models.ForeignKey(
        Region, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="households"
    )
    address = models.CharField(_("地址"), max_length=200)
    head_name = models.CharField(_("户主姓名"), max_length=50)
    head_id_sealed = models.TextField(_("户主身份证号（密文）"), blank=True, editable=False)
    head_id_index = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    head_id_masked = models.CharField(_("户主身份证号"), max_length=18, blank=True, editable=False)
    phone_sealed = models.TextField(_("联系电话（密文）"), blank=True, editable=False)
    phone_index = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True, editable=False)
    members = models.PositiveSmallIntegerField(_("人口数"), default=1)
    is_active = models.BooleanField(_("在册"), default=True)

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["code"]
        indexes = [models.Index(fields=["grid", "code"], name="household_grid_code_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(members__lte=99), name="household_members_sane"),
            *location_constraints("household"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.head_name}"


class Resident(TaggedMixin, BaseModel):
    class Gender(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    household = models.ForeignKey(
        Household, verbose_name=_("户"), on_delete=models.PROTECT, related_name="residents"
    )
    name = models.CharField(_("姓名"), max_length=50)
    id_sealed = models.TextField(_("身份证号（密文）"), editable=False)
    id_index = models.CharField(max_length=32, unique=True, editable=False)
    id_masked = models.CharField(_("身份证号"), max_length=18, editable=False)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, editable=False)
    birth_date = models.DateField(_("出生日期"), editable=False)
    phone_sealed = models.TextField(_("联系电话（密文）"), blank=True, editable=False)
    phone_index = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True, editable=False)
    relation = models.CharField(_("与户主关系"), max_length=20, blank=True)
    is_active = models.BooleanField(_("在册"), default=True)

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["household_id", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.id_masked}"


class Place(TaggedMixin, LocatedMixin, BaseModel):
    class Kind(models.TextChoices):
        SHOP = "shop", _("商店")
        SUPERMARKET = "supermarket", _("超市")
        FIREWORKS_RETAIL = "fireworks_retail", _("烟花爆竹零售点")
        FIREWORKS_WAREHOUSE = "fireworks_warehouse", _("烟花爆竹仓库")
        KEY_ENTERPRISE = "key_enterprise", _("重点企业")
        MARKET = "market", _("集贸市场")
        SCHOOL = "school", _("学校")
        RESTAURANT = "restaurant", _("餐饮店")
        OTHER = "other", _("其他")

    class Industry(models.TextChoices):
        HAZARDOUS_CHEMICALS = "hazardous_chemicals", _("危险化学品")
        FIREWORKS = "fireworks", _("烟花爆竹")
        INDUSTRY_TRADE = "industry_trade", _("工贸")
        CONSTRUCTION = "construction", _("建筑施工")
        ROAD_TRANSPORT = "road_transport", _("道路运输")
        MINING = "mining", _("非煤矿山")
        GAS = "gas", _("燃气")
        OTHER = "other", _("其他")

    class Risk(models.TextChoices):
        LOW = "low", _("低风险")
        GENERAL = "general", _("一般风险")
        HIGH = "high", _("较大风险")
        MAJOR = "major", _("重大风险")

    class Registration(models.TextChoices):
        UNCHECKED = "unchecked", _("未排查")
        REGISTERED = "registered", _("已登记")
        NO_FIREWORKS = "no_fireworks", _("已排查·不售烟花")
        ILLEGAL = "illegal", _("发现非法经营")

    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    industry = models.CharField(_("行业"), max_length=24, choices=Industry.choices, blank=True)
    name = models.CharField(_("名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    grid = models.ForeignKey(Region, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="places")
    address = models.CharField(_("地址"), max_length=200)
    person_in_charge = models.CharField(_("负责人"), max_length=50, blank=True)
    phone_sealed = models.TextField(_("联系电话（密文）"), blank=True, editable=False)
    phone_index = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True, editable=False)
    risk_level = models.CharField(_("风险等级"), max_length=12, choices=Risk.choices, default=Risk.LOW)
    sells_fireworks = models.BooleanField(_("销售烟花爆竹"), default=False)
    registration_status = models.CharField(
        _("排查登记状态"), max_length=16, choices=Registration.choices, default=Registration.UNCHECKED
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("排查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("排查时间"), null=True, blank=True)
    is_active = models.BooleanField(_("在册"), default=True)

    class Meta:
        verbose_name = _("场所")
        verbose_name_plural = _("场所")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["grid", "kind"], name="place_grid_kind_idx"),
            models.Index(fields=["name", "address"], name="place_name_address_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="place_credit_code_unique"
            ),
            models.CheckConstraint(
                condition=~Q(kind="key_enterprise") | ~Q(industry=""),
                name="place_key_enterprise_has_industry",
            ),
            *location_constraints("place"),
        ]

    def __str__(self) -> str:
        return self.name


class Licence(BaseModel):
    class Kind(models.TextChoices):
        FIREWORKS_RETAIL = "fireworks_retail", _("烟花爆竹经营(零售)许可证")
        FIREWORKS_WHOLESALE = "fireworks_wholesale", _("烟花爆竹经营(批发)许可证")
        FIREWORKS_TRANSPORT = "fireworks_transport", _("烟花爆竹道路运输许可证")
        WORK_SAFETY = "work_safety", _("安全生产许可证")
        HAZARDOUS_CHEMICALS = "hazardous_chemicals", _("危险化学品经营许可证")
        OTHER = "other", _("其他许可证")

    kind = models.CharField(_("种类"), max_length=24, choices=Kind.choices)
    number = models.CharField(_("证号"), max_length=64)
    place = models.ForeignKey(
        Place,
        verbose_name=_("持证场所"),
        on_delete=models.PROTECT,
        related_name="licences",
        null=True,
        blank=True,
    )
    holder_name = models.CharField(_("持证单位"), max_length=100)
    grid = models.ForeignKey(
        Region, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="licences"
    )
    issuing_authority = models.CharField(_("发证机关"), max_length=100)
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期止"), db_index=True)
    product_types = models.CharField(_("品种"), max_length=200, blank=True)
    max_storage = models.CharField(_("最大存储量"), max_length=50, blank=True)
    consignor = models.CharField(_("托运人"), max_length=100, blank=True)
    carrier = models.CharField(_("承运人"), max_length=100, blank=True)
    origin = models.CharField(_("起运地"), max_length=100, blank=True)
    destination = models.CharField(_("目的地"), max_length=100, blank=True)
    route = models.CharField(_("运输路线"), max_length=200, blank=True)
    quantity = models.CharField(_("运输数量"), max_length=50, blank=True)
    is_revoked = models.BooleanField(_("已吊销"), default=False)

    class Meta:
        verbose_name = _("许可证")
        verbose_name_plural = _("许可证")
        ordering = ["valid_to", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="licence_kind_number_unique"),
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")), name="licence_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class ImportJob(BaseModel):
    """One spreadsheet import, run in the background; its counters are what the upload page follows."""

    class Kind(models.TextChoices):
        HOUSEHOLDS = "households", _("户")
        RESIDENTS = "residents", _("居民")
        PLACES = "places", _("场所")
        LICENCES = "licences", _("许可证")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    filename = models.CharField(_("文件名"), max_length=200)
    stored_path = models.CharField(max_length=300, editable=False)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理"), default=0)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变"), default=0)
    rejected = models.PositiveIntegerField(_("拒绝"), default=0)
    message = models.TextField(_("说明"), blank=True)
    error_report = models.CharField(_("错误报告"), max_length=300, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, int(self.processed_rows * 100 / self.total_rows)) if self.total_rows else 0
