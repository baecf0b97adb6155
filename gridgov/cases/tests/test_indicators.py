"""The standard indicators (gridgov.cases.indicators) on a hand-computed example: fifteen cases moved through the
loop by the services, their timestamps then placed around March 2026 (docs/indicators.md works the same example).
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.cases.indicators import (
    GROUP_DEPARTMENT,
    GROUP_TOWNSHIP,
    GROUP_UNIT_TOWNSHIP,
    Period,
    indicator_table,
    period_preset,
    ratio,
)
from gridgov.cases.models import Case, CaseState, Category
from gridgov.cases.services.counts import counts_rebuild
from gridgov.cases.services.extras import case_merge
from gridgov.cases.services.intake import case_report
from gridgov.cases.services.loop import (
    case_accept,
    case_approve_extension,
    case_close,
    case_dispatch,
    case_register,
    case_request_extension,
    case_resolve,
    case_return,
    case_rework,
    case_suspend,
    case_void,
)
from gridgov.conftest import make_user
from gridgov.core.roles import Role
from gridgov.core.scope import forget_scope
from gridgov.territory.models import Level, Region
from gridgov.territory.services import DivisionRow, department_upsert, divisions_import, grant_add

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def at(month: int, day: int, hour: int = 9) -> dt.datetime:
    """A local (Asia/Shanghai) time in 2026."""
    return timezone.make_aware(dt.datetime(2026, month, day, hour), timezone.get_default_timezone())


class Loop:
    """Moves cases through the loop with the fixture's users, as the services require."""

    def __init__(self, t):
        self.t = t
        self.category = Category.objects.get(code="air_open_burning")
        self.supervisor, self.commander = t.user("supervisor"), t.user("commander")

    def report(self, township: str) -> Case:
        grid, reporter = (
            (self.t.grid_a1_1, self.t.user("grid_a"))
            if township == "A"
            else (self.t.grid_b1_1, self.t.user("grid_b"))
        )
        return case_report(
            actor=reporter, category=self.category, region=grid, title="秸秆焚烧", description="田间焚烧秸秆"
        )

    def dispatched(self, township: str, unit) -> Case:
        case = self.report(township)
        case_register(actor=self.supervisor, case=case)
        if isinstance(unit, Region):
            case_dispatch(actor=self.commander, case=case, township=unit)
        else:
            case_dispatch(actor=self.commander, case=case, department=unit)
        return case

    def unit_user(self, case: Case):
        case.refresh_from_db()
        if case.unit_township_id:
            return self.t.user("township_a")
        return self.t.user("officer" if case.unit_department_id == self.t.department.pk else "other_officer")

    def accept_and_resolve(self, case: Case) -> None:
        unit = self.unit_user(case)
        case_accept(actor=unit, case=case)
        case_resolve(actor=unit, case=case, note="已处置")

    def closed(self, township: str, unit, *, rework: bool = False) -> Case:
        case = self.dispatched(township, unit)
        self.accept_and_resolve(case)
        if rework:
            case_rework(actor=self.supervisor, case=case, note="现场仍有焚烧痕迹")
            case_resolve(actor=self.unit_user(case), case=case, note="已再次清理")
        case_close(actor=self.supervisor, case=case)
        return case


def place(case: Case, **times) -> None:
    """Moves a case's timestamps to where the example needs them (the services stamp 'now')."""
    Case.objects.filter(pk=case.pk).update(**times)


