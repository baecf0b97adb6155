import io

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from python_calamine import CalamineWorkbook

from gridgov.accounts.models import User
from gridgov.core.exceptions import InvalidInput, NotAllowed
from gridgov.core.models import AccessLog, AuditLog
from gridgov.registry.models import Household, Place, Resident
from gridgov.registry.services.exporting import registry_export
from gridgov.registry.services.importing import registry_import
from gridgov.registry.services.privacy import personal_data_unmask
from gridgov.registry.services.records import (
    UNCHANGED,
    household_save,
    place_check,
    place_save,
    resident_save,
)
from gridgov.registry.tests.factories import make_id, table


def with_unmask(user) -> User:
    user.user_permissions.add(Permission.objects.get(codename="unmask_personal_data"))
    return User.objects.get(pk=user.pk)  # a fresh instance: permissions are cached per instance


@pytest.fixture
def registry(territory):
    rows = ["户编号,网格编码,地址,户主姓名,户主身份证号,联系电话,人口数"]
    for i, grid in enumerate([territory.grid_a1_1, territory.grid_a1_2, territory.grid_b1_1]):
        rows.append(f"H{i},{grid.code},地址{i},户主{i},{make_id(sequence=f'{i:03d}')},1381234567{i},2")
    registry_import(actor=None, kind="households", table=table("\n".join(rows)))
    residents = ["户编号,姓名,身份证号,与户主关系"]
    for i in range(3):
        residents.append(f"H{i},户主{i},{make_id(sequence=f'{i:03d}')},户主")
    registry_import(actor=None, kind="residents", table=table("\n".join(residents)))
    return territory


def sheet_rows(path, index=0):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(index).to_python()


def test_export_is_masked_scoped_and_reimportable_headers(registry, tmp_path):
    path = tmp_path / "hh.xlsx"
    with pytest.raises(NotAllowed):
        registry_export(
            actor=registry.user("township_a"), kind="households", region=registry.county, path=path
        )
    count = registry_export(
        actor=registry.user("township_a"), kind="households", region=registry.township_a, path=path
    )
    assert count == 2
    rows = sheet_rows(path)
    grid_path = tmp_path / "grid.xlsx"
    grid_a = registry.user("grid_a")
    assert registry_export(actor=grid_a, kind="households", region=registry.grid_a1_1, path=grid_path) == 1
    with pytest.raises(NotAllowed):
        registry_export(
            actor=registry.user("officer"), kind="households", region=registry.county, path=grid_path
        )
    assert rows[0][:4] == ["乡镇(街道)", "村(社区)", "户编号", "网格编码"]
    assert {r[2] for r in rows[1:]} == {"H0", "H1"}
    assert all("*" in r[6] for r in rows[1:])
    assert make_id(sequence="000") not in str(rows)
    assert not AccessLog.objects.exists()


def test_export_one_sheet_per_township(registry, tmp_path):
    path = tmp_path / "hh.xlsx"
    registry_export(actor=None, kind="residents", region=registry.county, path=path, by_township=True)
    assert CalamineWorkbook.from_path(str(path)).sheet_names == ["常营镇", "王集乡"]


def test_unmasked_export_needs_permission_and_reason_and_is_logged(registry, tmp_path):
    path = tmp_path / "hh.xlsx"
    admin = registry.user("admin")
    with pytest.raises(NotAllowed):
        registry_export(
            actor=admin,
            kind="households",
            region=registry.county,
            path=path,
            unmask=True,
            reason="入户核查需要",
        )
    admin = with_unmask(admin)
    with pytest.raises(InvalidInput):
        registry_export(
            actor=admin, kind="households", region=registry.county, path=path, unmask=True, reason=""
        )
    registry_export(
        actor=admin, kind="households", region=registry.county, path=path, unmask=True, reason="入户核查需要"
    )
    assert make_id(sequence="000") in str(sheet_rows(path))
    log = AccessLog.objects.get()
    assert (log.action, log.actor, log.reason) == ("export", admin, "入户核查需要")


def test_unmask_a_record(registry):
    resident = Resident.objects.get(household__code="H0")
    with pytest.raises(NotAllowed):
        personal_data_unmask(actor=registry.user("township_a"), obj=resident, reason="核实身份")
    officer = with_unmask(registry.user("township_a"))
    with pytest.raises(InvalidInput):
        personal_data_unmask(actor=officer, obj=resident, reason="看看")
    values = personal_data_unmask(actor=officer, obj=resident, reason="返乡人员核实身份")
    assert values["id_number"] == make_id(sequence="000")
    log = AccessLog.objects.get()
    assert (log.action, log.object_id, log.fields) == ("unmask", str(resident.pk), "id_number")


