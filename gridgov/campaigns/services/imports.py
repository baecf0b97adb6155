"""Bulk signing: a spreadsheet of signed paper letters (one row a household or place) recorded in one go.

Every bad row is reported with its row number and column; the good rows are stored. Rows whose household or
place already signed are skipped (reported, not errors), so a file can be uploaded twice without harm.
"""

import datetime as dt
import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.campaigns.models import Campaign, Commitment, SigningImport, TargetKind
from gridgov.campaigns.policies import CampaignPolicy, campaign_covers
from gridgov.campaigns.services.counters import counters_bump
from gridgov.core.audit import audit_record
from gridgov.core.exceptions import ApplicationError, Conflict, InvalidInput, NotAllowed
from gridgov.registry.models import Household, Place
from gridgov.registry.readers import read_table

logger = logging.getLogger(__name__)

COLUMNS = {
    "household": gettext_lazy("户编号"),
    "credit_code": gettext_lazy("统一社会信用代码"),
    "signer_name": gettext_lazy("签字人"),
    "signed_on": gettext_lazy("签署日期"),
}
BATCH = 2000


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "created": self.created,
            "skipped": self.skipped,
            "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in self.errors],
        }


def _parse_date(text: str) -> dt.date | None:
    text = text.strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def commitment_import(
    *, actor, campaign: Campaign, path: str | Path, filename: str | None = None, progress=None
) -> ImportResult:
    """Reads the file and records its good rows; ``progress(done, total)`` is called as rows are read."""
    with translation_zh():
        table = read_table(path, filename=filename)
        headers = {str(v): k for k, v in COLUMNS.items()}
        index = {headers[h]: i for i, h in enumerate(table.headers) if h in headers}
        if "signer_name" not in index or not ({"household", "credit_code"} & set(index)):
            raise InvalidInput(
                fields={
                    "file": [
                        _("表头须有“签字人”，以及“户编号”或“统一社会信用代码”。找到的表头：%(found)s")
                        % {"found": "、".join(table.headers)}
                    ]
                }
            )
        rows = []
        for number, cells in table.rows:

            def cell(key, cells=cells):
                i = index.get(key)
                return cells[i].strip() if i is not None and i < len(cells) else ""

            rows.append(
                (
                    number,
                    cell("household"),
                    cell("credit_code").upper(),
                    cell("signer_name"),
                    cell("signed_on"),
                )
            )
            if progress and len(rows) % 1000 == 0:
                progress(len(rows), table.total)
        if progress:
            progress(len(rows), len(rows))
        return _store(actor=actor, campaign=campaign, rows=rows)


class translation_zh:
    """Column headers are matched in Chinese whatever the uploader's language."""

    def __enter__(self):
        from django.utils import translation

        self._cm = translation.override("zh-hans")
        self._cm.__enter__()

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


@transaction.atomic
def _store(*, actor, campaign: Campaign, rows) -> ImportResult:
    # Exclusive: two uploads of one file (a double click) run one after the other, and no letter signed at the
    # door is in flight while "already signed" is read (see ``campaign_write_lock``).
    campaign = Campaign.objects.select_for_update().prefetch_related("regions").get(pk=campaign.pk)
    if campaign.state != Campaign.State.ACTIVE:
        raise Conflict(_("该专项行动未在进行中。"))
    result = ImportResult(total=len(rows))
    households = {}
    places = {}
    codes = [r[1] for r in rows if r[1]]
    credits = [r[2] for r in rows if r[2] and not r[1]]
    for start in range(0, len(codes), BATCH):
        for h in Household.objects.filter(code__in=codes[start : start + BATCH]).select_related("grid"):
            households[h.code] = h
    for start in range(0, len(credits), BATCH):
        for p in Place.objects.filter(credit_code__in=credits[start : start + BATCH]).select_related("grid"):
            places[p.credit_code] = p
    signed_households = (
        set(
            Commitment.objects.filter(campaign=campaign, household__isnull=False).values_list(
                "household_id", flat=True
            )
        )
        if households
        else set()
    )
    signed_places = (
        set(
            Commitment.objects.filter(campaign=campaign, place__isnull=False).values_list(
                "place_id", flat=True
            )
        )
        if places
        else set()
    )
    seen: dict[tuple[str, int], int] = {}
    now = timezone.now()
    new: list[Commitment] = []
    bumps: Counter = Counter()
    col = {k: str(v) for k, v in COLUMNS.items()}
    for number, code, credit, signer, signed_on in rows:

        def error(column, message, number=number):
            result.errors.append(RowError(number, column, str(message)))

        target, kind = None, None
        if code:
            target, kind = households.get(code), TargetKind.HOUSEHOLD
            if target is None:
                error(col["household"], _("户编号 %(code)s 不在台账中。") % {"code": code})
                continue
        elif credit:
            target, kind = places.get(credit), TargetKind.PLACE
            if target is None:
                error(col["credit_code"], _("信用代码 %(code)s 不在台账中。") % {"code": credit})
                continue
        else:
            error(col["household"], _("请填写户编号或统一社会信用代码。"))
            continue
        if not signer:
            error(col["signer_name"], _("请填写签字人。"))
            continue
        if len(signer) > 50:
            error(col["signer_name"], _("签字人姓名不能超过 50 个字。"))
            continue
        when = now
        if signed_on:
            day = _parse_date(signed_on)
            if day is None or day > timezone.localdate(now):
                error(
                    col["signed_on"],
                    _("签署日期无效：%(value)s（格式如 2026-01-15，且不晚于今天）。") % {"value": signed_on},
                )
                continue
            when = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        if not target.is_active:
            error(col[(kind == TargetKind.HOUSEHOLD and "household") or "credit_code"], _("该对象已不在册。"))
            continue
        if actor is not None and not CampaignPolicy.can_do_fieldwork(actor, target.grid.path):
            error(
                col[(kind == TargetKind.HOUSEHOLD and "household") or "credit_code"],
                _("不在您的管辖范围内。"),
            )
            continue
        covered = campaign_covers(campaign, target.grid.path) and (
            campaign.target_households
            if kind == TargetKind.HOUSEHOLD
            else target.kind in campaign.place_kinds
        )
        if not covered:
            error(
                col[(kind == TargetKind.HOUSEHOLD and "household") or "credit_code"],
                _("不在本专项行动的覆盖范围内。"),
            )
            continue
        key = (kind, target.pk)
        if key in seen:
            error(
                col[(kind == TargetKind.HOUSEHOLD and "household") or "credit_code"],
                _("与第 %(row)d 行重复。") % {"row": seen[key]},
            )
            continue
        seen[key] = number
        if target.pk in (signed_households if kind == TargetKind.HOUSEHOLD else signed_places):
            result.skipped += 1
            continue
        new.append(
            Commitment(
                campaign=campaign,
                target_kind=kind,
                household=target if kind == TargetKind.HOUSEHOLD else None,
                place=target if kind == TargetKind.PLACE else None,
                grid_id=target.grid_id,
                signer_name=signer,
                method=Commitment.Method.BULK,
                signed_at=when,
                collected_by=actor if getattr(actor, "pk", None) else None,
            )
        )
        bumps[(target.grid_id, kind)] += 1
    Commitment.objects.bulk_create(new, batch_size=BATCH)
    counters_bump(campaign.pk, {key: {"signed": n} for key, n in bumps.items()})
    result.created = len(new)
    audit_record(
        actor=actor,
        action="campaign_commitment_import",
        obj=campaign,
        changes={"created": result.created, "skipped": result.skipped, "rejected": len(result.errors)},
    )
    return result


