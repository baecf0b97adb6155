"""The streaming .xlsx writer: what it writes reads back the same (python-calamine), every part is well-formed XML
of the SpreadsheetML names, and awkward text (markup, control characters, leading zeros) survives."""

import xml.etree.ElementTree as ET
import zipfile

import pytest
from python_calamine import CalamineWorkbook

from gridgov.core.xlsx import MAX_ROWS, SheetFull, Workbook, column_letter

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def read(path):
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}


def test_column_letters():
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702, 16383)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD",
    ]  # fmt: skip


def test_rows_read_back_with_their_types(tmp_path):
    path = tmp_path / "ledger.xlsx"
    with Workbook(path) as book:
        sheet = book.add_sheet("台账")
        sheet.set_column_width(0, 3, 16)
        sheet.freeze_top_rows(1)
        sheet.write_row(["户编号", "姓名", "人数", "备注"], style=Workbook.HEADER)
        sheet.write_row(["001", "张三", 4, "a < b & c > d"])
        sheet.write_row(["002", "李四", 0, None])
        sheet.write_row(["003", " 前后有空格 ", 12, "第一行\n第二行"])
    rows = read(path)["台账"]
    assert rows[0] == ["户编号", "姓名", "人数", "备注"]
    assert rows[1] == ["001", "张三", 4, "a < b & c > d"]  # leading zeros stay: the code is text
    assert rows[2][:3] == ["002", "李四", 0] and rows[2][3] in ("", None)
    assert rows[3] == ["003", " 前后有空格 ", 12, "第一行\n第二行"]


def test_control_characters_are_dropped_and_the_xml_stays_well_formed(tmp_path):
    path = tmp_path / "odd.xlsx"
    with Workbook(path) as book:
        book.add_sheet("x").write_row(["a\x00b\x07c\x1fd", "tab\there", "<script>&amp;"])
    assert read(path)["x"][0] == ["abcd", "tab\there", "<script>&amp;"]
    with zipfile.ZipFile(path) as package:
        names = set(package.namelist())
        assert {
            "[Content_Types].xml",
            "_rels/.rels",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/styles.xml",
            "xl/worksheets/sheet1.xml",
        } <= names
        for name in names:
            ET.fromstring(package.read(name))  # raises on malformed XML
        sheet = ET.fromstring(package.read("xl/worksheets/sheet1.xml"))
    assert sheet.tag == f"{MAIN}worksheet"
    cells = sheet.findall(f"{MAIN}sheetData/{MAIN}row/{MAIN}c")
    assert [c.get("r") for c in cells] == ["A1", "B1", "C1"]
    assert all(c.get("t") == "inlineStr" for c in cells)


def test_header_style_widths_and_frozen_pane_are_written(tmp_path):
    path = tmp_path / "styled.xlsx"
    with Workbook(path) as book:
        sheet = book.add_sheet("台账")
        sheet.set_column_width(0, 1, 16)
        sheet.freeze_top_rows(1)
        sheet.write_row(["乡镇", "村"], style=Workbook.HEADER)
        sheet.write_row(["城关镇", "东村"])
    with zipfile.ZipFile(path) as package:
        sheet = ET.fromstring(package.read("xl/worksheets/sheet1.xml"))
        styles = ET.fromstring(package.read("xl/styles.xml"))
    pane = sheet.find(f"{MAIN}sheetViews/{MAIN}sheetView/{MAIN}pane")
    assert pane.get("state") == "frozen" and pane.get("ySplit") == "1"
    assert [(c.get("min"), c.get("width")) for c in sheet.findall(f"{MAIN}cols/{MAIN}col")] == [
        ("1", "16"),
        ("2", "16"),
    ]
    header, body = sheet.findall(f"{MAIN}sheetData/{MAIN}row")
    assert {c.get("s") for c in header} == {"1"} and {c.get("s") for c in body} == {None}
    header_xf = styles.findall(f"{MAIN}cellXfs/{MAIN}xf")[1]
    assert (
        styles.findall(f"{MAIN}fonts/{MAIN}font")[int(header_xf.get("fontId"))].find(f"{MAIN}b") is not None
    )


def test_sheet_names_are_cleaned_shortened_and_unique(tmp_path):
    path = tmp_path / "names.xlsx"
    long = "某某乡镇" * 10
    with Workbook(path) as book:
        names = [book.add_sheet(n).name for n in (long, long, "a/b:c", "A/B:C", "")]
    assert names[0] == long[:31] and len(names[1]) <= 31 and names[1] != names[0]
    assert names[2] == "a_b_c" and names[3].lower() != names[2].lower()
    assert names[4] == "Sheet5"
    assert list(read(path)) == names


def test_layout_calls_after_the_first_row_are_refused(tmp_path):
    with Workbook(tmp_path / "late.xlsx") as book:
        sheet = book.add_sheet("x")
        sheet.write_row(["a"])
        with pytest.raises(RuntimeError):
            sheet.freeze_top_rows(1)
        with pytest.raises(RuntimeError):
            sheet.set_column_width(0, 0, 10)


def test_a_full_sheet_says_so(tmp_path):
    with Workbook(tmp_path / "full.xlsx") as book:
        sheet = book.add_sheet("x")
        sheet.rows = MAX_ROWS  # as if a million rows had been written
        with pytest.raises(SheetFull):
            sheet.write_row(["one too many"])


def test_an_error_leaves_no_file_behind(tmp_path):
    path = tmp_path / "broken.xlsx"
    with pytest.raises(ZeroDivisionError), Workbook(path) as book:
        book.add_sheet("x").write_row(["a"])
        1 / 0  # noqa: B018
    assert not path.exists()
