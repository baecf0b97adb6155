"""Who may see air data and who may act on it.

Air data is public information inside the county: every staff member with a grant anywhere in a county reads all of
that county's stations, readings, rankings and warnings (a township officer reads the other townships too). Writing
is narrow: the county admin manages stations; county admins and the command centre (指挥中心) issue and lift
heavy-pollution warnings for the townships their grant covers; station loggers send readings with the model
permission ``air.add_reading``. Leaders, township officers and grid workers read only.
"""

from functools import reduce
from operator import or_

from django.db.models import Q

from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.territory.models import Level

WARNING_ISSUERS = frozenset({Role.COUNTY_ADMIN, Role.COMMANDER})
STATION_MANAGERS = frozenset({Role.COUNTY_ADMIN})
INGEST_PERMISSION = "air.add_reading"

#: How many leading digits of a region code name the county (GB/T 2260), by the level of a grant.
_PREFIX = {Level.PROVINCE: 2, Level.CITY: 4}


def _county_prefixes(user) -> list[str]:
    prefixes = set()
    for grant in scope_for(user).grants:
        prefixes.add(grant.region_code[: _PREFIX.get(grant.region_level, 6)])
    # a prefix inside another adds nothing
    ordered = sorted(prefixes)
    return [p for p in ordered if not any(p != q and p.startswith(q) for q in ordered)]


class AirPolicy:
    @staticmethod
    def region_q(user, *, field: str = "region__code") -> Q:
        """Rows whose region lies in a county where the user holds a grant (nothing for a user without one)."""
        prefixes = _county_prefixes(user)
        if not prefixes:
            return Q(pk__in=[])
        return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in prefixes))

    @staticmethod
    def can_view(user) -> bool:
        return bool(scope_for(user).grants)

    @staticmethod
    def can_see_region(user, region) -> bool:
        return any(region.code.startswith(p) for p in _county_prefixes(user))

    @staticmethod
    def can_manage_stations(user, region=None) -> bool:
        scope = scope_for(user)
        if region is None:
            return bool(scope.root_paths(STATION_MANAGERS))
        return scope.can_act(region, STATION_MANAGERS)

    @staticmethod
    def can_issue_warnings(user) -> bool:
        return bool(scope_for(user).root_paths(WARNING_ISSUERS))

    @staticmethod
    def can_issue_in(user, townships) -> bool:
        scope = scope_for(user)
        return bool(townships) and all(scope.can_act(t, WARNING_ISSUERS) for t in townships)

    @staticmethod
    def can_import(user) -> bool:
        """CSV uploads on the import page: station loggers' accounts and the county admin."""
        return AirPolicy.can_ingest(user) or AirPolicy.can_manage_stations(user)

    @staticmethod
    def can_ingest(user) -> bool:
        return bool(
            user is not None and user.is_authenticated and user.is_active and user.has_perm(INGEST_PERMISSION)
        )
