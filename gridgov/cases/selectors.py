"""Reads of cases: lists and inboxes already limited to what the user may see, and the standard indicators."""

from django.db.models import Case as When_
from django.db.models import IntegerField, Q, Value, When

from gridgov.cases.models import (
    CLOCK_STATES,
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseLink,
    CaseState,
    Category,
    CategoryGroup,
    ExtensionRequest,
)
from gridgov.cases.policies import ACTION_ROLES, CasePolicy, region_filter
from gridgov.cases.services import hotpath
from gridgov.core.exceptions import NotFound
from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.territory.models import Region

LIST_RELATED = (
    "category",
    "category__group",
    "region",
    "township",
    "unit_department",
    "unit_township",
    "assignee",
)


def case_list(
    *,
    user,
    state: str = "",
    category: str = "",
    region=None,
    department_id: int | None = None,
    township_id: int | None = None,
    overdue: bool | None = None,
    source: str = "",
    q: str = "",
):
    qs = Case.objects.filter(CasePolicy.visible_q(user)).select_related(*LIST_RELATED)
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state:
        qs = qs.filter(state=state)
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__group__code=category))
    if region is not None:
        qs = qs.filter(region_filter(region))
    if department_id:
        qs = qs.filter(unit_department_id=department_id)
    if township_id:
        qs = qs.filter(unit_township_id=township_id)
    if overdue is not None:
        qs = qs.filter(is_overdue=overdue)
    if source:
        qs = qs.filter(source=source)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(number__startswith=q) | Q(title__contains=q) | Q(address__contains=q))
    return qs.order_by("-created_at", "-id")


def access_case(user, pk) -> Case:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    case = case_list(user=user).filter(pk=pk).first()
    if case is None:
        raise NotFound()
    return case


def case_inbox(*, user):
    """What needs this user now, overdue first then by deadline: the states their roles act on.

    Written for the query planner: a top-level filter on the states involved, pending extensions through a
    subquery rather than a join (a join would need DISTINCT over the whole row), no DISTINCT.
    """
    scope = scope_for(user)
    wants = Q(pk__in=[])
    states: set[str] = set()
    if scope.has_role(Role.SUPERVISOR):
        wants |= Q(state__in=[CaseState.REPORTED, CaseState.RESOLVED]) & scope.region_q(
            ACTION_ROLES["register"], field="region__path"
        )
        states |= {CaseState.REPORTED, CaseState.RESOLVED}
    if scope.has_role(Role.COMMANDER):
        pending = ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING).values("case_id")
        wants |= (
            Q(state=CaseState.REGISTERED)
            | Q(state__in=CLOCK_STATES, pk__in=pending)
            | Q(is_overdue=True, state__in=CLOCK_STATES)
        ) & scope.region_q(ACTION_ROLES["dispatch"], field="region__path")
        states |= {CaseState.REGISTERED, *CLOCK_STATES}
    departments = scope.department_ids(Role.DEPARTMENT_OFFICER)
    unit = Q(assignee=user)
    if departments:
        unit |= Q(unit_department_id__in=departments)
    townships = scope.root_paths({Role.TOWNSHIP_OFFICER})
    if townships:
        unit |= Q(unit_township__isnull=False) & scope.region_q(
            {Role.TOWNSHIP_OFFICER}, field="unit_township__path"
        )
    wants |= Q(state__in=CLOCK_STATES) & unit
    states |= set(CLOCK_STATES)
    return (
        Case.objects.filter(state__in=sorted(states))
        .filter(wants)
        .filter(is_suspended=False)
        .select_related(*LIST_RELATED)
        .annotate(
            overdue_first=When_(
                When(is_overdue=True, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("overdue_first", "due_at", "created_at")
    )


def case_timeline(case: Case):
    return (
        CaseEvent.objects.filter(case=case)
        .select_related("actor")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def case_chain(case: Case) -> dict:
    """Links out of and into the case, for 追根溯源."""
    out = list(CaseLink.objects.filter(from_case=case).select_related("to_case", "to_case__category"))
    into = list(CaseLink.objects.filter(to_case=case).select_related("from_case", "from_case__category"))
    return {"out": out, "in": into}


def category_list(*, active_only: bool = True):
    qs = Category.objects.select_related("group")
    return qs.filter(is_active=True, group__is_active=True) if active_only else qs


# --- filing: the lookups of every POST /api/v1/cases, on prepared statements (services.hotpath) --------------
def _category_sql() -> str:
    return (
        f"SELECT {hotpath.select_list(Category, 'c')}, {hotpath.select_list(CategoryGroup, 'g')} "
        "FROM cases_category c JOIN cases_categorygroup g ON g.id = c.group_id "
        "WHERE c.code = %s AND c.is_active = %s AND g.is_active = %s"
    )


def category_for_filing(code: str) -> Category | None:
    """``category_list().filter(code=code).first()``: the active 小类 with its (active) 大类, or None."""
    row = hotpath.fetch_row(hotpath.prepared(_category_sql), [code, True, True])
    if row is None:
        return None
    category, group = hotpath.split(row, Category, CategoryGroup)
    category.group = group
    return category


def _region_sql() -> str:
    columns = ", ".join(hotpath.select_list(Region, alias) for alias in ("r", "p", "gp"))
    return (
        f"SELECT {columns} FROM territory_region r "
        "LEFT JOIN territory_region p ON p.id = r.parent_id "
        "LEFT JOIN territory_region gp ON gp.id = p.parent_id WHERE r.code = %s"
    )


def region_for_filing(user, code: str) -> Region:
    """``access_region(user, code, include_retired=False)`` with two levels of parents loaded (a grid's township
    without a query): NotFound for missing, retired and out of scope alike."""
    row = hotpath.fetch_row(hotpath.prepared(_region_sql), [str(code)])
    region = None
    if row is not None:
        region, parent, grandparent = hotpath.split(row, Region, Region, Region)
        if parent is not None:
            parent.parent = grandparent if parent.parent_id else None
            region.parent = parent
    if region is None or not region.is_active or not scope_for(user).can_see(region):
        raise NotFound()
    return region
