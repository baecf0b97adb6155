"""The case page, its actions and its files.

Every action is a small form posted to ``/cases/<pk>/actions/<action>/``: with htmx the response is the page's
main section (also for 400, 403 and 409, which the page's htmx config swaps in); without JavaScript it is the
usual POST, then redirect. The services decide: a wrong state or a lost race is a Conflict (409), shown as
"案件状态已变化，请刷新" with the state the case is in now.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridgov.cases import forms
from gridgov.cases.models import CLOCK_STATES, CaseAttachment, CaseState, ExtensionRequest
from gridgov.cases.policies import CasePolicy
from gridgov.cases.selectors import access_case, case_chain, case_list, case_timeline
from gridgov.cases.services import loop
from gridgov.cases.services.extras import MERGEABLE, case_link, case_merge
from gridgov.cases.services.intake import case_duplicates, case_routing
from gridgov.cases.views.common import (
    EVENT_LABELS,
    HOTLINE_ROLES,
    apply_errors,
    forget_files,
    is_htmx,
    scoped,
    unit_people,
    with_deadlines,
)
from gridgov.cases.views.report import store_photo
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed, NotFound
from gridgov.core.scope import scope_for
from gridgov.territory.models import Level, Region
from gridgov.territory.selectors import department_list, region_ancestors, region_breadcrumbs

S = CaseState
ALL_STATES = tuple(S.values)


@dataclass(frozen=True)
class Action:
    name: str
    title: str  # what the section is called
    button: str  # what the button says
    states: tuple[str, ...]  # the states in which it is offered (the service has the last word)
    run: Callable  # (user, case, cleaned_data, stored_files) -> the success message
    form: type[django_forms.Form] = forms.NoteForm
    style: str = ""  # extra button classes: secondary, danger
    primary: bool = False  # shown open: the step the loop expects next
    reason_label: str = ""


def _find_case(user, number: str, field: str):
    """A case the user may see, by its number, for links and merges."""
    found = case_list(user=user).filter(number=(number or "").strip()).first()
    if found is None:
        raise InvalidInput(fields={field: [_("找不到该编号的案件，或不在您的管辖范围内。")]})
    return found


def _run_register(user, case, data, stored):
    loop.case_register(actor=user, case=case, note=data["note"])
    return _("已立案。")


def _run_void(user, case, data, stored):
    loop.case_void(actor=user, case=case, note=data["note"])
    return _("已作废。")


def _run_dispatch(user, case, data, stored):
    transition = loop.case_dispatch(
        actor=user,
        case=case,
        department=data.get("department_obj"),
        township=data.get("township_obj"),
        assignee=data.get("assignee_obj"),
        note=data["note"],
    )
    return _("已派遣至 %(unit)s。") % {"unit": transition.case.unit.name}


def _run_accept(user, case, data, stored):
    loop.case_accept(actor=user, case=case, note=data["note"])
    return _("已签收，请按时处置。")


def _run_return(user, case, data, stored):
    loop.case_return(actor=user, case=case, note=data["note"])
    return _("已回退至指挥中心。")


def _run_resolve(user, case, data, stored):
    transition = loop.case_resolve(actor=user, case=case, note=data["note"])
    for upload in data["photos"]:
        stored.append(
            store_photo(user, transition.case, upload, CaseAttachment.Phase.AFTER, transition.event)
        )
    return _("已反馈处置结果，等待核查。")


def _run_close(user, case, data, stored):
    loop.case_close(actor=user, case=case, note=data["note"])
    return _("核查通过，已结案。")


def _run_rework(user, case, data, stored):
    loop.case_rework(actor=user, case=case, note=data["note"])
    return _("已退回责任单位返工。")


def _run_request_extension(user, case, data, stored):
    loop.case_request_extension(
        actor=user, case=case, note=data["note"], value=data["value"], unit=data["unit"]
    )
    return _("延期申请已提交，等待指挥中心审批。")


def _run_approve_extension(user, case, data, stored):
    loop.case_approve_extension(actor=user, case=case, note=data["note"])
    return _("已批准延期，处置时限已顺延。")


def _run_refuse_extension(user, case, data, stored):
    loop.case_refuse_extension(actor=user, case=case, note=data["note"])
    return _("已驳回延期申请。")


def _run_suspend(user, case, data, stored):
    loop.case_suspend(actor=user, case=case, note=data["note"])
    return _("已挂账，计时暂停。")


def _run_resume(user, case, data, stored):
    loop.case_resume(actor=user, case=case, note=data["note"])
    return _("已恢复办理，计时继续。")


def _run_link(user, case, data, stored):
    target = _find_case(user, data["target"], "target")
    case_link(actor=user, case=case, target=target, kind=data["kind"], note=data["note"])
    return _("已关联案件 %(number)s。") % {"number": target.number}


def _run_merge(user, case, data, stored):
    into = _find_case(user, data["into"], "into")
    case_merge(actor=user, case=case, into=into, note=data["note"])
    return _("已并入案件 %(number)s。") % {"number": into.number}


ACTIONS = {
    a.name: a
    for a in [
        Action(
            "register", gettext_lazy("立案"), gettext_lazy("立案"), (S.REPORTED,), _run_register, primary=True
        ),
        Action(
            "dispatch",
            gettext_lazy("派遣"),
            gettext_lazy("派遣"),
            (S.REGISTERED,),
            _run_dispatch,
            forms.DispatchForm,
            primary=True,
        ),
        Action(
            "accept", gettext_lazy("签收"), gettext_lazy("签收"), (S.DISPATCHED,), _run_accept, primary=True
        ),
        Action(
            "resolve",
            gettext_lazy("处置反馈"),
            gettext_lazy("提交处置结果"),
            (S.HANDLING,),
            _run_resolve,
            forms.ResolveForm,
            primary=True,
        ),
        Action(
            "close",
            gettext_lazy("核查通过，结案"),
            gettext_lazy("结案"),
            (S.RESOLVED,),
            _run_close,
            primary=True,
        ),
        Action(
            "approve_extension",
            gettext_lazy("批准延期"),
            gettext_lazy("批准"),
            CLOCK_STATES,
            _run_approve_extension,
            primary=True,
        ),
        Action(
            "resume",
            gettext_lazy("恢复办理"),
            gettext_lazy("恢复"),
            (S.REGISTERED, *CLOCK_STATES),
            _run_resume,
            primary=True,
        ),
        Action(
            "rework",
            gettext_lazy("核查不通过，返工"),
            gettext_lazy("退回返工"),
            (S.RESOLVED,),
            _run_rework,
            forms.ReasonForm,
            "danger",
            reason_label=gettext_lazy("核查发现的问题"),
        ),
        Action(
            "refuse_extension",
            gettext_lazy("驳回延期"),
            gettext_lazy("驳回"),
            CLOCK_STATES,
            _run_refuse_extension,
            forms.ReasonForm,
            "danger",
            reason_label=gettext_lazy("驳回理由"),
        ),
        Action(
            "return",
            gettext_lazy("回退（非本单位职责）"),
            gettext_lazy("回退"),
            (S.DISPATCHED,),
            _run_return,
            forms.ReasonForm,
            "danger",
            reason_label=gettext_lazy("回退理由"),
        ),
        Action(
            "request_extension",
            gettext_lazy("申请延期"),
            gettext_lazy("提交申请"),
            CLOCK_STATES,
            _run_request_extension,
            forms.ExtensionForm,
            "secondary",
        ),
        Action(
            "void",
            gettext_lazy("作废（不予立案）"),
            gettext_lazy("作废"),
            (S.REPORTED,),
            _run_void,
            forms.ReasonForm,
            "danger",
            reason_label=gettext_lazy("作废理由"),
        ),
        Action(
            "suspend",
            gettext_lazy("挂账（暂缓办理）"),
            gettext_lazy("挂账"),
            (S.REGISTERED, *CLOCK_STATES),
            _run_suspend,
            forms.ReasonForm,
            "secondary",
            reason_label=gettext_lazy("挂账理由"),
        ),
        Action(
            "merge",
            gettext_lazy("并入其他案件"),
            gettext_lazy("并入"),
            MERGEABLE,
            _run_merge,
            forms.MergeForm,
            "secondary",
        ),
        Action(
            "link",
            gettext_lazy("关联案件（追根溯源）"),
            gettext_lazy("关联"),
            ALL_STATES,
            _run_link,
            forms.LinkForm,
            "secondary",
        ),
    ]
}


def _offered(user, case, action: Action, pending) -> bool:
    if case.state not in action.states:
        return False
    if case.is_suspended and action.name not in ("resume", "link"):
        return False
    if action.name == "resume" and not case.is_suspended:
        return False
    if action.name == "request_extension" and pending is not None:
        return False
    if action.name in ("approve_extension", "refuse_extension") and pending is None:
        return False
    return CasePolicy.can_take(user, case, action.name)


def dispatch_options(case) -> dict:
    """What the dispatch form offers: the county's departments and townships, their people, and the routing help
    (the township from the grid, the department the category suggests)."""
    county = next((r for r in region_ancestors(case.region) if r.level == Level.COUNTY), None)
    departments = list(department_list(county=county)) if county else []
    townships = (
        list(Region.objects.filter(parent=county, level=Level.TOWNSHIP, is_active=True).order_by("code"))
        if county
        else [case.township]
    )
    return {
        "departments": departments,
        "townships": townships,
        "assignees": unit_people(departments=departments, townships=townships),
        "routing": case_routing(case),
    }


def build_form(action: Action, case, *, data=None, files=None, options=None):
    kwargs = {"auto_id": f"{action.name}-%s"}
    if action.form is forms.DispatchForm:
        kwargs.update(options or dispatch_options(case))
    if action.form is forms.ReasonForm:
        kwargs["label"] = action.reason_label
    return action.form(data, files, **kwargs)


def detail_context(request, case, *, bound=None, notice="", conflict="", refused="") -> dict:
    user = request.user
    pending = (
        case.extension_requests.filter(state=ExtensionRequest.State.PENDING)
        .select_related("requested_by")
        .first()
        if case.state in CLOCK_STATES
        else None
    )
    offered = [a for a in ACTIONS.values() if _offered(user, case, a, pending)]
    options = dispatch_options(case) if any(a.name == "dispatch" for a in offered) else None
    action_forms = []
    for action in offered:
        if bound is not None and bound[0] == action.name:
            form = bound[1]
        else:
            form = build_form(action, case, options=options)
        action_forms.append({"action": action, "form": form, "open": action.primary or bool(form.errors)})
    timeline = list(case_timeline(case))
    for event in timeline:
        event.label = EVENT_LABELS.get(event.action, event.action)
    # The report's files (also those of merged duplicates) go with the description; evidence stays with its step.
    about = [
        a for a in case.attachments.all() if a.phase == CaseAttachment.Phase.REPORT or a.event_id is None
    ]
    chain = case_chain(case)
    linked = [link.to_case for link in chain["out"]] + [link.from_case for link in chain["in"]]
    duplicates = case_duplicates(case) if any(a.name == "merge" for a in offered) else []
    visible = set(
        case_list(user=user).filter(pk__in=[c.pk for c in linked + duplicates]).values_list("pk", flat=True)
    )
    for other in linked:
        other.visible = other.pk in visible
    with_deadlines([case])
    reports = list(case.reports.select_related("reporter"))
    show_callers = scope_for(user).has_role(*HOTLINE_ROLES)
    return {
        "case": case,
        "breadcrumbs": region_breadcrumbs(user=user, region=case.region),
        "timeline": timeline,
        "photos": [a for a in about if a.kind == CaseAttachment.Kind.PHOTO],
        "documents": [a for a in about if a.kind == CaseAttachment.Kind.DOCUMENT],
        "chain": chain,
        "duplicates": [c for c in duplicates if c.pk in visible],
        "reports": reports,
        "show_callers": show_callers,
        # One report is the description above; the list matters after a merge, or to show a hotline caller.
        "show_reports": len(reports) > 1
        or (show_callers and any(r.reporter_name or r.reporter_contact_masked for r in reports)),
        "merged_cases": list(case.merged_cases.order_by("created_at")),
        "pending": pending,
        "routing": options["routing"] if options else None,
        "action_forms": action_forms,
        "may_merge": any(a.name == "merge" for a in offered),
        "notice": notice,
        "conflict": conflict,
        "refused": refused,
    }


def _page(request, case, *, status=200, **kwargs):
    template = "cases/detail.html#case_main" if is_htmx(request) else "cases/detail.html"
    return render(request, template, detail_context(request, case, **kwargs), status=status)


@login_required
@require_GET
@scoped
def detail(request, pk):
    return _page(request, access_case(request.user, pk))


@login_required
@require_POST
@scoped
def action(request, pk, name):
    user = request.user
    spec = ACTIONS.get(name)
    if spec is None:
        raise Http404
    case = access_case(user, pk)
    if not CasePolicy.can_take(user, case, name):
        return _refused(request, case)
    options = dispatch_options(case) if spec.form is forms.DispatchForm else None
    form = build_form(spec, case, data=request.POST, files=request.FILES, options=options)
    if not form.is_valid():
        return _page(request, case, bound=(name, form), status=400)
    stored = []
    try:
        with transaction.atomic():
            message = spec.run(user, case, form.cleaned_data, stored)
    except Conflict as exc:
        forget_files(stored)
        return _after(request, pk, conflict=str(exc.message), status=409)
    except NotAllowed:
        forget_files(stored)
        return _refused(request, case)
    except InvalidInput as exc:
        forget_files(stored)
        apply_errors(form, exc, {"file": "photos", "unit": "unit_kind"})
        return _page(request, case, bound=(name, form), status=400)
    if is_htmx(request):
        return _after(request, pk, notice=message)
    messages.success(request, message)
    return _after(request, pk, redirect_to_case=True)


def _after(request, pk, *, status=200, redirect_to_case=False, **kwargs):
    """The page after an action, read afresh. An action can take the case out of the user's sight (a unit that
    returns it): then the user goes back to the inbox."""
    try:
        case = access_case(request.user, pk)
    except NotFound:
        if kwargs.get("notice"):
            messages.success(request, kwargs["notice"])
        if is_htmx(request):
            return HttpResponse(status=200, headers={"HX-Redirect": reverse("cases:inbox")})
        return redirect("cases:inbox")
    if redirect_to_case:
        return redirect("cases:detail", pk=case.pk)
    return _page(request, case, status=status, **kwargs)


def _refused(request, case):
    message = _("您不能对此案件执行该操作。")
    if is_htmx(request):
        return _page(request, case, refused=message, status=403)
    raise PermissionDenied(message)


@login_required
@require_GET
@scoped
def attachment(request, pk, attachment_pk, thumbnail=False):
    """A case's file, served only to those who may see the case (never from a public media URL)."""
    case = access_case(request.user, pk)
    item = case.attachments.filter(pk=attachment_pk).first()
    field = None if item is None else (item.thumbnail if thumbnail else item.file)
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except OSError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        content_type="image/jpeg" if thumbnail else item.content_type,
        as_attachment=item.kind == CaseAttachment.Kind.DOCUMENT,
        filename=item.original_name,
    )
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
