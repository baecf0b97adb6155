"""What the case pages share: deadlines as people read them, timeline labels, errors to responses, tabs."""

import contextlib
import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.models import CLOCK_STATES, CaseState
from gridgov.cases.policies import REPORTERS
from gridgov.core.exceptions import ApplicationError, NotAllowed, NotFound
from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.territory.models import Grant, Level, Region, subtree_range
from gridgov.worktime.calendar import get_calendar

#: Who takes hotline calls and files them (热线登记).
HOTLINE_ROLES = frozenset({Role.SUPERVISOR, Role.COMMANDER, Role.COUNTY_ADMIN})

#: Less than this much working time left is shown as urgent.
URGENT = timedelta(hours=4)

EVENT_LABELS = {
    "report": gettext_lazy("上报"),
    "register": gettext_lazy("立案"),
    "void": gettext_lazy("作废（不予立案）"),
    "dispatch": gettext_lazy("派遣"),
    "accept": gettext_lazy("签收"),
    "return": gettext_lazy("回退"),
    "resolve": gettext_lazy("处置反馈"),
    "close": gettext_lazy("核查通过，结案"),
    "rework": gettext_lazy("核查不通过，返工"),
    "request_extension": gettext_lazy("申请延期"),
    "approve_extension": gettext_lazy("批准延期"),
    "refuse_extension": gettext_lazy("驳回延期"),
    "suspend": gettext_lazy("挂账"),
    "resume": gettext_lazy("恢复办理"),
    "link": gettext_lazy("关联案件"),
    "linked": gettext_lazy("被关联"),
    "merge": gettext_lazy("并入其他案件"),
    "merged": gettext_lazy("合并重复案件"),
    "escalate": gettext_lazy("超期督办"),
}

#: The badge colour of each state (app.css: badge, badge amber/green/gray).
STATE_TONES = {
    CaseState.DISPATCHED: "amber",
    CaseState.HANDLING: "amber",
    CaseState.CLOSED: "green",
    CaseState.VOIDED: "gray",
    CaseState.MERGED: "gray",
}


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def scoped(view):
    """Turns NotFound into the 404 page and NotAllowed into the 403 page."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404 from exc
        except NotAllowed as exc:
            raise PermissionDenied(str(exc.message)) from exc

    return wrapper


def apply_errors(form, exc: ApplicationError, names: dict | None = None) -> None:
    """Puts a service's field errors on the form (renamed where the form calls the field differently)."""
    names = names or {}
    for field, errors in exc.fields.items():
        target = names.get(field, field)
        for error in errors:
            form.add_error(target if target in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, str(exc.message))


def forget_files(attachments) -> None:
    """Deletes the stored files of attachments whose rows were rolled back (storage is not transactional)."""
    for attachment in attachments:
        for field in (attachment.file, attachment.thumbnail):
            if field and field.name:
                with contextlib.suppress(OSError):
                    field.storage.delete(field.name)


# --- deadlines ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    due_at: datetime | None
    tone: str  # badge colour: red, amber, green, gray
    label: str


def _span(value: timedelta, office_day: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    if office_day and value >= 2 * office_day:
        return _("约 %(days)s 个工作日") % {"days": f"{value / office_day:.1f}".rstrip("0").rstrip(".")}
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(h)d 小时 %(m)d 分") % {"h": hours, "m": minutes}
    return _("%(m)d 分钟") % {"m": max(minutes, 1)}


def deadline_of(case, calendar, now) -> Deadline | None:
    """The deadline as the responsible people read it: working time left, or how late (in working time)."""
    if case.state not in CLOCK_STATES or case.due_at is None:
        return None
    if case.is_suspended:
        return Deadline(case.due_at, "gray", _("挂账中，计时暂停"))
    office_day = calendar.office_time_per_day
    if case.is_overdue or case.due_at <= now:
        try:
            late = calendar.working_time_between(case.due_at, now)
        except ValueError:
            late = timedelta(0)
        label = _("已超期 %(span)s") % {"span": _span(late, office_day)} if late else _("已超期")
        return Deadline(case.due_at, "red", label)
    try:
        left = calendar.working_time_between(now, case.due_at)
    except ValueError:
        return Deadline(case.due_at, "green", _("未超期"))
    tone = "amber" if left <= URGENT else "green"
    return Deadline(case.due_at, tone, _("剩余 %(span)s") % {"span": _span(left, office_day)})


def with_deadlines(cases) -> list:
    """Sets ``case.deadline`` and ``case.state_tone`` on each case; one calendar (one query) for all of them."""
    cases = list(cases)
    calendar = get_calendar() if any(c.due_at for c in cases) else None
    now = timezone.now()
    for case in cases:
        case.deadline = deadline_of(case, calendar, now) if calendar else None
        case.state_tone = STATE_TONES.get(case.state, "")
    return cases


# --- navigation and places -------------------------------------------------------------------------------


def tabs(user, active: str) -> list[dict]:
    scope = scope_for(user)
    items = [
        {"url": reverse("cases:inbox"), "label": _("待办"), "active": active == "inbox"},
        {"url": reverse("cases:list"), "label": _("全部案件"), "active": active == "list"},
    ]
    if scope.root_paths(REPORTERS):
        items.append({"url": reverse("cases:report"), "label": _("上报问题"), "active": active == "report"})
    if scope.root_paths(HOTLINE_ROLES):
        items.append({"url": reverse("cases:hotline"), "label": _("热线登记"), "active": active == "hotline"})
    return items


def region_options(user, roles=None, *, levels=(Level.TOWNSHIP, Level.VILLAGE), limit: int = 600):
    """Townships and villages for the place field's suggestions (a datalist), in the user's scope."""
    scope = scope_for(user)
    q = scope.region_q(roles) if roles is not None else scope.region_q()
    return list(
        Region.objects.filter(q, is_active=True, level__in=levels)
        .select_related("parent")
        .order_by("path")[:limit]
    )


def unit_people(*, departments, townships) -> list[tuple]:
    """(user, unit name) for everyone who may be named responsible: the departments' officers and the townships'
    officers. One query."""
    q = Q(role=Role.DEPARTMENT_OFFICER, department__in=list(departments))
    for township in townships:
        low, high = subtree_range(township.path)
        q |= Q(role=Role.TOWNSHIP_OFFICER, region__path__gte=low, region__path__lt=high)
    grants = (
        Grant.objects.filter(q, user__is_active=True, region__is_active=True)
        .select_related("user", "department", "region")
        .order_by("department__sort_order", "region__code", "user__username")
    )
    township_names = {t.path: t.name for t in townships}
    people = []
    for grant in grants:
        if grant.department_id:
            unit = grant.department.name
        else:
            unit = next((n for p, n in township_names.items() if grant.region.path.startswith(p)), "")
        people.append((grant.user, unit))
    return people
