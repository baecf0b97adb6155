"""The notice pages: the list (for a grid worker, "my notices"), drafting, the notice with its roll-ups, the grid
worker's 已转达 and report back, export. Thin: parse, access, call a service, render."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.exceptions import ApplicationError, InvalidInput, NotAllowed, NotFound
from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.notices import selectors
from gridgov.notices.forms import AckForm, NoticeForm, ReportForm, ToCaseForm
from gridgov.notices.models import NoticeGrid, NoticeReport, NoticeState, ReportOutcome
from gridgov.notices.policies import NoticePolicy
from gridgov.notices.services import notice_create, notice_grid_ack, notice_publish, notice_withdraw
from gridgov.notices.services.notices import notice_attachments_add, receipt_mark_read_for_user
from gridgov.notices.services.reports import notice_report_add, notice_report_to_case
from gridgov.notices.services.sending import deliveries_retry_dead
from gridgov.territory.models import Level, Region

PAGE_SIZE = 20


def scoped(view):
    """NotFound → 404 page, NotAllowed → 403 page."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404 from exc
        except NotAllowed as exc:
            raise PermissionDenied(str(exc.message)) from exc

    return wrapper


def add_errors(form, exc: ApplicationError) -> None:
    """Puts a service's field errors on the form (unknown fields on the form itself)."""
    if not exc.fields:
        form.add_error(None, str(exc.message))
    for name, problems in exc.fields.items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)


def page(request, template: str, context: dict, *, tab: str = "index", status: int = 200):
    """Renders a notices page with the tabs' context."""
    context = {"tab": tab, "can_draft": NoticePolicy.can_draft(request.user), **context}
    return render(request, template, context, status=status)


def is_worker_view(user) -> bool:
    """Grid workers (without a publishing role) get the phone list of their own notices."""
    scope = scope_for(user)
    return scope.has_role(Role.GRID_WORKER) and not NoticePolicy.can_draft(user)


# --- the list ---------------------------------------------------------------------------------------------------
@login_required
def index(request):
    user = request.user
    if is_worker_view(user):
        return _my_notices(request)
    state = request.GET.get("state") or ""
    if state not in NoticeState.values:
        state = ""
    scope_q = scope_for(user).region_q(field="grids__grid__path", acting=False)
    notices = selectors.notice_list(user=user, state=state or None).annotate(
        n_grids=Count("grids", filter=scope_q, distinct=True),
        n_read=Count("grids", filter=scope_q & Q(grids__read_at__isnull=False), distinct=True),
        n_acked=Count("grids", filter=scope_q & Q(grids__acked_at__isnull=False), distinct=True),
    )
    listing = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    for notice in listing.object_list:
        notice.acked_pct = round(100 * notice.n_acked / notice.n_grids) if notice.n_grids else 0
        notice.read_pct = round(100 * notice.n_read / notice.n_grids) if notice.n_grids else 0
    return page(
        request, "notices/index.html", {"page": listing, "state": state, "states": NoticeState.choices}
    )


def _my_notices(request):
    user = request.user
    notices = selectors.notice_list(user=user, mine=True).exclude(state=NoticeState.DRAFT)
    listing = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    grids = selectors.my_grids_for(user=user, notices=list(listing.object_list))
    pending = 0
    for notice in listing.object_list:
        notice.my_grids = grids.get(notice.pk, [])
        notice.is_read = any(g.read_at for g in notice.my_grids)
        notice.is_acked = bool(notice.my_grids) and all(g.acked_at for g in notice.my_grids)
        notice.overdue = bool(notice.deadline and notice.deadline < timezone.now() and not notice.is_acked)
        if notice.requires_ack and not notice.is_acked and notice.state == NoticeState.PUBLISHED:
            pending += 1
    return page(request, "notices/mine.html", {"page": listing, "pending": pending})


# --- drafting ---------------------------------------------------------------------------------------------------
def _uploads(files) -> list[tuple[str, bytes]]:
    return [(f.name, f.read()) for f in files]


