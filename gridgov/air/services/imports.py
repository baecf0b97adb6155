"""CSV imports from the import page: the upload is stored as a job, a background task reads it in chunks through
``readings_ingest`` and keeps the job's counters up to date for the page to poll."""

import io

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.air.csvfile import CsvHeaderError, read_rows
from gridgov.air.models import ImportJob
from gridgov.air.policies import AirPolicy
from gridgov.air.services.readings import RowError, readings_ingest
from gridgov.core.audit import audit_record
from gridgov.core.exceptions import InvalidInput, NotAllowed

MAX_BYTES = 20 * 2**20
CHUNK = 2000
KEEP_ERRORS = 200


@transaction.atomic
def import_job_create(*, actor, filename: str, data: bytes) -> ImportJob:
    if not AirPolicy.can_import(actor):
        raise NotAllowed()
    if not data:
        raise InvalidInput(fields={"file": [_("文件是空的。")]})
    if len(data) > MAX_BYTES:
        raise InvalidInput(fields={"file": [_("文件超过 20 MB，请分批导入或使用 gridgov air_import。")]})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(fields={"file": [_("文件须为 UTF-8 编码的 CSV。")]}) from None
    if "\x00" in text:
        raise InvalidInput(fields={"file": [_("文件须为 UTF-8 编码的 CSV。")]})
    try:
        next(read_rows(io.StringIO(text)), None)
    except CsvHeaderError as exc:
        raise InvalidInput(fields={"file": [str(exc)]}) from exc
    total = max(0, sum(1 for line in text.splitlines() if line.strip()) - 1)
    job = ImportJob.objects.create(created_by=actor, filename=filename[:200], content=text, total=total)
    audit_record(actor=actor, action="air.import_job_create", obj=job, changes={"rows": total})
    from gridgov.air.tasks import air_import_task

    transaction.on_commit(lambda: air_import_task.enqueue(job.pk))
    return job


def _save(job: ImportJob, **fields) -> None:
    for key, value in fields.items():
        setattr(job, key, value)
    job.save(update_fields=[*fields, "updated_at"])


def import_job_run(*, job_id: int) -> ImportJob:
    """Runs a queued job. Each chunk is stored in its own transaction (nothing stored is lost if a later chunk
    fails); the counters are written after each chunk."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.state != ImportJob.State.QUEUED:
            return job
        _save(job, state=ImportJob.State.RUNNING)
    errors: list[RowError] = []
    counts = {"processed": 0, "created": 0, "updated": 0, "rejected": 0}
    batch = []

    def flush():
        report = readings_ingest(actor=job.created_by, rows=batch, source="upload")
        errors.extend(report.errors)
        counts["processed"] += len(batch)
        counts["created"] += report.created
        counts["updated"] += report.updated
        counts["rejected"] += len(report.errors)
        batch.clear()
        _save(job, **counts)

    try:
        for item in read_rows(io.StringIO(job.content)):
            if isinstance(item, RowError):
                errors.append(item)
                counts["processed"] += 1
                counts["rejected"] += 1
                continue
            batch.append(item)
            if len(batch) >= CHUNK:
                flush()
        if batch:
            flush()
    except CsvHeaderError as exc:
        # A line the csv module cannot read (a runaway field, a broken quote): keep what was read before it and
        # end the job with the reason, not with a class name.
        if batch:
            flush()
        errors.sort(key=lambda e: e.row)
        _save(
            job,
            state=ImportJob.State.FAILED,
            message=_("导入中断：%(error)s（之前的行已保存）") % {"error": exc},
            errors=[e.as_dict() for e in errors[:KEEP_ERRORS]],
            content="",
            finished_at=timezone.now(),
        )
        return job
    except Exception as exc:  # the job must end in a state the page can show, whatever happened
        errors.sort(key=lambda e: e.row)
        _save(
            job,
            state=ImportJob.State.FAILED,
            message=_("导入中断：%(error)s（已保存的数据不受影响）") % {"error": exc.__class__.__name__},
            errors=[e.as_dict() for e in errors[:KEEP_ERRORS]],
            finished_at=timezone.now(),
        )
        raise
    errors.sort(key=lambda e: e.row)
    _save(
        job,
        state=ImportJob.State.DONE,
        total=counts["processed"],
        errors=[e.as_dict() for e in errors[:KEEP_ERRORS]],
        content="",  # the rows are stored now; keep the job row small
        finished_at=timezone.now(),
    )
    return job
