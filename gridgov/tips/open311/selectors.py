"""Reads behind /open311/v2/: the jurisdiction, the services and the service requests.

What Open311 shows, and what it never shows:

- a *service* is a case category open to the public (``Category.public`` and in use);
- a *service request* is a case of such a category in the jurisdiction's county, whatever its source (a tip, a
  grid worker's report, a hotline call): the public follows the closed loop, not only its own tips. Its
  ``service_request_id`` is the case number; several tips that were attached to one case share it;
- voided cases (不予立案, spam among them) are left out of lists, and shown by their number without their
  description;
- the reporter (name, phone, e-mail, account) is never read here: nothing below touches ``CaseReport`` or the
  sealed fields of ``Tip``.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from gridgov.cases.models import OPEN_STATES, Case, CaseState, Category
from gridgov.territory.models import LEVEL_CODE_LENGTH, Level, Region, subtree_range
from gridgov.tips.open311.errors import bad_request, not_found
from gridgov.tips.open311.params import MAX_RESULTS, Window, clean_text
from gridgov.tips.services.status import PUBLIC_NOTES


# --- jurisdiction -------------------------------------------------------------------------------------------
def open311_jurisdiction(jurisdiction_id) -> Region:
    """The county this request is about.

    ``jurisdiction_id`` is the county's 6-digit code (GB/T 2260). It may be left out when the deployment holds
    one county (or ``GRIDGOV_OPEN311_JURISDICTION`` names the one to serve); any other value is "not found".
    """
    code = clean_text(jurisdiction_id, "jurisdiction_id", max_length=40)
    configured = getattr(settings, "GRIDGOV_OPEN311_JURISDICTION", "") or ""
    counties = Region.objects.filter(level=Level.COUNTY, is_active=True).only("pk", "code", "name", "path")
    if code:
        if configured and code != configured:
            raise not_found(f"jurisdiction_id: {code[:20]} not found")
        county = counties.filter(code=code).first()
        if county is None:
            raise not_found(f"jurisdiction_id: {code[:20]} not found")
        return county
    if configured:
        county = counties.filter(code=configured).first()
        if county is None:
            raise not_found(f"jurisdiction_id: the configured county {configured} does not exist")
        return county
    found = _single_county(counties)
    if not found:
        raise not_found("jurisdiction_id: this endpoint serves no county yet")
    if len(found) > 1:
        raise bad_request("jurisdiction_id: not provided (this endpoint serves several counties)")
    return found[0]


def _single_county(counties) -> list[Region]:
    """Up to two counties, found from the top of the tree down through the (parent, code) index, so that a
    county deployment (the county is the root) answers in one indexed query, not a scan of every grid."""
    parents = counties.model.objects.filter(parent__isnull=True, is_active=True)
    for _depth in range(len(LEVEL_CODE_LENGTH)):
        nodes = list(parents.only("pk", "code", "name", "path", "level").order_by("code")[:200])
        found = [node for node in nodes if node.level == Level.COUNTY]
        if found or not nodes:
            return found[:2]
        parents = counties.model.objects.filter(parent__in=[n.pk for n in nodes], is_active=True)
    return []


# --- services -----------------------------------------------------------------------------------------------
def open311_services():
    return (
        Category.objects.filter(public=True, is_active=True, group__is_active=True)
        .select_related("group")
        .order_by("group__sort_order", "sort_order", "code")
    )


def open311_service(service_code) -> Category:
    code = clean_text(service_code, "service_code", max_length=100)
    if not code:
        raise bad_request("service_code: not provided")
    service = open311_services().filter(code=code).first()
    if service is None:
        raise not_found(f"service_code: {code} not found")
    return service


def open311_changeset():
    """When the list of services last changed (the discovery document's changeset)."""
    return Category.objects.filter(public=True).aggregate(latest=Max("updated_at"))["latest"]


def township_choices(county: Region) -> list[tuple[str, str]]:
    low, high = subtree_range(county.path)
    return list(
        Region.objects.filter(level=Level.TOWNSHIP, is_active=True, path__gte=low, path__lt=high)
        .order_by("code")
        .values_list("code", "name")
    )


# --- service requests ---------------------------------------------------------------------------------------
#: The columns a service request is made of, read as plain rows: a list holds up to 1,000 of them, and model
#: instances (with five related objects each) would cost several times the SQL.
REQUEST_COLUMNS = (
    "number",
    "state",
    "description",
    "address",
    "latitude",
    "longitude",
    "created_at",
    "updated_at",
    "due_at",
    "category__code",
    "category__name",
    "region__code",
    "unit_department__name",
    "unit_township__name",
    "merged_into__number",
    "merged_into__state",
)


@dataclass(frozen=True, slots=True)
class RequestRow:
    number: str
    state: str
    description: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    created_at: dt.datetime
    updated_at: dt.datetime
    due_at: dt.datetime | None
    service_code: str
    service_name: str
    region_code: str
    department_name: str | None
    township_name: str | None
    merged_into_number: str | None
    merged_into_state: str | None

    @property
    def agency(self) -> str | None:
        return self.department_name or self.township_name


def _requests(county: Region):
    low, high = subtree_range(county.path)
    return Case.objects.filter(category__public=True, region__path__gte=low, region__path__lt=high).order_by(
        "-created_at", "-id"
    )


def _rows(qs) -> list[RequestRow]:
    return [RequestRow(*values) for values in qs.values_list(*REQUEST_COLUMNS)]


def open311_request_list(
    *,
    county: Region,
    window: Window | None = None,
    service_codes: list[str] = (),
    statuses: list[str] = (),
    ids: list[str] = (),
    limit: int = MAX_RESULTS,
) -> list[RequestRow]:
    """GET requests. With ``ids`` every other filter is ignored, as GeoReport v2 says (voided cases included);
    otherwise the cases filed in ``window``, newest first, at most ``limit``."""
    qs = _requests(county)
    if ids:
        return _rows(qs.filter(number__in=ids)[:limit])
    qs = qs.exclude(state=CaseState.VOIDED)
    if window is not None:
        qs = qs.filter(created_at__gte=window.start, created_at__lte=window.end)
    if service_codes:
        qs = qs.filter(category__code__in=service_codes)
    if len(set(statuses)) == 1:
        qs = qs.filter(status_q(statuses[0]))
    return _rows(qs[:limit])


def open311_request_get(*, county: Region, service_request_id) -> RequestRow:
    number = clean_text(service_request_id, "service_request_id", max_length=40)
    rows = _rows(_requests(county).filter(number=number)[:1]) if number else []
    if not rows:
        raise not_found(f"service_request_id: {number[:40]} not found")
    return rows[0]


def unknown_service_codes(codes: list[str]) -> list[str]:
    known = set(
        Category.objects.filter(public=True, code__in=codes).order_by().values_list("code", flat=True)
    )
    return [code for code in codes if code not in known]


# --- one request as GeoReport v2 data ------------------------------------------------------------------------
#: The public note of each state: the tip line's own texts (``gridgov.tips.services.status``), so that Open311
#: and the tracking page say the same thing, without reading the timeline of every case in a list.
STATE_NOTE = {
    CaseState.REPORTED: "report",
    CaseState.REGISTERED: "register",
    CaseState.DISPATCHED: "dispatch",
    CaseState.HANDLING: "dispatch",
    CaseState.RESOLVED: "resolve",
    CaseState.CLOSED: "close",
    CaseState.VOIDED: "void",
}


def public_notes() -> dict[str, str]:
    """The public notes in the active language, translated once per answer rather than once per request."""
    return {action: str(text) for action, text in PUBLIC_NOTES.items()}


def request_status(row: RequestRow, notes: dict[str, str] | None = None) -> tuple[str, str]:
    """(open|closed, status_notes): the public meaning of the closed loop's state, never its internal detail
    (who handles it in person, remarks, the reporter). A merged case follows the case it was merged into, and
    its notes give that case's number."""
    notes = notes or public_notes()
    if row.state == CaseState.MERGED:
        status = "open" if row.merged_into_state in OPEN_STATES else "closed"
        return status, f"{notes['merge']} {row.merged_into_number or ''}".strip()
    status = "open" if row.state in OPEN_STATES else "closed"
    return status, notes[STATE_NOTE[row.state]]


def status_q(status: str) -> Q:
    open_q = Q(state__in=OPEN_STATES) | Q(state=CaseState.MERGED, merged_into__state__in=OPEN_STATES)
    return open_q if status == "open" else ~open_q


def request_document(row: RequestRow, tz=None, notes: dict[str, str] | None = None) -> dict:
    """One service request, with GeoReport v2's fields in its order and its times in gridgov's time zone."""
    tz = tz or timezone.get_current_timezone()
    status, notes = request_status(row, notes)
    voided = row.state == CaseState.VOIDED
    return {
        "service_request_id": row.number,
        "status": status,
        "status_notes": notes or None,
        "service_name": row.service_name,
        "service_code": row.service_code,
        "description": None if voided else row.description[:4000],
        "agency_responsible": row.agency,
        "service_notice": None,
        "requested_datetime": row.created_at.astimezone(tz).isoformat(timespec="seconds"),
        "updated_datetime": row.updated_at.astimezone(tz).isoformat(timespec="seconds"),
        "expected_datetime": row.due_at.astimezone(tz).isoformat(timespec="seconds") if row.due_at else None,
        "address": None if voided else (row.address or None),
        "address_id": row.region_code,
        "zipcode": None,
        "lat": None if voided or row.latitude is None else float(row.latitude),
        "long": None if voided or row.longitude is None else float(row.longitude),
        # Photos are left out: they are served to staff in scope only, and a photo can show who took it.
        "media_url": None,
    }


def request_documents(rows: list[RequestRow]) -> list[dict]:
    tz, notes = timezone.get_current_timezone(), public_notes()
    return [request_document(row, tz, notes) for row in rows]


__all__ = [
    "RequestRow",
    "open311_changeset",
    "open311_jurisdiction",
    "open311_request_get",
    "open311_request_list",
    "open311_service",
    "open311_services",
    "public_notes",
    "request_document",
    "request_documents",
    "request_status",
    "status_q",
    "township_choices",
    "unknown_service_codes",
]
