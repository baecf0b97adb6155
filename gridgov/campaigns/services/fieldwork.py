"""Work at the door: signing commitment letters and visits that answer every active campaign's form at once."""

import base64
import binascii
import datetime as dt
import math
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.campaigns.models import (
    Campaign,
    Commitment,
    EvidencePhoto,
    Finding,
    TargetKind,
    Visit,
    VisitEntry,
    VisitForm,
)
from gridgov.campaigns.policies import CampaignPolicy, campaign_covers
from gridgov.campaigns.services.counters import campaign_write_lock, counters_bump, grid_meta
from gridgov.cases.models import CaseSource, Category
from gridgov.cases.services.extras import sniff_image
from gridgov.cases.services.intake import case_report
from gridgov.core.audit import audit_record
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.registry.models import Household, LocationSource, Place, location_errors

IMAGE_TYPES = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}
MAX_IMAGE_BYTES = 10 * 1024 * 1024
#: Photos a visit or a publicity record may carry.
MAX_PHOTOS = 6
#: A visit's position this far from the registered one is reported to the worker (and never written over it).
LOCATION_MISMATCH_METRES = 300
YES = {"yes", "true", "1", "是", "有", "y"}
NO = {"no", "false", "0", "否", "无", "n"}


# --- targets and images ---------------------------------------------------------------------------------------
def target_kind_of(target) -> str:
    if isinstance(target, Household):
        return TargetKind.HOUSEHOLD
    if isinstance(target, Place):
        return TargetKind.PLACE
    raise InvalidInput(fields={"target": [_("对象须为住户或场所。")]})


def target_fields(target) -> dict:
    kind = target_kind_of(target)
    return {
        "target_kind": kind,
        "household": target if kind == TargetKind.HOUSEHOLD else None,
        "place": target if kind == TargetKind.PLACE else None,
    }


def campaign_targets(campaign: Campaign, target) -> bool:
    """Whether the campaign covers this household or place (its kind and its grid)."""
    kind = target_kind_of(target)
    if kind == TargetKind.HOUSEHOLD and not campaign.target_households:
        return False
    if kind == TargetKind.PLACE and target.kind not in campaign.place_kinds:
        return False
    return campaign_covers(campaign, target.grid.path)


def image_file(upload, *, field: str, label: str = "") -> ContentFile:
    """Reads an uploaded photo or signature, checks it is an image (the image check of case attachments), and
    returns it ready to store. ``label`` names it in the error (第 2 张照片)."""
    data = upload.read() if hasattr(upload, "read") else bytes(upload)
    prefix = f"{label}：" if label else ""
    if not data:
        raise InvalidInput(fields={field: [prefix + _("文件是空的。")]})
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidInput(fields={field: [prefix + _("图片不能超过 10 MB。")]})
    image = sniff_image(data)
    suffix = IMAGE_TYPES.get(image.format or "") if image is not None else None
    if suffix is None:
        raise InvalidInput(fields={field: [prefix + _("请上传 JPEG、PNG、WebP 或 GIF 图片。")]})
    return ContentFile(data, name=f"{field}.{suffix}")


def photo_files(photos, *, field: str = "photo") -> list[ContentFile]:
    """Several photos (a visit's, a publicity record's): at most MAX_PHOTOS, each checked to be an image."""
    photos = [p for p in (photos or []) if p is not None]
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(fields={field: [_("照片最多 %(n)d 张。") % {"n": MAX_PHOTOS}]})
    if len(photos) == 1:
        return [image_file(photos[0], field=field)]
    return [
        image_file(p, field=field, label=_("第 %(n)d 张照片") % {"n": i}) for i, p in enumerate(photos, 1)
    ]


def photos_attach(owner, files: list[ContentFile], *, field: str) -> None:
    for content in files:
        photo = EvidencePhoto(**{field: owner})
        photo.image.save(content.name, content, save=False)
        photo.save()


def signature_from_data_url(value: str, *, field: str = "signature") -> ContentFile | None:
    """The signature pad sends "data:image/png;base64,…"; an empty value means no signature."""
    value = (value or "").strip()
    if not value:
        return None
    head, _sep, payload = value.partition(",")
    if not head.startswith("data:image/") or ";base64" not in head:
        raise InvalidInput(fields={field: [_("签名数据无效。")]})
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(fields={field: [_("签名数据无效。")]}) from None
    return image_file(data, field=field)


