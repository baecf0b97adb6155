"""Monitoring stations: created and changed by the county admin."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.air.models import Station, StationLevel
from gridgov.air.policies import AirPolicy
from gridgov.core.audit import audit_record
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed, errors_from_validation
from gridgov.territory.models import Level, Region

STATION_FIELDS = ("name", "level", "longitude", "latitude", "region", "is_active")


def township_of(region: Region) -> Region | None:
    if region.level == Level.TOWNSHIP:
        return region
    if len(region.code) < 9:
        return None
    return Region.objects.filter(code=region.code[:9], level=Level.TOWNSHIP).first()


def _decimal(value, field: str, errors: dict) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = [_("须为数字。")]
        return None


def _apply(station: Station, values: dict) -> None:
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        if key in ("longitude", "latitude"):
            value = _decimal(value, key, errors)
        if key == "level" and value not in StationLevel.values:
            errors[key] = [_("站点级别无效。")]
            continue
        setattr(station, key, value)
    if "region" in values:
        station.township = township_of(values["region"])
    if errors:
        raise InvalidInput(fields=errors)
    try:
        station.full_clean()
    except ValidationError as exc:
        raise InvalidInput(fields=errors_from_validation(exc)) from exc


@transaction.atomic
def station_create(
    *, actor, code: str, name: str, level: str, longitude, latitude, region: Region
) -> Station:
    if actor is not None and not AirPolicy.can_manage_stations(actor, region):
        raise NotAllowed()
    code = (code or "").strip()
    if Station.objects.filter(code=code).exists():
        raise Conflict(_("站点编码已存在。"), fields={"code": [_("站点编码已存在。")]})
    station = Station(code=code)
    _apply(
        station,
        {
            "name": (name or "").strip(),
            "level": level,
            "longitude": longitude,
            "latitude": latitude,
            "region": region,
        },
    )
    station.save()
    audit_record(
        actor=actor, action="air.station_create", obj=station, changes={"code": code, "region": region.code}
    )
    return station


@transaction.atomic
def station_update(*, actor, station: Station, **values) -> Station:
    unknown = set(values) - set(STATION_FIELDS)
    if unknown:
        raise InvalidInput(fields={key: [_("不能修改此项。")] for key in sorted(unknown)})
    if actor is not None and not AirPolicy.can_manage_stations(actor, station.region):
        raise NotAllowed()
    if (
        "region" in values
        and actor is not None
        and not AirPolicy.can_manage_stations(actor, values["region"])
    ):
        raise NotAllowed()
    station = Station.objects.select_for_update().get(pk=station.pk)
    before = {key: getattr(station, key) for key in values}
    _apply(station, values)
    fields = list(values) + (["township"] if "region" in values else []) + ["updated_at"]
    station.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="air.station_update",
        obj=station,
        changes={key: [before[key], getattr(station, key)] for key in values},
    )
    return station
