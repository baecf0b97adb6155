"""Campaign pages: the list (for a grid worker, "my visits to do"), a campaign's figures from county to grid, the
visit at the door (every active campaign's form, the letter signed on screen or photographed), publicity, bulk
signing, the printable letter and the ledger exports. Thin adapters over selectors and services."""

import datetime as dt
import functools
import mimetypes
import posixpath
import tempfile
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from gridgov.campaigns import selectors
from gridgov.campaigns.models import Campaign, Channel, Commitment, SigningImport, TargetKind
from gridgov.campaigns.policies import PUBLICITY_ROLES, CampaignPolicy
from gridgov.campaigns.services import checks, exports, fieldwork, imports, letters, publicity
from gridgov.core.exceptions import ApplicationError, InvalidInput, NotAllowed, NotFound
from gridgov.core.scope import scope_for
from gridgov.registry.selectors import access_household, access_place
from gridgov.territory.models import Level, Region, subtree_range
from gridgov.territory.selectors import access_region

PAGE_SIZE = 30
MAX_UPLOAD = 20 * 1024 * 1024


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


def _errors(exc: ApplicationError) -> dict[str, list[str]]:
    """Field errors for the templates; errors of no field (and the message alone) under "general"."""
    errors = dict(exc.fields or {})
    general = errors.pop("__all__", [])
    if not errors and not general:
        general = [str(exc.message)]
    if general:
        errors["general"] = general
    return errors


def _target(user, kind: str, pk):
    if kind == TargetKind.HOUSEHOLD:
        return access_household(user, pk)
    if kind == TargetKind.PLACE:
        return access_place(user, pk)
    raise NotFound()


def _crumbs(user, region: Region) -> list[tuple[Region, bool]]:
    codes = region.ancestor_codes()
    nodes = {r.code: r for r in Region.objects.filter(code__in=codes)}
    scope = scope_for(user)
    return [(nodes[c], scope.can_see(nodes[c])) for c in codes if c in nodes]


# --- the list -----------------------------------------------------------------------------------------------------
@login_required
@scoped
def index(request):
    user = request.user
    campaigns = selectors.campaign_list(user=user)
    home = selectors.home_region(user)
    totals = selectors.campaign_totals(campaigns=campaigns, region=home) if home is not None else {}
    cards = [
        (campaign, totals.get(campaign.pk) if campaign.state != Campaign.State.DRAFT else None)
        for campaign in campaigns
    ]
    context = {"cards": cards, "home": home, "field": CampaignPolicy.has_round(user)}
    active = sorted(
        (c for c in campaigns if c.state == Campaign.State.ACTIVE), key=lambda c: (c.starts_on, c.pk)
    )
    if context["field"] and active:
        campaign = next((c for c in active if str(c.pk) == request.GET.get("campaign")), active[0])
        kind = (
            request.GET.get("kind")
            if request.GET.get("kind") in (TargetKind.HOUSEHOLD, TargetKind.PLACE)
            else (TargetKind.HOUSEHOLD if campaign.target_households else TargetKind.PLACE)
        )
        what = request.GET.get("what") if request.GET.get("what") in ("visit", "sign", "all") else "visit"
        near = selectors.parse_near(request.GET.get("near"))
        todo = selectors.todo_list(
            user=user, campaign=campaign, kind=kind, what=what, q=request.GET.get("q", ""), near=near
        )
        page = Paginator(todo, PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)
        for target in page.object_list:
            target.distance_m = selectors.distance_metres(getattr(target, "distance2", None))
        context.update(
            near=f"{near[0]},{near[1]}" if near else "",
            near_refused=bool(request.GET.get("near")) and near is None,
            round_campaign=campaign,
            active=active,
            kind=kind,
            what=what,
            page=page,
            q=request.GET.get("q", ""),
        )
    return render(request, "campaigns/index.html", context)


