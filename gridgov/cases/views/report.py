"""Filing a case from a page: the grid worker's phone form (上报问题) and the staff's hotline entry (热线登记).
The case and its photos are stored in one request and one transaction: a bad photo files nothing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gridgov.cases.forms import ReportForm
from gridgov.cases.models import CaseAttachment
from gridgov.cases.policies import REPORTERS
from gridgov.cases.selectors import category_list
from gridgov.cases.services.extras import attachment_add
from gridgov.cases.services.intake import case_report
from gridgov.cases.views.common import HOTLINE_ROLES, apply_errors, forget_files, region_options, tabs
from gridgov.core.exceptions import ApplicationError, InvalidInput
from gridgov.core.scope import scope_for
from gridgov.territory.models import Level, Region
from gridgov.territory.selectors import region_breadcrumbs

#: Service field names that the form calls differently; coordinates come from hidden inputs, so their errors
#: are shown at the top of the form.
FIELD_NAMES = {"file": "photos", "latitude": "__all__", "longitude": "__all__"}


def fixed_region(user) -> Region | None:
    """The grid a reporter works in, when the only place they may report in is one grid."""
    grants = [g for g in scope_for(user).grants if g.role in REPORTERS]
    if len({g.region_id for g in grants}) == 1 and grants[0].region_level == Level.GRID:
        return Region.objects.select_related("parent").filter(pk=grants[0].region_id, is_active=True).first()
    return None


@login_required
def report(request):
    return _report_page(request, hotline=False)


@login_required
def hotline(request):
    return _report_page(request, hotline=True)


def _report_page(request, *, hotline: bool):
    user = request.user
    if not scope_for(user).root_paths(HOTLINE_ROLES if hotline else REPORTERS):
        raise PermissionDenied(_("您没有上报案件的权限。"))
    place = None if hotline else fixed_region(user)
    form = ReportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        user=user,
        categories=list(category_list()),
        fixed_region=place,
        hotline=hotline,
    )
    if form.is_bound and form.is_valid():
        case = _file(user, form)
        if case is not None:
            messages.success(request, _("已上报，案件编号 %(number)s。") % {"number": case.number})
            return redirect("cases:detail", pk=case.pk)
    context = {
        "tabs": tabs(user, "hotline" if hotline else "report"),
        "form": form,
        "hotline": hotline,
        "place": place,
        "place_trail": region_breadcrumbs(user=user, region=place) if place else [],
        "region_options": [] if place else region_options(user, REPORTERS),
        "photos_lost": form.is_bound and bool(request.FILES),
    }
    return render(request, "cases/report.html", context, status=400 if form.is_bound else 200)


def store_photo(user, case, upload, phase, event):
    """attachment_add, with the file's name in its error so that the user knows which photo to replace."""
    try:
        return attachment_add(actor=user, case=case, upload=upload, phase=phase, event=event)
    except InvalidInput as exc:
        errors = [str(e) for e in exc.fields.get("file", [])] or [str(exc.message)]
        raise InvalidInput(
            fields={"file": [_("%(name)s：%(error)s") % {"name": upload.name, "error": e} for e in errors]}
        ) from exc


def _file(user, form):
    """case_report and attachment_add for each photo, all or nothing. Returns the case, or None with the
    services' errors put on the form."""
    data = form.cleaned_data
    stored = []
    try:
        with transaction.atomic():
            case = case_report(
                actor=user,
                category=data["category"],
                region=data["region"],
                title=data["title"],
                description=data["description"],
                source=form.source,
                address=data.get("address", ""),
                latitude=data.get("latitude") or None,
                longitude=data.get("longitude") or None,
                reporter_name=data.get("reporter_name", ""),
                reporter_contact=data.get("reporter_contact", ""),
            )
            event = case.events.filter(action="report").first()
            for upload in data["photos"]:
                stored.append(store_photo(user, case, upload, CaseAttachment.Phase.REPORT, event))
    except ApplicationError as exc:
        forget_files(stored)
        apply_errors(form, exc, FIELD_NAMES)
        return None
    return case
