"""Carrying an inspection out on a phone: start, answer item by item (each answer saved on its own, so a lost
connection loses at most the answer being sent), submit. Submitting turns every failed item into a finding."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.audit import audit_record
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.inspections.models import Answer, ChecklistItem, Finding, Inspection
from gridgov.inspections.policies import InspectionPolicy
from gridgov.inspections.services.common import coordinate

PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp", "image/heic"}
MAX_PHOTO_BYTES = 10 * 1024 * 1024


def _lock(inspection: Inspection) -> Inspection:
    return (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("plan", "plan__checklist", "place", "township", "region")
        .get(pk=inspection.pk)
    )


def _require_inspector(actor, inspection: Inspection) -> None:
    if not InspectionPolicy.can_inspect(actor, inspection.plan):
        raise NotAllowed(_("只有督导组成员和组织单位可以填写检查。"))


def _require_open(inspection: Inspection) -> None:
    if inspection.state == Inspection.State.SUBMITTED:
        raise Conflict(_("检查已提交，不能再修改。"), code="inspection_submitted")
    if inspection.kind != Inspection.Kind.REGULAR:
        raise Conflict(_("复查请在整改通知中办理。"), code="reinspection")


def _start(actor, inspection: Inspection, now, latitude=None, longitude=None) -> list[str]:
    fields = []
    if inspection.state == Inspection.State.PLANNED:
        inspection.state, inspection.started_at, inspection.inspector = Inspection.State.DRAFT, now, actor
        fields += ["state", "started_at", "inspector"]
    lat = coordinate(latitude, -90, 90, "latitude")
    lng = coordinate(longitude, -180, 180, "longitude")
    if lat is not None and lng is not None:
        inspection.latitude, inspection.longitude = lat, lng
        fields += ["latitude", "longitude"]
    return fields


@transaction.atomic
def inspection_start(*, actor, inspection: Inspection, latitude=None, longitude=None) -> Inspection:
    """开始检查: records who, when and (if the phone gives it) where."""
    locked = _lock(inspection)
    _require_inspector(actor, locked)
    _require_open(locked)
    fields = _start(actor, locked, timezone.now(), latitude, longitude)
    if fields:
        locked.save(update_fields=[*fields, "updated_at"])
        audit_record(actor=actor, action="inspections.inspection_start", obj=locked)
    return locked


def _check_photo(photo) -> None:
    if photo is None:
        return
    if getattr(photo, "content_type", "") not in PHOTO_TYPES:
        raise InvalidInput(fields={"photo": [_("照片须为 JPEG、PNG、WebP 或 HEIC 图片。")]})
    if photo.size > MAX_PHOTO_BYTES:
        raise InvalidInput(fields={"photo": [_("照片不能超过 10 MB。")]})


@transaction.atomic
def answer_save(
    *,
    actor,
    inspection: Inspection,
    item: ChecklistItem,
    result: str,
    value: str = "",
    note: str = "",
    photo=None,
) -> Answer:
    """Saves (or replaces) the answer to one item; the first answer starts a planned inspection."""
    locked = _lock(inspection)
    _require_inspector(actor, locked)
    _require_open(locked)
    if item is None or item.checklist_id != locked.plan.checklist_id:
        raise InvalidInput(fields={"item": [_("该检查项不属于本次检查使用的检查表。")]})
    errors = {}
    if result not in Answer.Result.values:
        errors["result"] = [_("请选择符合、不符合或不适用。")]
    value, note = (value or "").strip(), (note or "").strip()
    if item.answer_type == ChecklistItem.Answer.NUMBER and value:
        try:
            number = Decimal(value)
            if not number.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors["value"] = [_("请填写数字。")]
    if len(value) > 200:
        errors["value"] = [_("记录值不能超过 200 个字。")]
    if len(note) > 500:
        errors["note"] = [_("说明不能超过 500 个字。")]
    if result == Answer.Result.FAIL and not note:
        errors["note"] = [_("不符合时请描述发现的问题。")]
    _check_photo(photo)
    if errors:
        raise InvalidInput(fields=errors)
    now = timezone.now()
    fields = _start(actor, locked, now)
    if fields:
        locked.save(update_fields=[*fields, "updated_at"])
    answer = Answer.objects.filter(inspection=locked, item=item).first() or Answer(
        inspection=locked, item=item
    )
    answer.result, answer.value, answer.note = result, value, note
    answer.answered_by, answer.answered_at = actor, now
    if photo is not None:
        answer.photo.save(photo.name[-80:], photo, save=False)
    answer.full_clean(exclude=["photo"])
    answer.save()
    audit_record(
        actor=actor,
        action="inspections.answer_save",
        obj=locked,
        changes={"item": item.code, "result": result},
    )
    return answer


@transaction.atomic
def inspection_submit(
    *, actor, inspection: Inspection, note: str = "", latitude=None, longitude=None
) -> Inspection:
    """提交: every item must be answered. Each failed item becomes a finding; an overt plan's findings are ordered
    to be fixed at once, a covert plan's when the plan is reported."""
    from gridgov.inspections.services.rectifying import rectification_issue

    locked = _lock(inspection)
    _require_inspector(actor, locked)
    _require_open(locked)
    items = list(
        ChecklistItem.objects.filter(checklist_id=locked.plan.checklist_id).order_by("sort_order", "id")
    )
    answers = {a.item_id: a for a in Answer.objects.filter(inspection=locked)}
    missing = [item for item in items if item.pk not in answers]
    if missing:
        raise InvalidInput(
            _("还有 %(n)d 项未填写。") % {"n": len(missing)},
            fields={f"item_{item.pk}": [_("请填写：%(text)s") % {"text": item.text}] for item in missing},
        )
    now = timezone.now()
    fields = _start(actor, locked, now, latitude, longitude)
    covert = locked.plan.mode == locked.plan.Mode.COVERT
    findings = [
        Finding(
            inspection=locked,
            item=item,
            severity=item.severity,
            description=answers[item.pk].note or item.text,
            place=locked.place,
            township=locked.township,
            region_path=locked.region_path,
            covert=covert,
            created_at=now,
        )
        for item in items
        if answers[item.pk].result == Answer.Result.FAIL
    ]
    Finding.objects.bulk_create(findings)
    locked.state, locked.submitted_at = Inspection.State.SUBMITTED, now
    locked.note = (note or "").strip()
    locked.finding_count = len(findings)
    locked.save(update_fields=[*fields, "state", "submitted_at", "note", "finding_count", "updated_at"])
    audit_record(
        actor=actor, action="inspections.inspection_submit", obj=locked, changes={"findings": len(findings)}
    )
    if findings and not locked.plan.is_hidden:
        rectification_issue(actor=actor, inspection=locked)
    return locked