# --- one campaign ---------------------------------------------------------------------------------------------------
@login_required
@scoped
def detail(request, campaign_id: int):
    user = request.user
    campaign = selectors.access_campaign(user, campaign_id)
    region = selectors.access_figures_region(user, campaign, request.GET.get("region"))
    figures = selectors.campaign_figures(campaign=campaign, region=region)
    # The county and the part of the team responsible for this region (a township's secretary and head).
    team = [
        m
        for m in campaign.team.select_related("region")
        if m.region is None or region.path.startswith(m.region.path) or m.region.path.startswith(region.path)
    ]
    return render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "region": region,
            "figures": figures,
            "crumbs": _crumbs(user, region),
            "drill": region.level != Level.GRID,
            "team": team,
            "letters": list(campaign.letters.all()),
            "forms": list(campaign.forms.all()),
            "ledgers": [(key, label) for key, label in LEDGER_LABELS.items()],
            "may_import": CampaignPolicy.fieldwork_anywhere(user) and campaign.state == Campaign.State.ACTIVE,
        },
    )


LEDGER_LABELS = {
    "commitments": gettext_lazy("承诺书台账"),
    "visits": gettext_lazy("走访台账"),
    "venue_checks": gettext_lazy("场所排查台账"),
    "transport_checks": gettext_lazy("运输检查台账"),
    "publicity": gettext_lazy("宣传台账"),
}


# --- the visit at the door -------------------------------------------------------------------------------------------
def _visit_context(user, target, kind):
    campaigns = fieldwork.campaigns_for_target(target)
    sections = []
    for campaign in campaigns:
        form = fieldwork.form_for(campaign, kind)
        letter = next((lt for lt in campaign.letters.all() if lt.target_kind == kind), None)
        sections.append(
            {"campaign": campaign, "form": form, "letter": letter, "sign_name": f"sign-{campaign.pk}"}
        )
    commitments = {
        c.campaign_id: c
        for c in Commitment.objects.filter(campaign__in=campaigns, **{kind: target}).only(
            "id", "campaign_id", "evidence", "method"
        )
    }
    for section in sections:
        section["commitment"] = commitments.get(section["campaign"].pk)
        section["signed"] = section["commitment"] is not None
    return {
        "target": target,
        "kind": kind,
        "sections": sections,
        "signer_default": target.head_name if kind == TargetKind.HOUSEHOLD else target.person_in_charge,
        "unsigned": [s for s in sections if s["letter"] and not s["signed"]],
        "past_visits": selectors.visit_photos(target=target, kind=kind, visits=PAST_VISITS),
    }


#: How many earlier visits of a household or place show their photos on the visit page.
PAST_VISITS = 3


@login_required
@scoped
@require_http_methods(["GET", "POST"])
def visit(request, kind: str, target_id: int):
    user = request.user
    target = _target(user, kind, target_id)
    if not CampaignPolicy.can_do_fieldwork(user, target.grid.path):
        raise NotAllowed(_("该住户或场所不在您的网格内。"))
    context = _visit_context(user, target, kind)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        answers = {
            str(s["campaign"].pk): {
                q["key"]: request.POST.get(f"a-{s['campaign'].pk}-{q['key']}", "")
                for q in (s["form"].questions if s["form"] else [])
            }
            for s in context["sections"]
        }
        try:
            with transaction.atomic():
                record = fieldwork.visit_record(
                    actor=user,
                    target=target,
                    answers=answers,
                    note=request.POST.get("note", ""),
                    photos=request.FILES.getlist("photo"),
                    latitude=request.POST.get("latitude") or None,
                    longitude=request.POST.get("longitude") or None,
                    client_key=request.POST.get("client_key") or None,
                )
                # A resubmitted form (double tap, retry) already signed what it signed the first time.
                signed = 0 if record.replayed else _sign_at_visit(request, user, target, context["unsigned"])
        except ApplicationError as exc:
            errors = _errors(exc)
        else:
            opened = sum(e.problems for e in record.entries.all())
            text = _("已记录走访。")
            if signed:
                text += " " + _("已签署承诺书 %(n)d 份。") % {"n": signed}
            if opened:
                text += " " + _("发现问题 %(n)d 项，已自动上报案件。") % {"n": opened}
            if getattr(record, "location_set", False):
                text += " " + _("已按本次定位记下位置。")
            messages.success(request, text)
            if getattr(record, "location_gap_m", None):
                messages.warning(
                    request,
                    _("本次定位与台账登记的位置相距约 %(n)d 米，台账位置未改动；如登记有误，请在台账中更正。")
                    % {"n": record.location_gap_m},
                )
            return redirect(f"{reverse('campaigns:index')}?kind={kind}")
    context.update(
        errors=errors,
        posted=request.POST if request.method == "POST" else None,
        methods=Commitment.Method,
        max_photos=fieldwork.MAX_PHOTOS,
        # One key per filled-in form, kept when the form comes back with errors.
        client_key=_posted_key(request) if errors else uuid.uuid4(),
    )
    return render(request, "campaigns/visit.html", context, status=400 if errors else 200)


