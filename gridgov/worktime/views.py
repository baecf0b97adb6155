"""The working-time calendar page: county admins enter holidays and make-up working days."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.exceptions import ApplicationError
from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.worktime.calendar import year_is_known
from gridgov.worktime.forms import OverrideForm
from gridgov.worktime.selectors import (
    calendar_override_list,
    holidays_missing_message,
    years_needing_holidays,
)
from gridgov.worktime.services import calendar_override_delete, calendar_override_set


def _require_admin(user):
    if not scope_for(user).has_role(Role.COUNTY_ADMIN):
        raise Http404


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


@login_required
def overrides(request, form=None):
    _require_admin(request.user)
    year = _year(request)
    context = {
        "year": year,
        "years": [year - 1, year, year + 1],
        "year_known": year_is_known(year),
        "overrides": list(calendar_override_list(year=year)),
        "warnings": [holidays_missing_message(y) for y in years_needing_holidays()],
        "form": form or OverrideForm(),
    }
    return render(request, "worktime/overrides.html", context, status=400 if form is not None else 200)


@login_required
@require_POST
def override_save(request):
    _require_admin(request.user)
    form = OverrideForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = calendar_override_set(
                actor=request.user, date=data["date"], kind=data["kind"], name=data["name"]
            )
        except ApplicationError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(
                request,
                _("已保存：%(date)s %(kind)s（%(name)s）")
                % {"date": saved.date.isoformat(), "kind": saved.get_kind_display(), "name": saved.name},
            )
            return redirect(f"{reverse('worktime:overrides')}?year={saved.date.year}")
    return overrides(request, form=form)


@login_required
@require_POST
def override_delete(request, date: str):
    _require_admin(request.user)
    try:
        day = dt.date.fromisoformat(date)
    except ValueError as exc:
        raise Http404 from exc
    if calendar_override_delete(actor=request.user, date=day):
        messages.success(request, _("已删除 %(date)s 的设置。") % {"date": day.isoformat()})
    return redirect(f"{reverse('worktime:overrides')}?year={day.year}")
