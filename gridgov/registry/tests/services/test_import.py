import pytest

from gridgov.core.crypto import blind_index, unseal
from gridgov.core.exceptions import InvalidInput, NotAllowed
from gridgov.registry.models import Household, Licence, Place, Resident
from gridgov.registry.readers import read_table
from gridgov.registry.services import importing
from gridgov.registry.services.importing import registry_import
from gridgov.registry.tests.factories import make_id, table

HEADER = "户编号,网格编码,地址,户主姓名,户主身份证号,联系电话,人口数,标签"


def households_csv(territory, rows: int = 3) -> str:
    lines = [HEADER]
    for i in range(rows):
        lines.append(
            f"H{i:04d},{territory.grid_a1_1.code},常营西村{i}号,户主{i},{make_id(sequence=f'{i:03d}')},138{i:08d},3,独居老人、返乡"
        )
    return "\n".join(lines)


def test_households_are_stored_with_sealed_indexed_and_masked_numbers(territory):
    report = registry_import(actor=None, kind="households", table=table(households_csv(territory, 1)))
    assert (report.created, report.rejected) == (1, 0)
    household = Household.objects.get(code="H0000")
    number = make_id(sequence="000")
    assert number not in household.head_id_sealed
    assert unseal(household.head_id_sealed) == number
    assert household.head_id_index == blind_index("ric", number)
    assert household.head_id_masked == "4116**********" + number[-4:]
    assert household.phone_masked == "138****0000"
    assert household.tag_list == ["独居老人", "返乡"]
    assert household.grid == territory.grid_a1_1


def test_reimporting_the_same_file_changes_nothing(territory):
    text = households_csv(territory, 5)
    registry_import(actor=None, kind="households", table=table(text))
    before = list(Household.objects.order_by("code").values_list("code", "head_id_sealed", "updated_at"))
    again = registry_import(actor=None, kind="households", table=table(text))
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 5, 0)
    assert (
        list(Household.objects.order_by("code").values_list("code", "head_id_sealed", "updated_at")) == before
    )


def test_changed_rows_are_updated(territory):
    registry_import(actor=None, kind="households", table=table(households_csv(territory, 2)))
    changed = households_csv(territory, 2).replace("常营西村1号", "常营西村一号").replace(",3,", ",5,", 1)
    report = registry_import(actor=None, kind="households", table=table(changed))
    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)
    assert Household.objects.get(code="H0001").address == "常营西村一号"
    assert Household.objects.get(code="H0000").members == 5


def test_an_interrupted_import_ends_like_a_clean_one(territory, monkeypatch):
    text = households_csv(territory, 7)
    monkeypatch.setattr(importing, "BATCH_SIZE", 3)
    calls = {"n": 0}
    real = importing._write_batch

    def crash_on_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(importing, "_write_batch", crash_on_second_batch)
    with pytest.raises(RuntimeError):
        registry_import(actor=None, kind="households", table=table(text))
    assert Household.objects.count() == 3  # the first batch landed whole, the second not at all
    monkeypatch.setattr(importing, "_write_batch", real)
    report = registry_import(actor=None, kind="households", table=table(text))
    assert (report.created, report.unchanged) == (4, 3)
    clean = sorted(Household.objects.values_list("code", "address", "members", "head_id_index"))
    Household.objects.all().delete()
    registry_import(actor=None, kind="households", table=table(text))
    assert sorted(Household.objects.values_list("code", "address", "members", "head_id_index")) == clean


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("H9,{grid},地址,张三,,,1,", None, None),
        (",{grid},地址,张三,,,1,", "户编号", "不能为空"),
        ("H9,999999999999999,地址,张三,,,1,", "网格编码", "不存在"),
        ("H9,{grid},,张三,,,1,", "地址", "不能为空"),
        ("H9,{grid},地址,,,,1,", "户主姓名", "不能为空"),
        ("H9,{grid},地址,张三,411627198503121230,,1,", "户主身份证号", "校验位"),
        ("H9,{grid},地址,张三,{bad_date},,1,", "户主身份证号", "出生日期无效"),
        ("H9,{grid},地址,张三,,12345,1,", "联系电话", "电话号码"),
        ("H9,{grid},地址,张三,,,0,", "人口数", "1–99"),
        ("H9,{grid},地址,张三,,,many,", "人口数", "1–99"),
    ],
)
def test_each_household_rule_names_row_column_and_reason(territory, row, column, reason):
    row = row.format(grid=territory.grid_a1_1.code, bad_date=make_id(birth="19850231"))
    report = registry_import(actor=None, kind="households", table=table(HEADER + "\n" + row))
    if column is None:
        assert report.created == 1
        return
    assert report.rejected == 1 and report.created == 0
    error = report.errors[0]
    assert (error.row, error.column) == (2, column)
    assert reason in error.reason


