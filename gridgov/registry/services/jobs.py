"""Background imports started from the upload page: the file is stored, a task runs it, the page follows the
job's counters."""

import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.audit import audit_record
from gridgov.core.exceptions import ApplicationError, InvalidInput, NotAllowed
from gridgov.core.scope import scope_for
from gridgov.registry.models import ImportJob
from gridgov.registry.readers import read_table
from gridgov.registry.services.importing import IMPORT_ROLES, ImportReport, registry_import
from gridgov.registry.services.workbooks import write_error_report

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
ALLOWED_SUFFIXES = {".xlsx", ".csv"}


def imports_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@transaction.atomic
def import_job_create(*, actor, kind: str, upload) -> ImportJob:
    """Stores an uploaded spreadsheet and queues its import."""
    if not scope_for(actor).has_role(*IMPORT_ROLES):
        raise NotAllowed()
    if kind not in ImportJob.Kind.values:
        raise InvalidInput(fields={"kind": [_("请选择台账类别。")]})
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise InvalidInput(fields={"file": [_("请上传 .xlsx 或 .csv 文件。")]})
    if upload.size > MAX_UPLOAD_BYTES:
        raise InvalidInput(fields={"file": [_("文件超过 200 MB，请拆分后上传。")]})
    target = imports_dir() / f"{uuid.uuid4().hex}{suffix}"
    with open(target, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    job = ImportJob.objects.create(
        kind=kind, filename=Path(upload.name).name[:200], stored_path=str(target), created_by=actor
    )
    audit_record(actor=actor, action="import.start", obj=job, changes={"kind": kind, "file": job.filename})
    from gridgov.registry.tasks import import_job_task

    transaction.on_commit(lambda: import_job_task.enqueue(job.pk))
    return job


def import_job_run(job_id: int) -> ImportJob:
    """Runs a queued import; the counters are saved after every batch so that the page can follow."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, started_at=timezone.now())

    def progress(report: ImportReport) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            total_rows=report.total,
            processed_rows=report.processed,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected=report.rejected,
        )

    try:
        table = read_table(job.stored_path, filename=job.filename)
        report = registry_import(actor=job.created_by, kind=job.kind, table=table, progress=progress)
    except ApplicationError as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, message=str(exc.message), finished_at=timezone.now()
        )
        return ImportJob.objects.get(pk=job.pk)
    except Exception:
        logger.exception("import job %s failed", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED,
            message=_("导入意外中止，已导入的批次已保存；可修正后重新导入同一文件。"),
            finished_at=timezone.now(),
        )
        raise
    report_path = ""
    if report.errors:
        report_path = str(
            write_error_report(report.errors, Path(job.stored_path).with_suffix(".errors.xlsx"))
        )
    progress(report)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        error_report=report_path,
        finished_at=timezone.now(),
        message=_("新增 %(c)d，更新 %(u)d，未变 %(n)d，拒绝 %(r)d")
        % {"c": report.created, "u": report.updated, "n": report.unchanged, "r": report.rejected},
    )
    return ImportJob.objects.get(pk=job.pk)