# --- commitment letters ----------------------------------------------------------------------------------------
@transaction.atomic
def commitment_sign(
    *,
    actor,
    campaign: Campaign,
    target,
    signer_name: str,
    method: str,
    evidence=None,
    signed_at: dt.datetime | None = None,
) -> Commitment:
    """Records a signed letter: on screen (``evidence`` is the signature image) or a photo of the paper letter."""
    kind = target_kind_of(target)
    if actor is not None and not CampaignPolicy.can_do_fieldwork(actor, target.grid.path):
        raise NotAllowed(_("该住户或场所不在您的网格内。"))
    campaign_write_lock(campaign.pk)
    if campaign.state != Campaign.State.ACTIVE:
        raise Conflict(_("该专项行动未在进行中。"))
    if not target.is_active:
        raise InvalidInput(fields={"target": [_("该对象已不在册。")]})
    if not campaign_targets(campaign, target):
        raise InvalidInput(fields={"target": [_("该对象不在本专项行动的覆盖范围内。")]})
    errors = {}
    signer_name = (signer_name or "").strip()
    if not signer_name:
        errors["signer_name"] = [_("请填写签字人姓名。")]
    elif len(signer_name) > 50:
        errors["signer_name"] = [_("签字人姓名不能超过 50 个字。")]
    if method not in (Commitment.Method.ON_SCREEN, Commitment.Method.PAPER_PHOTO):
        errors["method"] = [_("签署方式须为手机签名或纸质拍照。")]
    elif evidence is None:
        errors["evidence"] = [
            _("请在屏幕上签名。") if method == Commitment.Method.ON_SCREEN else _("请拍摄签字的纸质承诺书。")
        ]
    if errors:
        raise InvalidInput(fields=errors)
    if not isinstance(evidence, ContentFile):
        evidence = image_file(evidence, field="evidence")
    if Commitment.objects.filter(campaign=campaign, **{kind: target}).exists():
        raise Conflict(_("该对象已签署本专项行动的承诺书。"))
    commitment = Commitment(
        campaign=campaign,
        grid=target.grid,
        signer_name=signer_name,
        method=method,
        signed_at=signed_at or timezone.now(),
        collected_by=actor if getattr(actor, "pk", None) else None,
        **target_fields(target),
    )
    commitment.evidence.save(evidence.name, evidence, save=False)
    commitment.save()
    counters_bump(campaign.pk, {(target.grid_id, kind): {"signed": 1}})
    audit_record(
        actor=actor,
        action="campaign_commitment_sign",
        obj=commitment,
        changes={"campaign": campaign.pk, "kind": kind, "target": target.pk, "method": method},
    )
    return commitment


# --- visits ----------------------------------------------------------------------------------------------------
def active_campaigns(*, on: dt.date | None = None):
    on = on or timezone.localdate()
    return (
        Campaign.objects.filter(state=Campaign.State.ACTIVE, starts_on__lte=on, ends_on__gte=on)
        .prefetch_related("regions", "forms", "letters")
        .order_by("starts_on", "id")
    )


def campaigns_for_target(target, *, on: dt.date | None = None) -> list[Campaign]:
    """The active campaigns that cover this household or place: the forms its visit fills in."""
    return [c for c in active_campaigns(on=on) if campaign_targets(c, target)]


def form_for(campaign: Campaign, kind: str) -> VisitForm | None:
    return next((f for f in campaign.forms.all() if f.target_kind == kind), None)


@dataclass
class Problem:
    question: dict
    answer: object


def _parse_answer(question: dict, raw, field: str, errors: dict):
    qtype = question["type"]
    empty = raw is None or (isinstance(raw, str) and not raw.strip())
    if empty:
        if question.get("required", True):
            errors[field] = [_("请回答：%(label)s") % {"label": question["label"]}]
        return None
    if qtype == "yes_no":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in YES:
            return True
        if text in NO:
            return False
        errors[field] = [_("请选择“是”或“否”。")]
        return None
    if qtype == "number":
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or number < 0 or number > 10**9:
            errors[field] = [_("请填写 0 或正数。")]
            return None
        return int(number) if number == number.to_integral_value() else float(number)
    if qtype == "choice":
        text = str(raw).strip()
        if text not in question.get("choices", []):
            errors[field] = [_("请从选项中选择。")]
            return None
        return text
    text = str(raw).strip()
    if len(text) > 500:
        errors[field] = [_("不能超过 500 个字。")]
        return None
    return text