# --- in the background, for the upload page ---------------------------------------------------------------------
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_STORED_ERRORS = 2000
SUFFIXES = {".xlsx", ".csv"}


def imports_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "campaigns" / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@transaction.atomic
def signing_import_create(*, actor, campaign: Campaign, upload) -> SigningImport:
    """Stores the uploaded spreadsheet and queues its import (the page then follows the job)."""
    if actor is not None and not CampaignPolicy.fieldwork_anywhere(actor):
        raise NotAllowed()
    if campaign.state != Campaign.State.ACTIVE:
        raise Conflict(_("该专项行动未在进行中。"))
    if upload is None:
        raise InvalidInput(fields={"file": [_("请选择文件。")]})
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput(fields={"file": [_("请上传 .xlsx 或 .csv 文件。")]})
    if upload.size > MAX_UPLOAD_BYTES:
        raise InvalidInput(fields={"file": [_("文件超过 50 MB，请拆分后上传。")]})
    target = imports_dir() / f"{uuid.uuid4().hex}{suffix}"
    with open(target, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    job = SigningImport.objects.create(
        campaign=campaign,
        filename=Path(upload.name).name[:200],
        stored_path=str(target),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(actor=actor, action="campaign_import_start", obj=job, changes={"file": job.filename})
    from gridgov.campaigns.tasks import signing_import_task

    transaction.on_commit(lambda: signing_import_task.enqueue(job.pk))
    return job


def signing_import_run(job_id: int) -> SigningImport:
    """Runs a queued import; the rows read are saved as it goes so that the page can follow."""
    job = SigningImport.objects.select_related("campaign", "created_by").get(pk=job_id)
    if job.finished:
        return job
    SigningImport.objects.filter(pk=job.pk).update(status=SigningImport.Status.RUNNING)

    def progress(done, total):
        SigningImport.objects.filter(pk=job.pk).update(processed_rows=done, total_rows=total or done)

    try:
        result = commitment_import(
            actor=job.created_by,
            campaign=job.campaign,
            path=job.stored_path,
            filename=job.filename,
            progress=progress,
        )
    except ApplicationError as exc:
        details = "；".join(m for ms in exc.fields.values() for m in ms)
        SigningImport.objects.filter(pk=job.pk).update(
            status=SigningImport.Status.FAILED,
            message=details or str(exc.message),
            finished_at=timezone.now(),
        )
        return SigningImport.objects.get(pk=job.pk)
    except Exception:
        logger.exception("signing import %s failed", job.pk)
        SigningImport.objects.filter(pk=job.pk).update(
            status=SigningImport.Status.FAILED,
            message=_("导入意外中止，未保存任何一行；可重新导入同一文件。"),
            finished_at=timezone.now(),
        )
        raise
    SigningImport.objects.filter(pk=job.pk).update(
        status=SigningImport.Status.DONE,
        total_rows=result.total,
        processed_rows=result.total,
        created=result.created,
        skipped=result.skipped,
        rejected=len(result.errors),
        errors=result.as_dict()["errors"][:MAX_STORED_ERRORS],
        finished_at=timezone.now(),
    )
    return SigningImport.objects.get(pk=job.pk)
