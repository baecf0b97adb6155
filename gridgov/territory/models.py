import functools
import operator

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import BaseModel
from gridgov.core.roles import Role

PATH_SEPARATOR = "/"


class PathField(models.CharField):
    """A materialised path compared byte by byte.

    Subtree queries are a range over this column (see ``subtree_range``), which an ordinary B-tree index
    answers on every backend, provided the column sorts bytewise: SQLite's default BINARY collation does, and
    on PostgreSQL the column is declared with the "C" collation (a locale collation would ignore the "/").
    """

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


def subtree_range(path: str) -> tuple[str, str]:
    """(low, high) such that low <= p < high exactly when p starts with ``path`` (which ends with "/")."""
    return path, path[:-1] + chr(ord(PATH_SEPARATOR) + 1)


class Level(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县(区)")
    TOWNSHIP = "township", _("乡镇(街道)")
    VILLAGE = "village", _("村(社区)")
    GRID = "grid", _("网格")


#: Code length of each level (ARCHITECTURE §6): GB/T 2260 for county and above, 统计用区划代码 below.
LEVEL_CODE_LENGTH = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
    Level.GRID: 15,
}
LEVEL_ORDER = list(LEVEL_CODE_LENGTH)
CHILD_LEVEL = {LEVEL_ORDER[i]: LEVEL_ORDER[i + 1] for i in range(len(LEVEL_ORDER) - 1)}

models.CharField.register_lookup(Length)

code_validator = RegexValidator(r"^[0-9]+$", _("编码只能由数字组成。"))


class RegionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def under(self, region: "Region", *, include_self: bool = True):
        low, high = subtree_range(region.path)
        qs = self.filter(path__gte=low, path__lt=high)
        return qs if include_self else qs.exclude(pk=region.pk)

    def grids(self):
        return self.filter(level=Level.GRID)


class Region(BaseModel):
    """A node of the county's grid: county → township → village → grid (provinces and cities above a county
    exist only when a province's divisions are loaded)."""

    code = models.CharField(_("区划代码"), max_length=15, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        db_index=False,  # region_parent_code_idx (parent, code) serves it and the ordered children query
    )
    # Unique through a constraint rather than unique=True: on PostgreSQL the latter adds a second,
    # varchar_pattern_ops index that no query uses (the "C" collation already serves ranges and prefixes).
    path = PathField(_("路径"), max_length=255, editable=False)
    depth = models.PositiveSmallIntegerField(_("深度"), editable=False)
    is_active = models.BooleanField(_("在用"), default=True)
    retired_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    retired_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    split_from = models.ForeignKey(
        "self",
        verbose_name=_("拆分自"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="split_into",
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"], name="region_parent_code_idx")]
        constraints = [
            models.UniqueConstraint(fields=["path"], name="region_path_unique"),
            models.CheckConstraint(
                condition=functools.reduce(
                    operator.or_,
                    (Q(level=level, code__length=length) for level, length in LEVEL_CODE_LENGTH.items()),
                ),
                name="region_code_fits_level",
            ),
            models.CheckConstraint(
                condition=Q(is_active=True, retired_at__isnull=True)
                | Q(is_active=False, retired_at__isnull=False),
                name="region_retired_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"

    @property
    def is_grid(self) -> bool:
        return self.level == Level.GRID

    @property
    def child_level(self) -> str | None:
        return CHILD_LEVEL.get(self.level)

    @property
    def child_level_label(self) -> str:
        return Level(self.child_level).label if self.child_level else ""

    def ancestor_codes(self) -> list[str]:
        return [code for code in self.path.split(PATH_SEPARATOR) if code]

    def is_within(self, other: "Region") -> bool:
        return self.path.startswith(other.path)


class Department(BaseModel):
    """A functional department of the county (应急管理局, 环境攻坚办, 公安局 …) that handles cases."""

    county = models.ForeignKey(
        Region, verbose_name=_("所属县"), on_delete=models.PROTECT, related_name="departments"
    )
    code = models.SlugField(_("代码"), max_length=32)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["county", "code"], name="department_code_unique"),
            models.UniqueConstraint(fields=["county", "name"], name="department_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Grant(BaseModel):
    """A role held on a region's whole subtree, optionally for one department (ARCHITECTURE §1)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("区域"), on_delete=models.PROTECT, related_name="grants"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants",
    )

    class Meta:
        verbose_name = _("授权")
        verbose_name_plural = _("授权")
        ordering = ["user_id", "role"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.DEPARTMENT_OFFICER) | Q(department__isnull=False),
                name="grant_department_officer_has_department",
            ),
            models.UniqueConstraint(fields=["user", "role", "region"], name="grant_unique_role_region"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region.name}"
