"""Reports back from the grids: done or a problem, a number, a note, photos; a problem becomes a case in one step."""

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core.audit import audit_record
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.notices.models import NoticeGrid, NoticeReport, NoticeReportPhoto, NoticeState, ReportOutcome
from gridgov.notices.policies import NoticePolicy

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}


def _photo_suffix(data: bytes) -> str | None:
    from gridgov.cases.services.extras import sniff_image

    image = sniff_image(data)
    return PHOTO_SUFFIX.get(image.format) if image is not None else None


def _check_photos(photos, *, already: int = 0) -> tuple[list, list[str]]:
    """(checked (name, data, suffix) triples, error messages) for photos added to ``already`` stored ones."""
    photos = list(photos)
    errors = []
    if already + len(photos) > MAX_PHOTOS:
        errors.append(_("最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS})
    checked = []
    for name, data in photos:
        suffix = _photo_suffix(data) if len(data) <= MAX_PHOTO_BYTES else None
        if suffix is None:
            errors.append(_("%(name)s 不是图片或超过 10MB。") % {"name": name[:80]})
        checked.append((name, data, suffix))
    return checked, errors


def _store_photos(report: NoticeReport, checked, *, start: int = 0) -> list[NoticeReportPhoto]:
    saved = []
    for index, (name, data, suffix) in enumerate(checked, start=start + 1):
        photo = NoticeReportPhoto(report=report, name=name[:200])
        photo.file.save(f"r{report.pk}-{index}{suffix}", ContentFile(data), save=False)
        photo.save()
        saved.append(photo)
    return saved


@transaction.atomic
def notice_report_add(
    *, actor, notice_grid: NoticeGrid, outcome: str, number=None, note: str = "", photos=()
) -> NoticeReport:
    """Files a grid's report. ``photos`` are (name, bytes) pairs; each must really be an image."""
    notice_grid = NoticeGrid.objects.select_related("notice", "grid").get(pk=notice_grid.pk)
    if notice_grid.notice.state != NoticeState.PUBLISHED:
        raise Conflict(_("通知未发布或已撤回。"))
    if not NoticePolicy.can_respond(actor, notice_grid.grid):
        raise NotAllowed(_("只有本网格的网格员可以回报。"))
    errors: dict[str, list[str]] = {}
    if outcome not in ReportOutcome.values:
        errors["outcome"] = [_("请选择“已完成”或“有问题”。")]
    if number not in (None, ""):
        try:
            number = int(number)
        except (TypeError, ValueError):
            number = -1
        if not 0 <= number <= 1_000_000:
            errors["number"] = [_("数量须为 0 到 1000000 之间的整数。")]
    else:
        number = None
    note = (note or "").strip()
    if len(note) > 2000:
        errors["note"] = [_("说明不能超过 2000 字。")]
    if outcome == ReportOutcome.PROBLEM and not note:
        errors["note"] = [_("有问题时请说明问题。")]
    checked, photo_errors = _check_photos(photos)
    if photo_errors:
        errors["photos"] = photo_errors
    if errors:
        raise InvalidInput(fields=errors)
    report = NoticeReport(notice_grid=notice_grid, author=actor, outcome=outcome, number=number, note=note)
    report.full_clean()
    report.save()
    _store_photos(report, checked)
    audit_record(
        actor=actor,
        action="notice.report",
        obj=notice_grid.notice,
        changes={"grid": notice_grid.grid.code, "outcome": outcome, "number": number, "photos": len(checked)},
    )
    return report


@transaction.atomic
def notice_report_photos_add(*, actor, report: NoticeReport, photos) -> list[NoticeReportPhoto]:
    """Adds photos (name, bytes) to a report already filed (the API files the report as JSON, then its photos):
    only its author, while the notice is published, up to MAX_PHOTOS in all; all or none are stored."""
    report = (
        NoticeReport.objects.select_for_update()
        .select_related("notice_grid__notice", "notice_grid__grid")
        .get(pk=report.pk)
    )
    if report.author_id != getattr(actor, "pk", None):
        raise NotAllowed(_("只有回报人可以补充照片。"))
    if report.notice_grid.notice.state != NoticeState.PUBLISHED:
        raise Conflict(_("通知未发布或已撤回。"))
    photos = list(photos)
    already = report.photos.count()
    checked, errors = _check_photos(photos, already=already)
    if not photos:
        errors.insert(0, _("请选择照片。"))
    if errors:
        raise InvalidInput(fields={"photos": errors})
    saved = _store_photos(report, checked, start=already)
    audit_record(
        actor=actor,
        action="notice.report_photos",
        obj=report.notice_grid.notice,
        changes={"grid": report.notice_grid.grid.code, "report": report.pk, "photos": len(saved)},
    )
    return saved


@transaction.atomic
def notice_report_to_case(*, actor, report: NoticeReport, category):
    """Turns a problem report into a case (source: notice) in one step; the report keeps the link."""
    from gridgov.cases.models import CaseSource
    from gridgov.cases.services.intake import case_report

    report = (
        NoticeReport.objects.select_for_update()
        .select_related("notice_grid__notice", "notice_grid__grid")
        .get(pk=report.pk)
    )
    if report.outcome != ReportOutcome.PROBLEM:
        raise Conflict(_("只有“有问题”的回报可以转为案件。"))
    if report.case_id:
        raise Conflict(_("该回报已转为案件。"), code="already_case")
    notice = report.notice_grid.notice
    case = case_report(
        actor=actor,
        category=category,
        region=report.notice_grid.grid,
        title=(_("通知回报：%(title)s") % {"title": notice.title})[:100],
        description=report.note,
        source=CaseSource.NOTICE,
    )
    report.case = case
    report.save(update_fields=["case", "updated_at"])
    audit_record(
        actor=actor,
        action="notice.report_to_case",
        obj=notice,
        changes={"report": report.pk, "case": case.number},
    )
    return case
