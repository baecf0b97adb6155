"""Pages of air quality: the station map, a station's hours and calendar, the county calendar, rankings and the
warnings log with the issuing form. Thin adapters over air.selectors and air.services."""

import datetime as dt
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.air import selectors
from gridgov.air.api import observed_series
from gridgov.air.engine import COLORS, color_of, level_of, pollutants_of_bits
from gridgov.air.forms import WarningForm
from gridgov.air.models import ImportJob, WarningBasis, WarningState
from gridgov.air.policies import AirPolicy
from gridgov.air.services import imports as import_services
from gridgov.air.services import warnings as warning_services
from gridgov.core.exceptions import ApplicationError, NotFound
from gridgov.territory.models import Level, Region

#: The standard's categories, translatable for the pages (the engine keeps the standard's Chinese terms).
CATEGORY_LABELS = (
    gettext_lazy("优"),
    gettext_lazy("良"),
    gettext_lazy("轻度污染"),
    gettext_lazy("中度污染"),
    gettext_lazy("重度污染"),
    gettext_lazy("严重污染"),
)
POLLUTANT_LABELS = {"pm25": "PM2.5", "pm10": "PM10", "so2": "SO₂", "no2": "NO₂", "co": "CO", "o3": "O₃"}
LEVEL_TONES = {"yellow": "amber", "orange": "amber", "red": "red"}


def _viewer(request):
    if not AirPolicy.can_view(request.user):
        raise Http404()
    return request.user


def category_label(level):
    return str(CATEGORY_LABELS[level - 1]) if level else _("无数据")


def legend():
    return [
        {"color": COLORS[i], "label": str(CATEGORY_LABELS[i]), "range": r}
        for i, r in enumerate(("0–50", "51–100", "101–150", "151–200", "201–300", ">300"))
    ]


def tabs(active: str, user=None):
    items = [
        ("index", _("站点地图"), reverse("air:index")),
        ("calendar", _("日历"), reverse("air:calendar")),
        ("rankings", _("排名"), reverse("air:rankings")),
        ("warnings", _("预警"), reverse("air:warnings")),
    ]
    if user is not None and AirPolicy.can_import(user):
        items.append(("import", _("导入数据"), reverse("air:import")))
    return [{"label": label, "url": url, "active": key == active} for key, label, url in items]


def _primary_labels(bits: int) -> str:
    return "、".join(POLLUTANT_LABELS[p] for p in pollutants_of_bits(bits))


@login_required
def index(request):
    user = _viewer(request)
    stations = list(selectors.station_list(user=user))
    stale = timezone.now() - dt.timedelta(hours=3)
    points, lons, lats = [], [], []
    for s in stations:
        fresh = s.latest_at is not None and s.latest_at >= stale
        s.current_level = s.latest_level if fresh else None
        s.current_aqi = s.latest_aqi if fresh else None
        s.color = color_of(s.current_level)
        s.category = category_label(s.current_level)
        lons.append(float(s.longitude))
        lats.append(float(s.latitude))
        points.append(
            {
                "name": s.name,
                "code": s.code,
                "value": [float(s.longitude), float(s.latitude), s.current_aqi],
                "level": s.current_level,
                "color": s.color,
                "category": s.category,
                "kind": str(s.get_level_display()),
                "url": reverse("air:station", args=[s.code]),
            }
        )
    active = list(selectors.warning_list(user=user).filter(state=WarningState.ISSUED)[:3])
    counts = [0] * 7
    for s in stations:
        counts[s.current_level or 0] += 1
    context = {
        "tabs": tabs("index", user),
        "stations": stations,
        "map": {"points": points, "bounds": _bounds(lons, lats), "missing_label": _("无数据")},
        "legend": legend(),
        "active_warnings": active,
        "level_tones": LEVEL_TONES,
        "reporting": len(stations) - counts[0],
    }
    return render(request, "air/index.html", context)


def _bounds(lons, lats):
    if not lons:
        return None
    pad_x = max((max(lons) - min(lons)) * 0.12, 0.02)
    pad_y = max((max(lats) - min(lats)) * 0.12, 0.02)
    return [min(lons) - pad_x, max(lons) + pad_x, min(lats) - pad_y, max(lats) + pad_y]


def _number(value, digits=0):
    if value is None:
        return None
    return round(float(value), digits) if digits else round(float(value))


