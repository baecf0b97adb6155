"""Reads of the inspections app, already limited to what the user may see (InspectionPolicy), joins done."""

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from gridgov.core.exceptions import NotFound
from gridgov.inspections.models import (
    Checklist,
    ChecklistItem,
    Draw,
    Finding,
    Inspection,
    Plan,
    Rectification,
)
from gridgov.inspections.policies import InspectionPolicy
from gridgov.registry.models import Place
from gridgov.registry.policies import RegistryPolicy
from gridgov.territory.models import Level, Region

#: A rectification due within this many days is "due soon" on the board.
DUE_SOON_DAYS = 3

BOARD_BUCKETS = ("open", "due_soon", "overdue", "reopened", "closed")


# --- checklists ----------------------------------------------------------------------------------------------


def checklist_list():
    return Checklist.objects.filter(is_active=True).annotate(item_count=Count("items")).order_by("code")


def access_checklist(checklist_id: int) -> Checklist:
    checklist = Checklist.objects.filter(pk=checklist_id, is_active=True).first()
    if checklist is None:
        raise NotFound()
    return checklist


def checklist_items(checklist: Checklist):
    return list(ChecklistItem.objects.filter(checklist=checklist).order_by("sort_order", "id"))


# --- plans ---------------------------------------------------------------------------------------------------


def plan_list(*, user, mode: str | None = None, state: str | None = None):
    qs = (
        Plan.objects.filter(InspectionPolicy.plan_visible_q(user))
        .select_related("department", "checklist")
        .annotate(
            target_count=Count("inspections", filter=Q(inspections__kind=Inspection.Kind.REGULAR)),
            done_count=Count(
                "inspections",
                filter=Q(
                    inspections__kind=Inspection.Kind.REGULAR, inspections__state=Inspection.State.SUBMITTED
                ),
            ),
        )
    )
    if mode:
        qs = qs.filter(mode=mode)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-starts_on", "-id")


def access_plan(user, plan_id: int) -> Plan:
    plan = (
        Plan.objects.filter(InspectionPolicy.plan_visible_q(user), pk=plan_id)
        .select_related("department", "checklist", "county")
        .first()
    )
    if plan is None:
        raise NotFound()
    return plan


def plan_draws(plan: Plan):
    return list(Draw.objects.filter(plan=plan).select_related("drawn_by").order_by("created_at", "id"))


# --- inspections ---------------------------------------------------------------------------------------------


def inspection_list(
    *,
    user,
    plan: Plan | None = None,
    place: Place | None = None,
    state: str | None = None,
    kind: str | None = None,
):
    qs = Inspection.objects.filter(InspectionPolicy.record_visible_q(user)).select_related(
        "plan", "plan__department", "place", "township", "region", "inspector"
    )
    if plan is not None:
        qs = qs.filter(plan=plan)
    if place is not None:
        qs = qs.filter(place=place)
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-id")


def my_targets(*, user):
    """What the user has to inspect: open inspections and due re-inspections of plans the user carries out."""
    from gridgov.core.scope import scope_for

    scope = scope_for(user)
    if scope.is_read_only or not scope.grants:
        return Inspection.objects.none()
    departments = scope.department_ids("department_officer")
    member = Plan.members.through.objects.filter(plan_id=OuterRef("plan_id"), user_id=user.pk)
    q = Q(Exists(member))
    if departments:
        q |= Q(plan__department_id__in=departments)
        # the responsible department re-inspects too (InspectionPolicy.can_reinspect)
        q |= Q(kind=Inspection.Kind.REINSPECTION, rectification__department_id__in=departments)
    # A report (通报) ends a plan's visits, not its rectifications: their re-inspections stay due until done.
    due = Q(plan__state=Plan.State.ACTIVE) | Q(kind=Inspection.Kind.REINSPECTION)
    return (
        Inspection.objects.filter(q, due)
        .exclude(state=Inspection.State.SUBMITTED)
        .select_related("plan", "place", "township", "region", "rectification")
        .order_by("scheduled_on", "id")
    )


def access_inspection(user, inspection_id: int) -> Inspection:
    inspection = (
        Inspection.objects.filter(InspectionPolicy.record_visible_q(user), pk=inspection_id)
        .select_related(
            "plan", "plan__department", "plan__checklist", "place", "region", "township", "inspector"
        )
        .first()
    )
    if inspection is None:
        raise NotFound()
    return inspection


def inspection_answers(inspection: Inspection) -> dict[int, object]:
    return {a.item_id: a for a in inspection.answers.all()}


# --- findings ------------------------------------------------------------------------------------------------


def finding_list(
    *, user, township: Region | None = None, covert: bool | None = None, severity: str | None = None
):
    qs = Finding.objects.filter(
        InspectionPolicy.record_visible_q(user, plan_prefix="inspection__plan__")
    ).select_related("item", "place", "township", "inspection", "inspection__plan", "rectification")
    if township is not None:
        qs = qs.filter(township=township)
    if covert is not None:
        qs = qs.filter(covert=covert)
    if severity:
        qs = qs.filter(severity=severity)
    return qs.order_by("-created_at", "-id")


