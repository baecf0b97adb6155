"""Who may see and do what in a campaign. Scope comes from gridgov.core.scope; which roles do which work is data."""

from gridgov.core.roles import Role
from gridgov.core.scope import scope_for

#: Door-to-door work: signing letters and visiting households and places.
FIELD_ROLES = frozenset({Role.GRID_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_ADMIN})
#: Who sees "my visits to do" on the campaign list.
ROUND_ROLES = frozenset({Role.GRID_WORKER, Role.TOWNSHIP_OFFICER})
#: Venue and road transport checks: field staff and the departments (公安, 应急, 市场监管).
CHECK_ROLES = FIELD_ROLES | {Role.DEPARTMENT_OFFICER}
#: Publicity is logged by the townships, the county and the grid workers who put up banners and leaflets.
PUBLICITY_ROLES = FIELD_ROLES
#: Who sets a campaign up: the county.
MANAGE_ROLES = frozenset({Role.COUNTY_ADMIN})


class CampaignPolicy:
    @staticmethod
    def can_see_campaign(user, campaign) -> bool:
        """A campaign is visible where its scope and the user's scope overlap (either way down the tree)."""
        roots = scope_for(user).root_paths(acting=False)
        paths = [region.path for region in campaign.regions.all()]
        return any(p.startswith(r) or r.startswith(p) for p in paths for r in roots)

    @staticmethod
    def can_manage(user) -> bool:
        return bool(scope_for(user).root_paths(MANAGE_ROLES))

    @staticmethod
    def can_do_fieldwork(user, path: str) -> bool:
        return scope_for(user).covers_path(path, FIELD_ROLES)

    @staticmethod
    def can_check(user, path: str) -> bool:
        return scope_for(user).covers_path(path, CHECK_ROLES)

    @staticmethod
    def can_log_publicity(user, path: str) -> bool:
        return scope_for(user).covers_path(path, PUBLICITY_ROLES)

    @staticmethod
    def fieldwork_anywhere(user) -> bool:
        return bool(scope_for(user).root_paths(FIELD_ROLES))

    @staticmethod
    def has_round(user) -> bool:
        """Grid workers and township officers get "my visits to do" on the campaign list; the county works
        from the figures (its round would be the whole county)."""
        return bool(scope_for(user).root_paths(ROUND_ROLES))

    @staticmethod
    def checks_anywhere(user) -> bool:
        return bool(scope_for(user).root_paths(CHECK_ROLES))


def campaign_covers(campaign, path: str) -> bool:
    """Whether a region path lies inside the campaign's scope (its regions prefetched)."""
    return any(path.startswith(region.path) for region in campaign.regions.all())
