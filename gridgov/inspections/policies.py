"""Who may see and do what with plans, inspections, findings and rectifications: one policy, used by the pages, the
API and the selectors alike.

Covert plans (暗访) stay hidden until they are reported: before that only the organising department's officers,
the team's members and the county administrator see the plan, its inspections and its findings. The township
being visited sees nothing coming, in any list, page or endpoint. Once reported, a covert plan reads like an overt
one: every role sees the plan, and the region readers see the inspections, findings and rectifications in their
region.
"""

from django.db.models import Q

from gridgov.core.roles import Role
from gridgov.core.scope import scope_for

#: Roles that read the inspections, findings and rectifications whose place or township lies in their region.
REGION_READERS = frozenset(
    {Role.COUNTY_ADMIN, Role.SUPERVISOR, Role.COMMANDER, Role.LEADER, Role.TOWNSHIP_OFFICER, Role.GRID_WORKER}
)
#: Roles that may organise plans, for their own department (county_admin for any).
ORGANISER_ROLES = frozenset({Role.DEPARTMENT_OFFICER})


def _hidden_q(prefix: str = "plan__") -> Q:
    return Q(**{f"{prefix}mode": "covert"}) & ~Q(**{f"{prefix}state": "reported"})


def _member_plan_ids(user) -> list[int]:
    """The plans whose team the user is on, read once a request (cached on the user like the scope). A literal
    list rather than a subquery: an empty one drops out of the filter, which keeps the region's index usable."""
    cached = getattr(user, "_gridgov_inspection_plans", None)
    if cached is None:
        from gridgov.inspections.models import Plan

        cached = list(Plan.members.through.objects.filter(user_id=user.pk).values_list("plan_id", flat=True))
        user._gridgov_inspection_plans = cached
    return cached


class InspectionPolicy:
    # --- plans ------------------------------------------------------------------------------------------------
    @staticmethod
    def plan_visible_q(user) -> Q:
        scope = scope_for(user)
        if not scope.grants:
            return Q(pk__in=[])
        if scope.has_role(Role.COUNTY_ADMIN):
            return Q()
        q = ~_hidden_q("") | Q(pk__in=_member_plan_ids(user))
        departments = scope.department_ids(Role.DEPARTMENT_OFFICER)
        if departments:
            q |= Q(department_id__in=departments)
        return q

    @staticmethod
    def is_insider(user, plan) -> bool:
        """The organising unit's officers and the team's members: those who carry a plan out."""
        scope = scope_for(user)
        if scope.is_read_only:
            return False
        if plan.department_id in scope.department_ids(Role.DEPARTMENT_OFFICER):
            return True
        return plan.members.filter(pk=user.pk).exists()

    @staticmethod
    def can_organise(user, department) -> bool:
        scope = scope_for(user)
        if scope.has_role(Role.COUNTY_ADMIN) and not scope.is_read_only:
            return True
        return department.pk in scope.department_ids(*ORGANISER_ROLES)

    @staticmethod
    def can_organise_somewhere(user) -> bool:
        scope = scope_for(user)
        return scope.has_role(Role.COUNTY_ADMIN) or bool(scope.department_ids(*ORGANISER_ROLES))

    @staticmethod
    def can_manage(user, plan) -> bool:
        """Add targets, draw, report: the organising unit (and the county administrator)."""
        return InspectionPolicy.can_organise(user, plan.department)

    @staticmethod
    def can_inspect(user, plan) -> bool:
        return InspectionPolicy.is_insider(user, plan) or InspectionPolicy.can_manage(user, plan)

    # --- what lies under a plan: inspections, findings, rectifications ---------------------------------------
    @staticmethod
    def record_visible_q(
        user,
        *,
        plan_prefix: str = "plan__",
        path_field: str = "region_path",
        department=None,
        may_be_hidden: bool = True,
    ):
        """Rows under a plan: the insiders of the plan see them all; once the plan is not hidden, the region
        readers see those in their region and the officers of ``department`` (the responsible department) theirs.

        Rectifications exist only for plans that are not hidden (a covert plan's are issued when it is reported),
        so they pass ``may_be_hidden=False``: no join to the plan, and the region's index serves the filter."""
        from gridgov.inspections.models import Plan

        scope = scope_for(user)
        if not scope.grants:
            return Q(pk__in=[])
        departments = scope.department_ids(Role.DEPARTMENT_OFFICER)
        q = scope.region_q({Role.COUNTY_ADMIN}, field=path_field)
        q |= Q(**{f"{plan_prefix}id__in": _member_plan_ids(user)})
        if departments:
            q |= Q(
                **{f"{plan_prefix}id__in": Plan.objects.filter(department_id__in=departments).values("id")}
            )
        open_q = scope.region_q(REGION_READERS, field=path_field, acting=False)
        if department and departments:
            open_q |= Q(**{f"{department}__in": departments})
        return q | ((~_hidden_q(plan_prefix) & open_q) if may_be_hidden else open_q)

    @staticmethod
    def can_reinspect(user, rectification) -> bool:
        scope = scope_for(user)
        if scope.is_read_only:
            return False
        if rectification.department_id in scope.department_ids(Role.DEPARTMENT_OFFICER):
            return True
        return InspectionPolicy.can_inspect(user, rectification.plan)
