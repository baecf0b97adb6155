"""Who may see and change regions, departments and grants. Built on gridgov.core.scope."""

from gridgov.core.roles import GRID_MANAGER_ROLES, Role
from gridgov.core.scope import scope_for
from gridgov.territory.models import Level, Region


class RegionPolicy:
    @staticmethod
    def can_view(user, region: Region) -> bool:
        return scope_for(user).can_see(region)

    @staticmethod
    def can_manage_grids(user, region: Region) -> bool:
        """Add, rename, split and retire grids: a county admin in the county, a township officer in the township.

        ``region`` is the village that holds the grids, or the grid itself.
        """
        if region.level not in (Level.VILLAGE, Level.GRID):
            return False
        return scope_for(user).can_act(region, GRID_MANAGER_ROLES)

    @staticmethod
    def can_rename(user, region: Region) -> bool:
        if region.level == Level.GRID:
            return RegionPolicy.can_manage_grids(user, region)
        return scope_for(user).can_act(region, {Role.COUNTY_ADMIN})

    @staticmethod
    def can_import_divisions(user) -> bool:
        return scope_for(user).has_role(Role.COUNTY_ADMIN)


class GrantPolicy:
    @staticmethod
    def can_manage(user, region: Region) -> bool:
        return scope_for(user).can_act(region, {Role.COUNTY_ADMIN})
