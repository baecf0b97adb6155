"""One record of a ledger: its page, its edit form, showing its personal numbers in clear, the 排查登记."""

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.core.exceptions import InvalidInput, NotFound
from gridgov.registry import forms
from gridgov.registry.policies import RegistryPolicy
from gridgov.registry.selectors import (
    EXPIRY_WARNING_DAYS,
    access_household,
    access_licence,
    access_place,
    access_resident,
    licence_list,
    resident_list,
)
from gridgov.registry.services import records
from gridgov.registry.services.privacy import personal_data_unmask
from gridgov.registry.views.common import LEDGERS, apply_errors, require_readable, scoped, tabs
from gridgov.territory.selectors import region_breadcrumbs


@dataclass(frozen=True)
class RecordSpec:
    kind: str
    access: object
    form: type
    save: object
    save_kw: str
    template: str
    #: The clear values the unmask form reveals, by the service's field name, with their labels.
    personal: tuple[tuple[str, str], ...] = ()

    def grid(self, obj):
        return obj.household.grid if self.kind == "residents" else obj.grid


SPECS = {
    "households": RecordSpec(
        "households",
        access_household,
        forms.HouseholdForm,
        records.household_save,
        "household",
        "registry/household_detail.html",
        (("head_id", gettext_lazy("户主身份证号")), ("phone", gettext_lazy("联系电话"))),
    ),
    "residents": RecordSpec(
        "residents",
        access_resident,
        forms.ResidentForm,
        records.resident_save,
        "resident",
        "registry/resident_detail.html",
        (("id_number", gettext_lazy("身份证号")), ("phone", gettext_lazy("联系电话"))),
    ),
    "places": RecordSpec(
        "places",
        access_place,
        forms.PlaceForm,
        records.place_save,
        "place",
        "registry/place_detail.html",
        (("phone", gettext_lazy("联系电话")),),
    ),
    "licences": RecordSpec(
        "licences",
        access_licence,
        forms.LicenceForm,
        records.licence_save,
        "licence",
        "registry/licence_detail.html",
    ),
}


def _detail_context(request, spec: RecordSpec, obj, **extra) -> dict:
    user = request.user
    grid = spec.grid(obj)
    today = timezone.localdate()
    context = {
        "tabs": tabs(user, spec.kind),
        "ledger": LEDGERS[spec.kind],
        "kind": spec.kind,
        "obj": obj,
        "crumbs": region_breadcrumbs(user=user, region=grid),
        "may_edit": RegistryPolicy.can_write_path(user, spec.kind, grid.path),
        "may_unmask": bool(spec.personal) and RegistryPolicy.can_unmask(user),
        "unmask_form": forms.UnmaskForm(),
        "today": today,
        "soon": today + dt.timedelta(days=EXPIRY_WARNING_DAYS),
    }
    if spec.kind == "households":
        context["residents"] = list(resident_list(user=user, active=None).filter(household=obj))
        context["may_add_resident"] = RegistryPolicy.can_write_path(user, "residents", grid.path)
    if spec.kind == "places":
        context["licences"] = list(licence_list(user=user).filter(place=obj))
        context["check_form"] = forms.PlaceCheckForm(
            initial={"registration_status": obj.registration_status, "sells_fireworks": obj.sells_fireworks}
        )
        context["may_add_licence"] = RegistryPolicy.can_write_somewhere(user, "licences")
    context.update(extra)
    return context


@login_required
@require_GET
@scoped
def record_detail(request, kind, pk):
    spec = SPECS[kind]
    require_readable(request.user, kind)
    obj = spec.access(request.user, pk)
    return render(request, spec.template, _detail_context(request, spec, obj))


@login_required
@require_POST
@never_cache
@scoped
def record_unmask(request, kind, pk):
    """Shows the record's personal numbers in clear, once: they are rendered into this response only (never
    stored in the session, never cached), and the service writes the access log."""
    spec = SPECS[kind]
    require_readable(request.user, kind)
    obj = spec.access(request.user, pk)
    if not spec.personal or not RegistryPolicy.can_unmask(request.user):
        raise PermissionDenied
    form = forms.UnmaskForm(request.POST)
    revealed = None
    if form.is_valid():
        try:
            values = personal_data_unmask(actor=request.user, obj=obj, reason=form.cleaned_data["reason"])
        except InvalidInput as exc:
            apply_errors(form, exc)
        else:
            revealed = [(label, values.get(name, "")) for name, label in spec.personal]
    context = _detail_context(request, spec, obj, unmask_form=form, revealed=revealed)
    response = render(request, spec.template, context, status=400 if form.errors else 200)
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
@require_http_methods(["GET", "POST"])
@scoped
def record_form(request, kind, pk=None):
    """Create (no pk) or edit a record. Bad input re-renders the form with its errors (400) and stores nothing."""
    spec = SPECS[kind]
    user = request.user
    require_readable(user, kind)
    obj = spec.access(user, pk) if pk is not None else None
    if obj is not None and not RegistryPolicy.can_write_path(user, kind, spec.grid(obj).path):
        raise PermissionDenied
    if obj is None and not RegistryPolicy.can_write_somewhere(user, kind):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    form = spec.form(data, user=user, instance=obj, **_form_extras(request, kind, obj))
    if request.method == "POST" and form.is_valid():
        try:
            saved = spec.save(actor=user, **{spec.save_kw: obj}, data=form.to_data())
        except InvalidInput as exc:
            apply_errors(form, exc, getattr(form, "service_names", None))
        else:
            messages.success(request, _("已保存。") if obj else _("已登记。"))
            return redirect(LEDGERS[kind].detail_url, pk=saved.pk)
    context = {
        "tabs": tabs(user, kind),
        "ledger": LEDGERS[kind],
        "kind": kind,
        "obj": obj,
        "form": form,
        "common_tags": forms.COMMON_TAGS,
        "relations": forms.RELATIONS,
    }
    return render(request, "registry/form.html", context, status=400 if form.errors else 200)


def _form_extras(request, kind, obj) -> dict:
    """A new resident may come from its household's page, a new licence from its place's page."""
    if obj is not None:
        return {}
    if kind == "residents" and request.GET.get("household"):
        try:
            return {"household": access_household(request.user, request.GET["household"])}
        except NotFound:
            return {}
    if kind == "licences" and request.GET.get("place"):
        try:
            return {"place": access_place(request.user, request.GET["place"])}
        except NotFound:
            return {}
    return {}


@login_required
@require_POST
@scoped
def place_check(request, pk):
    """Records a 销售场所排查登记 (status, sells fireworks; who and when come from the request)."""
    spec = SPECS["places"]
    require_readable(request.user, "places")
    place = access_place(request.user, pk)
    if not RegistryPolicy.can_write_path(request.user, "places", place.grid.path):
        raise PermissionDenied
    form = forms.PlaceCheckForm(request.POST)
    if form.is_valid():
        try:
            records.place_check(
                actor=request.user,
                place=place,
                status=form.cleaned_data["registration_status"],
                sells_fireworks=form.cleaned_data["sells_fireworks"],
            )
        except InvalidInput as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("已记录排查登记：%(status)s。") % {"status": place.get_registration_status_display()},
            )
            return redirect("registry:place", pk=place.pk)
    context = _detail_context(request, spec, place, check_form=form, check_open=True)
    return render(request, spec.template, context, status=400)