# --- rectifications ------------------------------------------------------------------------------------------


def _bucket_q(bucket: str, now: dt.datetime) -> Q:
    open_q = ~Q(state=Rectification.State.CLOSED)
    soon = now + dt.timedelta(days=DUE_SOON_DAYS)
    return {
        "open": open_q,
        "due_soon": open_q & Q(due_at__gte=now, due_at__lt=soon),
        "overdue": open_q & Q(due_at__lt=now),
        "reopened": Q(state=Rectification.State.REOPENED),
        "closed": Q(state=Rectification.State.CLOSED),
    }[bucket]


def rectification_list(
    *,
    user,
    bucket: str | None = None,
    township: Region | None = None,
    department_id: int | None = None,
    now: dt.datetime | None = None,
):
    qs = Rectification.objects.filter(
        InspectionPolicy.record_visible_q(user, department="department_id", may_be_hidden=False)
    ).select_related("plan", "department", "township", "region", "case")
    if bucket:
        qs = qs.filter(_bucket_q(bucket, now or timezone.now()))
    if township is not None:
        qs = qs.filter(township=township)
    if department_id:
        qs = qs.filter(department_id=department_id)
    return qs.order_by("due_at", "id")


def rectification_board(*, user, now: dt.datetime | None = None) -> dict[str, int]:
    """The counts of the board's columns, in one query."""
    now = now or timezone.now()
    qs = Rectification.objects.filter(
        InspectionPolicy.record_visible_q(user, department="department_id", may_be_hidden=False)
    )
    return qs.aggregate(**{bucket: Count("pk", filter=_bucket_q(bucket, now)) for bucket in BOARD_BUCKETS})


def access_rectification(user, rectification_id: int) -> Rectification:
    rectification = (
        Rectification.objects.filter(
            InspectionPolicy.record_visible_q(user, department="department_id", may_be_hidden=False),
            pk=rectification_id,
        )
        .select_related(
            "plan", "plan__department", "department", "township", "region", "case", "inspection", "place"
        )
        .first()
    )
    if rectification is None:
        raise NotFound()
    return rectification


def rectification_findings(rectification: Rectification):
    return list(rectification.findings.select_related("item").order_by("item__sort_order", "id"))


def rectification_visits(rectification: Rectification):
    return list(rectification.reinspections.select_related("inspector").order_by("scheduled_on", "id"))


# --- a place's history ---------------------------------------------------------------------------------------


def access_place(user, place_id: int) -> Place:
    place = (
        Place.objects.filter(RegistryPolicy.read_q(user, "places"), pk=place_id)
        .select_related("grid")
        .first()
    )
    if place is None:
        raise NotFound()
    return place


def place_history(*, user, place: Place, limit: int = 200) -> dict:
    """Every inspection, finding and rectification of a place the user may see: three queries whatever the
    number of rows, each reading only the columns the page shows."""
    inspections = list(
        Inspection.objects.filter(InspectionPolicy.record_visible_q(user), place=place)
        .select_related("plan", "inspector")
        .only(
            "kind",
            "state",
            "submitted_at",
            "finding_count",
            "passed",
            "plan_id",
            "inspector_id",
            "place_id",
            "township_id",
            "plan__name",
            "inspector__username",
            "inspector__display_name",
        )
        .order_by("-id")[:limit]
    )
    findings = list(
        Finding.objects.filter(
            InspectionPolicy.record_visible_q(user, plan_prefix="inspection__plan__"), place=place
        )
        .select_related("item")
        .only("created_at", "severity", "description", "item_id", "item__text", "rectification_id")
        .order_by("-created_at", "-id")[:limit]
    )
    rectifications = list(
        Rectification.objects.filter(
            InspectionPolicy.record_visible_q(user, department="department_id", may_be_hidden=False),
            place=place,
        )
        .select_related("department")
        .only("number", "state", "due_at", "issued_at", "department_id", "department__name")
        .order_by("-issued_at", "-id")[:limit]
    )
    return {"inspections": inspections, "findings": findings, "rectifications": rectifications}


# --- covert visits by township -------------------------------------------------------------------------------


def covert_record(*, user, since: dt.date | None = None) -> list[dict]:
    """Per township: the covert visits of reported plans it received and the findings against it (most first)."""
    inspections = Inspection.objects.filter(
        InspectionPolicy.record_visible_q(user),
        plan__mode=Plan.Mode.COVERT,
        plan__state=Plan.State.REPORTED,
        kind=Inspection.Kind.REGULAR,
        state=Inspection.State.SUBMITTED,
    )
    if since:
        inspections = inspections.filter(submitted_at__date__gte=since)
    rows = (
        inspections.values("township_id", "township__name", "township__code")
        .annotate(
            visits=Count("pk"),
            finding_total=Count("findings"),
            major_total=Count("findings", filter=Q(findings__severity="major")),
        )
        .order_by("-finding_total", "township__code")
    )
    return list(rows)


def township_choices(user):
    from gridgov.core.scope import scope_for

    return Region.objects.filter(scope_for(user).region_q(acting=False), level=Level.TOWNSHIP).order_by(
        "code"
    )