def _posted_key(request) -> uuid.UUID:
    try:
        return uuid.UUID(request.POST.get("client_key", ""))
    except ValueError:
        return uuid.uuid4()


def _sign_at_visit(request, user, target, unsigned) -> int:
    """The letters signed at the door: one signature (on screen or a photo of the paper letter) for each letter
    the signer ticked."""
    chosen = [s for s in unsigned if request.POST.get(f"sign-{s['campaign'].pk}")]
    if not chosen:
        return 0
    method = request.POST.get("method", Commitment.Method.ON_SCREEN)
    signer = request.POST.get("signer_name", "")
    for section in chosen:
        if method == Commitment.Method.PAPER_PHOTO:
            upload = request.FILES.get("letter_photo")
            evidence = None
            if upload is not None:
                upload.seek(0)
                evidence = fieldwork.image_file(upload, field="letter_photo")
        else:
            evidence = fieldwork.signature_from_data_url(request.POST.get("signature", ""))
        fieldwork.commitment_sign(
            actor=user,
            campaign=section["campaign"],
            target=target,
            signer_name=signer,
            method=method,
            evidence=evidence,
        )
    return len(chosen)


# --- evidence ---------------------------------------------------------------------------------------------------------
@login_required
@scoped
def evidence(request, kind: str, pk: int):
    """A stored signature or photo, shown in the page (inline) to those who may read its household, place or
    publicity region; anything else, and a file gone from the disk, is a 404."""
    file = selectors.access_evidence(request.user, kind, pk)
    try:
        handle = file.open("rb")
    except OSError:  # gone from the disk
        raise Http404 from None
    name = posixpath.basename(file.name)
    content_type = mimetypes.guess_type(name)[0] or ""
    # Stored files are checked to be images; anything else is never rendered by the browser.
    if not content_type.startswith("image/") or content_type == "image/svg+xml":
        content_type = "application/octet-stream"
    response = FileResponse(handle, content_type=content_type, filename=name)
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- letters and ledgers ----------------------------------------------------------------------------------------------
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
@scoped
def letter(request, campaign_id: int, kind: str, target_id: int):
    campaign = selectors.access_campaign(request.user, campaign_id)
    target = _target(request.user, kind, target_id)
    response = HttpResponse(letters.letter_docx(campaign=campaign, target=target), content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="letter-{campaign.code}-{kind}-{target.pk}.docx"'
    return response


@login_required
@scoped
def export(request, campaign_id: int, ledger: str):
    campaign = selectors.access_campaign(request.user, campaign_id)
    if ledger not in exports.LEDGERS:
        raise Http404
    region = access_region(request.user, request.GET["region"]) if request.GET.get("region") else None
    # Not a context manager: the response streams the file and closes (and so removes) it when done.
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
    exports.ledger_export(
        user=request.user, campaign=campaign, ledger=ledger, path=handle.name, region=region
    )
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=f"{campaign.code}-{ledger}.xlsx")