@pytest.fixture
def example(territory):
    """Fifteen cases; the comment on each says where it counts in March 2026 (period [03-01, 04-01) local)."""
    loop = Loop(territory)
    dept, other, township_a = territory.department, territory.other_department, territory.township_a
    cases = {}

    # c1 (A, 应急局): accepted, registered, dispatched in March; due 03-05, closed 03-04: on time.
    cases[1] = c = loop.closed("A", dept)
    place(
        c,
        created_at=at(3, 2),
        registered_at=at(3, 2),
        dispatched_at=at(3, 3),
        due_at=at(3, 5),
        closed_at=at(3, 4),
    )
    # c2 (A, 应急局): reworked once; due 03-10, closed 03-12: late.
    cases[2] = c = loop.closed("A", dept, rework=True)
    place(
        c,
        created_at=at(3, 5),
        registered_at=at(3, 5),
        dispatched_at=at(3, 6),
        due_at=at(3, 10),
        closed_at=at(3, 12),
    )
    # c3 (A, 应急局): one approved extension moved the deadline to 03-25; still open: due, not closed.
    cases[3] = c = loop.dispatched("A", dept)
    officer = territory.user("officer")
    case_accept(actor=officer, case=c)
    case_request_extension(actor=officer, case=c, note="需协调农机", value=2, unit="days")
    case_approve_extension(actor=loop.commander, case=c)
    place(c, created_at=at(3, 10), registered_at=at(3, 10), dispatched_at=at(3, 11), due_at=at(3, 25))
    # c4 (A): voided (不予立案) on the day it was accepted: 受理 only.
    cases[4] = c = loop.report("A")
    case_void(actor=loop.supervisor, case=c, note="重复上报")
    place(c, created_at=at(3, 15), voided_at=at(3, 15))
    # c5 (A): registered, not yet dispatched.
    cases[5] = c = loop.report("A")
    case_register(actor=loop.supervisor, case=c)
    place(c, created_at=at(3, 20), registered_at=at(3, 21))
    # c6 (A, dispatched to 常营镇 as the unit): due 04-05, after the period: not 应结案 in March.
    cases[6] = c = loop.dispatched("A", township_a)
    place(c, created_at=at(3, 28), registered_at=at(3, 29), dispatched_at=at(3, 30), due_at=at(4, 5))
    # c7 (B, 环境攻坚办): from February, due 02-25, still open: carried over into March's 应结案 (往期应结未结).
    cases[7] = c = loop.dispatched("B", other)
    case_accept(actor=territory.user("other_officer"), case=c)
    place(c, created_at=at(2, 20), registered_at=at(2, 20), dispatched_at=at(2, 21), due_at=at(2, 25))
    # c8 (B, 应急局): from February, due 02-28, closed 03-03: 应结案 and 结案 in March, late.
    cases[8] = c = loop.closed("B", dept)
    place(
        c,
        created_at=at(2, 25),
        registered_at=at(2, 25),
        dispatched_at=at(2, 26),
        due_at=at(2, 28),
        closed_at=at(3, 3),
    )
    # c9 (B, 环境攻坚办): due 04-10 but closed early, 03-31: counts where it was closed, on time.
    cases[9] = c = loop.dispatched("B", other)
    # c13 (B): a duplicate of c9, merged into it: counts nowhere.
    cases[13] = dup = loop.report("B")
    case_merge(actor=loop.supervisor, case=dup, into=c)
    place(dup, created_at=at(3, 12))
    loop.accept_and_resolve(c)
    case_close(actor=loop.supervisor, case=c)
    place(
        c,
        created_at=at(3, 25),
        registered_at=at(3, 25),
        dispatched_at=at(3, 26),
        due_at=at(4, 10),
        closed_at=at(3, 31),
    )
    # c10 (B): accepted at 23:00 on the last day of the period: in.
    cases[10] = c = loop.report("B")
    place(c, created_at=at(3, 31, 23))
    # c11 (B): accepted at 00:00 on 04-01: out (the period's end is exclusive).
    cases[11] = c = loop.report("B")
    place(c, created_at=at(4, 1, 0))
    # c12 (A, 应急局): all of it in February: counts nowhere in March.
    cases[12] = c = loop.closed("A", dept)
    place(
        c,
        created_at=at(2, 10),
        registered_at=at(2, 10),
        dispatched_at=at(2, 11),
        due_at=at(2, 15),
        closed_at=at(2, 14),
    )
    # c14 (A, 应急局): suspended (挂账): accepted, registered, dispatched in March, but not 应结案 while suspended.
    cases[14] = c = loop.dispatched("A", dept)
    case_suspend(actor=loop.commander, case=c, note="等待上级认定")
    place(c, created_at=at(3, 3), registered_at=at(3, 3), dispatched_at=at(3, 4), due_at=at(3, 8))
    # c15 (A): dispatched to 环境攻坚办, returned (回退), re-dispatched to 应急局 on 03-08; closed 03-17, due 03-18.
    cases[15] = c = loop.report("A")
    case_register(actor=loop.supervisor, case=c)
    case_dispatch(actor=loop.commander, case=c, department=other)
    case_return(actor=territory.user("other_officer"), case=c, note="不属于本部门职责")
    case_dispatch(actor=loop.commander, case=c, department=dept)
    loop.accept_and_resolve(c)
    case_close(actor=loop.supervisor, case=c)
    place(
        c,
        created_at=at(3, 6),
        registered_at=at(3, 6),
        dispatched_at=at(3, 8),
        due_at=at(3, 18),
        closed_at=at(3, 17),
    )
    # place() moved timestamps behind the services' back: the day counters are recounted as after a repair
    # (manage.py cases_recount). test_counts.py checks the services keep them equal to a recount on their own.
    counts_rebuild()
    return cases


