"""What the inspection services share: the township above a region, coordinates, the actor checks."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from gridgov.core.exceptions import InvalidInput
from gridgov.territory.models import Level, Region


def township_for(region: Region, cache: dict | None = None) -> Region:
    """The township (乡镇) containing ``region`` (itself if it is one)."""
    if region.level == Level.TOWNSHIP:
        return region
    codes = [code for code in region.ancestor_codes() if len(code) == 9]
    if not codes:
        raise InvalidInput(fields={"region": [_("检查对象须在某个乡镇(街道)之内。")]})
    if cache is not None and codes[0] in cache:
        return cache[codes[0]]
    township = Region.objects.get(code=codes[0])
    if cache is not None:
        cache[codes[0]] = township
    return township


def coordinate(value, low: int, high: int, field: str):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(fields={field: [_("坐标无效。")]}) from exc
    if not number.is_finite():
        raise InvalidInput(fields={field: [_("坐标无效。")]})
    number = number.quantize(Decimal("0.000001"))
    if not low <= number <= high:
        raise InvalidInput(fields={field: [_("坐标超出范围。")]})
    return number
