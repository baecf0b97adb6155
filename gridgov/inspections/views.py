"""Pages of the inspections app: the hub, plans, the phone inspection form, the rectification board, a place's
history, the covert-visit record by township, and the documents. Thin: parse, access, call, render."""

import datetime as dt
import functools
import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridgov.core.exceptions import ApplicationError, Conflict, InvalidInput, NotAllowed, NotFound
from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.inspections import documents, selectors
from gridgov.inspections.forms import DrawForm, PlanForm, ReinspectForm, TownshipTargetsForm
from gridgov.inspections.models import Checklist, ChecklistItem, Inspection, Plan, Rectification
from gridgov.inspections.policies import InspectionPolicy
from gridgov.inspections.services import carrying, plans, rectifying
from gridgov.territory.models import Department

PAGE_SIZE = 30

BUCKET_LABELS = {
    "open": gettext_lazy("整改中"),
    "due_soon": gettext_lazy("即将到期"),
    "overdue": gettext_lazy("已超期"),
    "reopened": gettext_lazy("复查未通过"),
    "closed": gettext_lazy("已销号"),
}


def scoped(view):
    """NotFound → 404 page, NotAllowed → 403 page; every page needs a signed-in user."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404 from exc
        except NotAllowed as exc:
            raise PermissionDenied(str(exc.message)) from exc

    return wrapper


def _form_errors(form, exc: ApplicationError) -> None:
    for field, errors in exc.fields.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, str(exc.message))


def _bucket_labels():
    return [(key, str(label)) for key, label in BUCKET_LABELS.items()]


def _deadline_tone(rect, now) -> str:
    if rect.state == Rectification.State.CLOSED:
        return "green"
    if rect.due_at < now:
        return "red"
    if rect.due_at < now + dt.timedelta(days=selectors.DUE_SOON_DAYS):
        return "amber"
    return ""


# --- hub -----------------------------------------------------------------------------------------------------


@scoped
def index(request):
    user = request.user
    scope = scope_for(user)
    targets = list(selectors.my_targets(user=user)[:50])
    board = selectors.rectification_board(user=user)
    recent = list(selectors.plan_list(user=user)[:8])
    township = scope.has_role(Role.TOWNSHIP_OFFICER)
    return render(
        request,
        "inspections/index.html",
        {
            "targets": targets,
            "board": board,
            "buckets": _bucket_labels(),
            "plans": recent,
            "can_organise": InspectionPolicy.can_organise_somewhere(user),
            "covert": selectors.covert_record(user=user)[:10]
            if township or scope.has_role(Role.LEADER, Role.COUNTY_ADMIN, Role.SUPERVISOR, Role.COMMANDER)
            else [],
            "is_leader": scope.is_read_only,
        },
    )


# --- plans ---------------------------------------------------------------------------------------------------


@scoped
def plan_list(request):
    mode = request.GET.get("mode") if request.GET.get("mode") in Plan.Mode.values else None
    page = Paginator(selectors.plan_list(user=request.user, mode=mode), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "inspections/plans.html",
        {"page": page, "mode": mode, "can_organise": InspectionPolicy.can_organise_somewhere(request.user)},
    )


def _organisable_departments(user):
    scope = scope_for(user)
    qs = Department.objects.filter(is_active=True)
    if scope.has_role(Role.COUNTY_ADMIN) and not scope.is_read_only:
        return qs
    return qs.filter(pk__in=scope.department_ids(Role.DEPARTMENT_OFFICER))


@scoped
def plan_new(request):
    if not InspectionPolicy.can_organise_somewhere(request.user):
        raise NotAllowed()
    departments = _organisable_departments(request.user)
    form = PlanForm(request.POST or None, departments=departments, initial={"mode": Plan.Mode.OVERT})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = plans.plan_create(actor=request.user, **data)
        except InvalidInput as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("计划已创建。"))
            return redirect("inspections:plan", plan.pk)
    return render(request, "inspections/plan_new.html", {"form": form}, status=400 if form.errors else 200)


@scoped
def plan_detail(request, pk: int):
    user = request.user
    plan = selectors.access_plan(user, pk)
    can_manage = InspectionPolicy.can_manage(user, plan) and plan.state == Plan.State.ACTIVE
    draw_form = DrawForm(request.POST or None, county=plan.county, prefix="draw") if can_manage else None
    township_form = (
        TownshipTargetsForm(request.POST or None, county=plan.county, prefix="t") if can_manage else None
    )
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise NotAllowed()
        action = request.POST.get("action")
        try:
            if (
                action == "draw"
                and plan.checklist.subject == Checklist.Subject.PLACE
                and draw_form.is_valid()
            ):
                data = draw_form.cleaned_data
                draw = plans.plan_draw(
                    actor=user,
                    plan=plan,
                    count=data["count"],
                    region=data["region"],
                    kinds=data["kinds"],
                    risks=data["risks"],
                    seed=data["seed"],
                )
                messages.success(
                    request,
                    _("已从 %(n)d 个场所中随机抽取 %(k)d 个（种子 %(seed)s）。")
                    % {"n": draw.population_count, "k": len(draw.result), "seed": draw.seed},
                )
                return redirect("inspections:plan", plan.pk)
            if action == "townships" and township_form.is_valid():
                created = plans.plan_add_targets(
                    actor=user, plan=plan, townships=township_form.cleaned_data["townships"]
                )
                messages.success(request, _("已添加 %(n)d 个检查对象。") % {"n": len(created)})
                return redirect("inspections:plan", plan.pk)
            if action == "report":
                plans.plan_report(actor=user, plan=plan, note=request.POST.get("note", "")[:2000])
                messages.success(request, _("计划已通报。"))
                return redirect("inspections:plan", plan.pk)
            status = 400
        except InvalidInput as exc:
            _form_errors(draw_form if action == "draw" else township_form, exc)
            status = 400
        except Conflict as exc:
            messages.error(request, str(exc.message))
            return redirect("inspections:plan", plan.pk)
    inspections = list(selectors.inspection_list(user=user, plan=plan)[:500])
    draws = selectors.plan_draws(plan)
    checks = {d.pk: plans.draw_verify(d) for d in draws} if request.GET.get("verify") else {}
    return render(
        request,
        "inspections/plan_detail.html",
        {
            "plan": plan,
            "inspections": inspections,
            "draws": draws,
            "checks": checks,
            "members": list(plan.members.order_by("username")),
            "can_manage": can_manage,
            "can_inspect": InspectionPolicy.can_inspect(user, plan),
            "draw_form": draw_form if plan.checklist.subject == Checklist.Subject.PLACE else None,
            "township_form": township_form if plan.checklist.subject == Checklist.Subject.TOWNSHIP else None,
        },
        status=status,
    )


# --- the phone inspection form -------------------------------------------------------------------------------


@scoped
def inspection_form(request, pk: int):
    user = request.user
    inspection = selectors.access_inspection(user, pk)
    items = selectors.checklist_items(inspection.plan.checklist)
    answers = selectors.inspection_answers(inspection)
    groups: dict[str, list] = {}
    for item in items:
        item.answer = answers.get(item.pk)
        groups.setdefault(item.topic, []).append(item)
    editable = (
        inspection.state != Inspection.State.SUBMITTED
        and inspection.kind == Inspection.Kind.REGULAR
        and InspectionPolicy.can_inspect(user, inspection.plan)
    )
    error = None
    if request.method == "POST":
        if not editable:
            raise NotAllowed()
        try:
            carrying.inspection_submit(
                actor=user,
                inspection=inspection,
                note=request.POST.get("note", "")[:2000],
                latitude=request.POST.get("latitude") or None,
                longitude=request.POST.get("longitude") or None,
            )
        except InvalidInput as exc:
            error = str(exc.message)
            for field, errs in exc.fields.items():
                if field.startswith("item_"):
                    for item in items:
                        if f"item_{item.pk}" == field:
                            item.missing = True
                elif errs:
                    error = f"{error} {errs[0]}"
        except Conflict as exc:
            messages.error(request, str(exc.message))
            return redirect("inspections:inspection", inspection.pk)
        else:
            inspection = selectors.access_inspection(user, pk)
            rect = Rectification.objects.filter(inspection=inspection).first()
            if rect is not None:
                messages.success(
                    request, _("检查已提交，已下达整改通知书 %(number)s。") % {"number": rect.number}
                )
                return redirect("inspections:rectification", rect.pk)
            if inspection.finding_count:
                messages.success(request, _("检查已提交。暗访发现的问题将在计划通报时下达整改。"))
            else:
                messages.success(request, _("检查已提交，未发现隐患。"))
            return redirect("inspections:plan", inspection.plan_id)
    return render(
        request,
        "inspections/inspection.html",
        {
            "inspection": inspection,
            "groups": groups,
            "item_count": len(items),
            "answered": len(answers),
            "editable": editable,
            "error": error,
            "findings": list(inspection.findings.select_related("item")) if not editable else [],
        },
        status=400 if error else 200,
    )


@require_POST
@scoped
def answer_save(request, pk: int, item_pk: int):
    """One answer, sent by the page's script as soon as it is given (and again from the phone's outbox after a
    lost connection). JSON in the shared error format."""
    user = request.user
    try:
        inspection = selectors.access_inspection(user, pk)
        item = ChecklistItem.objects.filter(pk=item_pk).first()
        if item is None:
            raise InvalidInput(fields={"item": [_("检查项不存在。")]})
        value, note = request.POST.get("value", ""), request.POST.get("note", "")
        if "\x00" in value + note:
            raise InvalidInput(fields={"note": [_("内容无效。")]})
        answer = carrying.answer_save(
            actor=user,
            inspection=inspection,
            item=item,
            result=request.POST.get("result", ""),
            value=value,
            note=note,
            photo=request.FILES.get("photo"),
        )
    except ApplicationError as exc:
        body = {"detail": str(exc.message), "code": exc.code}
        if exc.fields:
            body["fields"] = {k: [str(m) for m in v] for k, v in exc.fields.items()}
        return JsonResponse(body, status=exc.status)
    return JsonResponse(
        {
            "item": item.pk,
            "result": answer.result,
            "saved_at": timezone.localtime(answer.answered_at).isoformat(),
        }
    )


# --- rectifications ------------------------------------------------------------------------------------------


@scoped
def board(request):
    user = request.user
    bucket = request.GET.get("bucket") if request.GET.get("bucket") in BUCKET_LABELS else "open"
    counts = selectors.rectification_board(user=user)
    qs = selectors.rectification_list(user=user, bucket=bucket)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for rect in page.object_list:
        rect.tone = _deadline_tone(rect, now)
    return render(
        request,
        "inspections/board.html",
        {"page": page, "counts": counts, "bucket": bucket, "buckets": _bucket_labels()},
    )


@scoped
def rectification_detail(request, pk: int):
    user = request.user
    rect = selectors.access_rectification(user, pk)
    can_reinspect = rect.state != Rectification.State.CLOSED and InspectionPolicy.can_reinspect(user, rect)
    visits = selectors.rectification_visits(rect)
    waiting = next((v for v in visits if v.state != Inspection.State.SUBMITTED), None)
    form = (
        ReinspectForm(request.POST or None, initial={"visit": waiting.pk if waiting else None})
        if can_reinspect
        else None
    )
    if request.method == "POST":
        if not can_reinspect:
            raise NotAllowed()
        if form.is_valid():
            try:
                rectifying.rectification_reinspect(
                    actor=user,
                    rectification=rect,
                    passed=form.cleaned_data["passed"],
                    note=form.cleaned_data["note"],
                    visit_id=form.cleaned_data["visit"],
                )
            except InvalidInput as exc:
                _form_errors(form, exc)
            except Conflict as exc:
                messages.error(request, str(exc.message))
                return redirect("inspections:rectification", rect.pk)
            else:
                messages.success(request, _("复查结果已记录。"))
                return redirect("inspections:rectification", rect.pk)
    rect.tone = _deadline_tone(rect, timezone.now())
    return render(
        request,
        "inspections/rectification.html",
        {
            "rect": rect,
            "findings": selectors.rectification_findings(rect),
            "visits": visits,
            "form": form,
        },
        status=400 if form is not None and form.errors else 200,
    )


@scoped
def rectification_notice(request, pk: int):
    rect = selectors.access_rectification(request.user, pk)
    response = HttpResponse(
        documents.notice_docx(rect),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="{rect.number}.docx"'
    return response


# --- a place's history, covert visits by township, ledgers ----------------------------------------------------


@scoped
def place_history(request, pk: int):
    place = selectors.access_place(request.user, pk)
    history = selectors.place_history(user=request.user, place=place)
    return render(request, "inspections/place.html", {"place": place, **history})


def _since(request) -> tuple[dt.date | None, str]:
    """The briefing's start date (``?since=YYYY-MM-DD``, e.g. the last county meeting), and an error for a bad
    one, which is then ignored."""
    raw = request.GET.get("since", "").strip()
    if not raw:
        return None, ""
    try:
        return dt.date.fromisoformat(raw[:10]), ""
    except ValueError:
        return None, _("日期格式应为 年-月-日，例如 2026-01-05。")


BRIEFING_LIMIT = 1000


@scoped
def covert_record(request, *, docx: bool = False):
    """Covert visits by township since a date, and the problems they found: the page, or the briefing material
    for the county meeting as .docx."""
    user = request.user
    since, since_error = _since(request)
    rows = selectors.covert_record(user=user, since=since)
    findings = selectors.finding_list(user=user, covert=True).filter(inspection__plan__state="reported")
    if since:
        findings = findings.filter(inspection__submitted_at__date__gte=since)
    if docx:
        content = documents.covert_briefing_docx(rows, list(findings[:BRIEFING_LIMIT]), since)
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
        name = f"covert-briefing-{timezone.localdate():%Y%m%d}.docx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    context = {
        "rows": rows,
        "findings": list(findings[:200]),
        "since": since,
        "since_error": since_error,
    }
    return render(request, "inspections/covert.html", context)


@scoped
def ledger(request, kind: str):
    user = request.user
    if kind not in ("inspections", "findings"):
        raise Http404
    if kind == "inspections":
        qs, writer, name = selectors.inspection_list(user=user), documents.inspections_xlsx, _("检查台账")
    else:
        qs, writer, name = selectors.finding_list(user=user), documents.findings_xlsx, _("隐患台账")
    # FileResponse closes the spool file once the response is sent; a context manager would close it too early.
    spool = tempfile.TemporaryFile()  # noqa: SIM115
    writer(qs, spool)
    spool.seek(0)
    filename = f"{name}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(
        spool,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
