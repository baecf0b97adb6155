"""Who may see, draft, publish and answer notices, and who manages grid groups.

A notice is visible to a user when one of its regions lies inside the user's scope (the user is above it) or above
one of the user's grants (a county-wide notice reaches a grid worker). Drafts are seen only by those who may publish
in their scope. Publishing needs a publisher role on every region of the scope: a township officer publishes only in
their township; grid workers and leaders never publish.
"""

from functools import reduce
from operator import or_

from django.db.models import Q

from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.territory.models import PATH_SEPARATOR, subtree_range

PUBLISHERS = frozenset({Role.COUNTY_ADMIN, Role.COMMANDER, Role.TOWNSHIP_OFFICER})
GROUP_MANAGERS = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICER})
RESPONDERS = frozenset({Role.GRID_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_ADMIN})


def _ancestor_paths(path: str) -> list[str]:
    codes = [c for c in path.split(PATH_SEPARATOR) if c]
    return [PATH_SEPARATOR.join(codes[:i]) + PATH_SEPARATOR for i in range(1, len(codes) + 1)]


class NoticePolicy:
    @staticmethod
    def region_touch_q(user, *, field: str = "regions__path") -> Q:
        """Notices whose scope meets the user's: a scope region inside or above one of the user's grants."""
        roots = scope_for(user).root_paths(acting=False)
        if not roots:
            return Q(pk__in=[])
        parts = []
        for root in roots:
            low, high = subtree_range(root)
            parts.append(Q(**{f"{field}__gte": low, f"{field}__lt": high}))
            parts.append(Q(**{f"{field}__in": _ancestor_paths(root)}))
        return reduce(or_, parts)

    @staticmethod
    def can_draft(user) -> bool:
        return bool(scope_for(user).root_paths(PUBLISHERS))

    @staticmethod
    def can_publish_in(user, regions) -> bool:
        scope = scope_for(user)
        return bool(regions) and all(scope.can_act(region, PUBLISHERS) for region in regions)

    @staticmethod
    def can_manage(user, notice) -> bool:
        """Publish, withdraw, retry and export: a publisher over the whole scope."""
        regions = list(notice.regions.all())
        return NoticePolicy.can_publish_in(user, regions)

    @staticmethod
    def can_respond(user, grid) -> bool:
        """Acknowledge and report back for a grid: its grid worker, or a township officer above it."""
        return scope_for(user).can_act(grid, RESPONDERS)


class GridGroupPolicy:
    @staticmethod
    def can_see(user, grid) -> bool:
        return scope_for(user).can_see(grid)

    @staticmethod
    def can_manage(user, grid) -> bool:
        return scope_for(user).can_act(grid, GROUP_MANAGERS)
