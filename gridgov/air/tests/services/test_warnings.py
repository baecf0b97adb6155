"""Heavy-pollution warnings: the presets' rules, a synthetic episode, who may issue, the notice to the grids."""

import datetime as dt

import pytest

from gridgov.air import warnings as rules
from gridgov.air.models import AirWarning, NoticeState, WarningPreset, WarningState
from gridgov.air.selectors import county_series, township_daily
from gridgov.air.services import warning_issue, warning_lift
from gridgov.air.tests.conftest import hours_rows
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.core.models import AuditLog
from gridgov.notices.models import Notice
from gridgov.notices.models import NoticeState as NoticeStatus

START = dt.date(2025, 12, 10)


def series(*values, start=START):
    return [{"date": start + dt.timedelta(days=i), "aqi": v} for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("preset", "values", "level"),
    [
        ("national-2018", [150, 210, 190, 220], None),  # never two days in a row above 200
        ("national-2018", [210, 220], "yellow"),
        ("national-2018", [210, 220, 230], "yellow"),  # three days but none above 300
        ("national-2018", [210, 320, 230], "orange"),
        ("national-2018", [210, 320, 330, 240], "red"),
        ("national-2018", [210, 320, 240, 330], "orange"),  # the two days above 300 are not consecutive
        ("national-2018", [120, 500], "red"),
        ("national-2018", [160, 170, 180], None),
        ("national-2024", [160, 170, 180], "yellow"),  # 2024: above 150 for 3 days
        ("national-2024", [160, 170, None, 180], None),  # a missing day breaks the run
        ("national-2024", [210, 320, 330, 240], "red"),
    ],
)
def test_the_shipped_presets(db, preset, values, level):
    rule_set = WarningPreset.objects.get(code=preset).rules
    assert rules.level_for(rule_set, values) == level


def test_rules_are_validated_as_data(db):
    preset = WarningPreset(
        code="bad", name="bad", source="test", rules={"purple": [[{"above": 1, "days": 1}]]}
    )
    with pytest.raises(Exception, match="purple"):
        preset.full_clean()
    preset.rules = {"red": [[{"above": 200}]]}
    with pytest.raises(Exception, match="days"):
        preset.full_clean()
    preset.rules = {"yellow": [[{"above": 100, "days": 1}]]}
    preset.full_clean()


def test_a_synthetic_episode_observed_at_the_stations_warns_and_reaches_the_grids(
    territory, stations, ingest
):
    # 4 days: clean, then three days of PM2.5 that score above 200, one of them above 300
    pm25 = [40, 160, 260, 170]
    for i, value in enumerate(pm25):
        day = START + dt.timedelta(days=i)
        for code in ("A01", "A02", "B01", "B02"):
            ingest(hours_rows(code, day, {"pm25": value, "pm10": 120}))
    commander = territory.user("commander")
    observed = township_daily(commander, START, START + dt.timedelta(days=3))
    assert [observed[("411627101", START + dt.timedelta(days=i))]["aqi"] for i in range(4)] == [
        85,
        210,
        310,
        220,
    ]
    assert [a for _d, a in county_series(commander, start=START, end=START + dt.timedelta(days=3))] == [
        85,
        210,
        310,
        220,
    ]
    warning = warning_issue(
        actor=commander,
        preset=WarningPreset.objects.get(code="national-2018"),
        townships=[territory.township_a, territory.township_b],
        series=series(85, 210, 310, 220),
        basis="observed",
        reason="连续三天重度污染，且一天严重污染",
    )
    assert (warning.level, warning.suggested_level, warning.state) == (
        "orange",
        "orange",
        WarningState.ISSUED,
    )
    assert warning.issued_by == commander and warning.reason.startswith("连续三天")
    assert (warning.starts_on, warning.ends_on) == (START, START + dt.timedelta(days=3))
    assert warning.notice_state == NoticeState.PUBLISHED
    notice = Notice.objects.get(pk=warning.notice_id)
    assert notice.state == NoticeStatus.PUBLISHED and "橙色预警" in notice.title
    assert set(notice.regions.values_list("code", flat=True)) == {"411627101", "411627202"}
    audit = AuditLog.objects.get(action="air.warning_issue")
    assert audit.actor == commander and audit.changes["reason"] == "连续三天重度污染，且一天严重污染"