@login_required
@scoped
def create(request):
    user = request.user
    if not NoticePolicy.can_draft(user):
        raise NotAllowed(_("您没有发布通知的权限。"))
    form = NoticeForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        regions = list(Region.objects.filter(code__in=data["scope"]))
        try:
            with transaction.atomic():
                notice = notice_create(
                    actor=user,
                    title=data["title"],
                    body=data["body"],
                    regions=regions,
                    audience=data["audience"],
                    requires_ack=data["requires_ack"],
                    deadline=data["deadline"],
                    priority=data["priority"],
                )
                if data["attachments"]:
                    notice_attachments_add(actor=user, notice=notice, files=_uploads(data["attachments"]))
                if "publish" in request.POST:
                    notice_publish(actor=user, notice=notice)
        except InvalidInput as exc:
            add_errors(form, exc)
        else:
            if notice.state == NoticeState.PUBLISHED:
                messages.success(request, _("通知已发布，正在下发到各网格。"))
            else:
                messages.success(request, _("草稿已保存。"))
            return redirect("notices:detail", pk=notice.pk)
    return page(
        request, "notices/create.html", {"form": form}, tab="create", status=400 if form.errors else 200
    )


# --- one notice -------------------------------------------------------------------------------------------------
def _drill(request, user, notice):
    """The roll-up level asked for with ?region=CODE (a township or a village in scope)."""
    code = request.GET.get("region") or ""
    if not code:
        # A township officer (or anyone whose scope is one township or village) starts one level down.
        roots = list(scope_for(user).root_regions()[:2])
        if len(roots) == 1 and roots[0].level in (Level.TOWNSHIP, Level.VILLAGE):
            return roots[0], []
        return None, []
    region = Region.objects.filter(code=code[:15], level__in=[Level.TOWNSHIP, Level.VILLAGE]).first()
    if region is None or not scope_for(user).can_see(region):
        return None, []
    crumbs = list(
        Region.objects.filter(
            code__in=region.ancestor_codes(), level__in=[Level.TOWNSHIP, Level.VILLAGE]
        ).order_by("code")
    )
    return region, crumbs


def _detail_context(request, notice):
    user = request.user
    manage = NoticePolicy.can_manage(user, notice)
    parent, crumbs = _drill(request, user, notice)
    my_grids = list(
        NoticeGrid.objects.filter(
            scope_for(user).region_q({Role.GRID_WORKER}, field="grid__path"), notice=notice
        ).select_related("grid")
    )
    context = {
        "notice": notice,
        "regions": list(notice.regions.all()),
        "attachments": list(notice.attachments.all()),
        "can_manage": manage,
        "my_grids": my_grids,
        "ack_form": AckForm(),
        "parent": parent,
        "crumbs": crumbs,
        "worker_view": is_worker_view(user),
        "can_file_case": not scope_for(user).is_read_only,
    }
    if notice.state != NoticeState.DRAFT:
        context.update(
            figures=selectors.notice_figures(user=user, notice=notice),
            rollup=selectors.notice_rollup(user=user, notice=notice, parent=parent),
            unacked=list(selectors.notice_unacked_grids(user=user, notice=notice, parent=parent)[:200]),
            reports=list(selectors.notice_reports(user=user, notice=notice)[:50]),
            dead=list(selectors.notice_dead_deliveries(notice=notice)) if manage else [],
            to_case_form=ToCaseForm(),
        )
        context["rollup_level"] = (
            _("乡镇(街道)")
            if parent is None
            else (_("村(社区)") if parent.level == Level.TOWNSHIP else _("网格"))
        )
    return context


@login_required
@scoped
def detail(request, pk):
    notice = selectors.access_notice(request.user, pk)
    if notice.state == NoticeState.PUBLISHED:
        receipt_mark_read_for_user(user=request.user, notice=notice)
    return page(request, "notices/detail.html", _detail_context(request, notice))


