"""The registry API (/api/v1/registry/): households, residents, places and licences.

Thin adapters: parse, access, call, render. Scope comes from the selectors (lists, ``access_*``), write
permission and validation from the services; personal numbers leave masked, except through ``…/unmask``.
"""

from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Path, Router, Status
from ninja.pagination import paginate

from gridgov.api.pagination import PagePagination
from gridgov.api.schemas import ERRORS, ErrorOut
from gridgov.core.exceptions import InvalidInput, NotFound
from gridgov.registry import selectors
from gridgov.registry.models import COORDINATE_STEP
from gridgov.registry.schemas import (
    MAX_ID,
    Expiry,
    HouseholdIn,
    HouseholdOut,
    HouseholdPatch,
    HouseholdUnmaskOut,
    LicenceIn,
    LicenceKind,
    LicenceOut,
    LicencePatch,
    PlaceCheckIn,
    PlaceIn,
    PlaceKind,
    PlaceOut,
    PlacePatch,
    PlaceRegistration,
    PlaceUnmaskOut,
    RegionCode,
    ResidentIn,
    ResidentOut,
    ResidentPatch,
    ResidentUnmaskOut,
    Tag,
    UnmaskIn,
    text,
)
from gridgov.registry.services import privacy, records
from gridgov.territory.selectors import access_region

router = Router(tags=["registry"])

#: Writes and unmasking may also be refused (403): in scope to read, but not to do this.
WRITE_ERRORS = {**ERRORS, 403: ErrorOut}

HOUSEHOLD_ID = Path(..., ge=1, le=MAX_ID, description="户 id")
RESIDENT_ID = Path(..., ge=1, le=MAX_ID, description="居民 id")
PLACE_ID = Path(..., ge=1, le=MAX_ID, description="场所 id")
LICENCE_ID = Path(..., ge=1, le=MAX_ID, description="许可证 id")

Search = text(100)


# --- references in payloads and filters -----------------------------------------------------------------


def _region(user, code: str | None):
    """The ``region`` filter: a region the user may see (404 otherwise, as for any out-of-scope code)."""
    return access_region(user, code) if code else None


def _grid_ref(user, code: str, field: str = "grid"):
    """A grid named in a payload. Out of scope reads as "no such grid": a field error, never a leak."""
    try:
        return access_region(user, code)
    except NotFound:
        raise InvalidInput(fields={field: [_("网格不存在或不在您的管辖范围内。")]}) from None


def _household_ref(user, code: str, field: str = "household"):
    household = selectors.household_list(user=user, active=None).filter(code=code).first()
    if household is None:
        raise InvalidInput(fields={field: [_("户不存在或不在您的管辖范围内。")]})
    return household


def _place_ref(user, pk: int, field: str = "place_id"):
    try:
        return selectors.access_place(user, pk)
    except NotFound:
        raise InvalidInput(fields={field: [_("场所不存在或不在您的管辖范围内。")]}) from None


def _active(include_inactive: bool) -> bool | None:
    return None if include_inactive else True


def _no_store(response: HttpResponse) -> None:
    """Clear personal data must not linger in a browser or proxy cache."""
    response["Cache-Control"] = "no-store"


# --- households -------------------------------------------------------------------------------------------


def _location(data: dict) -> dict:
    """Coordinates as the registry stores them (six decimal places)."""
    for key in ("longitude", "latitude"):
        if data.get(key) is not None:
            data[key] = Decimal(repr(data[key])).quantize(COORDINATE_STEP)
    return data


def _household_data(user, payload, *, partial: bool) -> dict:
    data = payload.dict(exclude_unset=partial)
    if "grid" in data:
        data["grid"] = _grid_ref(user, data["grid"])
    return _location(data)


@router.get("/households", response={200: list[HouseholdOut], **ERRORS}, summary="Households in scope")
@paginate(PagePagination)
def household_list(
    request,
    region: RegionCode | None = None,
    q: Search = "",
    tag: Tag = "",
    include_inactive: bool = False,
):
    return selectors.household_list(
        user=request.auth,
        region=_region(request.auth, region),
        q=q,
        tag=tag,
        active=_active(include_inactive),
    )


