"""排查登记 and 运输监管: venue checks of shops and supermarkets, road checks of fireworks transport.

The result is worked out from what was found, not typed in: selling or holding fireworks without a valid retail
licence, or carrying them without a valid transport permit (or off its route, over its quantity), is a problem
and opens a case in the closed loop.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.campaigns.models import Campaign, Finding, TargetKind, TransportCheck, VenueCheck
from gridgov.campaigns.policies import CampaignPolicy, campaign_covers
from gridgov.campaigns.services.counters import counters_bump, grid_meta
from gridgov.cases.models import CaseSource, Category
from gridgov.cases.policies import CasePolicy
from gridgov.cases.services.intake import case_report
from gridgov.core.audit import audit_record
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.registry.models import Licence, Place
from gridgov.registry.policies import RegistryPolicy
from gridgov.registry.services.records import place_check
from gridgov.territory.models import Level, Region

REGISTRATION = {
    VenueCheck.Result.PASSED: Place.Registration.REGISTERED,
    VenueCheck.Result.NO_FIREWORKS: Place.Registration.NO_FIREWORKS,
    VenueCheck.Result.PROBLEM: Place.Registration.ILLEGAL,
}
CATEGORY_ILLEGAL_SALE = "fireworks_illegal_sale"
CATEGORY_ILLEGAL_STORAGE = "fireworks_illegal_storage"
CATEGORY_ILLEGAL_TRANSPORT = "fireworks_illegal_transport"


def licence_is_valid(licence: Licence | None, on: dt.date) -> bool:
    return bool(licence and not licence.is_revoked and licence.valid_from <= on <= licence.valid_to)


def _open_finding(
    *, actor, campaign, source, kind, grid: Region, category_code, title, description, address=""
):
    category = Category.objects.filter(code=category_code, is_active=True).first()
    case = None
    if category is not None:
        # A department officer checks venues but does not file cases: the case is then filed by the system,
        # and the finding (with the check) keeps who found it.
        reporter = actor if actor is not None and CasePolicy.can_report(actor, grid) else None
        case = case_report(
            actor=reporter,
            category=category,
            region=grid,
            title=title[:100],
            description=description,
            source=CaseSource.INSPECTION,
            address=address,
        )
    meta = grid_meta([grid.pk])[grid.pk]
    finding = Finding.objects.create(
        campaign=campaign,
        source=source,
        target_kind=kind,
        grid=grid,
        village_id=meta[0],
        township_id=meta[1],
        grid_path=meta[2],
        case=case,
    )
    return finding


def _check_campaign(campaign: Campaign, path: str) -> None:
    if campaign.state != Campaign.State.ACTIVE:
        raise Conflict(_("该专项行动未在进行中。"))
    if not campaign_covers(campaign, path):
        raise InvalidInput(fields={"campaign": [_("该地点不在本专项行动的范围内。")]})


@transaction.atomic
def venue_check_record(
    *,
    actor,
    campaign: Campaign,
    place: Place,
    sells_fireworks: bool,
    stock_found: bool,
    licence_number: str = "",
    note: str = "",
    checked_at: dt.datetime | None = None,
) -> VenueCheck:
    if actor is not None and not CampaignPolicy.can_check(actor, place.grid.path):
        raise NotAllowed(_("该场所不在您的管辖范围内。"))
    _check_campaign(campaign, place.grid.path)
    if place.kind not in campaign.place_kinds:
        raise InvalidInput(fields={"place": [_("该类场所不在本专项行动的排查对象之内。")]})
    licence_number = (licence_number or "").strip()
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidInput(fields={"note": [_("备注不能超过 2000 个字。")]})
    checked_at = checked_at or timezone.now()
    licence = None
    if licence_number:
        licence = Licence.objects.filter(kind=Licence.Kind.FIREWORKS_RETAIL, number=licence_number).first()
        if licence is None:
            raise InvalidInput(fields={"licence_number": [_("台账中没有这个烟花爆竹零售许可证号。")]})
    holds = sells_fireworks or stock_found
    licensed = licence_is_valid(licence, timezone.localdate(checked_at)) and (
        licence.place_id in (None, place.pk)
    )
    if not holds:
        result = VenueCheck.Result.NO_FIREWORKS
    elif licensed:
        result = VenueCheck.Result.PASSED
    else:
        result = VenueCheck.Result.PROBLEM
    # Checks of one place run one at a time, so that only one of two simultaneous first checks counts as "checked".
    Place.objects.select_for_update().filter(pk=place.pk).values_list("pk", flat=True).first()
    first = not VenueCheck.objects.filter(campaign=campaign, place=place).exists()
    check = VenueCheck(
        campaign=campaign,
        place=place,
        grid=place.grid,
        sells_fireworks=sells_fireworks,
        stock_found=stock_found,
        licence=licence,
        licence_number=licence_number,
        result=result,
        note=note,
        checked_by=actor if getattr(actor, "pk", None) else None,
        checked_at=checked_at,
        first=first,
    )
    opened = 0
    if result == VenueCheck.Result.PROBLEM:
        what = _("无有效许可销售烟花爆竹") if sells_fireworks else _("无有效许可存放烟花爆竹")
        check.finding = _open_finding(
            actor=actor,
            campaign=campaign,
            source=Finding.Source.VENUE,
            kind=TargetKind.PLACE,
            grid=place.grid,
            category_code=CATEGORY_ILLEGAL_SALE if sells_fireworks else CATEGORY_ILLEGAL_STORAGE,
            title=f"{place.name}：{what}",
            description=_("场所排查发现%(what)s。场所：%(name)s，%(address)s。许可证号：%(number)s。%(note)s")
            % {
                "what": what,
                "name": place.name,
                "address": place.address,
                "number": licence_number or _("无"),
                "note": note,
            },
            address=place.address,
        )
        opened = int(check.finding.case_id is not None)
    check.save()
    if actor is not None and RegistryPolicy.can_write_path(actor, "places", place.grid.path):
        # The registry's 排查登记 status follows the latest check.
        place_check(actor=actor, place=place, status=REGISTRATION[result], sells_fireworks=sells_fireworks)
    counters_bump(
        campaign.pk,
        {
            (place.grid_id, TargetKind.PLACE): {
                "checked": int(first),
                "problems": int(bool(check.finding)),
                "cases_opened": opened,
            }
        },
    )
    audit_record(
        actor=actor, action="campaign_venue_check", obj=check, changes={"place": place.pk, "result": result}
    )
    return check


@transaction.atomic
def transport_check_record(
    *,
    actor,
    campaign: Campaign,
    grid: Region,
    vehicle_plate: str,
    driver_name: str,
    permit_number: str = "",
    route_matches: bool = False,
    quantity_matches: bool = False,
    route: str = "",
    quantity: str = "",
    place_name: str = "",
    checked_at: dt.datetime | None = None,
) -> TransportCheck:
    """A vehicle checked on the road; the permit number is looked up among the registry's transport permits."""
    if grid is None or grid.level != Level.GRID:
        raise InvalidInput(fields={"grid": [_("请选择检查地点所在的网格。")]})
    if actor is not None and not CampaignPolicy.can_check(actor, grid.path):
        raise NotAllowed(_("该地点不在您的管辖范围内。"))
    _check_campaign(campaign, grid.path)
    errors = {}
    vehicle_plate = (vehicle_plate or "").strip().upper()
    driver_name = (driver_name or "").strip()
    permit_number = (permit_number or "").strip()
    if not vehicle_plate or len(vehicle_plate) > 16:
        errors["vehicle_plate"] = [_("请填写车牌号（不超过 16 个字符）。")]
    if not driver_name or len(driver_name) > 50:
        errors["driver_name"] = [_("请填写驾驶员姓名（不超过 50 个字）。")]
    if errors:
        raise InvalidInput(fields=errors)
    checked_at = checked_at or timezone.now()
    licence = (
        Licence.objects.filter(kind=Licence.Kind.FIREWORKS_TRANSPORT, number=permit_number).first()
        if permit_number
        else None
    )
    valid = licence_is_valid(licence, timezone.localdate(checked_at))
    reasons = []
    if not permit_number:
        reasons.append(_("无运输许可证"))
    elif licence is None:
        reasons.append(_("许可证号不在台账中"))
    elif not valid:
        reasons.append(_("许可证已过期或已吊销"))
    if licence is not None and not route_matches:
        reasons.append(_("路线与许可不符"))
    if licence is not None and not quantity_matches:
        reasons.append(_("数量与许可不符"))
    result = TransportCheck.Result.FAILED if reasons else TransportCheck.Result.PASSED
    check = TransportCheck(
        campaign=campaign,
        grid=grid,
        place_name=(place_name or "").strip()[:100],
        vehicle_plate=vehicle_plate,
        driver_name=driver_name,
        permit_number=permit_number,
        licence=licence,
        route=(route or "").strip()[:200],
        quantity=(quantity or "").strip()[:50],
        permit_valid=valid,
        route_matches=bool(licence and route_matches),
        quantity_matches=bool(licence and quantity_matches),
        result=result,
        reasons="；".join(str(r) for r in reasons)[:300],
        checked_by=actor if getattr(actor, "pk", None) else None,
        checked_at=checked_at,
    )
    opened = 0
    if reasons:
        check.finding = _open_finding(
            actor=actor,
            campaign=campaign,
            source=Finding.Source.TRANSPORT,
            kind=TargetKind.VEHICLE,
            grid=grid,
            category_code=CATEGORY_ILLEGAL_TRANSPORT,
            title=_("运输检查不合格：%(plate)s") % {"plate": vehicle_plate},
            description=_(
                "道路运输检查不合格（%(reasons)s）。车辆：%(plate)s，驾驶员：%(driver)s，许可证号：%(number)s。"
            )
            % {
                "reasons": check.reasons,
                "plate": vehicle_plate,
                "driver": driver_name,
                "number": permit_number or _("无"),
            },
            address=check.place_name,
        )
        opened = int(check.finding.case_id is not None)
    check.save()
    counters_bump(
        campaign.pk,
        {
            (grid.pk, TargetKind.VEHICLE): {
                "checked": 1,
                "problems": int(bool(reasons)),
                "cases_opened": opened,
            }
        },
    )
    audit_record(
        actor=actor,
        action="campaign_transport_check",
        obj=check,
        changes={"plate": vehicle_plate, "result": result},
    )
    return check