@login_required
@scoped
def figures(request, pk):
    """The counters, polled by the notice page while deliveries are under way."""
    notice = selectors.access_notice(request.user, pk)
    return render(
        request,
        "notices/_figures.html",
        {"notice": notice, "figures": selectors.notice_figures(user=request.user, notice=notice)},
    )


@require_POST
@login_required
@scoped
def publish(request, pk):
    notice = selectors.access_notice(request.user, pk)
    try:
        notice_publish(actor=request.user, notice=notice)
        messages.success(request, _("通知已发布，正在下发到各网格。"))
    except ApplicationError as exc:
        if isinstance(exc, NotAllowed):
            raise
        messages.error(request, " ".join([str(exc.message), *[m for ms in exc.fields.values() for m in ms]]))
    return redirect("notices:detail", pk=notice.pk)


@require_POST
@login_required
@scoped
def withdraw(request, pk):
    notice = selectors.access_notice(request.user, pk)
    try:
        notice_withdraw(actor=request.user, notice=notice)
        messages.success(request, _("通知已撤回，未发出的消息不再发送。"))
    except ApplicationError as exc:
        if isinstance(exc, NotAllowed):
            raise
        messages.error(request, str(exc.message))
    return redirect("notices:detail", pk=notice.pk)


@require_POST
@login_required
@scoped
def retry(request, pk):
    notice = selectors.access_notice(request.user, pk)
    if not NoticePolicy.can_manage(request.user, notice):
        raise NotAllowed()
    try:
        count = deliveries_retry_dead(actor=request.user, notice=notice)
        messages.success(request, _("已重新发送 %(n)d 条失败的消息。") % {"n": count})
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    return redirect("notices:detail", pk=notice.pk)


def _my_grid(user, notice, code: str | None) -> NoticeGrid:
    qs = NoticeGrid.objects.filter(
        scope_for(user).region_q(
            {Role.GRID_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_ADMIN}, field="grid__path"
        ),
        notice=notice,
    ).select_related("grid", "notice")
    found = qs.filter(grid__code=(code or "")[:15]).first() if code else None
    if found is None:
        rows = list(qs[:2])
        if code or len(rows) != 1:
            raise NotFound()
        found = rows[0]
    return found


@require_POST
@login_required
@scoped
def ack(request, pk):
    notice = selectors.access_notice(request.user, pk)
    notice_grid = _my_grid(request.user, notice, request.POST.get("grid"))
    form = AckForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("告知户数须为 0 到 100000 之间的整数。"))
        return redirect("notices:detail", pk=notice.pk)
    try:
        notice_grid_ack(
            actor=request.user, notice_grid=notice_grid, households_told=form.cleaned_data["households_told"]
        )
        messages.success(request, _("已确认转达：%(grid)s") % {"grid": notice_grid.grid.name})
    except ApplicationError as exc:
        if isinstance(exc, NotAllowed):
            raise
        messages.error(request, " ".join([str(exc.message), *[m for ms in exc.fields.values() for m in ms]]))
    return redirect("notices:detail", pk=notice.pk)


