"""Properties of the working-time arithmetic, checked with hypothesis over 2025 to the first unknown year."""

import datetime as dt

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gridgov.worktime.tests.helpers import FALLBACK_YEAR, SHANGHAI, make_calendar, weekday_in

# Overrides in the fallback year as a county would enter them, plus one that contradicts the library.
OVERRIDES = {
    dt.date(FALLBACK_YEAR, 1, 1): False,
    weekday_in(FALLBACK_YEAR, 2, 2): False,
    weekday_in(FALLBACK_YEAR, 2, 3): False,
    weekday_in(FALLBACK_YEAR, 2, 5): True,
    dt.date(2026, 3, 10): False,
}
CAL = make_calendar(OVERRIDES)
FIRST, LAST = dt.date(2025, 1, 1), dt.date(FALLBACK_YEAR, 12, 31)

days = st.dates(min_value=FIRST, max_value=LAST)
zones = st.sampled_from([SHANGHAI, dt.UTC, dt.timezone(dt.timedelta(hours=-5))])
amounts = st.integers(min_value=0, max_value=40 * 7 * 3600).map(lambda s: dt.timedelta(seconds=s))
moments = st.builds(
    lambda day, seconds, tz: (
        dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI) + dt.timedelta(seconds=seconds)
    ).astimezone(tz),
    days,
    st.integers(min_value=0, max_value=24 * 3600 - 1),
    zones,
)


@st.composite
def office_moments(draw):
    """A moment inside the office hours of a working day, in some time zone."""
    day = draw(days)
    assume(CAL.is_working_day(day))
    span_start, span_end = draw(st.sampled_from(CAL.office_spans(day)))
    seconds = draw(st.integers(min_value=0, max_value=int((span_end - span_start).total_seconds()) - 1))
    return (span_start + dt.timedelta(seconds=seconds)).astimezone(draw(zones))


@settings(max_examples=300, deadline=None)
@given(start=office_moments(), amount=amounts)
def test_add_working_hours_then_elapsed_gives_the_amount_back(start, amount):
    deadline = CAL.add_working_hours(start, amount)
    assert deadline >= start
    assert deadline.tzinfo == SHANGHAI
    assert CAL.working_time_between(start, deadline) == amount
    if amount:
        # A deadline falls inside a span of a working day, or exactly at its end.
        assert any(begin < deadline <= end for begin, end in CAL.office_spans(deadline.date()))


@settings(max_examples=200, deadline=None)
@given(start=moments, amount=amounts)
def test_a_start_outside_office_hours_loses_nothing_but_time_outside(start, amount):
    deadline = CAL.add_working_hours(start, amount)
    assert CAL.working_time_between(start, deadline) == amount


@settings(max_examples=150, deadline=None)
@given(a=moments, b=moments, c=moments)
def test_elapsed_office_time_is_additive(a, b, c):
    a, b, c = sorted([a, b, c])
    assert CAL.working_time_between(a, c) == CAL.working_time_between(a, b) + CAL.working_time_between(b, c)
    assert CAL.working_time_between(c, a) == dt.timedelta(0)


@settings(max_examples=200, deadline=None)
@given(start=moments, n=st.integers(min_value=1, max_value=60))
def test_add_working_days_lands_on_the_nth_working_day_after_the_start_date(start, n):
    deadline = CAL.add_working_days(start, n)
    assert deadline.tzinfo == SHANGHAI
    assert CAL.is_working_day(deadline.date())
    assert deadline == CAL.office_spans(deadline.date())[-1][1]
    start_day = start.astimezone(SHANGHAI).date()
    between = [start_day + dt.timedelta(days=k) for k in range(1, (deadline.date() - start_day).days + 1)]
    assert sum(CAL.is_working_day(day) for day in between) == n