# --- bulk signing -----------------------------------------------------------------------------------------------------
@login_required
@scoped
@require_http_methods(["GET", "POST"])
def signing_import(request, campaign_id: int):
    campaign = selectors.access_campaign(request.user, campaign_id)
    if not CampaignPolicy.fieldwork_anywhere(request.user):
        raise NotAllowed()
    error = ""
    if request.method == "POST":
        try:
            job = imports.signing_import_create(
                actor=request.user, campaign=campaign, upload=request.FILES.get("file")
            )
        except ApplicationError as exc:
            error = "；".join(m for ms in exc.fields.values() for m in ms) or str(exc.message)
        else:
            return redirect("campaigns:import_job", campaign.pk, job.pk)
    recent = SigningImport.objects.filter(campaign=campaign, created_by=request.user)[:10]
    return render(
        request,
        "campaigns/import.html",
        {
            "campaign": campaign,
            "error": error,
            "recent": recent,
            "columns": [str(c) for c in imports.COLUMNS.values()],
        },
        status=400 if error else 200,
    )


@login_required
@scoped
def import_job(request, campaign_id: int, job_id: int):
    """The job's progress; while it runs, the page asks again every second (htmx) for this partial."""
    campaign = selectors.access_campaign(request.user, campaign_id)
    job = SigningImport.objects.filter(pk=job_id, campaign=campaign).first()
    if job is None or not (job.created_by_id == request.user.pk or CampaignPolicy.can_manage(request.user)):
        raise NotFound()
    template = (
        "campaigns/includes/import_job.html"
        if request.headers.get("HX-Request")
        else "campaigns/import_job.html"
    )
    return render(request, template, {"campaign": campaign, "job": job})


# --- publicity --------------------------------------------------------------------------------------------------------
@login_required
@scoped
@require_http_methods(["GET", "POST"])
def publicity_page(request, campaign_id: int):
    user = request.user
    campaign = selectors.access_campaign(user, campaign_id)
    region = selectors.access_figures_region(user, campaign, request.GET.get("region"))
    try:
        days = max(1, min(366, int(request.GET.get("days", 7))))
    except ValueError:
        days = 7
    errors, speaker_errors = {}, {}
    if request.method == "POST" and request.POST.get("form") == "loudspeaker":
        try:
            try:
                village = access_region(user, request.POST.get("village", ""), include_retired=False)
            except NotFound:
                raise InvalidInput(fields={"village": [_("请选择村(社区)。")]}) from None
            publicity.loudspeaker_schedule_add(
                actor=user,
                campaign=campaign,
                village=village,
                starts_on=_date(request.POST.get("starts_on")),
                ends_on=_date(request.POST.get("ends_on")),
                hours=request.POST.get("hours", ""),
            )
        except ApplicationError as exc:
            speaker_errors = _errors(exc)
        else:
            messages.success(request, _("已安排大喇叭播放。"))
            return redirect(f"{reverse('campaigns:publicity', args=[campaign.pk])}?region={region.code}")
    elif request.method == "POST":
        try:
            target = access_region(user, request.POST.get("region", ""), include_retired=False)
        except NotFound:
            target = None
        try:
            if target is None:
                raise InvalidInput(fields={"region": [_("请选择区域。")]})
            publicity.publicity_record(
                actor=user,
                campaign=campaign,
                channel=request.POST.get("channel", ""),
                region=target,
                count=request.POST.get("count") or 1,
                description=request.POST.get("description", ""),
                photos=request.FILES.getlist("photo"),
            )
        except ApplicationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("已登记宣传活动。"))
            return redirect(f"{reverse('campaigns:publicity', args=[campaign.pk])}?region={region.code}")
    summary = selectors.publicity_summary(campaign=campaign, region=region, days=days)
    villages = selectors.publicity_map(campaign=campaign, region=region, days=days)
    rows = [(row, [row.channels.get(code, 0) for code, _label in summary.channels]) for row in summary.rows]
    recent = selectors.publicity_list(user=user, campaign=campaign, region=region).prefetch_related("photos")[
        :20
    ]
    loudspeakers = selectors.loudspeaker_list(user=user, campaign=campaign, region=region).order_by(
        "village__code", "starts_on"
    )[:200]
    low, high = subtree_range(region.path)
    log_regions = list(
        Region.objects.filter(
            scope_for(user).region_q(PUBLICITY_ROLES),
            path__gte=low,
            path__lt=high,
            level__in=(Level.TOWNSHIP, Level.VILLAGE),
            is_active=True,
        ).order_by("path")[:500]
    )
    return render(
        request,
        "campaigns/publicity.html",
        {
            "campaign": campaign,
            "region": region,
            "summary": summary,
            "rows": rows,
            "recent": recent,
            "loudspeakers": loudspeakers,
            "days": days,
            "crumbs": _crumbs(user, region),
            "channels": Channel.choices,
            "errors": errors,
            "may_log": bool(log_regions),
            "speaker_errors": speaker_errors,
            "villages": [r for r in log_regions if r.level == Level.VILLAGE],
            "log_regions": log_regions,
            "max_photos": fieldwork.MAX_PHOTOS,
            "map": _publicity_map_data(campaign, villages, days),
            "unlocated": [v for v in villages if v.longitude is None],
            "legend": _map_legend(days),
        },
        status=400 if errors or speaker_errors else 200,
    )


