import io

import pytest
from django.core.management import CommandError, call_command

from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.core.models import AuditLog
from gridgov.territory.models import Region
from gridgov.territory.services import grid_add, grid_retire, grid_split, region_rename


def test_grid_add_takes_the_next_sequence_code(territory):
    grid = grid_add(actor=territory.user("township_a"), village=territory.village_a1, name="集镇网格")
    assert grid.code == territory.village_a1.code + "003"
    assert grid.path == territory.village_a1.path + grid.code + "/"
    assert grid.level == "grid"
    assert grid.is_within(territory.township_a)


def test_retired_codes_are_never_reused(territory):
    grid_retire(
        actor=territory.user("admin"),
        grid=territory.village_a2.children.get(code__endswith="002"),
        reason="合并",
    )
    grid = grid_add(actor=territory.user("admin"), village=territory.village_a2, name="新网格")
    assert grid.code.endswith("003")


@pytest.mark.parametrize("username", ["township_b", "grid_a", "leader", "supervisor", "officer", "nobody"])
def test_grid_add_refused_outside_the_managers_scope(territory, username):
    with pytest.raises(NotAllowed):
        grid_add(actor=territory.user(username), village=territory.village_a1, name="越权网格")
    assert not Region.objects.filter(name="越权网格").exists()


def test_grid_add_rejects_empty_names_and_non_villages(territory):
    with pytest.raises(InvalidInput) as caught:
        grid_add(actor=territory.user("admin"), village=territory.village_a1, name="  ")
    assert "name" in caught.value.fields
    with pytest.raises(InvalidInput):
        grid_add(actor=territory.user("admin"), village=territory.township_a, name="网格")


def test_rename_keeps_the_code_and_is_audited(territory):
    grid = region_rename(actor=territory.user("township_a"), region=territory.grid_a1_1, name="西街网格")
    grid.refresh_from_db()
    assert (grid.name, grid.code) == ("西街网格", territory.grid_a1_1.code)
    row = AuditLog.objects.filter(action="region.rename").get()
    assert row.changes == {"name": ["第1网格", "西街网格"]}


def test_only_county_admin_renames_a_township(territory):
    with pytest.raises(NotAllowed):
        region_rename(actor=territory.user("township_a"), region=territory.township_a, name="常营街道")
    region_rename(actor=territory.user("admin"), region=territory.township_a, name="常营街道")
    assert Region.objects.get(pk=territory.township_a.pk).name == "常营街道"


def test_split_creates_linked_grids_and_keeps_the_original(territory):
    new = grid_split(
        actor=territory.user("township_a"), grid=territory.grid_a1_1, names=["北片", "南片"], keep_name="中片"
    )
    assert [g.name for g in new] == ["北片", "南片"]
    assert all(g.split_from_id == territory.grid_a1_1.pk for g in new)
    assert [g.code[-3:] for g in new] == ["003", "004"]
    original = Region.objects.get(pk=territory.grid_a1_1.pk)
    assert original.is_active and original.name == "中片"


def test_split_needs_names(territory):
    with pytest.raises(InvalidInput):
        grid_split(actor=territory.user("admin"), grid=territory.grid_a1_1, names=["", " "])


def test_retire_keeps_the_row_and_refuses_while_people_are_assigned(territory):
    with pytest.raises(Conflict) as caught:
        grid_retire(actor=territory.user("admin"), grid=territory.grid_a1_1, reason="合并")
    assert "grid_a" in str(caught.value.message)
    grid = territory.village_a2.children.first()
    grid_retire(actor=territory.user("township_a"), grid=grid, reason="并入第一网格")
    grid.refresh_from_db()
    assert not grid.is_active and grid.retired_at is not None and grid.retired_reason == "并入第一网格"
    with pytest.raises(Conflict):
        grid_retire(actor=territory.user("township_a"), grid=grid, reason="again")
    with pytest.raises(InvalidInput):
        grid_retire(actor=territory.user("admin"), grid=territory.village_a2.children.last(), reason="")


def test_grids_command_add_rename_split_retire_list(territory):
    out = io.StringIO()
    village = territory.village_b2.code
    call_command("grids", "add", village, "东片网格", stdout=out)
    code = village + "003"
    call_command("grids", "rename", code, "东街网格", stdout=out)
    call_command("grids", "split", code, "东街北", "东街南", "--keep-name", "东街中", stdout=out)
    call_command("grids", "retire", village + "001", "--reason", "拆迁", stdout=out)
    out = io.StringIO()
    call_command("grids", "list", village, stdout=out)
    listing = out.getvalue()
    assert "东街中" in listing and "东街北" in listing and "东街南" in listing
    assert village + "001" not in listing
    out = io.StringIO()
    call_command("grids", "list", village, "--retired", stdout=out)
    assert "retired" in out.getvalue() and "拆迁" in out.getvalue()


def test_grids_command_checks_the_acting_user(territory):
    with pytest.raises(CommandError):
        call_command("grids", "--user", "township_b", "add", territory.village_a1.code, "越权")
    with pytest.raises(CommandError, match="not a village"):
        call_command("grids", "add", territory.township_a.code, "x")
    with pytest.raises(CommandError, match="no region"):
        call_command("grids", "retire", "999999999999999", "--reason", "x")
