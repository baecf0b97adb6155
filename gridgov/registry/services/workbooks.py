"""Workbooks gridgov writes: blank import templates and import error reports."""

from pathlib import Path

import xlsxwriter
from django.utils.translation import gettext as _

from gridgov.registry.columns import COLUMNS


def _formats(book):
    return {
        "header": book.add_format({"bold": True, "bg_color": "#DCE6F4", "border": 1}),
        "required": book.add_format({"bold": True, "bg_color": "#F8D7D3", "border": 1}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
    }


def write_template(kind: str, path: str | Path) -> Path:
    """An empty ledger with the import headers (required ones in red) and a sheet explaining each column."""
    columns = COLUMNS[kind]
    path = Path(path)
    book = xlsxwriter.Workbook(str(path))
    fmt = _formats(book)
    text_format = book.add_format({"num_format": "@"})
    sheet = book.add_worksheet(_("数据"))
    for index, column in enumerate(columns):
        sheet.write(0, index, column.header, fmt["required"] if column.required else fmt["header"])
        # Codes and ID numbers must stay text, or Excel turns them into 4.11627E+17.
        sheet.set_column(index, index, max(12, len(column.header) * 3), text_format)
    sheet.freeze_panes(1, 0)
    notes = book.add_worksheet(_("填写说明"))
    for col, title in enumerate((_("列名"), _("是否必填"), _("英文别名"), _("说明"))):
        notes.write(0, col, title, fmt["header"])
    for row, column in enumerate(columns, start=1):
        notes.write(row, 0, column.header)
        notes.write(row, 1, _("必填") if column.required else _("选填"))
        notes.write(row, 2, ", ".join(column.aliases))
        notes.write(row, 3, str(column.help), fmt["wrap"])
    notes.set_column(0, 0, 16)
    notes.set_column(1, 1, 10)
    notes.set_column(2, 2, 28)
    notes.set_column(3, 3, 70)
    book.close()
    return path


def write_error_report(errors, path: str | Path) -> Path:
    """One line per rejected row: its number in the file, the column, the value and the reason."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    fmt = _formats(book)
    sheet = book.add_worksheet(_("错误报告"))
    for col, title in enumerate((_("行号"), _("列"), _("原值"), _("原因"))):
        sheet.write(0, col, title, fmt["header"])
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, 2, 24)
    sheet.set_column(3, 3, 60)
    for row, error in enumerate(errors, start=1):
        sheet.write_number(row, 0, error.row)
        sheet.write_string(row, 1, error.column or _("整行"))
        sheet.write_string(row, 2, error.value or "")
        sheet.write_string(row, 3, error.reason)
    book.close()
    return path