def is_problem(question: dict, answer) -> bool:
    trigger = question.get("problem_if")
    if trigger is None or answer is None:
        return False
    if question["type"] == "number":
        try:
            return answer > float(trigger)
        except (TypeError, ValueError):
            return False
    if question["type"] == "yes_no" and not isinstance(trigger, bool):
        trigger = str(trigger).strip().lower() in YES
    return answer == trigger


def _coordinate(value, low, high, field, errors):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        errors[field] = [_("坐标无效。")]
        return None
    if not low <= number <= high:
        errors[field] = [_("坐标超出范围。")]
        return None
    return number


def _gap_metres(target, longitude: Decimal, latitude: Decimal) -> int:
    k = math.cos(math.radians(float(latitude)))
    dx = (float(longitude) - float(target.longitude)) * k
    dy = float(latitude) - float(target.latitude)
    return round(math.hypot(dx, dy) * 111_195)


def _locate_target(visit: Visit, target, longitude, latitude) -> None:
    """The phone's position at the door becomes the household's or place's when it has none yet (source 走访定位).
    A registered position (imported, edited, or an earlier visit's) is never overwritten: a visit far from it is
    reported (``visit.location_gap_m``) so that the worker can have the ledger corrected."""
    visit.location_set, visit.location_gap_m = False, None
    if longitude is None or latitude is None or location_errors(longitude, latitude):
        return
    if target.longitude is None or target.latitude is None:
        visit.location_set = bool(
            type(target)
            .objects.filter(pk=target.pk, longitude__isnull=True, latitude__isnull=True)
            .update(
                longitude=longitude,
                latitude=latitude,
                location_source=LocationSource.VISIT,
                location_at=visit.visited_at,
                updated_at=timezone.now(),
            )
        )
        if visit.location_set:
            target.longitude, target.latitude = longitude, latitude
            target.location_source, target.location_at = LocationSource.VISIT, visit.visited_at
        return
    gap = _gap_metres(target, longitude, latitude)
    if gap > LOCATION_MISMATCH_METRES:
        visit.location_gap_m = gap