def test_a_1985_taikang_id_is_accepted(territory):
    number = make_id(birth="19850101")
    text = f"户编号,姓名,身份证号\nH0000,张三,{number}"
    registry_import(actor=None, kind="households", table=table(households_csv(territory, 1)))
    report = registry_import(actor=None, kind="residents", table=table(text))
    assert report.created == 1
    resident = Resident.objects.get()
    assert resident.birth_date.year == 1985 and resident.gender == "M"


def test_duplicates_inside_a_file_are_rejected_naming_the_first(territory):
    text = households_csv(territory, 2) + f"\nH0001,{territory.grid_a1_1.code},别处,某人,,,1,"
    report = registry_import(actor=None, kind="households", table=table(text))
    assert report.created == 2
    assert report.errors[0].row == 4 and "第 3 行" in report.errors[0].reason


def test_missing_columns_reject_the_file_and_english_aliases_work(territory):
    with pytest.raises(InvalidInput, match="户主姓名"):
        registry_import(actor=None, kind="households", table=table("户编号,网格编码,地址\nH1,1,x"))
    text = f"household_code,grid_code,address,head_name\nH1,{territory.grid_a1_1.code},addr,Zhang"
    assert registry_import(actor=None, kind="households", table=table(text)).created == 1


def test_residents_need_an_existing_household_in_scope(territory):
    registry_import(actor=None, kind="households", table=table(households_csv(territory, 1)))
    text = "\n".join(
        [
            "户编号,姓名,身份证号,与户主关系,联系电话,标签",
            f"H0000,张三,{make_id(sequence='501')},户主,13900000000,外出务工",
            f"H9999,李四,{make_id(sequence='502')},子,,",
        ]
    )
    report = registry_import(actor=territory.user("township_a"), kind="residents", table=table(text))
    assert report.created == 1
    assert report.errors[0].column == "户编号"
    report = registry_import(actor=territory.user("township_b"), kind="residents", table=table(text))
    assert report.created == 0 and report.rejected == 2  # H0000 is in township A


def test_import_scope_rejects_grids_outside_the_actor(territory):
    text = f"{HEADER}\nH1,{territory.grid_b1_1.code},王集,王五,,,1,"
    report = registry_import(actor=territory.user("township_a"), kind="households", table=table(text))
    assert report.rejected == 1 and "不在您的管辖范围" in report.errors[0].reason
    with pytest.raises(NotAllowed):
        registry_import(actor=territory.user("leader"), kind="households", table=table(text))
    with pytest.raises(NotAllowed):
        registry_import(actor=territory.user("grid_a"), kind="households", table=table(text))


def uscc(body: str) -> str:
    from stdnum.cn import uscc as lib

    return body + lib.calc_check_digit(body + "0")


PLACES = "名称,类型,行业,统一社会信用代码,网格编码,地址,负责人,联系电话,风险等级,销售烟花爆竹,排查登记状态"


