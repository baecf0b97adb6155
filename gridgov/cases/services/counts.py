"""The indicators' day counters (CaseDayCount), kept on write.

A case's *contribution* to the counters is a pure function of its row (``contribution``): 受理 on the day it
was filed, 立案 on the day it was registered, 派遣 on the day of its last dispatch for the unit it has now, and,
once closed, the closure family on the day it was closed (plus, if closed after its deadline, +1 on its deadline
day and −1 on its closure day in the ``late_*`` columns). A merged duplicate contributes nothing.

Every service that changes a case applies the difference between the case's contribution after and before the
change (``counts_apply``), in the same transaction: a return takes the dispatch back from its old day and unit, a
merge takes back the duplicate's 受理 and 立案, a closure adds its closure row. Counters therefore always equal
the sum of ``contribution`` over the cases, which ``counts_rebuild`` recomputes from scratch (the management
command ``cases_recount`` and the migration that created the table call it).

The SQL is one multi-row ``INSERT … ON CONFLICT DO UPDATE`` that adds the deltas (SQLite ≥ 3.24 and PostgreSQL
both have it); it is built once per set of columns.
"""

from collections import defaultdict
from functools import cache

from django.db import connection, transaction
from django.utils import timezone

#: Counted on the day the event happened: summed over a period's days.
DAY_COLUMNS = (
    "accepted",
    "registered",
    "dispatched",
    "closed",
    "closed_on_time",
    "closed_reworked",
    "closed_extended",
    "handled",
    "handling_us",
)
COLUMNS = (
    *DAY_COLUMNS,
    "late_due",
    "late_due_reworked",
    "late_due_extended",
    "late_closed",
    "late_closed_reworked",
    "late_closed_extended",
)
KEY_COLUMNS = ("day", "township_id", "department_key", "unit_township_key")
TABLE = "cases_casedaycount"
MERGED = "merged"

Deltas = dict[tuple, dict[str, int]]


def _day(moment):
    return timezone.localdate(moment)


def contribution(case) -> Deltas:
    """What one case adds to the counters, keyed by (day, township id, department id or 0, township-as-unit id
    or 0). ``case`` is a Case or anything with its attributes."""
    if case.state == MERGED:
        return {}
    out: Deltas = defaultdict(lambda: defaultdict(int))
    township = case.township_id
    out[(_day(case.created_at), township, 0, 0)]["accepted"] += 1
    if case.registered_at is not None:
        out[(_day(case.registered_at), township, 0, 0)]["registered"] += 1
    department, unit_township = case.unit_department_id or 0, case.unit_township_id or 0
    if case.dispatched_at is not None:
        out[(_day(case.dispatched_at), township, department, unit_township)]["dispatched"] += 1
    closed_at, due_at = case.closed_at, case.due_at
    if closed_at is not None and due_at is not None and not case.is_suspended:
        reworked, extended = int(case.rework_count > 0), int(case.extension_count > 0)
        row = out[(_day(closed_at), township, department, unit_township)]
        row["closed"] += 1
        row["closed_on_time"] += int(closed_at <= due_at)
        row["closed_reworked"] += reworked
        row["closed_extended"] += extended
        if case.dispatched_at is not None:
            row["handled"] += 1
            span = closed_at - case.dispatched_at
            row["handling_us"] += (span.days * 86400 + span.seconds) * 1_000_000 + span.microseconds
        if closed_at > due_at:  # late: 应结未结 from its deadline day until the day it was closed
            row["late_closed"] += 1
            row["late_closed_reworked"] += reworked
            row["late_closed_extended"] += extended
            due_row = out[(_day(due_at), township, department, unit_township)]
            due_row["late_due"] += 1
            due_row["late_due_reworked"] += reworked
            due_row["late_due_extended"] += extended
    return out