@transaction.atomic
def visit_record(
    *,
    actor,
    target,
    answers: dict,
    note: str = "",
    photos=None,
    visited_at: dt.datetime | None = None,
    latitude=None,
    longitude=None,
    client_key=None,
) -> Visit:
    """One visit answering the form of every campaign active at this household or place.

    ``answers`` maps campaign id → {question key: answer}. Every active campaign's required questions must be
    answered (errors name ``answers.<campaign id>.<key>``). Each answer that signals a problem opens a case in
    the closed loop (source 入户走访) with the question's category, linked to the visit through a Finding.

    ``client_key`` (a UUID the client makes once per filled-in form) makes the call idempotent: the same key
    again returns the visit already stored, with ``replayed`` set, and writes nothing.
    """
    kind = target_kind_of(target)
    grid = target.grid
    if actor is not None and not CampaignPolicy.can_do_fieldwork(actor, grid.path):
        raise NotAllowed(_("该住户或场所不在您的网格内。"))
    if client_key not in (None, ""):
        try:
            client_key = client_key if isinstance(client_key, uuid.UUID) else uuid.UUID(str(client_key))
        except (ValueError, TypeError, AttributeError):
            raise InvalidInput(fields={"client_key": [_("提交标识无效。")]}) from None
    else:
        client_key = None
    # Visits to one target run one at a time: which entry is the target's first visit in a campaign (what
    # "visited" counts) and whether a client key was already used are decided under this lock.
    type(target).objects.select_for_update().filter(pk=target.pk).values_list("pk", flat=True).first()
    if client_key is not None:
        stored = Visit.objects.filter(client_key=client_key).first()
        if stored is not None:
            same = stored.target_kind == kind and getattr(stored, f"{kind}_id") == target.pk
            if not same or stored.visited_by_id != getattr(actor, "pk", None):
                raise Conflict(_("该提交标识已用于另一次走访。"))
            stored.replayed = True
            return stored
    if not target.is_active:
        raise InvalidInput(fields={"target": [_("该对象已不在册。")]})
    campaigns = campaigns_for_target(target)
    if not campaigns:
        raise Conflict(_("此处目前没有进行中的专项行动。"))
    answers = {str(k): v for k, v in (answers or {}).items()}
    known = {str(c.pk) for c in campaigns}
    errors: dict[str, list[str]] = {}
    for key in answers:
        if key not in known:
            errors[f"answers.{key}"] = [_("该专项行动未覆盖此对象或未在进行中。")]
    parsed: dict[int, dict] = {}
    problems: dict[int, list[Problem]] = {}
    for campaign in campaigns:
        form = form_for(campaign, kind)
        given = answers.get(str(campaign.pk)) or {}
        if not isinstance(given, dict):
            errors[f"answers.{campaign.pk}"] = [_("回答格式无效。")]
            continue
        values, found = {}, []
        for question in form.questions if form else []:
            value = _parse_answer(
                question, given.get(question["key"]), f"answers.{campaign.pk}.{question['key']}", errors
            )
            if value is not None:
                values[question["key"]] = value
                if is_problem(question, value):
                    found.append(Problem(question, value))
        parsed[campaign.pk], problems[campaign.pk] = values, found
    note = (note or "").strip()
    if len(note) > 2000:
        errors["note"] = [_("备注不能超过 2000 个字。")]
    lat = _coordinate(latitude, -90, 90, "latitude", errors)
    lng = _coordinate(longitude, -180, 180, "longitude", errors)
    stored_photos = []
    try:
        stored_photos = photo_files(photos)
    except InvalidInput as exc:
        errors.update(exc.fields)
    if errors:
        raise InvalidInput(fields=errors)

    visit = Visit(
        grid=grid,
        visited_by=actor if getattr(actor, "pk", None) else None,
        visited_at=visited_at or timezone.now(),
        note=note,
        latitude=lat,
        longitude=lng,
        client_key=client_key,
        **target_fields(target),
    )
    visit.replayed = False
    visit.save()
    photos_attach(visit, stored_photos, field="visit")
    _locate_target(visit, target, lng, lat)
    seen = set(
        VisitEntry.objects.filter(campaign__in=campaigns, **{kind: target}).values_list(
            "campaign_id", flat=True
        )
    )
    entries = VisitEntry.objects.bulk_create(
        [
            VisitEntry(
                visit=visit,
                campaign=campaign,
                grid=grid,
                answers=parsed[campaign.pk],
                first=campaign.pk not in seen,
                problems=len(problems[campaign.pk]),
                **target_fields(target),
            )
            for campaign in campaigns
        ]
    )
    codes = {p.question["category"] for found in problems.values() for p in found}
    categories = Category.objects.in_bulk(codes, field_name="code") if codes else {}
    meta = grid_meta([grid.pk])[grid.pk]
    label = target.address if kind == TargetKind.HOUSEHOLD else f"{target.name}（{target.address}）"
    for campaign, entry in zip(campaigns, entries, strict=True):
        opened = 0
        for problem in problems[campaign.pk]:
            category = categories.get(problem.question["category"])
            case = None
            if category is not None and category.is_active:
                answer = problem.answer
                if isinstance(answer, bool):
                    answer = _("是") if answer else _("否")
                case = case_report(
                    actor=actor,
                    category=category,
                    region=grid,
                    title=f"{campaign.name}：{problem.question['label']}"[:100],
                    description=_("入户走访发现问题。%(question)s：%(answer)s。对象：%(target)s。%(note)s")
                    % {
                        "question": problem.question["label"],
                        "answer": answer,
                        "target": label,
                        "note": note,
                    },
                    source=CaseSource.VISIT,
                    address=target.address,
                    latitude=lat,
                    longitude=lng,
                )
                opened += 1
            Finding.objects.create(
                campaign=campaign,
                source=Finding.Source.VISIT,
                target_kind=kind,
                grid=grid,
                village_id=meta[0],
                township_id=meta[1],
                grid_path=meta[2],
                visit_entry=entry,
                question=problem.question["key"],
                case=case,
            )
        counters_bump(
            campaign.pk,
            {
                (grid.pk, kind): {
                    "visits": 1,
                    "visited": int(entry.first),
                    "problems": len(problems[campaign.pk]),
                    "cases_opened": opened,
                }
            },
        )
    audit_record(
        actor=actor,
        action="campaign_visit",
        obj=visit,
        changes={
            "kind": kind,
            "target": target.pk,
            "campaigns": [c.pk for c in campaigns],
            **({"located": [str(lng), str(lat)]} if visit.location_set else {}),
        },
    )
    return visit