def by_key(table):
    return {row.key: row for row in table.rows}


def test_example_states_are_what_the_services_made(example):
    states = dict(Case.objects.values_list("pk", "state"))
    assert states[example[4].pk] == CaseState.VOIDED
    assert states[example[13].pk] == CaseState.MERGED
    assert states[example[3].pk] == CaseState.HANDLING
    assert Case.objects.get(pk=example[2].pk).rework_count == 1
    assert Case.objects.get(pk=example[3].pk).extension_count == 1
    assert Case.objects.get(pk=example[15].pk).return_count == 1
    assert Case.objects.get(pk=example[14].pk).is_suspended


def test_county_totals_by_hand(territory, example):
    table = indicator_table(user=territory.user("admin"), group=GROUP_TOWNSHIP, period=MARCH)
    total = table.total
    # 受理 (created in March, merged c13 left out): c1 c2 c3 c4 c5 c6 c9 c10 c14 c15 = 10 (c7 c8 c12 Feb, c11 Apr)
    assert total.accepted == 10
    # 立案 (registered in March): c1 c2 c3 c5 c6 c9 c14 c15 = 8 (c4 voided, c10 not registered)
    assert total.registered == 8
    assert total.register_rate == Decimal("0.8000")  # 8 / 10
    # 派遣 (last dispatch in March): c1 c2 c3 c6 c9 c14 c15 = 7 (c15's first dispatch was returned: counted once)
    assert total.dispatched == 7
    assert total.dispatch_rate == Decimal("0.8750")  # 7 / 8
    # 应结案: c1 c2 c3 (fell due), c7 (overdue backlog), c8 (backlog closed in March), c9 (closed early), c15 = 7;
    # not c6 (due in April), c12 (closed in Feb), c14 (suspended)
    assert total.due == 7
    # 结案: c1 c2 c8 c9 c15 = 5 → 5/7 = 0.714285… → 0.7143
    assert total.closed == 5
    assert total.close_rate == Decimal("0.7143")
    # 按期结案: c1 (03-04 ≤ 03-05), c9 (03-31 ≤ 04-10), c15 (03-17 ≤ 03-18) = 3; c2 and c8 late → 3/7 = 0.4286
    assert total.closed_on_time == 3
    assert total.on_time_rate == Decimal("0.4286")
    # 返工: c2 → 1/7 = 0.1429; 延期: c3 → 1/7 = 0.1429
    assert (total.reworked, total.rework_rate) == (1, Decimal("0.1429"))
    assert (total.extended, total.extension_rate) == (1, Decimal("0.1429"))
    assert total.open_due == 2  # c3, c7
    # handling time (closed_at − dispatched_at, wall clock): c1 24 h, c2 144 h, c8 120 h (02-26 → 03-03 in a
    # 28-day February), c9 120 h, c15 216 h: 624 h / 5 = 124.8 h
    assert total.handled == 5
    assert total.average_handling_hours == Decimal("124.8")