def short_region_name(name: str) -> str:
    """高寨村民委员会 → 高寨村, 北街居民委员会 → 北街社区: the names a map label has room for."""
    for suffix, short in (("村民委员会", "村"), ("居民委员会", "社区"), ("村委会", "村"), ("居委会", "社区")):
        if name.endswith(suffix):
            return name[: -len(suffix)] + short
    return name


#: Colours of the publicity map: publicity within a day, within the window, and none in the window.
MAP_FRESH, MAP_AGEING, MAP_SILENT = "#2b8a3e", "#e8a317", "#d9363e"


def _map_colour(point, days: int) -> str:
    if point.silent:
        return MAP_SILENT
    return MAP_FRESH if point.days_since <= 1 else MAP_AGEING


def _map_legend(days: int) -> list[tuple[str, str]]:
    legend = [(MAP_FRESH, _("1 天内有宣传"))]
    if days == 3:
        legend.append((MAP_AGEING, _("%(n)d 天前") % {"n": 2}))
    elif days > 3:
        legend.append((MAP_AGEING, _("2–%(n)d 天前") % {"n": days - 1}))
    legend.append((MAP_SILENT, _("%(n)d 天内没有宣传") % {"n": days}))
    return legend


def _publicity_map_data(campaign, villages, days: int) -> dict:
    """The scatter map's points (json_script): villages at their households' centroid, coloured by the days
    since their last publicity, sized by its count; silent villages highlighted."""
    base = reverse("campaigns:publicity", args=[campaign.pk])
    points = []
    for v in villages:
        if v.longitude is None:
            continue
        if v.days_since is None:
            when = _("从未宣传")
        elif v.days_since == 0:
            when = _("今天")
        else:
            when = _("%(n)d 天前") % {"n": v.days_since}
        points.append(
            {
                "name": short_region_name(v.region.name),
                "value": [round(v.longitude, 5), round(v.latitude, 5), v.total],
                "color": _map_colour(v, days),
                "silent": v.silent,
                "tip": _(
                    "最近一次：%(when)s<br>宣传 %(total)d 次（近 %(days)d 天 %(recent)d 次）<br>定位住户 %(n)d 户"
                )
                % {"when": when, "total": v.total, "days": days, "recent": v.recent, "n": v.located},
                "url": f"{base}?region={v.region.code}&days={days}",
            }
        )
    lons = [p["value"][0] for p in points]
    lats = [p["value"][1] for p in points]
    bounds = None
    if points:
        pad_x = max((max(lons) - min(lons)) * 0.15, 0.015)
        pad_y = max((max(lats) - min(lats)) * 0.15, 0.015)
        bounds = [min(lons) - pad_x, max(lons) + pad_x, min(lats) - pad_y, max(lats) + pad_y]
    return {"points": points, "bounds": bounds, "silent_label": str(_("未宣传"))}


