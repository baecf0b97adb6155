"""Air quality: AQI tables as versioned data, stations, hourly readings, daily values, warning presets, warnings."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.air.engine import INDICATORS, Table
from gridgov.core.models import BaseModel
from gridgov.territory.models import Region


class AqiTable(BaseModel):
    """One version of the AQI table (HJ 633—2012, HJ 633—2026 …), in force from ``valid_from``."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    valid_from = models.DateField(_("起用日期"), unique=True)
    source = models.TextField(_("依据"))

    class Meta:
        verbose_name = _("AQI 分级表")
        verbose_name_plural = _("AQI 分级表")
        ordering = ["valid_from"]

    def __str__(self) -> str:
        return self.name


class AqiBreakpoint(models.Model):
    """The concentration limits of one indicator in one table version, with where each came from."""

    table = models.ForeignKey(AqiTable, on_delete=models.CASCADE, related_name="breakpoints")
    indicator = models.CharField(_("指标"), max_length=10, choices=[(i, i) for i in INDICATORS])
    concentrations = models.JSONField(
        _("浓度限值"), help_text=_("对应 IAQI 0、50、100、150、200、300、400、500 的浓度（CO 为 mg/m³）")
    )
    above_use = models.CharField(
        _("超上限时改用"), max_length=10, blank=True, choices=[(i, i) for i in INDICATORS]
    )
    above_iaqi = models.PositiveSmallIntegerField(_("超上限时分指数"), null=True, blank=True)
    source = models.TextField(_("依据"))

    class Meta:
        verbose_name = _("浓度限值")
        verbose_name_plural = _("浓度限值")
        constraints = [
            models.UniqueConstraint(fields=["table", "indicator"], name="air_breakpoint_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.table} {self.indicator}"

    def clean(self):
        try:
            Table.from_values(
                code="check",
                name="check",
                valid_from="2000-01-01",
                breakpoints={self.indicator: self.concentrations},
            )
        except (TypeError, ValueError) as exc:
            raise ValidationError({"concentrations": str(exc)}) from exc
        if self.above_use and self.above_iaqi is not None:
            raise ValidationError({"above_iaqi": _("“改用”与“分指数”只能填一个。")})


class StationLevel(models.TextChoices):
    NATIONAL = "national", _("国控站")
    PROVINCIAL = "provincial", _("省控站")
    COUNTY = "county", _("县控站")
    TOWNSHIP = "township", _("乡镇微站")


class Station(BaseModel):
    code = models.CharField(_("站点编码"), max_length=32, unique=True)
    name = models.CharField(_("站点名称"), max_length=80)
    level = models.CharField(_("站点级别"), max_length=12, choices=StationLevel.choices)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6)
    region = models.ForeignKey(Region, verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="+")
    #: The township the station lies in (its region's township, or None for a station on a county node): the unit
    #: of the rankings, kept here so that a ranking is one grouped query.
    township = models.ForeignKey(
        Region, verbose_name=_("乡镇"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("监测站点")
        verbose_name_plural = _("监测站点")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    longitude__gte=-180, longitude__lte=180, latitude__gte=-90, latitude__lte=90
                ),
                name="air_station_coordinates",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


#: Pollutant columns of a reading and a daily value, and their units.
READING_FIELDS = ("pm25", "pm10", "so2", "no2", "co", "o3")


class Reading(models.Model):
    """One station-hour. ``observed_at`` is the start of the hour; a re-sent hour replaces the row."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="readings")
    observed_at = models.DateTimeField(_("时间"))
    pm25 = models.FloatField("PM2.5", null=True, blank=True)
    pm10 = models.FloatField("PM10", null=True, blank=True)
    so2 = models.FloatField("SO2", null=True, blank=True)
    no2 = models.FloatField("NO2", null=True, blank=True)
    co = models.FloatField("CO", null=True, blank=True)
    o3 = models.FloatField("O3", null=True, blank=True)
    pm25_valid = models.BooleanField(default=True)
    pm10_valid = models.BooleanField(default=True)
    so2_valid = models.BooleanField(default=True)
    no2_valid = models.BooleanField(default=True)
    co_valid = models.BooleanField(default=True)
    o3_valid = models.BooleanField(default=True)
    #: Derived: the O3 8-hour moving average ending with this hour (at least 6 valid hours of the 8), the hour's
    #: real-time AQI, its level and primary pollutants (bit i = engine.POLLUTANTS[i]).
    o3_8h = models.FloatField(null=True, blank=True)
    aqi = models.PositiveSmallIntegerField(null=True, blank=True)
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    primary = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(_("接收时间"), auto_now=True)

    class Meta:
        verbose_name = _("小时数据")
        verbose_name_plural = _("小时数据")
        constraints = [
            models.UniqueConstraint(fields=["station", "observed_at"], name="air_reading_station_hour"),
        ]
        indexes = [models.Index(fields=["observed_at"], name="air_reading_time_idx")]

    def __str__(self) -> str:
        return f"{self.station_id} {self.observed_at:%Y-%m-%d %H}"


class DailyValue(models.Model):
    """A station-day by HJ 663: a value without enough valid hours is None (missing), never guessed."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="daily_values")
    date = models.DateField(_("日期"))
    pm25 = models.FloatField(null=True, blank=True)
    pm10 = models.FloatField(null=True, blank=True)
    so2 = models.FloatField(null=True, blank=True)
    no2 = models.FloatField(null=True, blank=True)
    co = models.FloatField(null=True, blank=True)
    o3_8h = models.FloatField(_("O3 日最大8小时"), null=True, blank=True)
    o3_1h = models.FloatField(_("O3 日最大1小时"), null=True, blank=True)
    hours = models.PositiveSmallIntegerField(_("有数据小时数"), default=0)
    aqi = models.PositiveSmallIntegerField(null=True, blank=True)
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    primary = models.PositiveSmallIntegerField(default=0)
    table = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("日均值")
        verbose_name_plural = _("日均值")
        constraints = [models.UniqueConstraint(fields=["station", "date"], name="air_daily_station_date")]
        indexes = [models.Index(fields=["date", "station"], name="air_daily_date_idx")]

    def __str__(self) -> str:
        return f"{self.station_id} {self.date}"


class WarningLevel(models.TextChoices):
    YELLOW = "yellow", _("黄色预警")
    ORANGE = "orange", _("橙色预警")
    RED = "red", _("红色预警")


#: Warning levels from the mildest.
WARNING_ORDER = (WarningLevel.YELLOW, WarningLevel.ORANGE, WarningLevel.RED)


class WarningPreset(BaseModel):
    """A rule set for heavy-pollution warnings (see ``gridgov.air.standards`` for the form of ``rules``)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    source = models.TextField(_("依据"))
    rules = models.JSONField(_("分级规则"))
    is_active = models.BooleanField(_("在用"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("预警分级方案")
        verbose_name_plural = _("预警分级方案")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from gridgov.air.warnings import rules_errors

        errors = rules_errors(self.rules)
        if errors:
            raise ValidationError({"rules": errors})


class WarningState(models.TextChoices):
    ISSUED = "issued", _("已发布")
    LIFTED = "lifted", _("已解除")


class NoticeState(models.TextChoices):
    PUBLISHED = "published", _("已下发网格")
    PENDING = "pending", _("待下发（通知功能未就绪）")


class WarningBasis(models.TextChoices):
    OBSERVED = "observed", _("实测")
    FORECAST = "forecast", _("预报")


class AirWarning(BaseModel):
    """A heavy-pollution warning issued to townships: who issued it, why, on what series, and its notice."""

    preset = models.ForeignKey(WarningPreset, verbose_name=_("分级方案"), on_delete=models.PROTECT)
    level = models.CharField(_("预警级别"), max_length=8, choices=WarningLevel.choices)
    suggested_level = models.CharField(
        _("规则建议级别"), max_length=8, choices=WarningLevel.choices, blank=True
    )
    state = models.CharField(
        _("状态"), max_length=8, choices=WarningState.choices, default=WarningState.ISSUED
    )
    basis = models.CharField(_("依据数据"), max_length=10, choices=WarningBasis.choices)
    series = models.JSONField(_("日 AQI 序列"), default=list)
    reason = models.TextField(_("发布理由"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    townships = models.ManyToManyField(Region, verbose_name=_("影响乡镇"), related_name="+")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("发布时间"))
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("解除人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    lift_reason = models.TextField(_("解除理由"), blank=True)
    notice_state = models.CharField(_("通知下发"), max_length=10, choices=NoticeState.choices)
    #: The notice published to the townships' grids (gridgov.notices), by id.
    notice_id = models.PositiveBigIntegerField(_("通知编号"), null=True, blank=True)

    class Meta:
        verbose_name = _("重污染天气预警")
        verbose_name_plural = _("重污染天气预警")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["-issued_at"], name="air_warning_issued_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="air_warning_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.starts_on}"


class ImportJob(BaseModel):
    """A CSV of hourly readings uploaded on the import page, stored in a background task chunk by chunk; the page
    polls ``processed``/``total`` until the job is done."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("文件名"), max_length=200)
    content = models.TextField(_("内容"))
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(_("总行数"), default=0)
    processed = models.PositiveIntegerField(_("已处理"), default=0)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("替换"), default=0)
    rejected = models.PositiveIntegerField(_("有误"), default=0)
    #: the first errors, [{row, field, message}]
    errors = models.JSONField(_("错误"), default=list)
    message = models.TextField(_("说明"), blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return int(self.processed * 100 / self.total) if self.total else 0