def test_by_township_by_hand(territory, example):
    table = indicator_table(user=territory.user("admin"), group=GROUP_TOWNSHIP, period=MARCH)
    assert [row.code for row in table.rows] == [territory.township_a.code, territory.township_b.code]
    a, b = table.rows
    # 常营镇 (A): 受理 c1 c2 c3 c4 c5 c6 c14 c15 = 8; 立案 c1 c2 c3 c5 c6 c14 c15 = 7 → 7/8 = 0.875;
    # 派遣 c1 c2 c3 c6 c14 c15 = 6 → 6/7 = 0.857142… → 0.8571
    assert (a.accepted, a.registered, a.dispatched) == (8, 7, 6)
    assert (a.register_rate, a.dispatch_rate) == (Decimal("0.8750"), Decimal("0.8571"))
    # 应结案 c1 c2 c3 c15 = 4; 结案 c1 c2 c15 = 3 → 0.75; 按期 c1 c15 = 2 → 0.5; 返工 c2, 延期 c3 → 0.25 each
    assert (a.due, a.closed, a.closed_on_time, a.reworked, a.extended) == (4, 3, 2, 1, 1)
    assert (a.close_rate, a.on_time_rate) == (Decimal("0.7500"), Decimal("0.5000"))
    assert (a.rework_rate, a.extension_rate) == (Decimal("0.2500"), Decimal("0.2500"))
    assert a.average_handling_hours == Decimal("128.0")  # (24 + 144 + 216) / 3
    # 王集乡 (B): 受理 c9 c10 = 2 (c13 merged); 立案 c9 = 1 → 0.5; 派遣 c9 = 1 → 1
    assert (b.accepted, b.registered, b.dispatched) == (2, 1, 1)
    assert (b.register_rate, b.dispatch_rate) == (Decimal("0.5000"), Decimal("1.0000"))
    # 应结案 c7 c8 c9 = 3; 结案 c8 c9 = 2 → 0.6667; 按期 c9 → 0.3333; no rework, no extension → 0 (not None)
    assert (b.due, b.closed, b.closed_on_time) == (3, 2, 1)
    assert (b.close_rate, b.on_time_rate) == (Decimal("0.6667"), Decimal("0.3333"))
    assert (b.rework_rate, b.extension_rate) == (Decimal("0.0000"), Decimal("0.0000"))
    assert b.average_handling_hours == Decimal("120.0")  # (120 + 120) / 2


def test_by_department_by_hand(territory, example):
    table = indicator_table(user=territory.user("admin"), group=GROUP_DEPARTMENT, period=MARCH)
    rows = by_key(table)
    assert set(rows) == {territory.department.pk, territory.other_department.pk}
    dept, other = rows[territory.department.pk], rows[territory.other_department.pk]
    # 受理 and 立案 have no unit: not applicable per department, and so are their rates
    assert (dept.accepted, dept.registered, dept.register_rate, dept.dispatch_rate) == (
        None,
        None,
        None,
        None,
    )
    # 应急局: 派遣 c1 c2 c3 c14 c15 = 5; 应结案 c1 c2 c3 c8 c15 = 5; 结案 c1 c2 c8 c15 = 4 → 0.8;
    # 按期 c1 c15 → 0.4; 返工 c2 → 0.2; 延期 c3 → 0.2; handling (24 + 144 + 120 + 216) / 4 = 126 h
    assert (dept.dispatched, dept.due, dept.closed, dept.closed_on_time) == (5, 5, 4, 2)
    assert (dept.close_rate, dept.on_time_rate) == (Decimal("0.8000"), Decimal("0.4000"))
    assert (dept.rework_rate, dept.extension_rate) == (Decimal("0.2000"), Decimal("0.2000"))
    assert dept.average_handling_hours == Decimal("126.0")
    # 环境攻坚办: 派遣 c9 = 1 (c15 was returned and now belongs to 应急局); 应结案 c7 c9; 结案 c9 on time → 0.5
    assert (other.dispatched, other.due, other.closed, other.closed_on_time) == (1, 2, 1, 1)
    assert (other.close_rate, other.on_time_rate, other.rework_rate) == (
        Decimal("0.5000"),
        Decimal("0.5000"),
        Decimal("0.0000"),
    )
    assert other.average_handling_hours == Decimal("120.0")
    # the total is over cases with a department; c6 went to a township
    assert (table.total.dispatched, table.total.due, table.total.closed) == (6, 7, 5)
    assert table.total.accepted is None and table.total.register_rate is None