def test_household_save_keeps_sealed_numbers_unless_given(registry):
    household = Household.objects.get(code="H0")
    sealed = household.head_id_sealed
    household_save(
        actor=registry.user("grid_a"), household=household, data={"address": "新地址", "head_id": UNCHANGED}
    )
    household.refresh_from_db()
    assert (household.address, household.head_id_sealed) == ("新地址", sealed)
    assert AuditLog.objects.filter(action="household.update", actor=registry.user("grid_a")).exists()
    with pytest.raises(InvalidInput) as caught:
        household_save(actor=registry.user("grid_a"), household=household, data={"phone": "12"})
    assert "phone" in caught.value.fields


def test_household_save_scope(registry):
    household = Household.objects.get(code="H2")  # township B
    for name in ("township_a", "grid_a", "leader", "officer"):
        with pytest.raises(NotAllowed):
            household_save(actor=registry.user(name), household=household, data={"address": "x"})
    with pytest.raises(NotAllowed):
        household_save(
            actor=registry.user("grid_a"),
            data={"code": "NEW", "grid": registry.grid_a1_2, "address": "a", "head_name": "b"},
        )
    created = household_save(
        actor=registry.user("grid_a"),
        data={"code": "NEW", "grid": registry.grid_a1_1, "address": "a", "head_name": "b", "tags": ["返乡"]},
    )
    assert created.tag_list == ["返乡"]


def test_resident_save_rejects_a_second_registration_of_an_id(registry):
    household = Household.objects.get(code="H1")
    with pytest.raises(InvalidInput) as caught:
        resident_save(
            actor=registry.user("admin"),
            data={"household": household, "name": "重复", "id_number": make_id(sequence="000")},
        )
    assert "H0" in caught.value.fields["id_number"][0]
    resident = resident_save(
        actor=registry.user("admin"),
        data={"household": household, "name": "新人", "id_number": make_id(birth="20100101", sequence="222")},
    )
    assert resident.gender == "F" and resident.birth_date.year == 2010


def test_place_save_and_check(registry):
    place = place_save(
        actor=registry.user("officer"),
        data={"kind": "supermarket", "name": "好又多", "grid": registry.grid_a1_1, "address": "街1号"},
    )
    with pytest.raises(InvalidInput):
        place_save(actor=registry.user("admin"), place=place, data={"kind": "key_enterprise"})
    with pytest.raises(NotAllowed):
        place_check(actor=registry.user("grid_b"), place=place, status="registered")
    place_check(actor=registry.user("grid_a"), place=place, status="registered", sells_fireworks=True)
    place = Place.objects.get(pk=place.pk)
    assert (place.registration_status, place.checked_by, place.sells_fireworks) == (
        "registered",
        registry.user("grid_a"),
        True,
    )
    assert place.checked_at is not None


def test_commands_import_template_export(registry, tmp_path):
    template = tmp_path / "t.xlsx"
    call_command("registry_template", "households", "--out", str(template), stdout=io.StringIO())
    book = CalamineWorkbook.from_path(str(template))
    assert book.sheet_names == ["数据", "填写说明"]
    assert book.get_sheet_by_index(0).to_python()[0][:3] == ["户编号", "网格编码", "地址"]
    csv = tmp_path / "h.csv"
    csv.write_text(
        f"户编号,网格编码,地址,户主姓名\nH9,{registry.grid_a1_1.code},a,b\nH10,1,a,b\n", encoding="utf-8"
    )
    out = io.StringIO()
    call_command("import_registry", "households", str(csv), stdout=out, verbosity=0)
    text = out.getvalue()
    assert "created 1, updated 0, unchanged 0, rejected 1" in text
    assert "第 3 行「网格编码」" in text
    report = tmp_path / "h.errors.xlsx"
    assert sheet_rows(report)[1][:2] == [3.0, "网格编码"]
    export = tmp_path / "e.xlsx"
    out = io.StringIO()
    call_command(
        "export_registry",
        "households",
        "--region",
        registry.township_a.code,
        "--out",
        str(export),
        stdout=out,
    )
    assert "3 rows" in out.getvalue()
    with pytest.raises(CommandError, match="--user"):
        call_command("export_registry", "households", "--region", "411627", "--out", str(export), "--unmask")
    with pytest.raises(CommandError, match="file not found"):
        call_command("import_registry", "households", str(tmp_path / "none.csv"))
