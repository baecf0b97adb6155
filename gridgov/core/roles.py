"""The roles of ARCHITECTURE §1. A user holds roles through grants on a region (see gridgov.core.scope)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", _("系统管理员")
    SUPERVISOR = "supervisor", _("监督中心")
    COMMANDER = "commander", _("指挥中心")
    DEPARTMENT_OFFICER = "department_officer", _("部门处置人员")
    TOWNSHIP_OFFICER = "township_officer", _("乡镇(街道)工作人员")
    GRID_WORKER = "grid_worker", _("网格员")
    LEADER = "leader", _("县领导")
    REWARD_OFFICER = "reward_officer", _("有奖举报办")


#: Roles that read only: they never write anything, whatever their region.
READ_ONLY_ROLES = frozenset({Role.LEADER})

#: Roles that may manage the grid (add, rename, split, retire grids) inside their region.
GRID_MANAGER_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICER})
