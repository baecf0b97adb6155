"""Reading spreadsheets as county offices write them: .xlsx (python-calamine) and .csv in UTF-8 (with or without
BOM) or GB18030 (what Excel writes on a Chinese Windows)."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from gridgov.core.exceptions import InvalidInput

CSV_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (spreadsheet row number, cells as text)
    total: int | None


def cell_text(value) -> str:
    """Calamine gives whole numbers as floats (100000.0) and dates as date objects: make every cell text."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return (
            value.isoformat()[:10]
            if not hasattr(value, "hour") or not (value.hour or value.minute)
            else value.isoformat()
        )
    return str(value).strip()


def read_table(path: str | Path, *, filename: str | None = None) -> Table:
    """Opens ``path`` by its extension (or ``filename``'s, for uploads stored under another name)."""
    name = (filename or str(path)).lower()
    if name.endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        return _read_excel(path)
    if name.endswith((".csv", ".txt")):
        return _read_csv(path)
    raise InvalidInput(
        _("不支持的文件类型：%(name)s（请上传 .xlsx 或 .csv）") % {"name": filename or Path(path).name},
        fields={"file": [_("请上传 .xlsx 或 .csv 文件")]},
    )


def _read_csv(path) -> Table:
    raw = Path(path).read_bytes()
    for encoding in CSV_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise InvalidInput(_("无法识别文件编码：请另存为 UTF-8 或 GB18030 编码的 CSV，或直接上传 .xlsx"))
    lines = text.count("\n")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InvalidInput(_("文件是空的")) from None

    def rows():
        for number, row in enumerate(reader, start=2):
            cells = [cell.strip() for cell in row]
            if any(cells):
                yield number, cells

    return Table(headers=headers, rows=rows(), total=max(lines - 1, 0))


def _read_excel(path) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise InvalidInput(_("无法读取 Excel 文件：%(error)s") % {"error": str(exc)[:200]}) from exc
    iterator = iter(sheet.iter_rows())
    try:
        headers = [cell_text(h) for h in next(iterator)]
    except StopIteration:
        raise InvalidInput(_("文件是空的")) from None

    def rows():
        for number, row in enumerate(iterator, start=2):
            cells = [cell_text(c) for c in row]
            if any(cells):
                yield number, cells

    return Table(headers=headers, rows=rows(), total=max(sheet.height - 1, 0))
