"""The indicators' day counters: after any sequence of transitions through the services, the stored counters equal
a recount from the cases, and the indicators read from them equal the indicators counted by scanning the cases
(docs/indicators.md), for every grouping, several periods and users of every kind of scope.

The walk moves the clock (``timezone.now``, which the services and ``auto_now_add`` read) forward between steps,
so that steps fall on different days, deadlines pass, and cases close late as well as on time.
"""

import datetime as dt
import random
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from gridgov.cases.indicators import (
    COUNT_FIELDS,
    GROUP_DEPARTMENT,
    GROUP_TOWNSHIP,
    GROUP_UNIT_TOWNSHIP,
    Period,
    indicator_table,
    township_scope_q,
)
from gridgov.cases.models import Case, CaseDayCount, CaseState, Category
from gridgov.cases.services import loop as services
from gridgov.cases.services.counts import counts_rebuild, difference, recount, stored
from gridgov.cases.services.extras import case_merge
from gridgov.cases.services.intake import case_report
from gridgov.conftest import make_user
from gridgov.core.exceptions import Conflict
from gridgov.core.roles import Role
from gridgov.core.scope import forget_scope
from gridgov.territory.services import grant_add

START = timezone.make_aware(dt.datetime(2026, 1, 5, 9), timezone.get_default_timezone())
S = CaseState


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


class Walk:
    """Random steps through the loop, each one a service call by a user allowed to take it."""

    def __init__(self, territory, rng: random.Random, clock: Clock):
        self.t, self.rng, self.clock = territory, rng, clock
        self.categories = list(Category.objects.filter(is_active=True, deadline_value__lte=3))
        self.supervisor, self.commander = territory.user("supervisor"), territory.user("commander")
        self.reporters = [
            (territory.user("grid_a"), territory.grid_a1_1),
            (territory.user("grid_b"), territory.grid_b1_1),
            (self.supervisor, territory.grid_b1_1),
        ]

    def unit_user(self, case):
        if case.unit_township_id:
            return self.t.user(
                "township_a" if case.unit_township_id == self.t.township_a.pk else "township_b"
            )
        return self.t.user("officer" if case.unit_department_id == self.t.department.pk else "other_officer")

    def report(self):
        reporter, region = self.rng.choice(self.reporters)
        case_report(
            actor=reporter,
            category=self.rng.choice(self.categories),
            region=region,
            title="随机案件",
            description="随机步骤",
        )

    def step(self):
        self.clock.now += dt.timedelta(hours=self.rng.choice([0.1, 0.3, 1, 2, 6, 30]))
        cases = list(Case.objects.exclude(state__in=[S.CLOSED, S.VOIDED, S.MERGED]))
        if not cases or self.rng.random() < 0.15:
            return self.report()
        case = self.rng.choice(cases)
        state, r = case.state, self.rng.random()
        try:
            if case.is_suspended:
                services.case_resume(actor=self.commander, case=case)
            elif state == S.REPORTED:
                others = [c for c in cases if c.pk != case.pk and not c.is_suspended]
                if r < 0.1 and others:
                    case_merge(actor=self.supervisor, case=case, into=self.rng.choice(others))
                elif r < 0.2:
                    services.case_void(actor=self.supervisor, case=case, note="不予立案")
                else:
                    services.case_register(actor=self.supervisor, case=case)
            elif state == S.REGISTERED:
                others = [c for c in cases if c.pk != case.pk and not c.is_suspended]
                if r < 0.05 and others:
                    case_merge(actor=self.supervisor, case=case, into=self.rng.choice(others))
                elif r < 0.1:
                    services.case_suspend(actor=self.commander, case=case, note="待认定")
                else:
                    unit = self.rng.choice(
                        [
                            {"department": self.t.department},
                            {"department": self.t.other_department},
                            {"township": self.t.township_a},
                            {"township": self.t.township_b},
                        ]
                    )
                    services.case_dispatch(actor=self.commander, case=case, **unit)
            elif state == S.DISPATCHED:
                if r < 0.2:
                    services.case_return(actor=self.unit_user(case), case=case, note="非本单位职责")
                elif r < 0.3:
                    services.case_suspend(actor=self.commander, case=case, note="待认定")
                else:
                    services.case_accept(actor=self.unit_user(case), case=case)
            elif state == S.HANDLING:
                if r < 0.15:
                    services.case_request_extension(
                        actor=self.unit_user(case), case=case, note="需协调", value=1, unit="days"
                    )
                    decide = services.case_approve_extension if self.rng.random() < 0.7 else None
                    if decide:
                        decide(actor=self.commander, case=case)
                    else:
                        services.case_refuse_extension(actor=self.commander, case=case, note="不予延期")
                else:
                    services.case_resolve(actor=self.unit_user(case), case=case, note="已处置")
            elif state == S.RESOLVED:
                if r < 0.25:
                    services.case_rework(actor=self.supervisor, case=case, note="仍未整改")
                else:
                    services.case_close(actor=self.supervisor, case=case)
        except Conflict:
            pass  # e.g. a second extension request while one is pending: refused, nothing changed


