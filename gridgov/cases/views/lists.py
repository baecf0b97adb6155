"""The inbox ("what needs me now") and the list of every case the user may see. Both read a constant number of
queries whatever their length."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.shortcuts import render

from gridgov.cases.forms import CaseFilterForm
from gridgov.cases.models import ExtensionRequest
from gridgov.cases.selectors import case_inbox, case_list, category_list
from gridgov.cases.views.common import tabs, with_deadlines
from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.territory.models import Level, Region
from gridgov.territory.selectors import department_list

PAGE_SIZE = 30


def _pending_extension():
    return Exists(ExtensionRequest.objects.filter(case=OuterRef("pk"), state=ExtensionRequest.State.PENDING))


@login_required
def inbox(request):
    user = request.user
    scope = scope_for(user)
    cases = (
        case_inbox(user=user)
        .select_related("region__parent")
        .annotate(pending_extension=_pending_extension())
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = with_deadlines(page.object_list)
    mine = []
    if scope.has_role(Role.GRID_WORKER):
        # A grid worker acts on nothing in the loop; what they follow is what they reported.
        mine = with_deadlines(
            case_list(user=user).filter(reported_by=user).select_related("region__parent")[:10]
        )
    context = {
        "tabs": tabs(user, "inbox"),
        "page": page,
        "mine": mine,
        "read_only": scope.is_read_only,
    }
    return render(request, "cases/inbox.html", context)


@login_required
def case_list_page(request):
    user = request.user
    categories = list(category_list())
    scope = scope_for(user)
    townships = list(
        Region.objects.filter(scope.region_q(), level=Level.TOWNSHIP, is_active=True)
        .select_related("parent")
        .order_by("code")
    )
    form = CaseFilterForm(
        request.GET or None,
        user=user,
        categories=categories,
        departments=department_list(),
        townships=townships,
    )
    if form.is_bound and not form.is_valid():
        cases = case_list(user=user).none()
    else:
        kwargs = form.selector_kwargs() if form.is_bound else {}
        cases = case_list(user=user, **kwargs)
    page = Paginator(cases.select_related("region__parent"), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = with_deadlines(page.object_list)
    filtered = form.is_bound and any(v for k, v in request.GET.items() if k != "page")
    narrowed = form.is_bound and any(v for k, v in request.GET.items() if k not in ("page", "q"))
    context = {
        "tabs": tabs(user, "list"),
        "form": form,
        "page": page,
        "filtered": filtered,
        "narrowed": narrowed,
        "region_options": townships,
    }
    return render(request, "cases/list.html", context)
