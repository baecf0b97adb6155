"""Uploading a ledger: the upload page, the job page that follows the background import, the error report and
the blank templates."""

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.core.exceptions import InvalidInput
from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.registry.forms import UploadForm
from gridgov.registry.models import ImportJob
from gridgov.registry.services.jobs import import_job_create
from gridgov.registry.services.workbooks import write_template
from gridgov.registry.views.common import (
    LEDGERS,
    XLSX,
    apply_errors,
    attachment,
    may_import,
    scoped,
    tabs,
    temp_xlsx,
    xlsx_response,
)

RECENT_JOBS = 20
RUNNING = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)


def access_import_job(user, pk) -> ImportJob:
    """A job is seen by whoever started it and by county admins (its error report holds the rejected rows as
    typed, personal numbers included); anyone else gets a 404."""
    job = ImportJob.objects.select_related("created_by").filter(pk=pk).first()
    if job is None:
        raise Http404
    if job.created_by_id != user.pk and not scope_for(user).has_role(Role.COUNTY_ADMIN):
        raise Http404
    return job


def _require_import(user) -> None:
    if not may_import(user):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
@scoped
def imports(request):
    user = request.user
    _require_import(user)
    initial = {"kind": request.GET.get("kind")} if request.GET.get("kind") in ImportJob.Kind.values else {}
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
    else:
        form = UploadForm(initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                actor=user, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"]
            )
        except InvalidInput as exc:
            apply_errors(form, exc)
        else:
            return redirect("registry:import_job", pk=job.pk)
    context = {
        "tabs": tabs(user, "imports"),
        "form": form,
        "jobs": ImportJob.objects.filter(created_by=user).order_by("-created_at", "-id")[:RECENT_JOBS],
        "ledgers": LEDGERS.values(),
    }
    return render(request, "registry/imports.html", context, status=400 if form.errors else 200)


def _job_context(request, job) -> dict:
    return {
        "job": job,
        "running": job.status in RUNNING,
        "ledger": LEDGERS[job.kind],
        "has_report": bool(job.error_report),
    }


@login_required
@require_GET
def import_job(request, pk):
    job = access_import_job(request.user, pk)
    context = {"tabs": tabs(request.user, "imports"), **_job_context(request, job)}
    return render(request, "registry/import_job.html", context)


@login_required
@require_GET
@never_cache
def import_job_progress(request, pk):
    """The progress card alone, for htmx to swap in every second; once the job has ended the card it returns no
    longer asks to be polled."""
    job = access_import_job(request.user, pk)
    return render(request, "registry/import_job.html#progress", _job_context(request, job))


@login_required
@require_GET
def import_job_errors(request, pk):
    job = access_import_job(request.user, pk)
    path = Path(job.error_report) if job.error_report else None
    if path is None or not path.is_file():
        raise Http404
    response = FileResponse(path.open("rb"), content_type=XLSX)
    stem = Path(job.filename).stem or "import"
    attachment(response, _("导入错误报告-%(name)s.xlsx") % {"name": stem}, f"import-{job.pk}-errors.xlsx")
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
@require_GET
def template_download(request, kind):
    """A blank ledger with the import's headers and a sheet explaining each column."""
    if kind not in LEDGERS:
        raise Http404
    handle = temp_xlsx()
    write_template(kind, handle.name)
    name = _("%(ledger)s导入模板.xlsx") % {"ledger": LEDGERS[kind].ledger_name}
    return xlsx_response(handle, name, f"{kind}-template.xlsx")