def test_places_and_their_rules(territory):
    grid = territory.grid_a1_1.code
    good_code = uscc("91411627MA3X4B5C6")
    village_code = uscc("N2411627MA1234567")
    text = "\n".join(
        [
            PLACES,
            f"好又多超市,超市,,{good_code},{grid},常营街1号,王经理,13812340000,一般风险,是,已登记",
            f"村集体合作社,商店,,{village_code},{grid},常营西村,李社长,,,否,",
            f"小卖部,商店,,,{grid},常营街2号,,,,,",
            f"化工厂,重点企业,,,{grid},工业园,,,,,",
            f"坏代码店,商店,,{good_code[:-1]}0,{grid},街3号,,,,,",
            f"某店,饭馆,,,{grid},街4号,,,,,",
            f"某店2,商店,,,{grid},街5号,,,,也许,",
        ]
    )
    report = registry_import(actor=None, kind="places", table=table(text))
    assert report.created == 3
    reasons = {e.row: (e.column, e.reason) for e in report.errors}
    assert reasons[5][0] == "行业"
    assert reasons[6][0] == "统一社会信用代码"
    assert reasons[7][0] == "类型" and "超市" in reasons[7][1]
    assert reasons[8][0] == "销售烟花爆竹"
    supermarket = Place.objects.get(credit_code=good_code)
    assert supermarket.sells_fireworks and supermarket.registration_status == "registered"
    assert supermarket.risk_level == "general"
    # re-import: keyed by credit code, or by name + address for places without one
    again = registry_import(actor=None, kind="places", table=table(text))
    assert (again.created, again.unchanged) == (0, 3)


LICENCES = "许可证种类,证号,持证单位,统一社会信用代码,网格编码,发证机关,有效期起,有效期止,品种,最大存储量,托运人,承运人,起运地,目的地,运输路线,运输数量"


def test_licences_link_places_and_check_dates(territory):
    grid = territory.grid_a1_1.code
    code = uscc("92411627MA9K8J7H6")
    registry_import(
        actor=None,
        kind="places",
        table=table(f"{PLACES}\n鞭炮零售点,烟花爆竹零售点,,{code},{grid},街1号,,,,是,已登记"),
    )
    text = "\n".join(
        [
            LICENCES,
            f"烟花爆竹经营(零售)许可证,（豫）YH〔2026〕001,鞭炮零售点,{code},,太康县应急管理局,2026-01-01,2026年12月31日,个人燃放类,500kg,,,,,,",
            f"烟花爆竹道路运输许可证,YS-001,运输公司,,{grid},太康县公安局,2026/1/5,2026/1/6,礼花弹,,浏阳某厂,某物流,湖南浏阳,太康县,G106,100箱",
            f"烟花爆竹经营(零售)许可证,X-2,某店,,{grid},应急局,2026-03-01,2026-02-01,,,,,,,,",
            f"烟花爆竹经营(零售)许可证,X-3,某店,{uscc('91411627MA0000000')},,应急局,2026-03-01,2026-04-01,,,,,,,,",
            f"烟花爆竹经营(零售)许可证,X-4,某店,,{grid},应急局,明天,2026-04-01,,,,,,,,",
        ]
    )
    report = registry_import(actor=None, kind="licences", table=table(text))
    assert report.created == 2
    reasons = {e.row: (e.column, e.reason) for e in report.errors}
    assert reasons[4][0] == "有效期止"
    assert reasons[5][0] == "统一社会信用代码" and "先导入场所" in reasons[5][1]
    assert reasons[6][0] == "有效期起"
    retail = Licence.objects.get(number="（豫）YH〔2026〕001")
    assert retail.place.credit_code == code and retail.grid == territory.grid_a1_1
    assert str(retail.valid_to) == "2026-12-31"
    transport = Licence.objects.get(number="YS-001")
    assert (transport.consignor, transport.route) == ("浏阳某厂", "G106")


