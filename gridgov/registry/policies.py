"""Who may see and change the registry. Scope comes from gridgov.core.scope; which roles see which ledger is
decided here, as data."""

from gridgov.core.roles import Role
from gridgov.core.scope import scope_for

#: Households and residents are personal data: only the roles that work with people see them (PIPL: minimum
#: necessary). Places and licences are what departments inspect, so every role in scope reads them.
READ_ROLES = {
    "households": frozenset(
        {
            Role.COUNTY_ADMIN,
            Role.SUPERVISOR,
            Role.COMMANDER,
            Role.TOWNSHIP_OFFICER,
            Role.GRID_WORKER,
            Role.LEADER,
        }
    ),
    "places": frozenset(Role.values),
    "licences": frozenset(Role.values),
}
READ_ROLES["residents"] = READ_ROLES["households"]

#: Who keeps the ledgers up to date: admins, townships, and grid workers for their own grid.
WRITE_ROLES = {
    "households": frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICER, Role.GRID_WORKER}),
    "residents": frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICER, Role.GRID_WORKER}),
    "places": frozenset(
        {Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICER, Role.GRID_WORKER, Role.DEPARTMENT_OFFICER}
    ),
    "licences": frozenset({Role.COUNTY_ADMIN, Role.DEPARTMENT_OFFICER}),
}

UNMASK_PERMISSION = "core.unmask_personal_data"


class RegistryPolicy:
    @staticmethod
    def read_q(user, kind: str, *, field: str = "grid__path"):
        """A filter for the rows of ``kind`` the user may read."""
        return scope_for(user).region_q(READ_ROLES[kind], field=field, acting=False)

    @staticmethod
    def can_read_path(user, kind: str, path: str) -> bool:
        return scope_for(user).covers_path(path, READ_ROLES[kind], acting=False)

    @staticmethod
    def can_write_path(user, kind: str, path: str) -> bool:
        return scope_for(user).covers_path(path, WRITE_ROLES[kind])

    @staticmethod
    def can_read_somewhere(user, kind: str) -> bool:
        return scope_for(user).has_role(*READ_ROLES[kind])

    @staticmethod
    def can_write_somewhere(user, kind: str) -> bool:
        return bool(scope_for(user).root_paths(WRITE_ROLES[kind]))

    @staticmethod
    def can_unmask(user) -> bool:
        """Seeing ID numbers and phones in clear is a permission of its own, on top of scope."""
        return bool(user and user.is_authenticated and user.has_perm(UNMASK_PERMISSION))
