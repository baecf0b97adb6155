"""The ledger command writes every row, with the county or one user's scope."""

import pytest
from django.core.management import CommandError, call_command
from python_calamine import CalamineWorkbook

from gridgov.inspections.services import plans
from gridgov.inspections.tests.conftest import inspect


def test_ledger_command(world, tmp_path):
    t = world.territory
    created = plans.plan_add_targets(
        actor=t.user("officer"), plan=world.overt, places=[world.shop_a, world.shop_b]
    )
    for inspection in created:
        inspect(t.user("officer"), inspection, fail=("extinguishers", "warning_signs"))
    out = tmp_path / "findings.xlsx"
    call_command("inspections_ledger", "findings", str(out), verbosity=0)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert len(rows) == 1 + 4
    call_command("inspections_ledger", "findings", str(out), "--user", "township_b", verbosity=0)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert len(rows) == 1 + 2 and {r[1] for r in rows[1:]} == {"王集花炮店"}
    with pytest.raises(CommandError):
        call_command("inspections_ledger", "findings", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError):
        call_command("inspections_ledger", "inspections", str(out), "--user", "ghost")
