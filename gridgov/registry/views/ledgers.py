"""The registry hub, the four ledger lists and their export."""

import datetime as dt
import re
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.core.crypto import blind_index
from gridgov.core.exceptions import InvalidInput, NotAllowed
from gridgov.core.identity import normalize_ric
from gridgov.registry import forms
from gridgov.registry.models import Place, Resident
from gridgov.registry.policies import RegistryPolicy
from gridgov.registry.selectors import (
    EXPIRY_WARNING_DAYS,
    household_list,
    licence_list,
    place_list,
    resident_list,
)
from gridgov.registry.services.exporting import registry_export
from gridgov.registry.views.common import (
    LEDGERS,
    apply_errors,
    may_import,
    region_from,
    require_readable,
    scoped,
    tabs,
    temp_xlsx,
    xlsx_response,
)
from gridgov.territory.models import Level
from gridgov.territory.selectors import region_breadcrumbs, region_children, region_roots

PAGE_SIZE = 50
FULL_ID = re.compile(r"^\d{17}[\dX]$")


def id_search_index(q: str) -> str:
    """The blind index of ``q`` when it is a full 18-character ID number (IDs are stored sealed, so a text search
    can never find them), else ""."""
    number = normalize_ric(q)
    return blind_index("ric", number) if FULL_ID.match(number) else ""


# --- hub ---------------------------------------------------------------------------------------------------


def fact(label, n, tone: str = "", query: dict | None = None) -> dict:
    """One figure on a hub card, linking to the list filtered to it; the tone (red, amber) only when there is
    something to look at."""
    return {"label": label, "n": n, "tone": tone if n else "", "query": urlencode(query or {})}


@login_required
@require_GET
def index(request):
    """Counts per ledger in the user's scope: one aggregate query per ledger the user may read."""
    user = request.user
    today = timezone.localdate()
    cards = []
    if RegistryPolicy.can_read_somewhere(user, "households"):
        totals = household_list(user=user).aggregate(n=Count("id"), people=Sum("members"))
        cards.append(
            {
                "ledger": LEDGERS["households"],
                "count": totals["n"],
                "facts": [fact(_("登记人口"), totals["people"] or 0)],
            }
        )
    if RegistryPolicy.can_read_somewhere(user, "residents"):
        totals = resident_list(user=user).aggregate(
            n=Count("id"), away=Count("id", filter=Q(tags__contains="|外出务工|"))
        )
        cards.append(
            {
                "ledger": LEDGERS["residents"],
                "count": totals["n"],
                "facts": [fact(_("外出务工"), totals["away"], query={"tag": "外出务工"})],
            }
        )
    if RegistryPolicy.can_read_somewhere(user, "places"):
        totals = place_list(user=user).aggregate(
            n=Count("id"),
            unchecked=Count("id", filter=Q(registration_status=Place.Registration.UNCHECKED)),
            fireworks=Count("id", filter=Q(sells_fireworks=True)),
            illegal=Count("id", filter=Q(registration_status=Place.Registration.ILLEGAL)),
        )
        cards.append(
            {
                "ledger": LEDGERS["places"],
                "count": totals["n"],
                "facts": [
                    fact(_("未排查"), totals["unchecked"], "amber", {"registration": "unchecked"}),
                    fact(_("销售烟花爆竹"), totals["fireworks"], "", {"sells_fireworks": "yes"}),
                    fact(_("发现非法经营"), totals["illegal"], "red", {"registration": "illegal"}),
                ],
            }
        )
    if RegistryPolicy.can_read_somewhere(user, "licences"):
        soon = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
        totals = licence_list(user=user).aggregate(
            n=Count("id"),
            expired=Count("id", filter=Q(valid_to__lt=today)),
            expiring=Count("id", filter=Q(valid_to__gte=today, valid_to__lte=soon)),
        )
        cards.append(
            {
                "ledger": LEDGERS["licences"],
                "count": totals["n"],
                "facts": [
                    fact(_("已过期"), totals["expired"], "red", {"expiry": "expired"}),
                    fact(_("30 天内到期"), totals["expiring"], "amber", {"expiry": "expiring"}),
                ],
            }
        )
    context = {"tabs": tabs(user, "index"), "cards": cards, "may_import": may_import(user)}
    return render(request, "registry/index.html", context)


# --- lists -------------------------------------------------------------------------------------------------


def _households(user, region, f):
    index = id_search_index(f["q"])
    qs = household_list(user=user, region=region, tag=f["tag"], q="" if index else f["q"])
    if index:
        members = Resident.objects.filter(id_index=index).values("household_id")
        qs = qs.filter(Q(head_id_index=index) | Q(pk__in=members))
    return qs


def _residents(user, region, f):
    index = id_search_index(f["q"])
    return resident_list(user=user, region=region, tag=f["tag"], q="" if index else f["q"], id_index=index)