def difference(after: Deltas, before: Deltas) -> Deltas:
    """after − before, without the keys and columns that cancel out."""
    out: Deltas = {}
    for key in after.keys() | before.keys():
        a, b = after.get(key, {}), before.get(key, {})
        row = {c: a.get(c, 0) - b.get(c, 0) for c in a.keys() | b.keys()}
        row = {c: v for c, v in row.items() if v}
        if row:
            out[key] = row
    return out


@cache
def _upsert_sql(columns: tuple[str, ...], rows: int, vendor: str) -> str:
    names = [*KEY_COLUMNS, *columns]
    one = "(" + ", ".join(["%s"] * len(names)) + ")"
    updates = ", ".join(f"{c} = {TABLE}.{c} + excluded.{c}" for c in columns)
    return (
        f"INSERT INTO {TABLE} ({', '.join(names)}) VALUES {', '.join([one] * rows)} "
        f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {updates}"
    )


def counts_statement(deltas: Deltas) -> tuple[str, list] | None:
    """The one statement that adds ``deltas`` to the counters, whatever the number of rows; None if empty."""
    if not deltas:
        return None
    columns = tuple(sorted({c for row in deltas.values() for c in row}, key=COLUMNS.index))
    params = []
    for (day, township, department, unit_township), row in sorted(deltas.items()):
        params += [connection.ops.adapt_datefield_value(day), township, department, unit_township]
        params += [row.get(c, 0) for c in columns]
    return _upsert_sql(columns, len(deltas), connection.vendor), params


def counts_run(statement: tuple[str, list] | None) -> None:
    if statement is not None:
        with connection.cursor() as cursor:
            cursor.execute(*statement)


def counts_apply(deltas: Deltas) -> None:
    """Adds ``deltas`` to the counters (one statement; none if nothing changes)."""
    counts_run(counts_statement(deltas))


def case_counts_change(before: Deltas, case) -> None:
    """Applies what a change to ``case`` did to the counters, given its contribution before the change."""
    counts_apply(difference(contribution(case), before))


#: The Case columns ``contribution`` reads.
FACT_FIELDS = (
    "state",
    "township_id",
    "unit_department_id",
    "unit_township_id",
    "created_at",
    "registered_at",
    "dispatched_at",
    "due_at",
    "closed_at",
    "is_suspended",
    "rework_count",
    "extension_count",
)


class _Facts:
    __slots__ = FACT_FIELDS

    def __init__(self, values):
        for name, value in zip(FACT_FIELDS, values, strict=True):
            setattr(self, name, value)


def recount(case_model) -> Deltas:
    """The counters as they should be, from every case (``case_model`` may be a migration's historical model)."""
    total: Deltas = defaultdict(lambda: defaultdict(int))
    for values in case_model.objects.order_by().values_list(*FACT_FIELDS).iterator(chunk_size=5000):
        for key, row in contribution(_Facts(values)).items():
            target = total[key]
            for column, value in row.items():
                target[column] += value
    return {key: {c: v for c, v in row.items() if v} for key, row in total.items() if any(row.values())}


def stored(count_model) -> Deltas:
    """The counters as stored, in the shape ``recount`` gives (rows and columns that are all zero left out)."""
    out = {}
    for values in count_model.objects.values_list("day", "township_id", *KEY_COLUMNS[2:], *COLUMNS):
        row = {c: v for c, v in zip(COLUMNS, values[4:], strict=True) if v}
        if row:
            out[tuple(values[:4])] = row
    return out


def counts_rebuild(case_model=None, count_model=None) -> int:
    """Replaces every counter with a recount from the cases; returns the number of rows written."""
    if case_model is None:
        from gridgov.cases.models import Case as case_model
        from gridgov.cases.models import CaseDayCount as count_model
    rows = recount(case_model)
    with transaction.atomic():
        count_model.objects.all().delete()
        count_model.objects.bulk_create(
            [
                count_model(
                    day=day,
                    township_id=township,
                    department_key=department,
                    unit_township_key=unit_township,
                    **row,
                )
                for (day, township, department, unit_township), row in rows.items()
            ],
            batch_size=2000,
        )
    return len(rows)
