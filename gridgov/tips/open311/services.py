"""POST requests: an Open311 client files a tip through the tip line's own service.

Everything a tip from the public page goes through applies (validation, abuse limits, duplicate attachment, the
case in the closed loop, sealing of the reporter's contact): this module only translates GeoReport v2's
parameters into ``tip_submit``'s and its errors back into GeoReport v2's.

Where a request happened:

- ``attribute[township]`` (required): the 9-digit code of the township (乡镇/街道), one of the values the
  service definition lists;
- ``address_id`` (optional): the 12-digit code of a village or the 15-digit code of a grid inside that township,
  for a more precise place;
- and, as GeoReport v2 asks, at least one of ``lat`` + ``long``, ``address_string`` or ``address_id``.

The reporter: ``first_name``/``last_name`` (姓名) and ``phone`` go to ``tip_submit``, which seals them;
``attribute[anonymous]=true`` drops them. ``email``, ``account_id`` and ``media_url`` are not stored (the tip
line keeps no e-mail addresses, and gridgov does not fetch URLs given by clients); photos may be uploaded as
files named ``media`` in a multipart request. ``device_id``, when given, keys the tip line's per-client limit.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from gridgov.core.exceptions import InvalidInput
from gridgov.territory.models import Level, Region, subtree_range
from gridgov.tips.models import Tip
from gridgov.tips.open311.errors import Open311Error, bad_request
from gridgov.tips.open311.params import MAX_TEXT, clean_text
from gridgov.tips.open311.selectors import open311_service
from gridgov.tips.services import TipRateLimited, TipReceipt, tip_submit

#: Attribute codes of every service (see ``definitions.service_definition``).
ATTRIBUTE_CODES = ("township", "title", "anonymous")
#: tip_submit's field names → the GeoReport v2 parameter a client sent.
FIELD_PARAMS = {
    "category": "service_code",
    "region": "attribute[township]",
    "description": "description",
    "title": "attribute[title]",
    "address": "address_string",
    "latitude": "lat",
    "longitude": "long",
    "reporter_name": "first_name, last_name",
    "reporter_phone": "phone",
    "photos": "media",
    "channel": "channel",
}
TRUE_VALUES = ("true", "1", "yes")
FALSE_VALUES = ("false", "0", "no", "")


@dataclass(frozen=True)
class Open311Receipt:
    service_request_id: str
    token: str
    secret: str
    attached: bool


def attributes_of(data) -> dict[str, str]:
    """``attribute[code]`` parameters (form or query encoding), or an ``attribute`` object in a JSON body."""
    found: dict[str, str] = {}
    nested = data.get("attribute") if hasattr(data, "get") else None
    if isinstance(nested, dict):
        found.update({str(k): v for k, v in nested.items()})
    for key in data:
        if isinstance(key, str) and key.startswith("attribute[") and key.endswith("]"):
            found[key[len("attribute[") : -1]] = data.get(key)
    return found


def _text(data, name: str, *, max_length: int = 200) -> str:
    value = data.get(name)
    if value is not None and not isinstance(value, str | int | float):
        raise bad_request(f"{name}: must be text")
    return clean_text(value, name, max_length=max_length)


def _number(data, name: str) -> str:
    text = _text(data, name, max_length=40)
    if text:
        try:
            float(text)
        except ValueError:
            raise bad_request(f"{name}: not a number") from None
    return text


def _region(county: Region, attributes: dict, address_id: str) -> Region:
    township_code = clean_text(attributes.get("township"), "attribute[township]", max_length=40)
    if not township_code:
        raise bad_request(
            "attribute[township]: required (the 9-digit code of the township, see the service definition)"
        )
    low, high = subtree_range(county.path)
    in_county = Region.objects.filter(is_active=True, path__gte=low, path__lt=high)
    township = in_county.filter(level=Level.TOWNSHIP, code=township_code).first()
    if township is None:
        raise bad_request(f"attribute[township]: {township_code[:20]} is not a township of {county.code}")
    if not address_id:
        return township
    place = in_county.filter(level__in=(Level.VILLAGE, Level.GRID), code=address_id).first()
    if place is None or not place.is_within(township):
        raise bad_request(
            f"address_id: {address_id[:20]} is not the code of a village or grid of township {township.code}"
        )
    return place


def _anonymous(attributes: dict) -> bool:
    value = clean_text(attributes.get("anonymous"), "attribute[anonymous]", max_length=10).lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise bad_request("attribute[anonymous]: must be true or false")


def _full_name(first: str, last: str) -> str:
    """A Chinese name is written family name first (GeoReport v2's last_name), without a space."""
    if (first + last).isascii():
        return " ".join(filter(None, (first, last)))
    return f"{last}{first}"


def _invalid_input(exc: InvalidInput) -> Open311Error:
    if not exc.fields:
        return bad_request(str(exc.message))
    return bad_request(
        *(
            f"{FIELD_PARAMS.get(field, field)}: {' '.join(str(m) for m in messages)}"
            for field, messages in exc.fields.items()
        )
    )


def open311_request_create(*, actor, county: Region, data, files=()) -> Open311Receipt:
    """Files the tip of a POST requests. ``data`` is the request's parameters (a QueryDict or a dict)."""
    service = open311_service(_text(data, "service_code", max_length=100))
    attributes = attributes_of(data)
    unknown = sorted(code for code in attributes if code not in ATTRIBUTE_CODES)
    if unknown:
        raise bad_request(*(f"attribute[{code[:40]}]: not an attribute of this service" for code in unknown))
    lat, long = _number(data, "lat"), _number(data, "long")
    address = _text(data, "address_string", max_length=200)
    address_id = _text(data, "address_id", max_length=40)
    if bool(lat) != bool(long):
        raise bad_request("lat, long: give both or neither")
    if not (lat or address or address_id):
        raise bad_request("lat, long, address_string, address_id: a location is required (one of them)")
    region = _region(county, attributes, address_id)
    anonymous = _anonymous(attributes)
    first, last = _text(data, "first_name", max_length=50), _text(data, "last_name", max_length=50)
    device_id = _text(data, "device_id", max_length=100)
    try:
        receipt: TipReceipt = tip_submit(
            category=service,
            region=region,
            description=_text(data, "description", max_length=MAX_TEXT),
            title=clean_text(attributes.get("title"), "attribute[title]", max_length=200),
            address=address,
            latitude=lat or None,
            longitude=long or None,
            # Chinese order: family name first (last_name in GeoReport v2's Western naming)
            reporter_name=_full_name(first, last),
            reporter_phone=_text(data, "phone", max_length=40),
            anonymous=anonymous,
            photos=files,
            channel=Tip.Channel.OPEN311,
            client_key=f"open311:{actor.pk}:{device_id}" if device_id else "",
            actor=actor,
        )
    except TipRateLimited as exc:
        raise Open311Error(
            429, f"too many requests: {exc.message}", headers={"Retry-After": "3600"}
        ) from None
    except InvalidInput as exc:
        raise _invalid_input(exc) from None
    return Open311Receipt(
        service_request_id=receipt.tip.case.number,
        token=receipt.tracking_code,
        secret=receipt.secret,
        attached=receipt.tip.attached,
    )


def receipt_notice(receipt: Open311Receipt) -> str:
    """The service_notice of a POST answer: what the reporter needs to follow the tip and claim a reward."""
    text = _(
        "举报已受理。查询码 %(code)s，领奖密钥 %(secret)s：请转告举报人妥善保存，"
        "凭查询码可查询办理进展，经查实可凭查询码和密钥申领奖励。"
    ) % {"code": receipt.token, "secret": receipt.secret}
    if receipt.attached:
        text += _("该问题已有人举报，本次举报已并入同一案件办理。")
    return text
