"""Filing a case: from a grid worker's phone, a hotline call, a referral; later the tip line, inspections and
sensors call the same service."""

import contextlib
import math
import threading

try:
    import fcntl
except ImportError:  # not on Windows: there the busy handler alone serialises writers
    fcntl = None
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.models import OPEN_STATES, Case, CaseCounter, CaseEvent, CaseReport, CaseSource, Category
from gridgov.cases.policies import CasePolicy
from gridgov.cases.services import hotpath
from gridgov.cases.services.counts import contribution, counts_run, counts_statement
from gridgov.core.audit import audit_entry
from gridgov.core.crypto import seal
from gridgov.core.exceptions import InvalidInput, NotAllowed
from gridgov.core.identity import IdentityError, mask_phone, normalize_phone
from gridgov.territory.models import Department, Level, Region

#: Digits of a case number's daily sequence (more only past 99,999 cases in a day).
NUMBER_DIGITS = 5


def next_case_number(day) -> str:
    """'YYYYMMDD' + a 5-digit daily sequence. One UPDATE … RETURNING takes the row lock and the number at once;
    callers take it as late as they can, since the lock lasts until their transaction commits."""
    table = connection.ops.quote_name(CaseCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE day = %s RETURNING last", [day])
        row = cursor.fetchone()
        if row is None:  # the day's first case: make the day's row, then take its first number the same way
            CaseCounter.objects.get_or_create(day=day)
            cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE day = %s RETURNING last", [day])
            row = cursor.fetchone()
    return f"{day:%Y%m%d}{row[0]:0{NUMBER_DIGITS}d}"


def township_of(region: Region) -> Region:
    """The township a region lies in. Walks parents already loaded with the region (``select_related``), and
    asks the database only when they were not."""
    node = region
    while node.level != Level.TOWNSHIP and node.level in (Level.VILLAGE, Level.GRID):
        if not Region.parent.is_cached(node):
            break
        node = node.parent
        if node is None:
            break
    if node is not None and node.level == Level.TOWNSHIP:
        return node
    township = Region.objects.filter(code__in=region.ancestor_codes(), level=Level.TOWNSHIP).first()
    if township is None:
        raise InvalidInput(fields={"region": [_("发生地须在某个乡镇(街道)之内。")]})
    return township


def _coordinate(value, low, high, field):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except Exception as exc:
        raise InvalidInput(fields={field: [_("坐标无效。")]}) from exc
    if not low <= number <= high:
        raise InvalidInput(fields={field: [_("坐标超出范围。")]})
    return number


_SQLITE_WRITER = threading.Lock()


@contextlib.contextmanager
def _queued(lock_path: str):
    with _SQLITE_WRITER, open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
        yield


def _one_writer():
    """On SQLite, filings queue on locks of their own (a thread lock in the process, an OS file lock beside the
    database across processes) instead of on SQLite's busy handler, which sleeps in steps of up to 100 ms while
    another writer holds the database; under concurrent filings that sleeping, not the writing, was most of the
    time. Only a transaction of its own queues: one nested in a caller's transaction may already hold the
    database's lock, and waiting here for a writer that waits for it would deadlock."""
    if connection.vendor != "sqlite" or connection.in_atomic_block or fcntl is None:
        return contextlib.nullcontext()
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        return _SQLITE_WRITER
    return _queued(name + ".writers")


def case_report(
    *,
    actor,
    category: Category,
    region: Region,
    title: str,
    description: str,
    source: str = CaseSource.GRID_REPORT,
    address: str = "",
    latitude=None,
    longitude=None,
    reporter_name: str = "",
    reporter_contact: str = "",
) -> Case:
    """Files a case in state 已受理. ``actor=None`` is a system source (the tip line, a sensor).

    The returned case carries ``filed_event``, the timeline's first event."""
    if source not in CaseSource.values:
        raise InvalidInput(fields={"source": [_("来源无效。")]})
    if category is None or not category.is_active:
        raise InvalidInput(fields={"category": [_("请选择在用的类别。")]})
    if (
        region is None
        or region.level not in (Level.TOWNSHIP, Level.VILLAGE, Level.GRID)
        or not region.is_active
    ):
        raise InvalidInput(fields={"region": [_("发生地须为乡镇、村或网格。")]})
    if actor is not None and not CasePolicy.can_report(actor, region):
        raise NotAllowed(_("该地点不在您的管辖范围内。"))
    title, description = (title or "").strip(), (description or "").strip()
    errors = {}
    if not title:
        errors["title"] = [_("请填写标题。")]
    elif len(title) > 100:
        errors["title"] = [_("标题不能超过 100 个字。")]
    if not description:
        errors["description"] = [_("请描述问题。")]
    if errors:
        raise InvalidInput(fields=errors)
    contact_sealed = contact_masked = ""
    if reporter_contact.strip():
        try:
            phone = normalize_phone(reporter_contact)
        except IdentityError as exc:
            raise InvalidInput(fields={"reporter_contact": [str(exc)]}) from exc
        contact_sealed, contact_masked = seal(phone), mask_phone(phone)
    now = timezone.now()
    # Everything is checked and built before the transaction: it holds the case-number row (on SQLite, the
    # database's write lock) only for the writes themselves.
    case = Case(
        category=category,
        region=region,
        township=township_of(region),
        source=source,
        title=title,
        description=description,
        address=(address or "").strip()[:200],
        latitude=_coordinate(latitude, -90, 90, "latitude"),
        longitude=_coordinate(longitude, -180, 180, "longitude"),
        reported_by=actor,
    )
    report = CaseReport(
        case=case,
        source=source,
        reporter=actor,
        reporter_name=(reporter_name or "").strip()[:50],
        reporter_contact_sealed=contact_sealed,
        reporter_contact_masked=contact_masked,
        description=description,
    )
    # Kept on the case for the adapters that answer with the case just filed (its whole timeline so far).
    case.filed_event = CaseEvent(case=case, action="report", actor=actor, to_state=case.state, note=title)
    # The statements are prepared here (services.hotpath: save(force_insert=True) on statements built once per
    # process); the transaction only fills in the number and the new case's id and runs them.
    case.number = ""
    inserts = [hotpath.Insert(case), hotpath.Insert(report), hotpath.Insert(case.filed_event)]
    counted = counts_statement(contribution(case))  # 受理 on the indicators' day counters
    audit = audit_entry(
        actor=actor,
        action="case.report",
        obj=case,
        changes={"category": category.code, "region": region.code},
    )
    day = timezone.localdate(now)
    audit_insert = hotpath.Insert(audit)
    if connection.vendor in ONE_STATEMENT and not any(i.direct for i in [*inserts, audit_insert]):
        _file_in_one_statement(day, inserts, counted, audit_insert)
        return case
    with _one_writer(), transaction.atomic():
        inserts[0].set("number", next_case_number(day)).run()
        for insert in inserts[1:]:
            insert.set("case_id", case.pk).run()
        counts_run(counted)
        audit_insert.set("object_id", str(case.pk)).set("object_repr", str(case)[:200]).run()
    return case


#: Databases on which a filing's writes go as one statement (data-modifying WITH queries).
ONE_STATEMENT = frozenset({"postgresql"})


def _file_in_one_statement(day, inserts, counted, audit) -> None:
    """On PostgreSQL, the filing's writes as one statement (data-modifying WITH queries): the day's number, the
    case, its report and first event, the day counters and the audit row, exactly the rows the statements of the
    other path write. One round trip instead of eight, and, outside a caller's transaction, a statement of its own
    is its own transaction: the number's row lock lasts only while the statement runs and commits, so that
    concurrent filings queue on it for that long and numbers stay gap-free."""
    case_insert, report_insert, event_insert = inserts
    counter = connection.ops.quote_name(CaseCounter._meta.db_table)
    parts = [
        f"n AS (INSERT INTO {counter} (day, last) VALUES (%s, 1) ON CONFLICT (day) DO UPDATE "
        f"SET last = {counter}.last + 1 RETURNING last)"
    ]
    params = [connection.ops.adapt_datefield_value(day)]
    digits = f"greatest({NUMBER_DIGITS}, length(last::text))"
    number = (f"(SELECT %s || lpad(last::text, {digits}, '0') FROM n)", [f"{day:%Y%m%d}"])
    new_case = ("(SELECT id FROM c)", [])
    # str(case) is "number title"
    audit_columns = {
        "object_id": ("(SELECT id::text FROM c)", []),
        "object_repr": ("(SELECT number || %s FROM c)", [f" {case_insert.obj.title}"]),
    }
    for name, insert, expressions, returning in (
        ("c", case_insert, {"number": number}, ("number",)),
        ("r", report_insert, {"case_id": new_case}, ()),
        ("e", event_insert, {"case_id": new_case}, ()),
        ("a", audit, audit_columns, ()),
    ):
        sql, values = insert.values_sql(expressions, returning)
        parts.append(f"{name} AS ({sql})")
        params += values
    if counted is not None:
        parts.append(f"d AS ({counted[0]})")
        params += counted[1]
    sql = "WITH " + ", ".join(parts) + " SELECT c.id, c.number, r.id, e.id, a.id FROM c, r, e, a"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        case_id, case_number, *ids = cursor.fetchone()
    case = case_insert.obj
    case_insert.inserted(case_id)
    case.number = case_number
    for insert, pk in zip((report_insert, event_insert, audit), ids, strict=True):
        if insert is not audit:
            insert.obj.case_id = case_id
        insert.inserted(pk)
    audit.obj.object_id, audit.obj.object_repr = str(case_id), str(case)[:200]


def case_routing(case: Case) -> dict:
    """What the dispatcher sees: the township the place lies in, and the department the category suggests."""
    department = None
    if case.category.default_department_code:
        county = Region.objects.filter(code__in=case.region.ancestor_codes(), level=Level.COUNTY).first()
        department = Department.objects.filter(
            county=county, code=case.category.default_department_code, is_active=True
        ).first()
    return {"township": case.township, "department": department}


def _distance_m(lat1, lng1, lat2, lng2) -> float:
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lng2) - float(lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


#: The most suspected duplicates shown beside a case.
DUPLICATES_SHOWN = 10
#: What a suspected duplicate is read with (in model order, as ``only()`` would): its brief, place and region.
DUPLICATE_FIELDS = tuple(
    f.attname
    for f in Case._meta.concrete_fields
    if f.attname in {"id", "number", "title", "state", "created_at", "latitude", "longitude", "region_id"}
)
REGION_FIELDS = tuple(f.attname for f in Region._meta.concrete_fields if f.attname in {"id", "name", "path"})


def _duplicates_sql(near: bool = False) -> str:
    where = "c.region_id = %s"
    if near:
        where = f"({where} OR (c.latitude >= %s AND c.latitude <= %s AND c.longitude >= %s AND c.longitude <= %s))"
    states = ", ".join(["%s"] * len(OPEN_STATES))
    return (
        f"SELECT {hotpath.select_list(Case, 'c', DUPLICATE_FIELDS)}, {hotpath.select_list(Region, 'r', REGION_FIELDS)} "
        "FROM cases_case c JOIN territory_region r ON r.id = c.region_id "
        f"WHERE {where} AND c.category_id = %s AND c.township_id = %s AND c.created_at >= %s "
        f"AND c.state IN ({states}) AND c.id <> %s ORDER BY c.created_at LIMIT %s"
    )


def _duplicates_near_sql() -> str:
    return _duplicates_sql(near=True)


def case_duplicates(case: Case) -> list[Case]:
    """Open cases of the same category that look like the same problem: in the same grid (or village/township),
    or within GRIDGOV_DUPLICATE_METERS of it, filed within GRIDGOV_DUPLICATE_HOURS. Oldest first.

    The database narrows to the same region or, for a case with coordinates, a box around it (an index range on
    category, township and time does the rest); the exact distance is checked here on the few rows left."""
    since = case.created_at - timedelta(hours=settings.GRIDGOV_DUPLICATE_HOURS)
    meters = settings.GRIDGOV_DUPLICATE_METERS
    params = [case.region_id]
    if case.latitude is not None and case.longitude is not None:
        lat, lng = float(case.latitude), float(case.longitude)
        dlat = meters / 111_000 + 1e-6
        dlng = meters / (111_000 * max(math.cos(math.radians(lat)), 0.01)) + 1e-6
        latitude, longitude = Case._meta.get_field("latitude"), Case._meta.get_field("longitude")
        params += [
            latitude.get_db_prep_value(Decimal(str(round(lat - dlat, 6))), connection),
            latitude.get_db_prep_value(Decimal(str(round(lat + dlat, 6))), connection),
            longitude.get_db_prep_value(Decimal(str(round(lng - dlng, 6))), connection),
            longitude.get_db_prep_value(Decimal(str(round(lng + dlng, 6))), connection),
        ]
        sql = hotpath.prepared(_duplicates_near_sql)
        limit = DUPLICATES_SHOWN * 5  # some in the box lie outside the circle
    else:
        sql = hotpath.prepared(_duplicates_sql)
        limit = DUPLICATES_SHOWN  # every candidate is in the same region
    params += [case.category_id, case.township_id, connection.ops.adapt_datetimefield_value(since)]
    params += [*OPEN_STATES, case.pk, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    width = len(DUPLICATE_FIELDS)
    candidates = []
    for row in rows:
        other = hotpath.instance(Case, row[:width], DUPLICATE_FIELDS)
        other.region = hotpath.instance(Region, row[width:], REGION_FIELDS)
        candidates.append(other)
    found = []
    for other in candidates:
        same_place = other.region_id == case.region_id
        near = (
            case.latitude is not None
            and other.latitude is not None
            and _distance_m(case.latitude, case.longitude, other.latitude, other.longitude) <= meters
        )
        if same_place or near:
            found.append(other)
            if len(found) == DUPLICATES_SHOWN:
                break
    return found