@router.post("/households", response={201: HouseholdOut, **WRITE_ERRORS}, summary="Register a household")
def household_create(request, payload: HouseholdIn):
    data = _household_data(request.auth, payload, partial=False)
    return Status(201, records.household_save(actor=request.auth, data=data))


@router.get("/households/{household_id}", response={200: HouseholdOut, **ERRORS}, summary="One household")
def household_detail(request, household_id: int = HOUSEHOLD_ID):
    return selectors.access_household(request.auth, household_id)


@router.patch(
    "/households/{household_id}", response={200: HouseholdOut, **WRITE_ERRORS}, summary="Update a household"
)
def household_update(request, payload: HouseholdPatch, household_id: int = HOUSEHOLD_ID):
    household = selectors.access_household(request.auth, household_id)
    data = _household_data(request.auth, payload, partial=True)
    return records.household_save(actor=request.auth, household=household, data=data)


@router.post(
    "/households/{household_id}/unmask",
    response={200: HouseholdUnmaskOut, **WRITE_ERRORS},
    summary="A household's personal numbers in clear (permission, reason, access log)",
)
def household_unmask(request, response: HttpResponse, payload: UnmaskIn, household_id: int = HOUSEHOLD_ID):
    household = selectors.access_household(request.auth, household_id)
    values = privacy.personal_data_unmask(actor=request.auth, obj=household, reason=payload.reason)
    _no_store(response)
    return values


# --- residents --------------------------------------------------------------------------------------------


def _resident_data(user, payload, *, partial: bool) -> dict:
    data = payload.dict(exclude_unset=partial)
    if "household" in data:
        data["household"] = _household_ref(user, data["household"])
    return data


@router.get("/residents", response={200: list[ResidentOut], **ERRORS}, summary="Residents in scope")
@paginate(PagePagination)
def resident_list(
    request,
    region: RegionCode | None = None,
    q: Search = "",
    tag: Tag = "",
    include_inactive: bool = False,
):
    return selectors.resident_list(
        user=request.auth,
        region=_region(request.auth, region),
        q=q,
        tag=tag,
        active=_active(include_inactive),
    )


@router.post("/residents", response={201: ResidentOut, **WRITE_ERRORS}, summary="Register a resident")
def resident_create(request, payload: ResidentIn):
    data = _resident_data(request.auth, payload, partial=False)
    return Status(201, records.resident_save(actor=request.auth, data=data))


@router.get("/residents/{resident_id}", response={200: ResidentOut, **ERRORS}, summary="One resident")
def resident_detail(request, resident_id: int = RESIDENT_ID):
    return selectors.access_resident(request.auth, resident_id)


@router.patch(
    "/residents/{resident_id}", response={200: ResidentOut, **WRITE_ERRORS}, summary="Update a resident"
)
def resident_update(request, payload: ResidentPatch, resident_id: int = RESIDENT_ID):
    resident = selectors.access_resident(request.auth, resident_id)
    data = _resident_data(request.auth, payload, partial=True)
    return records.resident_save(actor=request.auth, resident=resident, data=data)


@router.post(
    "/residents/{resident_id}/unmask",
    response={200: ResidentUnmaskOut, **WRITE_ERRORS},
    summary="A resident's ID number and phone in clear (permission, reason, access log)",
)
def resident_unmask(request, response: HttpResponse, payload: UnmaskIn, resident_id: int = RESIDENT_ID):
    resident = selectors.access_resident(request.auth, resident_id)
    values = privacy.personal_data_unmask(actor=request.auth, obj=resident, reason=payload.reason)
    _no_store(response)
    return values


# --- places -----------------------------------------------------------------------------------------------


def _place_data(user, payload, *, partial: bool) -> dict:
    data = payload.dict(exclude_unset=partial)
    if "grid" in data:
        data["grid"] = _grid_ref(user, data["grid"])
    return _location(data)