@login_required
def station(request, code: str):
    user = _viewer(request)
    try:
        found = selectors.access_station(user, code)
    except NotFound:
        raise Http404() from None
    now = timezone.now()
    hours = list(
        selectors.station_hours(found, start=now - dt.timedelta(hours=72), end=now + dt.timedelta(hours=1))
    )
    today = timezone.localdate()
    year_start = today - dt.timedelta(days=364)
    days = list(selectors.station_days(found, start=year_start, end=today))
    chart = {
        "times": [timezone.localtime(h.observed_at).strftime("%m-%d %H:00") for h in hours],
        "aqi": [h.aqi for h in hours],
        "colors": [color_of(h.level) for h in hours],
        "pm25": [_number(h.pm25) for h in hours],
        "o3": [_number(h.o3) for h in hours],
        "labels": {"aqi": "AQI", "pm25": "PM2.5 (µg/m³)", "o3": "O₃ (µg/m³)"},
    }
    calendar = _calendar(days, year_start, today)
    latest = hours[-1] if hours else None
    recent = [
        {
            "day": d,
            "color": color_of(d.level),
            "category": category_label(d.level),
            "primary": _primary_labels(d.primary),
        }
        for d in reversed(days[-14:])
    ]
    context = {
        "tabs": tabs("index", user),
        "station": found,
        "latest": latest,
        "latest_color": color_of(latest.level if latest else None),
        "latest_category": category_label(latest.level if latest else None),
        "latest_primary": _primary_labels(latest.primary) if latest else "",
        "chart": chart,
        "calendar": calendar,
        "recent": recent,
        "legend": legend(),
    }
    return render(request, "air/station.html", context)


def _calendar(days, start, end, *, value=lambda d: d.aqi, day=lambda d: d.date):
    return {
        "range": [start.isoformat(), end.isoformat()],
        "data": [[day(d).isoformat(), value(d)] for d in days if value(d) is not None],
        "pieces": [
            {"min": lo, "max": hi, "color": COLORS[i], "label": str(CATEGORY_LABELS[i])}
            for i, (lo, hi) in enumerate(((0, 50), (51, 100), (101, 150), (151, 200), (201, 300), (301, 500)))
        ],
    }


@login_required
def county_calendar(request):
    user = _viewer(request)
    today = timezone.localdate()
    start = today - dt.timedelta(days=364)
    series = selectors.county_series(user, start=start, end=today)
    rows = [SimpleNamespace(date=d, aqi=a) for d, a in series]
    valid = [a for _d, a in series if a is not None]
    good = sum(1 for a in valid if a <= selectors.GOOD_TOP)
    context = {
        "tabs": tabs("calendar", user),
        "calendar": _calendar(rows, start, today),
        "legend": legend(),
        "days": len(valid),
        "good": good,
        "good_ratio": round(good / len(valid) * 100, 1) if valid else None,
        "heavy": sum(1 for a in valid if a > 200),
    }
    return render(request, "air/calendar.html", context)


@login_required
def rankings(request):
    user = _viewer(request)
    of = request.GET.get("of") if request.GET.get("of") in ("township", "station") else "township"
    period = request.GET.get("period") if request.GET.get("period") in ("day", "month") else "day"
    default = timezone.localdate() - dt.timedelta(days=1)
    error = None
    try:
        on = dt.date.fromisoformat(request.GET["date"]) if request.GET.get("date") else default
        if not 1970 <= on.year <= 2100:
            raise ValueError(on)
    except ValueError:
        on, error = default, _("日期格式不对，已显示昨天。")
    rows = selectors.ranking(user=user, of=of, period=period, on=on)
    for row in rows:
        row.category = category_label(row.level)
        row.primary_labels = "、".join(POLLUTANT_LABELS[p] for p in row.primary)
    start, end = selectors.period_range(period, on)
    context = {
        "tabs": tabs("rankings", user),
        "rows": rows,
        "of": of,
        "period": period,
        "on": on,
        "start": start,
        "end": end,
        "error": error,
        "choices_of": [("township", _("乡镇")), ("station", _("站点"))],
        "choices_period": [("day", _("日")), ("month", _("月"))],
    }
    return render(request, "air/rankings.html", context)


