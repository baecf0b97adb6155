from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection, transaction
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_tasks_db.models import DBTaskResult

from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.territory.models import Level
from gridgov.territory.selectors import region_level_counts, region_roots


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says. The hashed static name is resolved per request,
    not at import time, when collectstatic may not have run yet."""
    from django.shortcuts import redirect
    from django.templatetags.static import static

    return redirect(static("gridgov/favicon.svg"))


@require_GET
@never_cache
def healthz(request):
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request):
    """Readiness: the database answers and the task queue's table is reachable."""
    checks = {}
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError as exc:  # report, never raise: a probe must get an answer
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        # The worker's queue lives in this table; a savepoint keeps a failure from poisoning the connection.
        with transaction.atomic():
            DBTaskResult.objects.exists()
        checks["tasks"] = "ok"
    except DatabaseError as exc:
        checks["tasks"] = f"error: {exc.__class__.__name__}"
    ok = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


ROLE_INTRO = {
    Role.COUNTY_ADMIN: _("配置平台、管理用户与网格，查看全县一切数据。"),
    Role.SUPERVISOR: _("对上报的问题立案或作废，核查处置结果并结案，开展综合评价。"),
    Role.COMMANDER: _("把已立案的问题派遣给责任单位，审批延期，督办超期案件。"),
    Role.DEPARTMENT_OFFICER: _("处置派遣给本部门的案件，反馈处理结果。"),
    Role.TOWNSHIP_OFFICER: _("处置本乡镇的案件，管理本乡镇的村和网格。"),
    Role.GRID_WORKER: _("上报问题、入户走访、签收通知。"),
    Role.LEADER: _("查看辖区内的看板、排名和通报（只读）。"),
    Role.REWARD_OFFICER: _("查看举报人信息，认定并发放举报奖励。"),
}


@login_required
def home(request):
    scope = scope_for(request.user)
    roots = list(region_roots(user=request.user))
    grants = [
        {"grant": grant, "role_label": Role(grant.role).label, "intro": ROLE_INTRO.get(grant.role, "")}
        for grant in scope.grants
    ]
    warnings = []
    if scope.has_role(Role.COUNTY_ADMIN):
        from gridgov.worktime.selectors import holidays_missing_message, years_needing_holidays

        warnings = [holidays_missing_message(year) for year in years_needing_holidays()]
    counts = region_level_counts(user=request.user)
    level_counts = [
        (Level(level).label, counts[level])
        for level in (Level.TOWNSHIP, Level.VILLAGE, Level.GRID)
        if level in counts
    ]
    context = {
        "grants": grants,
        "roots": roots,
        "scope": scope,
        "warnings": warnings,
        "level_counts": level_counts,
    }
    return render(request, "core/home.html", context)


@login_required
def audit_log(request):
    from django.core.paginator import Paginator
    from django.http import Http404

    from gridgov.core.audit import audit_list

    if not scope_for(request.user).has_role(Role.COUNTY_ADMIN):
        raise Http404
    action = request.GET.get("action", "").strip()
    page = Paginator(audit_list(action=action or None), 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_log.html", {"page": page, "action": action})


@login_required
def notifications(request):
    """The user's in-platform messages (escalations …); opening the page marks them read."""
    from django.core.paginator import Paginator
    from django.utils import timezone

    from gridgov.core.models import Notification

    qs = Notification.objects.filter(recipient=request.user).order_by("-created_at", "-id")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    unread = [n.pk for n in page if n.read_at is None]
    if request.method == "GET" and unread:
        Notification.objects.filter(pk__in=unread).update(read_at=timezone.now())
    return render(request, "core/notifications.html", {"page": page, "unread": set(unread)})
