"""Filing a tip: validation, abuse limits, duplicate attachment, and the case in the closed loop."""

import math
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.models import OPEN_STATES, Case, CaseEvent, CaseReport, CaseSource, Category
from gridgov.cases.services.extras import IMAGE_MIME, IMAGE_TYPES, attachment_add, sniff_image
from gridgov.cases.services.intake import case_report
from gridgov.core.audit import audit_record
from gridgov.core.crypto import blind_index, seal
from gridgov.core.exceptions import ApplicationError, InvalidInput
from gridgov.core.identity import IdentityError, mask_phone, normalize_phone
from gridgov.territory.models import Level, Region
from gridgov.tips.models import Reward, Tip, TipRateKey
from gridgov.tips.services.codes import hash_secret, new_secret, new_tracking_code

MAX_DESCRIPTION = 2000


def tip_setting(name: str, default):
    return getattr(settings, f"GRIDGOV_TIP_{name}", default)


class TipRateLimited(ApplicationError):
    """Too many tips from one client or one phone number in the window; adapters answer 429."""

    status = 429
    code = "rate_limited"
    default_message = gettext_lazy("提交过于频繁，请稍后再试，或拨打举报电话。")


@dataclass
class TipReceipt:
    tip: Tip
    tracking_code: str
    #: The plain claim secret: shown once on the receipt, stored only as a hash.
    secret: str

    @property
    def case(self) -> Case:
        return self.tip.case


def _coordinate(value, low, high, field):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(fields={field: [_("坐标无效。")]}) from exc
    if not number.is_finite() or not low <= number <= high:
        raise InvalidInput(fields={field: [_("坐标超出范围。")]})
    return number.quantize(Decimal("0.000001"))