def test_township_as_unit_and_zero_denominators(territory, example):
    table = indicator_table(user=territory.user("admin"), group=GROUP_UNIT_TOWNSHIP, period=MARCH)
    # only 常营镇 ever had a case dispatched to it (c6, due in April): 派遣 1, nothing 应结案 yet
    assert [row.key for row in table.rows] == [territory.township_a.pk]
    row = table.rows[0]
    assert (row.dispatched, row.due) == (1, 0)
    assert row.close_rate is None and row.on_time_rate is None and row.rework_rate is None
    assert row.extension_rate is None and row.average_handling_hours is None


def test_empty_period_gives_zero_counts_and_no_rates(territory, example):
    january = Period(dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    table = indicator_table(user=territory.user("admin"), group=GROUP_TOWNSHIP, period=january)
    # every township in reach is listed, with zeros, and every rate is None ("—" on the page), never 0 or an error
    assert len(table.rows) == 2
    for row in [*table.rows, table.total]:
        assert (row.accepted, row.registered, row.dispatched, row.due) == (0, 0, 0, 0)
        for rate in (row.register_rate, row.dispatch_rate, row.close_rate, row.on_time_rate, row.rework_rate):
            assert rate is None
        assert row.average_handling_hours is None


def test_ratio():
    assert ratio(0, 0) is None
    assert ratio(3, 0) is None
    assert ratio(0, 4) == Decimal("0.0000")
    assert ratio(2, 3) == Decimal("0.6667")
    assert ratio(1, 8) == Decimal("0.1250")


def test_township_officer_sees_only_their_township(territory, example):
    user = territory.user("township_a")
    table = indicator_table(user=user, group=GROUP_TOWNSHIP, period=MARCH)
    assert [row.key for row in table.rows] == [territory.township_a.pk]
    # the same numbers as 常营镇's row for the admin, and B's cases (c7 c8 c9 c10) nowhere in the total
    assert (table.total.accepted, table.total.registered, table.total.due, table.total.closed) == (8, 7, 4, 3)
    departments = by_key(indicator_table(user=user, group=GROUP_DEPARTMENT, period=MARCH))
    # 应急局 in 常营镇 only: 应结案 c1 c2 c3 c15 (not B's c8); 环境攻坚办 has nothing in 常营镇
    assert departments[territory.department.pk].due == 4
    assert departments[territory.other_department.pk].due == 0


def test_department_officer_sees_their_department(territory, example):
    table = indicator_table(user=territory.user("other_officer"), group=GROUP_DEPARTMENT, period=MARCH)
    rows = by_key(table)
    assert rows[territory.other_department.pk].due == 2  # c7, c9
    assert table.total.due == 2  # 应急局's cases are not visible to 环境攻坚办


def test_merged_duplicate_counts_nowhere(territory, example):
    # c13 was created in March in 王集乡; were it counted, B would have 受理 3
    table = indicator_table(user=territory.user("admin"), group=GROUP_TOWNSHIP, period=MARCH)
    assert by_key(table)[territory.township_b.pk].accepted == 2


def _grow_county(territory, n: int) -> None:
    """n more townships, each with a case dispatched to a new department and closed, and one dispatched to the
    township itself."""
    loop = Loop(territory)
    rows = [
        DivisionRow(0, f"41162730{i}", f"新乡镇{i}", Level.TOWNSHIP, territory.county.code) for i in range(n)
    ]
    divisions_import(actor=None, rows=rows)
    for i, township in enumerate(Region.objects.filter(code__startswith="41162730").order_by("code")):
        department = department_upsert(
            actor=None, county=territory.county, code=f"dept{i}", name=f"新部门{i}"
        )
        officer = make_user(f"dept_officer_{i}")
        grant_add(
            actor=None,
            user=officer,
            role=Role.DEPARTMENT_OFFICER,
            region=territory.county,
            department=department,
        )
        case = case_report(
            actor=loop.supervisor,
            category=loop.category,
            region=township,
            title="扬尘",
            description="工地扬尘",
        )
        case_register(actor=loop.supervisor, case=case)
        case_dispatch(actor=loop.commander, case=case, department=department)
        case_accept(actor=officer, case=case)
        case_resolve(actor=officer, case=case, note="已覆盖")
        case_close(actor=loop.supervisor, case=case)
        place(
            case, created_at=at(3, 9), registered_at=at(3, 9), dispatched_at=at(3, 9, 10), closed_at=at(3, 10)
        )
        case = case_report(
            actor=loop.supervisor,
            category=loop.category,
            region=township,
            title="焚烧",
            description="垃圾焚烧",
        )
        case_register(actor=loop.supervisor, case=case)
        case_dispatch(actor=loop.commander, case=case, township=township)
        place(case, created_at=at(3, 11), registered_at=at(3, 11), dispatched_at=at(3, 11, 10))
    counts_rebuild()  # after place(), as in the example


def _count_queries(user, group) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        table = indicator_table(user=user, group=group, period=MARCH)
    return len(captured.captured_queries), len(table.rows)


@pytest.mark.parametrize("group", [GROUP_TOWNSHIP, GROUP_DEPARTMENT, GROUP_UNIT_TOWNSHIP])
def test_query_count_does_not_grow_with_townships_and_departments(territory, example, group):
    admin = territory.user("admin")
    forget_scope(admin)
    indicator_table(user=admin, group=group, period=MARCH)  # loads the user's scope once (cached on the user)
    queries_before, rows_before = _count_queries(admin, group)
    _grow_county(territory, 6)
    queries_after, rows_after = _count_queries(admin, group)
    assert rows_after >= rows_before + 6  # six more townships (or departments) listed …
    assert queries_before == queries_after == 3  # … with the same three queries: intake, closure, labels


@pytest.mark.parametrize(
    ("preset", "first", "last"),
    [
        ("week", dt.date(2026, 11, 23), dt.date(2026, 11, 29)),  # Monday to Sunday
        ("month", dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
        ("quarter", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        ("year", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    ],
)
def test_period_presets(preset, first, last):
    period = period_preset(preset, today=dt.date(2026, 11, 29))
    assert (period.first_day, period.last_day) == (first, last)


def test_period_presets_at_year_end_and_boundaries():
    december = period_preset("month", today=dt.date(2026, 12, 31))
    assert (december.first_day, december.last_day) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    q4 = period_preset("quarter", today=dt.date(2026, 12, 31))
    assert q4.end == at(12, 31, 0) + dt.timedelta(days=1)
    assert MARCH.start == at(3, 1, 0) and MARCH.end == at(4, 1, 0)
    with pytest.raises(ValueError):
        period_preset("fortnight", today=dt.date(2026, 12, 31))
    with pytest.raises(ValueError):
        Period(dt.date(2026, 3, 2), dt.date(2026, 3, 1))
