import io

import pytest
from django.core.management import CommandError, call_command

from gridgov.core.exceptions import InvalidInput
from gridgov.territory.models import Region
from gridgov.territory.services import divisions_import, read_divisions_csv

GOOD = """code,name,level,parent_code
411627,太康县,county,411600
411627101,常营镇,township,411627
411627101201,常营西村民委员会,village,411627101
411627101202,常营东村民委员会,village,411627101
"""


def rows_of(text: str):
    return read_divisions_csv(io.StringIO(text))


def test_import_builds_the_tree_with_paths(db):
    result = divisions_import(actor=None, rows=rows_of(GOOD))
    assert result.created == 4
    village = Region.objects.get(code="411627101202")
    assert village.path == "411627/411627101/411627101202/"
    assert village.parent.code == "411627101"
    assert village.depth == 2
    county = Region.objects.get(code="411627")
    assert county.parent is None
    assert set(Region.objects.under(county).values_list("code", flat=True)) == {
        "411627",
        "411627101",
        "411627101201",
        "411627101202",
    }


def test_import_is_idempotent_and_applies_renames(db):
    divisions_import(actor=None, rows=rows_of(GOOD))
    again = divisions_import(actor=None, rows=rows_of(GOOD))
    assert (again.created, again.renamed, again.unchanged) == (0, 0, 4)
    renamed = divisions_import(actor=None, rows=rows_of(GOOD.replace("常营东村民委员会", "常营东村")))
    assert (renamed.created, renamed.renamed) == (0, 1)
    assert Region.objects.get(code="411627101202").name == "常营东村"
    assert Region.objects.count() == 4


def test_a_row_whose_parent_is_missing_is_rejected_naming_the_row(db):
    bad = GOOD + "411627102201,孤村,village,411627102\n"
    with pytest.raises(InvalidInput) as caught:
        divisions_import(actor=None, rows=rows_of(bad))
    assert any("第 6 行" in e and "411627102" in e for e in caught.value.fields["rows"])
    assert Region.objects.count() == 0  # nothing half-written


def test_a_code_that_does_not_fit_its_level_is_rejected(db):
    bad = GOOD + "41162710120,短码村,village,411627101\n"
    with pytest.raises(InvalidInput) as caught:
        divisions_import(actor=None, rows=rows_of(bad))
    assert "第 6 行" in caught.value.fields["rows"][0]
    assert "12 位" in caught.value.fields["rows"][0]


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("411627101203,,village,411627101", "名称为空"),
        ("411627101203,某村,hamlet,411627101", "层级"),
        ("411627101201,重复村,village,411627101", "重复"),
        ("411627102,某镇,township,411627101", "不能直接管辖"),
    ],
)
def test_other_bad_rows_name_their_problem(db, line, fragment):
    with pytest.raises(InvalidInput) as caught:
        divisions_import(actor=None, rows=rows_of(GOOD + line + "\n"))
    assert any(fragment in e for e in caught.value.fields["rows"])


def test_existing_data_survives_a_rejected_file(db):
    divisions_import(actor=None, rows=rows_of(GOOD))
    with pytest.raises(InvalidInput):
        divisions_import(actor=None, rows=rows_of(GOOD.replace("常营镇", "改名镇") + "999,坏,village,1\n"))
    assert Region.objects.get(code="411627101").name == "常营镇"


def test_missing_columns_are_named(db):
    with pytest.raises(InvalidInput) as caught:
        read_divisions_csv(io.StringIO("code,name\n411627,太康县\n"))
    assert "level" in str(caught.value.message)


def test_command_imports_the_real_taikang_file_with_bom_tolerance(db, tmp_path):
    from gridgov.demo.loader import DIVISIONS_FILE

    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + DIVISIONS_FILE.read_bytes())
    out = io.StringIO()
    call_command("import_divisions", str(path), stdout=out, verbosity=0)
    assert "806 rows: 806 created" in out.getvalue()
    assert Region.objects.filter(level="township").count() == 23
    assert Region.objects.filter(level="village").count() == 782
    out = io.StringIO()
    call_command("import_divisions", str(path), stdout=out, verbosity=0)
    assert "0 created, 0 renamed, 806 unchanged" in out.getvalue()


def test_command_reports_bad_rows_and_missing_file(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(GOOD + "411627109201,孤村,village,411627109\n", encoding="utf-8")
    with pytest.raises(CommandError, match="第 6 行"):
        call_command("import_divisions", str(path), verbosity=0)
    with pytest.raises(CommandError, match="file not found"):
        call_command("import_divisions", str(tmp_path / "nope.csv"), verbosity=0)
