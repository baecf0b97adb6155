"""Who may see a case and who may take each action (ARCHITECTURE §1: the supervisor judges, the commander
dispatches, the responsible unit handles)."""

from django.db.models import Q

from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.territory.models import subtree_range

#: Roles that see every case whose place lies in their region.
REGION_READERS = frozenset(
    {Role.COUNTY_ADMIN, Role.SUPERVISOR, Role.COMMANDER, Role.LEADER, Role.TOWNSHIP_OFFICER, Role.GRID_WORKER}
)
#: Who may file a case (the public tip line comes through its own service).
REPORTERS = frozenset(
    {Role.GRID_WORKER, Role.TOWNSHIP_OFFICER, Role.SUPERVISOR, Role.COMMANDER, Role.COUNTY_ADMIN}
)

#: action → roles that may take it, in the case's region. "unit" actions are checked against the responsible unit.
ACTION_ROLES = {
    "register": frozenset({Role.SUPERVISOR}),
    "void": frozenset({Role.SUPERVISOR}),
    "dispatch": frozenset({Role.COMMANDER}),
    "close": frozenset({Role.SUPERVISOR}),
    "rework": frozenset({Role.SUPERVISOR}),
    "approve_extension": frozenset({Role.COMMANDER}),
    "refuse_extension": frozenset({Role.COMMANDER}),
    "suspend": frozenset({Role.COMMANDER}),
    "resume": frozenset({Role.COMMANDER}),
    "link": frozenset({Role.SUPERVISOR, Role.COMMANDER}),
    "merge": frozenset({Role.SUPERVISOR}),
}
UNIT_ACTIONS = frozenset({"accept", "return", "resolve", "request_extension"})


class CasePolicy:
    @staticmethod
    def visible_q(user) -> Q:
        """Cases in the user's region (for region readers), dispatched to the user's department, assigned to
        or reported by the user."""
        scope = scope_for(user)
        q = scope.region_q(REGION_READERS, field="region__path", acting=False)
        departments = scope.department_ids(Role.DEPARTMENT_OFFICER)
        if departments:
            q |= Q(unit_department_id__in=departments)
        if scope.root_paths({Role.TOWNSHIP_OFFICER}):
            # a township officer also sees a case dispatched to their township from elsewhere
            q |= scope.region_q({Role.TOWNSHIP_OFFICER}, field="unit_township__path")
        if user is not None and user.is_authenticated:
            q |= Q(assignee=user) | Q(reported_by=user)
        return q

    @staticmethod
    def visible_beyond_regions_q(user) -> Q:
        """The part of ``visible_q`` that is not "the case's place lies in a region the user reads": dispatched to
        the user's department or township, assigned to or reported by the user. Written so that each branch is an
        index lookup on cases_case (the township as unit by id, not through its path), for the indicators, which
        count the region part from their day counters."""
        scope = scope_for(user)
        q = Q(pk__in=[])
        departments = scope.department_ids(Role.DEPARTMENT_OFFICER)
        if departments:
            q |= Q(unit_department_id__in=departments)
        if scope.root_paths({Role.TOWNSHIP_OFFICER}):
            from gridgov.territory.models import Region

            townships = Region.objects.filter(scope.region_q({Role.TOWNSHIP_OFFICER})).values("pk")
            q |= Q(unit_township_id__in=townships)
        if user is not None and user.is_authenticated:
            q |= Q(assignee=user) | Q(reported_by=user)
        return q

    @staticmethod
    def can_report(user, region) -> bool:
        return scope_for(user).can_act(region, REPORTERS)

    @staticmethod
    def is_unit_member(user, case) -> bool:
        """The responsible unit: the department's officers, the township's officers, or the named person."""
        if case.assignee_id and case.assignee_id == getattr(user, "pk", None):
            return True
        scope = scope_for(user)
        if case.unit_department_id:
            return case.unit_department_id in scope.department_ids(Role.DEPARTMENT_OFFICER)
        if case.unit_township_id:
            return scope.covers_path(case.unit_township.path, {Role.TOWNSHIP_OFFICER})
        return False

    @staticmethod
    def can_attach(user, case) -> bool:
        """Photos and documents: whoever works on the case — its reporter, its unit, and the roles that act in its
        region — but never a read-only role."""
        scope = scope_for(user)
        if scope.is_read_only:
            return False
        return (
            case.reported_by_id == getattr(user, "pk", None)
            or CasePolicy.is_unit_member(user, case)
            or scope.covers_path(case.region.path, REPORTERS | {Role.COMMANDER, Role.SUPERVISOR})
        )

    @staticmethod
    def can_take(user, case, action: str) -> bool:
        if action in UNIT_ACTIONS:
            return CasePolicy.is_unit_member(user, case)
        roles = ACTION_ROLES.get(action)
        return bool(roles) and scope_for(user).covers_path(case.region.path, roles)


def region_filter(region, field: str = "region__path") -> Q:
    low, high = subtree_range(region.path)
    return Q(**{f"{field}__gte": low, f"{field}__lt": high})
