"""Grid groups: coverage rolled up by township → village → grid, one grid's settings with the test button, and the
bulk import from a spreadsheet."""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.exceptions import ApplicationError, InvalidInput, NotAllowed
from gridgov.core.scope import scope_for
from gridgov.notices import selectors
from gridgov.notices.forms import GridGroupForm, ImportForm
from gridgov.notices.models import GridGroup
from gridgov.notices.policies import GROUP_MANAGERS, GridGroupPolicy
from gridgov.notices.services.groups import (
    grid_group_test,
    grid_group_upsert,
    grid_groups_import,
    grid_household_count,
)
from gridgov.notices.views.pages import add_errors, page, scoped
from gridgov.territory.models import Level, Region

MAX_UPLOAD = 10 * 1024 * 1024


@login_required
@scoped
def groups(request):
    user = request.user
    parent = None
    code = request.GET.get("region") or ""
    if code:
        parent = Region.objects.filter(code=code[:15]).exclude(level=Level.GRID).first()
        if parent is None or not scope_for(user).can_see(parent):
            parent = None
    rows = selectors.coverage_rollup(user=user, parent=parent)
    grid_rows = []
    if parent is not None and parent.level == Level.VILLAGE:
        grid_rows = list(selectors.grid_group_list(user=user, parent=parent))
        households = _households_by_grid([g.pk for g in grid_rows])
        for grid in grid_rows:
            grid.household_count = households.get(grid.pk, 0)
            group = getattr(grid, "notice_group", None)
            grid.group = group
            grid.coverage_pct = (
                round(100 * group.households_joined / grid.household_count)
                if group and grid.household_count
                else 0
            )
    crumbs = []
    if parent is not None:
        crumbs = list(
            Region.objects.filter(code__in=parent.ancestor_codes()).exclude(pk=parent.pk).order_by("code")
        )
        crumbs = [c for c in crumbs if scope_for(user).can_see(c)]
    totals = {
        "households": sum(r.households for r in rows),
        "joined": sum(r.joined for r in rows),
        "grids": sum(r.grids for r in rows),
        "bots": sum(r.bots for r in rows),
    }
    totals["coverage_pct"] = (
        round(100 * totals["joined"] / totals["households"]) if totals["households"] else 0
    )
    return page(
        request,
        "notices/groups.html",
        {
            "rows": rows,
            "parent": parent,
            "crumbs": crumbs,
            "grid_rows": grid_rows,
            "totals": totals,
            "can_import": bool(scope_for(user).root_paths(GROUP_MANAGERS)),
        },
        tab="groups",
    )


def _households_by_grid(grid_ids):
    from django.db.models import Count

    from gridgov.registry.models import Household

    return dict(
        Household.objects.filter(grid_id__in=grid_ids, is_active=True)
        .values("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    )


@login_required
@scoped
def group_edit(request, code):
    grid = selectors.access_grid(request.user, code)
    group = GridGroup.objects.filter(grid=grid).first()
    can_manage = GridGroupPolicy.can_manage(request.user, grid)
    initial = {
        "name": group.name if group else "",
        "channel": group.channel if group else "none",
        "households_joined": group.households_joined if group else 0,
    }
    form = GridGroupForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_manage:
            raise NotAllowed()
        if form.is_valid():
            data = form.cleaned_data
            try:
                grid_group_upsert(
                    actor=request.user,
                    grid=grid,
                    channel=data["channel"],
                    webhook_url=data["webhook_url"],
                    secret=data["secret"],
                    households_joined=data["households_joined"],
                    name=data["name"],
                )
            except InvalidInput as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("已保存 %(grid)s 的群设置。") % {"grid": grid.name})
                return redirect("notices:group", code=grid.code)
    return page(
        request,
        "notices/group.html",
        {
            "grid": grid,
            "group": group,
            "form": form,
            "can_manage": can_manage,
            "households": grid_household_count(grid),
        },
        tab="groups",
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
@scoped
def group_test(request, code):
    grid = selectors.access_grid(request.user, code)
    group = GridGroup.objects.filter(grid=grid).first()
    if group is None:
        messages.error(request, _("该网格尚未配置群。"))
        return redirect("notices:group", code=grid.code)
    try:
        group = grid_group_test(actor=request.user, group=group)
    except ApplicationError as exc:
        if isinstance(exc, NotAllowed):
            raise
        messages.error(request, " ".join([str(exc.message), *[m for ms in exc.fields.values() for m in ms]]))
        return redirect("notices:group", code=grid.code)
    if group.last_test_ok:
        messages.success(request, _("测试消息已发送成功，请在群里查看。"))
    else:
        messages.error(request, _("测试消息发送失败：%(error)s") % {"error": group.last_test_error})
    return redirect("notices:group", code=grid.code)


@login_required
@scoped
def groups_import(request):
    if not scope_for(request.user).root_paths(GROUP_MANAGERS):
        raise NotAllowed()
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            form.add_error("file", _("文件不能超过 10MB。"))
        else:
            suffix = Path(upload.name).suffix.lower()[:8]
            with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
                for chunk in upload.chunks():
                    tmp.write(chunk)
                tmp.flush()
                try:
                    result = grid_groups_import(actor=request.user, path=tmp.name, filename=upload.name)
                except InvalidInput as exc:
                    add_errors(form, exc)
            if result is not None and not result.errors:
                messages.success(
                    request,
                    _("导入完成：新增 %(created)d 个，更新 %(updated)d 个。")
                    % {"created": result.created, "updated": result.updated},
                )
                return redirect("notices:groups")
    status = 400 if form.errors or (result and result.errors) else 200
    return page(
        request, "notices/groups_import.html", {"form": form, "result": result}, tab="groups", status=status
    )
