"""Attachments, links between cases (追根溯源) and merging duplicates."""

import io
import mimetypes
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.cases.models import Case, CaseAttachment, CaseEvent, CaseLink, CaseState
from gridgov.cases.policies import CasePolicy
from gridgov.cases.services.loop import Transition, _transition
from gridgov.core.audit import audit_record
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed

IMAGE_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}
DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
IMAGE_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
#: A phone photo is at most ~50 megapixels; more is a decompression bomb, refused as "not an image".
MAX_IMAGE_PIXELS = 80_000_000
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
THUMBNAIL_SIZE = (320, 320)
MAX_ATTACHMENTS_PER_CASE = 50


def sniff_image(data: bytes):
    """Opens the bytes as an image, whatever the file claims to be; None if they are not one, or if they claim
    more pixels than a phone photo has (a decompression bomb)."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                return None
            image.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


def _thumbnail(image) -> bytes:
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


@transaction.atomic
def attachment_add(
    *, actor, case: Case, upload, phase: str = CaseAttachment.Phase.REPORT, event: CaseEvent | None = None
) -> CaseAttachment:
    """Stores a photo (checked to really be an image, with a thumbnail) or a document (PDF, Word, Excel)."""
    if actor is not None and not CasePolicy.can_attach(actor, case):
        raise NotAllowed(_("您不能为此案件上传附件。"))
    if phase not in CaseAttachment.Phase.values:
        raise InvalidInput(fields={"phase": [_("阶段无效。")]})
    if case.attachments.count() >= MAX_ATTACHMENTS_PER_CASE:
        raise Conflict(_("每个案件最多 %(n)d 个附件。") % {"n": MAX_ATTACHMENTS_PER_CASE})
    name = Path(upload.name or "file").name[-100:]
    data = upload.read()
    image = sniff_image(data) if data else None
    if image is not None:
        content_type = IMAGE_MIME.get(image.format, "")
        if content_type not in IMAGE_TYPES:
            raise InvalidInput(fields={"file": [_("照片须为 JPEG、PNG、WebP 或 GIF 格式。")]})
        if len(data) > MAX_IMAGE_BYTES:
            raise InvalidInput(fields={"file": [_("照片不能超过 10 MB。")]})
        kind, suffix = CaseAttachment.Kind.PHOTO, IMAGE_TYPES[content_type]
    else:
        content_type = mimetypes.guess_type(name)[0] or ""
        if content_type not in DOCUMENT_TYPES or not _looks_like(data, content_type):
            raise InvalidInput(
                fields={"file": [_("只能上传照片（JPEG/PNG/WebP/GIF）或 PDF、Word、Excel 文件。")]}
            )
        if len(data) > MAX_DOCUMENT_BYTES:
            raise InvalidInput(fields={"file": [_("文件不能超过 20 MB。")]})
        kind, suffix = CaseAttachment.Kind.DOCUMENT, DOCUMENT_TYPES[content_type]
    attachment = CaseAttachment(
        case=case,
        event=event,
        kind=kind,
        phase=phase,
        original_name=name,
        content_type=content_type,
        size=len(data),
        uploaded_by=actor,
    )
    stem = f"{case.number}-{case.attachments.count() + 1:02d}"
    attachment.file.save(stem + suffix, ContentFile(data), save=False)
    if image is not None:
        attachment.thumbnail.save(stem + "-thumb.jpg", ContentFile(_thumbnail(image)), save=False)
    attachment.save()
    return attachment


def _looks_like(data: bytes, content_type: str) -> bool:
    """The first bytes must match the type the name claims (PDF header, or a ZIP for Office files)."""
    if content_type == "application/pdf":
        return data.startswith(b"%PDF")
    return data.startswith(b"PK\x03\x04")


@transaction.atomic
def case_link(*, actor, case: Case, target: Case, kind: str, note: str = "") -> CaseLink:
    """追根溯源: records that ``case`` points to ``target`` (its supplier, carrier or same source)."""
    if kind not in CaseLink.Kind.values:
        raise InvalidInput(fields={"kind": [_("关系类型无效。")]})
    if target.pk == case.pk:
        raise InvalidInput(fields={"target": [_("不能关联到案件本身。")]})
    if actor is not None and not CasePolicy.can_take(actor, case, "link"):
        raise NotAllowed()
    link, created = CaseLink.objects.get_or_create(
        from_case=case, to_case=target, kind=kind, defaults={"note": (note or "")[:200], "created_by": actor}
    )
    if created:
        label = CaseLink.Kind(kind).label
        CaseEvent.objects.create(
            case=case,
            action="link",
            actor=actor,
            note=f"{label} {target.number}",
            data={"to": target.number, "kind": kind},
        )
        CaseEvent.objects.create(
            case=target,
            action="linked",
            actor=actor,
            note=f"{case.number} {label}",
            data={"from": case.number, "kind": kind},
        )
        audit_record(actor=actor, action="case.link", obj=case, changes={"to": target.number, "kind": kind})
    return link


MERGEABLE = (CaseState.REPORTED, CaseState.REGISTERED)


def case_merge(*, actor, case: Case, into: Case, note: str = "") -> Transition:
    """Merges a duplicate ``case`` into ``into``: every report and attachment moves over, the duplicate is closed
    as 已合并 and points to the case that carries on."""
    if into.pk == case.pk:
        raise InvalidInput(fields={"into": [_("不能合并到案件本身。")]})
    with transaction.atomic():
        target = Case.objects.select_for_update().get(pk=into.pk)
        if not target.is_open or target.state == CaseState.MERGED:
            raise Conflict(_("目标案件已办结，不能并入。"), code="target_closed")

        def mutate(c):
            c.reports.update(case=target)
            c.attachments.update(case=target)
            c.merged_into = target
            return ["merged_into"]

        transition = _transition(
            actor=actor,
            case=case,
            action="merge",
            allowed_from=MERGEABLE,
            to_state=CaseState.MERGED,
            note=note or _("并入 %(number)s") % {"number": target.number},
            data={"into": target.number},
            mutate=mutate,
        )
        CaseEvent.objects.create(
            case=target,
            action="merged",
            actor=actor,
            note=_("合并了重复案件 %(number)s") % {"number": case.number},
            data={"from": case.number},
        )
    return transition