def _date(value):
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


# --- venue and transport checks -------------------------------------------------------------------------------------
def _bool(value) -> bool:
    return str(value).strip().lower() in fieldwork.YES


@login_required
@scoped
@require_http_methods(["GET", "POST"])
def venue_check_page(request, campaign_id: int, place_id: int):
    user = request.user
    campaign = selectors.access_campaign(user, campaign_id)
    place = access_place(user, place_id)
    if not CampaignPolicy.can_check(user, place.grid.path):
        raise NotAllowed(_("该场所不在您的管辖范围内。"))
    errors = {}
    if request.method == "POST":
        try:
            check = checks.venue_check_record(
                actor=user,
                campaign=campaign,
                place=place,
                sells_fireworks=_bool(request.POST.get("sells_fireworks")),
                stock_found=_bool(request.POST.get("stock_found")),
                licence_number=request.POST.get("licence_number", ""),
                note=request.POST.get("note", ""),
            )
        except ApplicationError as exc:
            errors = _errors(exc)
        else:
            text = _("已登记排查：%(result)s。") % {"result": check.get_result_display()}
            if check.finding_id and check.finding.case_id:
                text += " " + _("已上报案件 %(number)s。") % {"number": check.finding.case.number}
            messages.success(request, text)
            return redirect(f"{reverse('campaigns:index')}?campaign={campaign.pk}&kind=place")
    licences = list(place.licences.filter(kind="fireworks_retail").order_by("-valid_to")[:5])
    history = list(selectors.venue_check_list(user=user, campaign=campaign).filter(place=place)[:10])
    return render(
        request,
        "campaigns/venue_check.html",
        {
            "campaign": campaign,
            "place": place,
            "licences": licences,
            "history": history,
            "errors": errors,
            "posted": request.POST if request.method == "POST" else None,
        },
        status=400 if errors else 200,
    )


@login_required
@scoped
@require_http_methods(["GET", "POST"])
def transport_page(request, campaign_id: int):
    user = request.user
    campaign = selectors.access_campaign(user, campaign_id)
    may_check = CampaignPolicy.checks_anywhere(user) and campaign.state == Campaign.State.ACTIVE
    errors = {}
    if request.method == "POST":
        if not may_check:
            raise NotAllowed()
        try:
            try:
                grid = access_region(user, request.POST.get("grid", "").strip(), include_retired=False)
            except NotFound:
                raise InvalidInput(fields={"grid": [_("请填写检查地点所在网格的编码。")]}) from None
            check = checks.transport_check_record(
                actor=user,
                campaign=campaign,
                grid=grid,
                place_name=request.POST.get("place_name", ""),
                vehicle_plate=request.POST.get("vehicle_plate", ""),
                driver_name=request.POST.get("driver_name", ""),
                permit_number=request.POST.get("permit_number", ""),
                route_matches=_bool(request.POST.get("route_matches")),
                quantity_matches=_bool(request.POST.get("quantity_matches")),
                route=request.POST.get("route", ""),
                quantity=request.POST.get("quantity", ""),
            )
        except ApplicationError as exc:
            errors = _errors(exc)
        else:
            if check.result == check.Result.PASSED:
                messages.success(request, _("检查合格，已登记。"))
            else:
                messages.warning(
                    request, _("检查不合格（%(reasons)s），已上报案件。") % {"reasons": check.reasons}
                )
            return redirect("campaigns:transport", campaign.pk)
    page = Paginator(selectors.transport_check_list(user=user, campaign=campaign), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "campaigns/transport.html",
        {
            "campaign": campaign,
            "page": page,
            "errors": errors,
            "may_check": may_check,
            "posted": request.POST if request.method == "POST" else None,
            "home": selectors.home_region(user),
        },
        status=400 if errors else 200,
    )