def test_the_issuer_may_name_a_level_the_rules_do_not_reach_and_it_is_kept_beside_the_suggestion(territory):
    warning = warning_issue(
        actor=territory.user("admin"),
        preset=WarningPreset.objects.get(code="national-2018"),
        townships=[territory.township_a],
        series=series(190, 195),
        basis="forecast",
        reason="气象条件极不利，预计将持续重度污染",
        level="yellow",
    )
    assert (warning.level, warning.suggested_level) == ("yellow", "")
    with pytest.raises(InvalidInput) as caught:
        warning_issue(
            actor=territory.user("admin"),
            preset=WarningPreset.objects.get(code="national-2018"),
            townships=[territory.township_a],
            series=series(190, 195),
            basis="forecast",
            reason="x",
        )
    assert "level" in caught.value.fields


@pytest.mark.parametrize("username", ["township_a", "leader", "supervisor", "grid_a", "officer", "nobody"])
def test_only_county_admins_and_the_command_centre_issue(territory, username):
    with pytest.raises(NotAllowed):
        warning_issue(
            actor=territory.user(username),
            preset=WarningPreset.objects.get(code="national-2018"),
            townships=[territory.township_a],
            series=series(210, 220),
            basis="forecast",
            reason="预报",
        )
    assert not AirWarning.objects.exists() and not Notice.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"townships": []}, "townships"),
        ({"basis": "guess"}, "basis"),
        ({"level": "purple"}, "level"),
        ({"series": []}, "series"),
        ({"series": [{"date": "2025-12-10", "aqi": 600}]}, "series"),
        ({"series": [{"date": "2025-12-10", "aqi": 210}, {"date": "2025-12-12", "aqi": 210}]}, "series"),
    ],
)
def test_bad_warnings_name_the_field_and_store_nothing(territory, change, field):
    kwargs = {
        "actor": territory.user("commander"),
        "preset": WarningPreset.objects.get(code="national-2018"),
        "townships": [territory.township_a],
        "series": series(210, 220),
        "basis": "forecast",
        "reason": "预报",
        **change,
    }
    with pytest.raises(InvalidInput) as caught:
        warning_issue(**kwargs)
    assert field in caught.value.fields
    assert not AirWarning.objects.exists()


def test_a_village_is_not_a_township(territory):
    with pytest.raises(InvalidInput) as caught:
        warning_issue(
            actor=territory.user("commander"),
            preset=WarningPreset.objects.get(code="national-2018"),
            townships=[territory.village_a1],
            series=series(210, 220),
            basis="forecast",
            reason="预报",
        )
    assert "townships" in caught.value.fields


def test_lifting(territory):
    warning = warning_issue(
        actor=territory.user("commander"),
        preset=WarningPreset.objects.get(code="national-2024"),
        townships=[territory.township_b],
        series=series(210, 220),
        basis="forecast",
        reason="预报",
    )
    with pytest.raises(NotAllowed):
        warning_lift(actor=territory.user("township_b"), warning=warning, reason="好转")
    with pytest.raises(InvalidInput):
        warning_lift(actor=territory.user("admin"), warning=warning, reason="")
    lifted = warning_lift(actor=territory.user("admin"), warning=warning, reason="冷空气到来，污染消散")
    assert lifted.state == WarningState.LIFTED and lifted.lifted_by == territory.user("admin")
    assert Notice.objects.filter(title__startswith="【解除】").exists()
    with pytest.raises(Conflict):
        warning_lift(actor=territory.user("admin"), warning=lifted, reason="again")