def _distance_m(lat1, lng1, lat2, lng2) -> float:
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lng2) - float(lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def _same_address(a: str, b: str) -> bool:
    def norm(text):
        return "".join(ch for ch in (text or "") if ch.isalnum())

    return bool(norm(a)) and norm(a) == norm(b)


def tip_find_duplicate(
    *, category: Category, region: Region, address: str, latitude, longitude
) -> Case | None:
    """The open case this tip most likely repeats: same category and place (region), filed within
    GRIDGOV_DUPLICATE_HOURS, and — when both sides say where exactly — within GRIDGOV_DUPLICATE_METERS or at the
    same address. Two tips about different shops of one village stay two cases."""
    since = timezone.now() - timedelta(hours=settings.GRIDGOV_DUPLICATE_HOURS)
    # columns only: this runs for every tip, and a busy place may have dozens of open cases
    candidates = (
        Case.objects.filter(category=category, region=region, created_at__gte=since, state__in=OPEN_STATES)
        .order_by("created_at")
        .values_list("pk", "address", "latitude", "longitude")[:50]
    )
    for pk, other_address, other_lat, other_lng in candidates:
        if latitude is not None and other_lat is not None:
            if _distance_m(latitude, longitude, other_lat, other_lng) <= settings.GRIDGOV_DUPLICATE_METERS:
                return Case.objects.get(pk=pk)
            continue
        if address and other_address:
            if _same_address(address, other_address):
                return Case.objects.get(pk=pk)
            continue
        if not address and not other_address and latitude is None and other_lat is None:
            return Case.objects.get(pk=pk)
    return None


def _lock_rate_keys(*, client_index: str, phone_index: str) -> None:
    """Locks the rate-limit rows of this client and this phone until the transaction ends, so that counting the
    recent tips and inserting this one happen as one step: concurrent tips of one key queue here instead of all
    counting the same number. Keys are locked in one order (no deadlock between two tips sharing both)."""
    keys = sorted(
        {f"c:{client_index}" if client_index else "", f"p:{phone_index}" if phone_index else ""} - {""}
    )
    if not keys:
        return
    now = timezone.now()
    TipRateKey.objects.bulk_create(
        [TipRateKey(key=key, last_used=now) for key in keys],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["last_used"],
    )
    list(TipRateKey.objects.select_for_update().filter(key__in=keys).order_by("key").values_list("key"))


def rate_keys_purge(*, now=None) -> int:
    """Deletes the rate-limit rows no tip has used for two days (longer than any rate window): without this the
    table keeps one row per client and phone that ever sent a tip. A row in use was touched seconds ago."""
    now = now or timezone.now()
    deleted, _ = TipRateKey.objects.filter(
        models.Q(last_used__lt=now - timedelta(days=2)) | models.Q(last_used__isnull=True)
    ).delete()
    return deleted


def _check_rate(*, client_index: str, phone_index: str, now) -> None:
    if client_index:
        limit = tip_setting("RATE_PER_CLIENT_HOUR", 10)
        if (
            Tip.objects.filter(client_index=client_index, created_at__gte=now - timedelta(hours=1)).count()
            >= limit
        ):
            raise TipRateLimited()
    if phone_index:
        limit = tip_setting("RATE_PER_PHONE_DAY", 5)
        if (
            Tip.objects.filter(
                reporter_phone_index=phone_index, created_at__gte=now - timedelta(days=1)
            ).count()
            >= limit
        ):
            raise TipRateLimited()


def _read_photos(photos) -> list[tuple[bytes, str]]:
    """Checks every photo before anything is stored: count, size, and that the bytes really are an image."""
    photos = [p for p in (photos or ()) if p]
    max_count = tip_setting("MAX_PHOTOS", 3)
    max_bytes = tip_setting("PHOTO_MAX_BYTES", 5 * 1024 * 1024)
    if len(photos) > max_count:
        raise InvalidInput(fields={"photos": [_("最多上传 %(n)d 张照片。") % {"n": max_count}]})
    checked = []
    for index, photo in enumerate(photos, start=1):
        size = getattr(photo, "size", None)
        if size is not None and size > max_bytes:
            raise InvalidInput(
                fields={
                    "photos": [
                        _("第 %(i)d 张照片超过 %(mb)d MB。") % {"i": index, "mb": max_bytes // 1048576}
                    ]
                }
            )
        data = photo.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise InvalidInput(
                fields={
                    "photos": [
                        _("第 %(i)d 张照片超过 %(mb)d MB。") % {"i": index, "mb": max_bytes // 1048576}
                    ]
                }
            )
        image = sniff_image(data) if data else None
        content_type = IMAGE_MIME.get(getattr(image, "format", None), "")
        if image is None or content_type not in IMAGE_TYPES:
            raise InvalidInput(
                fields={"photos": [_("第 %(i)d 个文件不是 JPEG、PNG、WebP 或 GIF 照片。") % {"i": index}]}
            )
        checked.append((data, IMAGE_TYPES[content_type]))
    return checked


def _validate(*, category, region, description, title, reporter_name, reporter_phone, anonymous, channel):
    errors: dict[str, list[str]] = {}
    if channel not in Tip.Channel.values:
        errors["channel"] = [_("渠道无效。")]
    if not isinstance(category, Category) or not category.is_active or not category.public:
        errors["category"] = [_("请选择向公众开放举报的类别。")]
    if (
        not isinstance(region, Region)
        or region.level not in (Level.TOWNSHIP, Level.VILLAGE, Level.GRID)
        or not region.is_active
    ):
        errors["region"] = [_("请选择发生地所在的乡镇(街道)。")]
    description = (description or "").strip()
    if len(description) < 5:
        errors["description"] = [_("请描述看到的问题（至少 5 个字）。")]
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = [_("描述不能超过 %(n)d 个字。") % {"n": MAX_DESCRIPTION}]
    title = (title or "").strip()
    if len(title) > 100:
        errors["title"] = [_("标题不能超过 100 个字。")]
    name = "" if anonymous else (reporter_name or "").strip()
    if len(name) > 50:
        errors["reporter_name"] = [_("姓名不能超过 50 个字。")]
    phone = ""
    if not anonymous and (reporter_phone or "").strip():
        try:
            phone = normalize_phone(reporter_phone)
        except IdentityError as exc:
            errors["reporter_phone"] = [str(exc)]
    if errors:
        raise InvalidInput(fields=errors)
    return description, title, name, phone


def tip_submit(
    *,
    category: Category,
    region: Region,
    description: str,
    title: str = "",
    address: str = "",
    latitude=None,
    longitude=None,
    reporter_name: str = "",
    reporter_phone: str = "",
    anonymous: bool = False,
    photos=(),
    channel: str = Tip.Channel.WEB,
    client_key: str = "",
    submission_key: str = "",
    actor=None,
) -> TipReceipt:
    """Files a tip from the public page, the phone line (``actor`` = the staff member typing it) or Open311.

    The case is filed as a system source (``actor=None``): the reporter's name and phone go only into the Tip,
    sealed, never into the case, its reports, its events or the audit log. A tip that repeats an open case
    attaches to it as one more report; the reporter still gets a code of their own.

    ``submission_key`` identifies one filling-in of the form (the page's random token): the same key, client,
    category, place and description file one tip only, and sending them again answers with that tip's code and a
    fresh secret.
    """
    description, title, name, phone = _validate(
        category=category,
        region=region,
        description=description,
        title=title,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        anonymous=anonymous,
        channel=channel,
    )
    latitude = _coordinate(latitude, -90, 90, "latitude")
    longitude = _coordinate(longitude, -180, 180, "longitude")
    if (latitude is None) != (longitude is None):
        raise InvalidInput(
            fields={"longitude" if latitude is not None else "latitude": [_("经纬度须同时提供。")]}
        )
    address = (address or "").strip()[:200]
    photo_data = _read_photos(photos)
    client_index = blind_index("tip_client", client_key.strip()) if client_key else ""
    phone_index = blind_index("phone", phone) if phone else ""
    # the content is part of the key: going back to the same page and sending another tip is a new tip
    submission_index = (
        blind_index(
            "tip_submission",
            f"{client_key.strip()}|{submission_key.strip()}|{category.pk}|{region.pk}|{description}",
        )
        if submission_key
        else ""
    )
    if submission_index:
        again = _resubmitted(submission_index, actor=actor)
        if again is not None:
            return again
    # a cheap early refusal that takes no lock: a flood of refused tips does not queue on the write lock
    _check_rate(client_index=client_index, phone_index=phone_index, now=timezone.now())
    secret = new_secret()
    for _attempt in range(5):
        code = new_tracking_code()
        try:
            with transaction.atomic():
                # the check that counts: under the key's lock, in the transaction that inserts the tip
                _lock_rate_keys(client_index=client_index, phone_index=phone_index)
                if submission_index and Tip.objects.filter(submission_index=submission_index).exists():
                    raise _Resubmitted()
                _check_rate(client_index=client_index, phone_index=phone_index, now=timezone.now())
                tip = _file(
                    category=category,
                    region=region,
                    description=description,
                    title=title or _("群众举报：%(category)s") % {"category": category.name},
                    address=address,
                    latitude=latitude,
                    longitude=longitude,
                    name=name,
                    phone=phone,
                    phone_index=phone_index,
                    client_index=client_index,
                    submission_index=submission_index,
                    anonymous=anonymous or not (name or phone),
                    channel=channel,
                    actor=actor,
                    code=code,
                    secret=secret,
                    photo_data=photo_data,
                )
            return TipReceipt(tip=tip, tracking_code=tip.tracking_code, secret=secret)
        except (IntegrityError, _Resubmitted):
            if submission_index:
                again = _resubmitted(submission_index, actor=actor)
                if again is not None:
                    return again  # the same form, sent twice at once: the other request filed it
            if Tip.objects.filter(tracking_code=code).exists():
                continue  # a code collision (1 in 10^13): draw another
            raise
    raise RuntimeError("could not draw a free tracking code")


class _Resubmitted(Exception):
    """The form was filed by a concurrent request while this one waited for the lock."""


def _resubmitted(submission_index: str, *, actor) -> TipReceipt | None:
    """The receipt of a form that was already filed (sent twice): the same tip and tracking code, with a new claim
    secret, since the first one is kept only as a hash and the first answer may never have reached the reporter.
    Only the same client with the same page load (a signed, random token) gets here."""
    with transaction.atomic():
        tip = (
            Tip.objects.select_for_update()
            .select_related("case")
            .filter(submission_index=submission_index)
            .first()
        )
        if tip is None:
            return None
        if Reward.objects.filter(tip=tip).exists():
            # an old page sent again long after: never change the secret of a tip already in the reward flow
            raise InvalidInput(_("页面已过期，请检查内容后再次提交。"))
        secret = new_secret()
        tip.secret = hash_secret(secret)
        tip.save(update_fields=["secret"])
        audit_record(actor=actor, action="tip.resubmit", obj=tip, changes={"case": tip.case.number})
    return TipReceipt(tip=tip, tracking_code=tip.tracking_code, secret=secret)


def _file(
    *,
    category,
    region,
    description,
    title,
    address,
    latitude,
    longitude,
    name,
    phone,
    phone_index,
    client_index,
    submission_index,
    anonymous,
    channel,
    actor,
    code,
    secret,
    photo_data,
) -> Tip:
    existing = tip_find_duplicate(
        category=category, region=region, address=address, latitude=latitude, longitude=longitude
    )
    if existing is not None:
        case = Case.objects.select_for_update().get(pk=existing.pk)  # serialises reports of one case
        # one more report of the same problem; the reporter stays in the Tip only
        CaseReport.objects.create(case=case, source=CaseSource.TIP, description=description)
        CaseEvent.objects.create(case=case, action="report", note=_("群众再次举报同一问题"))
    else:
        case = case_report(
            actor=None,
            category=category,
            region=region,
            title=title,
            description=description,
            source=CaseSource.TIP,
            address=address,
            latitude=latitude,
            longitude=longitude,
        )
    tip = Tip(
        case=case,
        tracking_code=code,
        secret=hash_secret(secret),
        channel=channel,
        description=description,
        anonymous=anonymous,
        reporter_name_sealed=seal(name),
        reporter_phone_sealed=seal(phone),
        reporter_phone_masked=mask_phone(phone),
        reporter_phone_index=phone_index,
        client_index=client_index,
        submission_index=submission_index,
        attached=existing is not None,
        entered_by=actor if getattr(actor, "pk", None) else None,
    )
    # the code's uniqueness is the database's to enforce (a collision is retried above), not one more query
    tip.full_clean(exclude=["case", "entered_by"], validate_unique=False)
    tip.save()
    for index, (data, suffix) in enumerate(photo_data, start=1):
        # a neutral file name: the phone's own name for a photo may carry the reporter's name, and the tracking
        # code (with the secret, what claims the reward) must not reach the units that see the case's files
        attachment_add(actor=None, case=case, upload=ContentFile(data, name=f"tip-photo-{index}{suffix}"))
    audit_record(
        actor=actor,
        action="tip.submit",
        obj=tip,
        changes={
            "case": case.number,
            "channel": channel,
            "attached": existing is not None,
            "anonymous": anonymous,
        },
    )
    return tip