def months(first: dt.date, n: int) -> list[Period]:
    out = []
    for _ in range(n):
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        out.append(Period(first, following - dt.timedelta(days=1)))
        first = following
    return out


def table(user, group, period, counted):
    forget_scope(user)
    result = indicator_table(user=user, group=group, period=period, counted=counted)
    return [(row.key, *(getattr(row, name) for name in COUNT_FIELDS)) for row in result.rows]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counters_equal_a_recount_after_random_transitions(territory, seed):
    leader_a = make_user("leader_a")
    grant_add(actor=None, user=leader_a, role=Role.LEADER, region=territory.township_a)
    clock = Clock(START)
    with mock.patch("django.utils.timezone.now", clock):
        walk = Walk(territory, random.Random(seed), clock)
        for _ in range(150):
            walk.step()
    states = set(Case.objects.values_list("state", flat=True))
    assert {S.CLOSED, S.MERGED, S.VOIDED} <= states  # the walk went everywhere that matters
    closed = Case.objects.filter(state=S.CLOSED)
    assert any(c.closed_at > c.due_at for c in closed) and any(c.closed_at <= c.due_at for c in closed)

    assert difference(recount(Case), stored(CaseDayCount)) == {}

    first = timezone.localdate(START)
    periods = [*months(first.replace(day=1), 4), Period(first, first + dt.timedelta(days=6))]
    periods.append(Period(first, timezone.localdate(clock.now)))
    users = [territory.user(name) for name in ("admin", "leader", "township_a", "officer", "grid_a")]
    users.append(leader_a)
    for user in users:
        for group in (GROUP_TOWNSHIP, GROUP_DEPARTMENT, GROUP_UNIT_TOWNSHIP):
            for period in periods:
                assert table(user, group, period, True) == table(user, group, period, False), (
                    user.username,
                    group,
                    period,
                )


def test_which_users_read_the_counters(territory):
    for name in ("admin", "leader", "supervisor", "township_a", "officer"):
        assert township_scope_q(territory.user(name)) is not None, name
    assert township_scope_q(territory.user("grid_a")) is None  # part of a township: scanned


def test_recount_command_repairs_and_checks(territory):
    case = case_report(
        actor=territory.user("grid_a"),
        category=Category.objects.filter(is_active=True).first(),
        region=territory.grid_a1_1,
        title="秸秆焚烧",
        description="田间焚烧",
    )
    call_command("cases_recount", "--check")
    Case.objects.filter(pk=case.pk).update(created_at=case.created_at - dt.timedelta(days=40))
    with pytest.raises(CommandError):
        call_command("cases_recount", "--check")
    call_command("cases_recount")
    call_command("cases_recount", "--check")
    assert counts_rebuild() == CaseDayCount.objects.count() == 1