@router.get("/places", response={200: list[PlaceOut], **ERRORS}, summary="Places in scope")
@paginate(PagePagination)
def place_list(
    request,
    region: RegionCode | None = None,
    q: Search = "",
    kind: PlaceKind | None = None,
    tag: Tag = "",
    registration: PlaceRegistration | None = None,
    sells_fireworks: bool | None = None,
    include_inactive: bool = False,
):
    return selectors.place_list(
        user=request.auth,
        region=_region(request.auth, region),
        q=q,
        kind=kind or "",
        tag=tag,
        registration=registration or "",
        sells_fireworks=sells_fireworks,
        active=_active(include_inactive),
    )


@router.post("/places", response={201: PlaceOut, **WRITE_ERRORS}, summary="Register a place")
def place_create(request, payload: PlaceIn):
    data = _place_data(request.auth, payload, partial=False)
    return Status(201, records.place_save(actor=request.auth, data=data))


@router.get("/places/{place_id}", response={200: PlaceOut, **ERRORS}, summary="One place")
def place_detail(request, place_id: int = PLACE_ID):
    return selectors.access_place(request.auth, place_id)


@router.patch("/places/{place_id}", response={200: PlaceOut, **WRITE_ERRORS}, summary="Update a place")
def place_update(request, payload: PlacePatch, place_id: int = PLACE_ID):
    place = selectors.access_place(request.auth, place_id)
    data = _place_data(request.auth, payload, partial=True)
    return records.place_save(actor=request.auth, place=place, data=data)


@router.post(
    "/places/{place_id}/check",
    response={200: PlaceOut, **WRITE_ERRORS},
    summary="Record a sales-venue check (销售场所排查登记): status, who and when",
)
def place_check(request, payload: PlaceCheckIn, place_id: int = PLACE_ID):
    place = selectors.access_place(request.auth, place_id)
    return records.place_check(
        actor=request.auth,
        place=place,
        status=payload.registration_status,
        sells_fireworks=payload.sells_fireworks,
    )


@router.post(
    "/places/{place_id}/unmask",
    response={200: PlaceUnmaskOut, **WRITE_ERRORS},
    summary="A place's phone in clear (permission, reason, access log)",
)
def place_unmask(request, response: HttpResponse, payload: UnmaskIn, place_id: int = PLACE_ID):
    place = selectors.access_place(request.auth, place_id)
    values = privacy.personal_data_unmask(actor=request.auth, obj=place, reason=payload.reason)
    _no_store(response)
    return values


# --- licences ---------------------------------------------------------------------------------------------


def _licence_data(user, payload, *, partial: bool) -> dict:
    data = payload.dict(exclude_unset=partial)
    if "place_id" in data:
        place_id = data.pop("place_id")
        data["place"] = _place_ref(user, place_id) if place_id is not None else None
    if "grid" in data:
        code = data.pop("grid")
        if code is not None:
            data["grid"] = _grid_ref(user, code)
    return data


@router.get("/licences", response={200: list[LicenceOut], **ERRORS}, summary="Licences in scope")
@paginate(PagePagination)
def licence_list(
    request,
    region: RegionCode | None = None,
    q: Search = "",
    kind: LicenceKind | None = None,
    expiry: Expiry | None = None,
):
    return selectors.licence_list(
        user=request.auth,
        region=_region(request.auth, region),
        q=q,
        kind=kind or "",
        expiry=expiry or "",
    )


@router.post("/licences", response={201: LicenceOut, **WRITE_ERRORS}, summary="Register a licence")
def licence_create(request, payload: LicenceIn):
    data = _licence_data(request.auth, payload, partial=False)
    return Status(201, records.licence_save(actor=request.auth, data=data))


@router.get("/licences/{licence_id}", response={200: LicenceOut, **ERRORS}, summary="One licence")
def licence_detail(request, licence_id: int = LICENCE_ID):
    return selectors.access_licence(request.auth, licence_id)


@router.patch(
    "/licences/{licence_id}", response={200: LicenceOut, **WRITE_ERRORS}, summary="Update a licence"
)
def licence_update(request, payload: LicencePatch, licence_id: int = LICENCE_ID):
    licence = selectors.access_licence(request.auth, licence_id)
    data = _licence_data(request.auth, payload, partial=True)
    return records.licence_save(actor=request.auth, licence=licence, data=data)
