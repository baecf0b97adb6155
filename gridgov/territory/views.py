"""Pages of the grid: the region browser and grid management. Thin adapters over selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.exceptions import ApplicationError, NotFound
from gridgov.territory import services
from gridgov.territory.forms import GridAddForm, GridRetireForm, GridSplitForm, RenameForm
from gridgov.territory.models import Level
from gridgov.territory.policies import RegionPolicy
from gridgov.territory.selectors import (
    access_region,
    region_breadcrumbs,
    region_children,
    region_roots,
    region_search,
)


def _access(user, code):
    try:
        return access_region(user, code)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def browse(request):
    query = request.GET.get("q", "").strip()
    if query:
        results = list(region_search(user=request.user, query=query))
        return render(request, "territory/search.html", {"query": query, "results": results})
    roots = list(region_roots(user=request.user))
    if len(roots) == 1:
        return redirect("territory:region", code=roots[0].code)
    return render(request, "territory/roots.html", {"roots": roots})


@login_required
def region_page(request, code, forms=None):
    region = _access(request.user, code)
    children = region_children(user=request.user, region=region) if region.level != Level.GRID else []
    retired = []
    if region.level == Level.VILLAGE:
        retired = list(region.children.filter(is_active=False).order_by("code"))
    can_manage = RegionPolicy.can_manage_grids(request.user, region)
    forms = forms or {}
    context = {
        "region": region,
        "breadcrumbs": region_breadcrumbs(user=request.user, region=region),
        "children": children,
        "retired_children": retired,
        "child_level_label": Level(region.child_level).label if region.child_level else "",
        "can_manage_grids": can_manage,
        "can_rename": RegionPolicy.can_rename(request.user, region),
        "add_form": forms.get("add") or GridAddForm(),
        "rename_form": forms.get("rename") or RenameForm(initial={"name": region.name}),
        "split_form": forms.get("split") or GridSplitForm(),
        "retire_form": forms.get("retire") or GridRetireForm(),
        "grid_people": (
            list(region.grants.select_related("user").order_by("role", "user__username"))
            if region.level == Level.GRID
            else []
        ),
        "total_grids": sum(getattr(c, "grid_count", 0) for c in children),
    }
    status = 400 if any(f is not None and f.errors for f in forms.values()) else 200
    return render(request, "territory/region.html", context, status=status)


def _run(request, region, form_key, form, action, success_message):
    """Validates the form, calls the service, and re-renders the page with errors kept on failure."""
    if form.is_valid():
        try:
            result = action(form.cleaned_data)
        except ApplicationError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            if not exc.fields:
                form.add_error(None, str(exc.message))
        else:
            messages.success(request, success_message(result))
            return redirect("territory:region", code=region.code)
    return region_page(request, region.code, forms={form_key: form})


@login_required
@require_POST
def grid_add(request, code):
    village = _access(request.user, code)
    return _run(
        request,
        village,
        "add",
        GridAddForm(request.POST),
        lambda data: services.grid_add(actor=request.user, village=village, name=data["name"]),
        lambda grid: _("已新增网格 %(name)s（%(code)s）。") % {"name": grid.name, "code": grid.code},
    )


@login_required
@require_POST
def region_rename(request, code):
    region = _access(request.user, code)
    return _run(
        request,
        region,
        "rename",
        RenameForm(request.POST),
        lambda data: services.region_rename(actor=request.user, region=region, name=data["name"]),
        lambda r: _("已更名为 %(name)s。") % {"name": r.name},
    )


@login_required
@require_POST
def grid_split(request, code):
    grid = _access(request.user, code)
    return _run(
        request,
        grid,
        "split",
        GridSplitForm(request.POST),
        lambda data: services.grid_split(
            actor=request.user, grid=grid, names=data["names"], keep_name=data["keep_name"] or None
        ),
        lambda grids: (
            _("已拆出 %(n)d 个新网格：%(names)s。")
            % {"n": len(grids), "names": "、".join(g.name for g in grids)}
        ),
    )


@login_required
@require_POST
def grid_retire(request, code):
    grid = _access(request.user, code)
    return _run(
        request,
        grid,
        "retire",
        GridRetireForm(request.POST),
        lambda data: services.grid_retire(actor=request.user, grid=grid, reason=data["reason"]),
        lambda g: _("网格 %(name)s 已撤销，编码 %(code)s 保留不再使用。") % {"name": g.name, "code": g.code},
    )