@login_required
@scoped
def report(request, pk):
    notice = selectors.access_notice(request.user, pk)
    notice_grid = _my_grid(request.user, notice, request.GET.get("grid") or request.POST.get("grid"))
    if not NoticePolicy.can_respond(request.user, notice_grid.grid):
        raise NotAllowed()
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice_report_add(
                actor=request.user,
                notice_grid=notice_grid,
                outcome=data["outcome"],
                number=data["number"],
                note=data["note"],
                photos=_uploads(data["photos"]),
            )
        except InvalidInput as exc:
            add_errors(form, exc)
        except ApplicationError as exc:
            if isinstance(exc, NotAllowed):
                raise
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("回报已提交。"))
            return redirect("notices:detail", pk=notice.pk)
    return page(
        request,
        "notices/report.html",
        {"notice": notice, "notice_grid": notice_grid, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
@scoped
def report_to_case(request, report_pk):
    report = (
        NoticeReport.objects.filter(pk=report_pk, outcome=ReportOutcome.PROBLEM)
        .select_related("notice_grid__notice", "notice_grid__grid")
        .first()
    )
    if report is None:
        raise NotFound()
    notice = selectors.access_notice(request.user, report.notice_grid.notice_id)
    if not scope_for(request.user).can_see(report.notice_grid.grid):
        raise NotFound()
    form = ToCaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择案件类别。"))
        return redirect("notices:detail", pk=notice.pk)
    try:
        case = notice_report_to_case(
            actor=request.user, report=report, category=form.cleaned_data["category"]
        )
    except ApplicationError as exc:
        if isinstance(exc, NotAllowed):
            raise
        messages.error(request, " ".join([str(exc.message), *[m for ms in exc.fields.values() for m in ms]]))
        return redirect("notices:detail", pk=notice.pk)
    messages.success(request, _("已转为案件 %(number)s。") % {"number": case.number})
    return redirect(reverse("cases:detail", args=[case.pk]))


@login_required
@scoped
def report_photo(request, report_pk, photo_pk):
    """A report's photo, for those who see the report's grid."""
    from django.http import FileResponse

    from gridgov.notices.models import NoticeReportPhoto

    photo = (
        NoticeReportPhoto.objects.filter(pk=photo_pk, report_id=report_pk)
        .select_related("report__notice_grid__grid")
        .first()
    )
    if photo is None or not scope_for(request.user).can_see(photo.report.notice_grid.grid):
        raise NotFound()
    selectors.access_notice(request.user, photo.report.notice_grid.notice_id)
    return FileResponse(photo.file.open("rb"), filename=photo.name)


@login_required
@scoped
def attachment(request, pk, attachment_pk):
    notice = selectors.access_notice(request.user, pk)
    return _serve_attachment(notice, attachment_pk)


def _serve_attachment(notice, attachment_pk):
    from django.http import FileResponse

    found = notice.attachments.filter(pk=attachment_pk).first()
    if found is None:
        raise NotFound()
    return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)


# --- export -----------------------------------------------------------------------------------------------------
@login_required
@scoped
def export(request, pk):
    """The notice's grids as .xlsx (XlsxWriter, constant memory): delivered, read, acknowledged per grid."""
    import io

    import xlsxwriter

    notice = selectors.access_notice(request.user, pk)
    if notice.state == NoticeState.DRAFT:
        raise NotFound()
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True})
    sheet = book.add_worksheet(_("网格回执"))
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    headers = [
        _("乡镇(街道)"),
        _("村(社区)"),
        _("网格编码"),
        _("网格"),
        _("已送达"),
        _("发送失败"),
        _("首次阅读"),
        _("转达时间"),
        _("转达人"),
        _("告知户数"),
    ]
    sheet.write_row(0, 0, headers, bold)
    sheet.set_column(0, 1, 14)
    sheet.set_column(2, 2, 18)
    sheet.set_column(6, 7, 17)

    def local(value):
        return timezone.localtime(value).replace(tzinfo=None) if value else None

    for row, ng in enumerate(
        selectors.notice_grid_rows(user=request.user, notice=notice).iterator(), start=1
    ):
        sheet.write_row(
            row, 0, [ng.township.name, ng.village.name, ng.grid.code, ng.grid.name, ng.sent, ng.dead]
        )
        for column, value in ((6, local(ng.read_at)), (7, local(ng.acked_at))):
            if value:
                sheet.write_datetime(row, column, value, when)
            else:
                sheet.write_blank(row, column, None)
        sheet.write(row, 8, (ng.acked_by.display_name or ng.acked_by.username) if ng.acked_by else "")
        sheet.write(row, 9, ng.households_told if ng.households_told is not None else "")
    book.close()
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="notice-{notice.pk}.xlsx"'
    return response