def test_csv_in_gb18030_and_utf8_bom_and_xlsx(territory, tmp_path):
    import xlsxwriter

    text = households_csv(territory, 2)
    (tmp_path / "gbk.csv").write_bytes(text.encode("gb18030"))
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    book = xlsxwriter.Workbook(str(tmp_path / "sheet.xlsx"))
    sheet = book.add_worksheet()
    for r, line in enumerate(text.splitlines()):
        for c, value in enumerate(line.split(",")):
            if value.isdigit() and c == 6:
                sheet.write_number(r, c, int(value))  # Excel keeps counts as numbers: 3.0 must read as 3
            else:
                sheet.write_string(r, c, value)
    book.close()
    first = registry_import(actor=None, kind="households", table=read_table(tmp_path / "gbk.csv"))
    assert first.created == 2
    for name in ("bom.csv", "sheet.xlsx"):
        report = registry_import(actor=None, kind="households", table=read_table(tmp_path / name))
        assert (report.unchanged, report.rejected) == (2, 0), name
    assert Household.objects.get(code="H0000").address == "常营西村0号"


def test_unsupported_files_are_refused_clearly(tmp_path):
    path = tmp_path / "data.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(InvalidInput, match="不支持"):
        read_table(path)
    bad = tmp_path / "latin.csv"
    bad.write_bytes("户编号\n".encode() + bytes([0xFF, 0xFE, 0x80, 0x81]))
    with pytest.raises(InvalidInput, match="编码"):
        read_table(bad)


def test_rejections_are_all_counted_when_the_report_is_capped(territory, monkeypatch):
    monkeypatch.setattr(importing, "MAX_REPORTED_ERRORS", 1)
    text = "\n".join(
        ["户编号,姓名,身份证号", *(f"NONE{i},某人{i},{make_id(sequence=f'7{i:02d}')}" for i in range(3))]
    )
    report = registry_import(actor=None, kind="residents", table=table(text))
    assert (report.rejected, len(report.errors), report.created) == (3, 1, 0)


def test_rows_cleaned_in_worker_processes_give_the_same_result(territory, settings):
    """A large import checks and seals its rows in forked worker processes: same rows stored, same rejections
    (row, column, reason) in file order, duplicates inside the file still caught across chunks."""
    lines = [HEADER]
    for i in range(2500):
        lines.append(
            f"W{i:05d},{territory.grid_a1_1.code},常营西村{i}号,户主{i},{make_id(sequence=f'{i % 1000:03d}')},138{i:08d},3,"
        )
    lines[10] = lines[10].replace(territory.grid_a1_1.code, "411627999999001")  # no such grid
    lines[1500] = lines[1500].replace(",3,", ",三,")  # not a number
    lines[2400] = lines[1200]  # a duplicate of row 1201, in another chunk
    text = "\n".join(lines)
    settings.GRIDGOV_IMPORT_WORKERS = 0
    assert importing.import_workers(len(lines)) == 0
    sequential = registry_import(actor=None, kind="households", table=table(text))
    stored = list(
        Household.objects.order_by("code").values_list("code", "grid_id", "head_id_index", "members")
    )
    Household.objects.all().delete()

    settings.GRIDGOV_IMPORT_WORKERS = 2
    settings.GRIDGOV_IMPORT_PARALLEL_MIN_ROWS = 100
    assert importing.import_workers(len(lines)) == 2
    parallel = registry_import(actor=None, kind="households", table=table(text))
    assert (parallel.created, parallel.rejected) == (sequential.created, sequential.rejected) == (2497, 3)
    assert [(e.row, e.column, e.reason) for e in parallel.errors] == [
        (e.row, e.column, e.reason) for e in sequential.errors
    ]
    assert [e.row for e in parallel.errors] == [11, 1501, 2401]
    assert (
        list(Household.objects.order_by("code").values_list("code", "grid_id", "head_id_index", "members"))
        == stored
    )