def _townships(user):
    scope_townships = Region.objects.filter(level=Level.TOWNSHIP, is_active=True).order_by("code")
    return scope_townships.filter(pk__in=[t.pk for t in scope_townships if AirPolicy.can_issue_in(user, [t])])


@login_required
def warnings(request):
    user = _viewer(request)
    can_issue = AirPolicy.can_issue_warnings(user)
    form = None
    if can_issue:
        form = WarningForm(
            request.POST or None, presets=selectors.preset_list(), townships=_townships(user), prefix="w"
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                townships = list(data["townships"])
                if data["basis"] == WarningBasis.OBSERVED:
                    series = observed_series(user, townships, data["start"], data["end"])
                else:
                    series = data["series"]
                warning = warning_services.warning_issue(
                    actor=user,
                    preset=data["preset"],
                    townships=townships,
                    series=series,
                    basis=data["basis"],
                    reason=data["reason"],
                    level=data["level"] or None,
                )
            except ApplicationError as exc:
                for field, errors in (exc.fields or {"__all__": [str(exc.message)]}).items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(
                    request, _("预警已发布：%(level)s。") % {"level": warning.get_level_display()}
                )
                return redirect("air:warning", warning.pk)
    elif request.method == "POST":
        raise Http404()
    items = list(selectors.warning_list(user=user)[:50])
    context = {
        "tabs": tabs("warnings", user),
        "warnings": items,
        "form": form,
        "level_tones": LEVEL_TONES,
        "presets": list(selectors.preset_list()),
        "status": 400 if form is not None and form.errors else 200,
    }
    return render(request, "air/warnings.html", context, status=context["status"])


@login_required
def warning(request, pk: int):
    user = _viewer(request)
    try:
        found = selectors.access_warning(user, pk)
    except NotFound:
        raise Http404() from None
    error = None
    can_lift = found.state == WarningState.ISSUED and AirPolicy.can_issue_in(
        user, list(found.townships.all())
    )
    if request.method == "POST":
        if not can_lift:
            raise Http404()
        try:
            warning_services.warning_lift(actor=user, warning=found, reason=request.POST.get("reason", ""))
        except ApplicationError as exc:
            error = "；".join(m for ms in exc.fields.values() for m in ms) if exc.fields else str(exc.message)
        else:
            messages.success(request, _("预警已解除。"))
            return redirect("air:warning", found.pk)
    series = [
        {"date": item["date"], "aqi": item["aqi"], "color": color_of(_level(item["aqi"]))}
        for item in found.series
    ]
    context = {
        "tabs": tabs("warnings", user),
        "warning": found,
        "series": series,
        "can_lift": can_lift,
        "error": error,
        "tone": LEVEL_TONES.get(found.level, ""),
    }
    return render(request, "air/warning.html", context, status=400 if error else 200)


def _level(aqi):
    return level_of(aqi)


@login_required
def import_page(request):
    user = _viewer(request)
    if not AirPolicy.can_import(user):
        raise Http404()
    error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ApplicationError(fields={"file": [_("请选择一个 CSV 文件。")]})
            if upload.size > import_services.MAX_BYTES:
                raise ApplicationError(
                    fields={"file": [_("文件超过 20 MB，请分批导入或使用 gridgov air_import。")]}
                )
            job = import_services.import_job_create(actor=user, filename=upload.name, data=upload.read())
        except ApplicationError as exc:
            error = "；".join(m for ms in exc.fields.values() for m in ms) if exc.fields else str(exc.message)
        else:
            return redirect("air:import_job", job.pk)
    jobs = ImportJob.objects.filter(created_by=user).only(
        "pk", "filename", "state", "total", "processed", "created", "updated", "rejected", "created_at"
    )[:10]
    context = {"tabs": tabs("import", user), "jobs": jobs, "error": error}
    return render(request, "air/import.html", context, status=400 if error else 200)


def _job(request, pk: int) -> ImportJob:
    user = _viewer(request)
    job = ImportJob.objects.filter(pk=pk, created_by=user).defer("content").first()
    if job is None:
        raise Http404()
    return job


@login_required
def import_job(request, pk: int):
    job = _job(request, pk)
    template = "air/_import_job.html" if request.headers.get("HX-Request") else "air/import_job.html"
    return render(request, template, {"tabs": tabs("import", request.user), "job": job})
