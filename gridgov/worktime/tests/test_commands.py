"""The ``gridgov worktime`` management command."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from gridgov.worktime.models import CalendarOverride
from gridgov.worktime.services import calendar_override_set
from gridgov.worktime.tests.helpers import FALLBACK_YEAR

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("worktime", *args, stdout=out)
    return out.getvalue()


def test_check_a_known_year_lists_the_overrides():
    calendar_override_set(actor=None, date=dt.date(2026, 3, 9), kind="holiday", name="县庆")
    output = run("check", "2026")
    assert "2026 年：chinese-calendar 已收录" in output
    assert "2026-03-09" in output and "县庆" in output and "放假" in output
    assert "尚未录入" not in output
    assert "本县录入的调整（1 条）" in output


def test_check_counts_working_days_with_overrides():
    before = run("check", "2026")
    calendar_override_set(actor=None, date=dt.date(2026, 3, 9), kind="holiday", name="县庆")
    after = run("check", "2026")
    counts = [line for line in (before + after).splitlines() if line.startswith("全年工作日")]
    assert len(counts) == 2
    assert counts[0] != counts[1]


def test_check_an_unknown_year_warns_until_holidays_are_entered():
    output = run("check", str(FALLBACK_YEAR))
    assert "未收录该年" in output
    assert f"{FALLBACK_YEAR} 年的法定节假日尚未录入" in output
    assert "本县未录入该年的调整" in output
    calendar_override_set(actor=None, date=dt.date(FALLBACK_YEAR, 1, 1), kind="holiday", name="元旦")
    output = run("check", str(FALLBACK_YEAR))
    assert "尚未录入" not in output
    assert "元旦" in output


def test_add_stores_an_override_and_updates_it():
    output = run("add", f"{FALLBACK_YEAR}-02-08", "holiday", "春节")
    assert "已保存" in output
    run("add", f"{FALLBACK_YEAR}-02-08", "workday", "春节调休")
    stored = CalendarOverride.objects.get()
    assert (stored.date, stored.kind, stored.name) == (dt.date(FALLBACK_YEAR, 2, 8), "workday", "春节调休")


def test_remove_deletes_an_override():
    calendar_override_set(actor=None, date=dt.date(2026, 3, 9), kind="holiday", name="县庆")
    assert "已删除" in run("remove", "2026-03-09")
    assert not CalendarOverride.objects.exists()
    with pytest.raises(CommandError, match="2026-03-09"):
        run("remove", "2026-03-09")


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        (("check", "twenty"), "YEAR"),
        (("add", "2027-13-01", "holiday", "春节"), "DATE"),
        (("add", "2027/02/08", "holiday", "春节"), "DATE"),
        (("add", "2027-02-08", "vacation", "春节"), "KIND"),
        (("add", "2027-02-08", "holiday", " "), "name"),
        (("deadline", "yesterday", "--days", "1"), "START"),
        (("deadline", "2026-02-12 10:00", "--days", "-1"), "--days"),
        (("deadline", "2026-02-12 10:00", "--days", "1.5"), "--days"),
        (("deadline", "2026-02-12 10:00", "--days", "99999"), "--days"),
        (("deadline", "2026-02-12 10:00", "--hours", "abc"), "--hours"),
        (("deadline", "2026-02-12 10:00", "--hours", "-2"), "--hours"),
        (("deadline", "2026-02-12 10:00", "--hours", "NaN"), "--hours"),
        (("deadline", "2026-02-12 10:00"), "--hours"),
        (("deadline", "2026-02-12 10:00", "--days", "1", "--hours", "2"), "--days"),
    ],
)
def test_bad_input_names_the_argument(args, argument):
    with pytest.raises(CommandError, match=argument):
        run(*args)
    assert not CalendarOverride.objects.exists()


def test_deadline_in_working_days_across_spring_festival():
    output = run("deadline", "2026-02-12 10:00", "--days", "3")
    assert "起算时间：2026-02-12 10:00" in output
    assert "3 个工作日" in output
    assert "截止时间：2026-02-24 18:00" in output


def test_deadline_in_working_hours_from_an_aware_start():
    output = run("deadline", "2026-03-02T03:00:00+00:00", "--hours", "2")
    assert "起算时间：2026-03-02 11:00" in output
    assert "截止时间：2026-03-02 15:30" in output


def test_deadline_with_fractional_hours_and_an_override():
    calendar_override_set(actor=None, date=dt.date(2026, 3, 3), kind="holiday", name="县庆")
    output = run("deadline", "2026-03-02 17:00", "--hours", "1.5")
    assert "截止时间：2026-03-04 09:00" in output


def test_deadline_into_an_unknown_year_warns():
    output = run("deadline", f"{FALLBACK_YEAR - 1}-12-31 10:00", "--days", "1")
    assert f"{FALLBACK_YEAR} 年的法定节假日尚未录入" in output