def _places(user, region, f):
    sells = {"yes": True, "no": False}.get(f["sells_fireworks"])
    return place_list(
        user=user,
        region=region,
        q=f["q"],
        kind=f["kind"],
        tag=f["tag"],
        registration=f["registration"],
        sells_fireworks=sells,
    )


def _licences(user, region, f):
    return licence_list(user=user, region=region, q=f["q"], kind=f["kind"], expiry=f["expiry"])


LIST_SPECS = {
    "households": (forms.HouseholdFilterForm, _households, "registry/rows/household.html"),
    "residents": (forms.ResidentFilterForm, _residents, "registry/rows/resident.html"),
    "places": (forms.PlaceFilterForm, _places, "registry/rows/place.html"),
    "licences": (forms.LicenceFilterForm, _licences, "registry/rows/licence.html"),
}
CREATE_URLS = {
    "households": "registry:household_create",
    "residents": "registry:resident_create",
    "places": "registry:place_create",
    "licences": "registry:licence_create",
}


def region_nav(user, region):
    """Breadcrumbs up to the region and the regions one level down, to narrow the list by tapping."""
    if region is None:
        return [], list(region_roots(user=user))
    crumbs = region_breadcrumbs(user=user, region=region)
    children = region_children(user=user, region=region) if region.level != Level.GRID else []
    return crumbs, children


@login_required
@require_GET
@scoped
def ledger_list(request, kind):
    user = request.user
    require_readable(user, kind)
    form_class, query, row_template = LIST_SPECS[kind]
    region = region_from(user, kind, request.GET.get("region", ""))
    form = form_class(request.GET)
    filters = form.values()
    page = Paginator(query(user, region, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    crumbs, children = region_nav(user, region)
    context = {
        "tabs": tabs(user, kind),
        "ledger": LEDGERS[kind],
        "kind": kind,
        "form": form,
        "filtered": any(filters.values()),
        "id_search": bool(filters["q"] and id_search_index(filters["q"])),
        "region": region,
        "region_param": request.GET.get("region", ""),
        "crumbs": crumbs,
        "children": children,
        "page": page,
        "row_template": row_template,
        "today": timezone.localdate(),
        "soon": timezone.localdate() + dt.timedelta(days=EXPIRY_WARNING_DAYS),
        "may_create": RegistryPolicy.can_write_somewhere(user, kind),
        "create_url": CREATE_URLS[kind],
        "may_unmask": RegistryPolicy.can_unmask(user) and kind != "licences",
        "export_form": forms.ExportForm(initial={"region": region.code if region else ""}),
        "common_tags": forms.COMMON_TAGS,
    }
    return render(request, "registry/list.html", context)


# --- export ------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@scoped
def ledger_export(request, kind):
    """The ledger of a region as .xlsx: masked by GET; with clear values by POST, for users who may unmask and
    give a reason (the service checks both and writes the access log)."""
    user = request.user
    require_readable(user, kind)
    unmask = request.method == "POST"
    data = request.POST if unmask else request.GET
    if unmask and (kind == "licences" or not RegistryPolicy.can_unmask(user)):
        raise PermissionDenied
    region = region_from(user, kind, data.get("region", ""))
    if region is None:
        # Grants on several separate regions: ask which one (the list's region chips give the choice).
        return render(
            request,
            "registry/export_form.html",
            {
                "tabs": tabs(user, kind),
                "ledger": LEDGERS[kind],
                "kind": kind,
                "roots": region_roots(user=user),
            },
            status=400,
        )
    form = forms.ExportForm(request.POST) if unmask else None
    reason = ""
    if form is not None:
        if not form.is_valid():
            return _export_form(request, kind, region, form)
        reason = form.cleaned_data["reason"]
    by_township = data.get("by_township") in ("1", "on", "true")
    handle = temp_xlsx()
    try:
        registry_export(
            actor=user,
            kind=kind,
            region=region,
            path=handle.name,
            by_township=by_township,
            unmask=unmask,
            reason=reason,
        )
    except InvalidInput as exc:
        handle.close()
        if form is None:  # a masked export has no input of its own to get wrong
            raise
        apply_errors(form, exc)
        return _export_form(request, kind, region, form)
    except NotAllowed:
        handle.close()
        raise
    ledger = LEDGERS[kind]
    stamp = f"{timezone.localdate():%Y%m%d}"
    name = _("%(ledger)s明文") % {"ledger": ledger.ledger_name} if unmask else str(ledger.ledger_name)
    filename = f"{name}-{region.name}-{stamp}.xlsx"
    return xlsx_response(handle, filename, f"{kind}-{region.code}-{stamp}.xlsx", private=unmask)


def _export_form(request, kind, region, form):
    context = {"tabs": tabs(request.user, kind), "ledger": LEDGERS[kind], "kind": kind, "region": region}
    context["form"] = form
    return render(request, "registry/export_form.html", context, status=400)
