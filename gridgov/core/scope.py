"""The territory-scope policy: the one place that answers which regions a user may see and act in.

A grant (role, region, department) covers the region's whole subtree. Every selector, ``access_*`` helper,
page and API endpoint asks this module; none walks grants itself.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, reduce
from operator import or_

from django.db.models import Q

from gridgov.core.roles import READ_ONLY_ROLES, Role
from gridgov.territory.models import Region, subtree_range


@dataclass(frozen=True, slots=True)
class ScopeGrant:
    role: str
    region_id: int
    region_code: str
    region_name: str
    region_level: str
    path: str
    department_id: int | None
    department_name: str | None


class UserScope:
    """The grants of one user, loaded once (one query) and cached on the user object for the request."""

    def __init__(self, grants: Iterable[ScopeGrant]):
        self.grants: tuple[ScopeGrant, ...] = tuple(grants)
        self._roots: dict[tuple[frozenset[str] | None, bool], tuple[str, ...]] = {}

    # --- roles -------------------------------------------------------------------------------------
    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    def has_role(self, *roles: str) -> bool:
        return any(g.role in roles for g in self.grants)

    @property
    def is_read_only(self) -> bool:
        return bool(self.grants) and all(g.role in READ_ONLY_ROLES for g in self.grants)

    def department_ids(self, *roles: str) -> frozenset[int]:
        return frozenset(
            g.department_id for g in self.grants if g.department_id and (not roles or g.role in roles)
        )

    # --- regions -----------------------------------------------------------------------------------
    def _grants_for(self, roles: frozenset[str] | None, acting: bool) -> list[ScopeGrant]:
        if roles is None:
            return list(self.grants)
        wanted = roles - READ_ONLY_ROLES if acting else roles
        return [g for g in self.grants if g.role in wanted]

    def root_paths(self, roles: Iterable[str] | None = None, *, acting: bool = True) -> list[str]:
        """The topmost granted paths, with paths nested inside another grant removed.

        ``roles`` limits the grants considered; with ``acting`` (the default) read-only roles never count, so
        ``root_paths({Role.LEADER})`` is empty. ``acting=False`` asks where those roles may read.
        """
        key = (None if roles is None else frozenset(roles), acting)
        if key not in self._roots:
            paths = sorted({g.path for g in self._grants_for(key[0], acting)})
            roots: list[str] = []
            for path in paths:
                if not roots or not path.startswith(roots[-1]):
                    roots.append(path)
            self._roots[key] = tuple(roots)
        return list(self._roots[key])

    def region_q(self, roles: Iterable[str] | None = None, *, field: str = "path", acting: bool = True) -> Q:
        """A filter for rows whose region path lies in scope (``field`` names the path, e.g. "region__path").

        ``roles=None`` means "may see" (every grant reads its subtree); a set of roles means "may act as one of
        these", and read-only roles never act. No grant gives a filter that matches nothing.
        """
        roots = self.root_paths(roles, acting=acting)
        if not roots:
            return Q(pk__in=[])
        return reduce(
            or_,
            (Q(**{f"{field}__gte": low, f"{field}__lt": high}) for low, high in map(subtree_range, roots)),
        )

    def covers_path(self, path: str, roles: Iterable[str] | None = None, *, acting: bool = True) -> bool:
        """Whether a region path lies in scope (for bulk checks that have paths, not Region objects)."""
        return any(path.startswith(root) for root in self.root_paths(roles, acting=acting))

    def can_see(self, region: Region) -> bool:
        return any(region.path.startswith(path) for path in self.root_paths())

    def can_act(self, region: Region, roles: Iterable[str]) -> bool:
        return any(region.path.startswith(path) for path in self.root_paths(roles))

    def visible_regions(self):
        return Region.objects.filter(self.region_q())

    def root_regions(self):
        roots = self.root_paths()
        return Region.objects.filter(path__in=roots).order_by("path")


ANONYMOUS_SCOPE = UserScope(())


def scope_for(user) -> UserScope:
    """The user's scope, cached on the user instance (one query the first time in a request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS_SCOPE
    cached = getattr(user, "_gridgov_scope", None)
    if cached is not None:
        return cached
    from django.db import connection

    sql, marked, at = _grants_sql(connection.vendor)
    params = [*marked[:at], user.pk, *marked[at + 1 :]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    scope = UserScope(ScopeGrant(*row) for row in rows)
    user._gridgov_scope = scope
    return scope


@cache
def _grants_sql(vendor: str) -> tuple[str, tuple, int]:
    """The grants query, compiled by the ORM once per process: every request runs it, and building it cost ten
    times as much as running it (plain text and integer columns, nothing to convert)."""
    from gridgov.territory.models import Grant

    qs = Grant.objects.filter(user_id=USER_MARK, region__is_active=True).values_list(
        "role",
        "region_id",
        "region__code",
        "region__name",
        "region__level",
        "region__path",
        "department_id",
        "department__name",
    )
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params), list(params).index(USER_MARK)


USER_MARK = -271828  # stands for the user's id while the query is compiled


def forget_scope(user) -> None:
    """Drops the cached scope after the user's grants changed."""
    if hasattr(user, "_gridgov_scope"):
        del user._gridgov_scope


__all__ = ["ANONYMOUS_SCOPE", "Role", "ScopeGrant", "UserScope", "forget_scope", "scope_for"]
