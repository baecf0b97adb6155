"""Creating and editing single registry records (pages and API). The checks are the import's own."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.audit import audit_record
from gridgov.core.crypto import blind_index, seal
from gridgov.core.exceptions import InvalidInput, NotAllowed, errors_from_validation
from gridgov.core.identity import (
    IdentityError,
    mask_phone,
    mask_resident_id,
    normalize_phone,
    parse_resident_id,
    validate_uscc,
)
from gridgov.registry.models import Household, Licence, LocationSource, Place, Resident, tags_to_text
from gridgov.registry.policies import RegistryPolicy
from gridgov.territory.models import Level, Region

#: Sentinel: leave a sealed field as it is (forms show only the masked value, so "empty" must not clear it).
UNCHANGED = object()


def _require_grid(actor, kind: str, grid: Region | None, field: str = "grid") -> Region:
    if grid is None or grid.level != Level.GRID or not grid.is_active:
        raise InvalidInput(fields={field: [_("请选择在用的网格。")]})
    if actor is not None and not RegistryPolicy.can_write_path(actor, kind, grid.path):
        raise NotAllowed(_("该网格不在您的管辖范围内。"))
    return grid


def _set_phone(obj, value, field: str = "phone") -> list[str]:
    if value is UNCHANGED:
        return []
    value = (value or "").strip()
    if not value:
        obj.phone_sealed = obj.phone_index = obj.phone_masked = ""
    else:
        try:
            phone = normalize_phone(value)
        except IdentityError as exc:
            raise InvalidInput(fields={field: [str(exc)]}) from exc
        obj.phone_sealed, obj.phone_index, obj.phone_masked = (
            seal(phone),
            blind_index("phone", phone),
            mask_phone(phone),
        )
    return ["phone_sealed", "phone_index", "phone_masked"]


def _parse_id(value: str, field: str):
    try:
        return parse_resident_id(value)
    except IdentityError as exc:
        raise InvalidInput(fields={field: [str(exc)]}) from exc


def _save(obj, action: str, actor, changes: dict, *, created: bool):
    try:
        obj.full_clean(exclude=["checked_by"])
    except ValidationError as exc:
        raise InvalidInput(fields=errors_from_validation(exc)) from exc
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise InvalidInput(_("与已有记录重复。"), fields={"__all__": [_("与已有记录重复。")]}) from exc
    audit_record(
        actor=actor, action=f"{action}.{'create' if created else 'update'}", obj=obj, changes=changes
    )
    return obj


def _set_location(obj, data: dict, changes: dict) -> None:
    """经度/纬度 given in an edit (both, or both empty to clear) are recorded as typed by hand."""
    if "longitude" not in data and "latitude" not in data:
        return
    longitude = data.get("longitude", obj.longitude)
    latitude = data.get("latitude", obj.latitude)
    if longitude == obj.longitude and latitude == obj.latitude:
        return
    located = longitude is not None or latitude is not None
    obj.longitude, obj.latitude = longitude, latitude
    obj.location_source = LocationSource.EDIT if located else ""
    obj.location_at = timezone.now() if located else None
    changes["location"] = [str(longitude), str(latitude)] if located else None


def _assign(obj, data: dict, names: list[str]) -> dict:
    changes = {}
    for name in names:
        if name in data and getattr(obj, name) != data[name]:
            changes[name] = data[name]
            setattr(obj, name, data[name])
    return changes


@transaction.atomic
def household_save(*, actor, household: Household | None = None, data: dict) -> Household:
    """Creates (``household=None``) or updates a household. ``data`` may hold code, grid, address, head_name,
    head_id, phone, members, tags (a list), is_active; head_id and phone may be UNCHANGED."""
    created = household is None
    if created:
        household = Household()
    elif actor is not None and not RegistryPolicy.can_write_path(actor, "households", household.grid.path):
        raise NotAllowed()
    if "grid" in data:
        household.grid = _require_grid(actor, "households", data["grid"])
    elif created:
        raise InvalidInput(fields={"grid": [_("请选择网格。")]})
    if "tags" in data:
        data = {**data, "tags": tags_to_text(data["tags"])}
    changes = _assign(household, data, ["code", "address", "head_name", "members", "tags", "is_active"])
    _set_location(household, data, changes)
    head_id = data.get("head_id", UNCHANGED)
    if head_id is not UNCHANGED:
        head_id = (head_id or "").strip()
        if head_id:
            parsed = _parse_id(head_id, "head_id")
            household.head_id_sealed = seal(parsed.number)
            household.head_id_index = blind_index("ric", parsed.number)
            household.head_id_masked = mask_resident_id(parsed.number)
        else:
            household.head_id_sealed = household.head_id_index = household.head_id_masked = ""
        changes["head_id"] = household.head_id_masked
    if _set_phone(household, data.get("phone", UNCHANGED)):
        changes["phone"] = household.phone_masked
    if "grid" in data:
        changes["grid"] = household.grid.code
    return _save(household, "household", actor, changes, created=created)


@transaction.atomic
def resident_save(*, actor, resident: Resident | None = None, data: dict) -> Resident:
    """``data``: household, name, id_number (required on create), relation, phone, tags, is_active."""
    created = resident is None
    if created:
        resident = Resident()
    if (
        not created
        and actor is not None
        and not RegistryPolicy.can_write_path(actor, "residents", resident.household.grid.path)
    ):
        raise NotAllowed()
    if "household" in data:
        household = data["household"]
        if household is None:
            raise InvalidInput(fields={"household": [_("请选择户。")]})
        if actor is not None and not RegistryPolicy.can_write_path(actor, "residents", household.grid.path):
            raise NotAllowed(_("该户不在您的管辖范围内。"))
        resident.household = household
    elif created:
        raise InvalidInput(fields={"household": [_("请选择户。")]})
    if "tags" in data:
        data = {**data, "tags": tags_to_text(data["tags"])}
    changes = _assign(resident, data, ["name", "relation", "tags", "is_active"])
    id_number = data.get("id_number", UNCHANGED)
    if id_number is UNCHANGED and created:
        id_number = ""
    if id_number is not UNCHANGED:
        parsed = _parse_id(id_number, "id_number")
        index = blind_index("ric", parsed.number)
        clash = Resident.objects.filter(id_index=index).exclude(pk=resident.pk).first()
        if clash is not None:
            raise InvalidInput(
                fields={"id_number": [_("该身份证号已登记在户 %(code)s。") % {"code": clash.household.code}]}
            )
        resident.id_sealed, resident.id_index = seal(parsed.number), index
        resident.id_masked = mask_resident_id(parsed.number)
        resident.gender, resident.birth_date = parsed.gender, parsed.birth_date
        changes["id_number"] = resident.id_masked
    if _set_phone(resident, data.get("phone", UNCHANGED)):
        changes["phone"] = resident.phone_masked
    return _save(resident, "resident", actor, changes, created=created)


PLACE_FIELDS = [
    "kind",
    "industry",
    "name",
    "address",
    "person_in_charge",
    "risk_level",
    "sells_fireworks",
    "tags",
    "is_active",
]


@transaction.atomic
def place_save(*, actor, place: Place | None = None, data: dict) -> Place:
    created = place is None
    if created:
        place = Place()
    elif actor is not None and not RegistryPolicy.can_write_path(actor, "places", place.grid.path):
        raise NotAllowed()
    if "grid" in data:
        place.grid = _require_grid(actor, "places", data["grid"])
    elif created:
        raise InvalidInput(fields={"grid": [_("请选择网格。")]})
    if "tags" in data:
        data = {**data, "tags": tags_to_text(data["tags"])}
    changes = _assign(place, data, PLACE_FIELDS)
    _set_location(place, data, changes)
    if "credit_code" in data:
        code = (data["credit_code"] or "").strip()
        try:
            code = validate_uscc(code) if code else ""
        except IdentityError as exc:
            raise InvalidInput(fields={"credit_code": [str(exc)]}) from exc
        if code and Place.objects.filter(credit_code=code).exclude(pk=place.pk).exists():
            raise InvalidInput(fields={"credit_code": [_("该统一社会信用代码已登记。")]})
        if code != place.credit_code:
            changes["credit_code"] = code
        place.credit_code = code
    if place.kind == Place.Kind.KEY_ENTERPRISE and not place.industry:
        raise InvalidInput(fields={"industry": [_("重点企业须填写行业。")]})
    if _set_phone(place, data.get("phone", UNCHANGED)):
        changes["phone"] = place.phone_masked
    return _save(place, "place", actor, changes, created=created)


@transaction.atomic
def place_check(*, actor, place: Place, status: str, sells_fireworks: bool | None = None) -> Place:
    """Records a 销售场所排查登记: the status, who checked and when."""
    if status not in Place.Registration.values:
        raise InvalidInput(fields={"registration_status": [_("排查登记状态无效。")]})
    if actor is None or not RegistryPolicy.can_write_path(actor, "places", place.grid.path):
        raise NotAllowed()
    place.registration_status = status
    if sells_fireworks is not None:
        place.sells_fireworks = sells_fireworks
    place.checked_by = actor
    place.checked_at = timezone.now()
    place.save(
        update_fields=["registration_status", "sells_fireworks", "checked_by", "checked_at", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="place.check",
        obj=place,
        changes={"status": status, "sells_fireworks": place.sells_fireworks},
    )
    return place


LICENCE_FIELDS = [
    "kind",
    "number",
    "holder_name",
    "issuing_authority",
    "valid_from",
    "valid_to",
    "product_types",
    "max_storage",
    "consignor",
    "carrier",
    "origin",
    "destination",
    "route",
    "quantity",
    "is_revoked",
]


@transaction.atomic
def licence_save(*, actor, licence: Licence | None = None, data: dict) -> Licence:
    """``data``: LICENCE_FIELDS, plus place (optional) and grid (taken from the place when not given)."""
    created = licence is None
    if created:
        licence = Licence()
    elif actor is not None and not RegistryPolicy.can_write_path(actor, "licences", licence.grid.path):
        raise NotAllowed()
    if "place" in data:
        licence.place = data["place"]
    # The grid is the one given, else (on creation or a move to another place) the place's; otherwise it stays,
    # also when the place is detached.
    if data.get("grid") is not None:
        licence.grid = _require_grid(actor, "licences", data["grid"])
    elif created or data.get("place") is not None:
        licence.grid = _require_grid(actor, "licences", licence.place.grid if licence.place_id else None)
    changes = _assign(licence, data, LICENCE_FIELDS)
    if licence.valid_from and licence.valid_to and licence.valid_to < licence.valid_from:
        raise InvalidInput(fields={"valid_to": [_("有效期止不能早于有效期起。")]})
    return _save(licence, "licence", actor, changes, created=created)
