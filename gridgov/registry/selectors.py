"""Reads of the registry, limited to what the user may see, with their joins done."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from gridgov.core.exceptions import NotFound
from gridgov.registry.models import Household, Licence, Place, Resident
from gridgov.registry.policies import RegistryPolicy
from gridgov.territory.models import Region, subtree_range


def _in_region(qs, region: Region | None, field: str = "grid__path"):
    if region is None:
        return qs
    low, high = subtree_range(region.path)
    return qs.filter(**{f"{field}__gte": low, f"{field}__lt": high})


def _tag_q(tag: str, field: str = "tags") -> Q:
    return Q(**{f"{field}__contains": f"|{tag.strip()}|"})


def household_list(
    *, user, region: Region | None = None, q: str = "", tag: str = "", active: bool | None = True
):
    qs = Household.objects.filter(RegistryPolicy.read_q(user, "households")).select_related(
        "grid", "grid__parent"
    )
    qs = _in_region(qs, region)
    if active is not None:
        qs = qs.filter(is_active=active)
    if tag:
        qs = qs.filter(_tag_q(tag))
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(code__startswith=q) | Q(head_name__contains=q) | Q(address__contains=q))
    return qs.order_by("code")


def resident_list(
    *,
    user,
    region: Region | None = None,
    q: str = "",
    tag: str = "",
    id_index: str = "",
    active: bool | None = True,
):
    qs = Resident.objects.filter(RegistryPolicy.read_q(user, "residents", field="household__grid__path"))
    qs = _in_region(qs.select_related("household", "household__grid"), region, "household__grid__path")
    if active is not None:
        qs = qs.filter(is_active=active)
    if tag:
        qs = qs.filter(_tag_q(tag))
    if id_index:
        qs = qs.filter(id_index=id_index)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(name__contains=q) | Q(household__code__startswith=q) | Q(household__address__contains=q)
        )
    return qs.order_by("household__code", "id")


def place_list(
    *,
    user,
    region: Region | None = None,
    q: str = "",
    kind: str = "",
    tag: str = "",
    registration: str = "",
    sells_fireworks: bool | None = None,
    active: bool | None = True,
):
    qs = Place.objects.filter(RegistryPolicy.read_q(user, "places")).select_related("grid", "checked_by")
    qs = _in_region(qs, region)
    if active is not None:
        qs = qs.filter(is_active=active)
    if kind:
        qs = qs.filter(kind=kind)
    if registration:
        qs = qs.filter(registration_status=registration)
    if sells_fireworks is not None:
        qs = qs.filter(sells_fireworks=sells_fireworks)
    if tag:
        qs = qs.filter(_tag_q(tag))
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(address__contains=q) | Q(credit_code__startswith=q.upper()))
    return qs.order_by("name", "id")


#: Licences are "about to expire" this many days ahead.
EXPIRY_WARNING_DAYS = 30


def licence_list(
    *,
    user,
    region: Region | None = None,
    q: str = "",
    kind: str = "",
    expiry: str = "",
    today: dt.date | None = None,
):
    """``expiry``: "expired", "expiring" (within EXPIRY_WARNING_DAYS) or "valid"."""
    qs = Licence.objects.filter(RegistryPolicy.read_q(user, "licences")).select_related("grid", "place")
    qs = _in_region(qs, region)
    today = today or timezone.localdate()
    if kind:
        qs = qs.filter(kind=kind)
    if expiry == "expired":
        qs = qs.filter(valid_to__lt=today)
    elif expiry == "expiring":
        qs = qs.filter(valid_to__gte=today, valid_to__lte=today + dt.timedelta(days=EXPIRY_WARNING_DAYS))
    elif expiry == "valid":
        qs = qs.filter(valid_to__gte=today)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(number__contains=q) | Q(holder_name__contains=q))
    return qs.order_by("valid_to", "id")


def _access(qs, pk) -> object:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    return obj


def access_household(user, pk) -> Household:
    return _access(household_list(user=user, active=None), pk)


def access_resident(user, pk) -> Resident:
    return _access(resident_list(user=user, active=None), pk)


def access_place(user, pk) -> Place:
    return _access(place_list(user=user, active=None), pk)


def access_licence(user, pk) -> Licence:
    return _access(licence_list(user=user), pk)
