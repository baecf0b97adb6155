"""A streaming .xlsx writer for ledgers of a million rows: text and whole numbers, a styled header row, column
widths and a frozen header, one or more sheets, constant memory.

Why not XlsxWriter for these: a county-wide resident ledger is 1.3 million rows of eleven cells, and XlsxWriter
spends about 4 µs a cell on checks and bookkeeping this kind of sheet does not need (a minute for the county).
Here a row is one string built from precomputed cell references and one ``str.translate`` per text cell, which
escapes XML and drops the control characters XML 1.0 cannot carry. Each sheet's XML goes to a temporary file as
it is written and is compressed into the package on ``close()``. Files open in Excel, WPS and LibreOffice, and
are read back by python-calamine in the tests.
"""

import os
import tempfile
import zipfile
from xml.sax.saxutils import escape as xml_escape

MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
SHEET_NAME_MAX = 31
_FORBIDDEN_IN_SHEET_NAMES = set("[]:*?/\\")

# XML-escape and drop the C0 control characters XML 1.0 forbids (tab, newline and carriage return are kept).
_TEXT = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}
_TEXT.update({code: None for code in range(32) if code not in (9, 10, 13)})
_TEXT.update({0xFFFE: None, 0xFFFF: None})


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class SheetFull(Exception):
    pass


class _Sheet:
    def __init__(self, name: str, directory: str, number: int):
        self.name = name
        self.number = number
        self.path = os.path.join(directory, f"sheet{number}.xml")
        self.handle = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed by the book)
        self.rows = 0
        self.widths: dict[int, float] = {}
        self.freeze_rows = 0
        self._letters: list[str] = []
        self._started = False

    def _letters_for(self, n: int) -> list[str]:
        if len(self._letters) < n:
            self._letters = [column_letter(i) for i in range(max(n, 2 * len(self._letters)))]
        return self._letters

    def set_column_width(self, first: int, last: int, width: float) -> None:
        if self._started:
            raise RuntimeError("column widths must be set before the first row")
        for col in range(first, last + 1):
            self.widths[col] = width

    def freeze_top_rows(self, rows: int) -> None:
        if self._started:
            raise RuntimeError("panes must be frozen before the first row")
        self.freeze_rows = rows

    def _start(self) -> None:
        self._started = True
        write = self.handle.write
        write(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        )
        if self.freeze_rows:
            cell = f"A{self.freeze_rows + 1}"
            write(
                '<sheetViews><sheetView workbookViewId="0">'
                f'<pane ySplit="{self.freeze_rows}" topLeftCell="{cell}" activePane="bottomLeft" state="frozen"/>'
                f'<selection pane="bottomLeft" activeCell="{cell}" sqref="{cell}"/>'
                "</sheetView></sheetViews>"
            )
        if self.widths:
            write("<cols>")
            for col in sorted(self.widths):
                write(f'<col min="{col + 1}" max="{col + 1}" width="{self.widths[col]}" customWidth="1"/>')
            write("</cols>")
        write("<sheetData>")

    def write_row(self, values, *, style: int = 0) -> None:
        """One row: str (or anything else, written as its text) and int cells; None is an empty cell."""
        if not self._started:
            self._start()
        if self.rows >= MAX_ROWS:
            raise SheetFull(self.name)
        self.rows += 1
        n = self.rows
        letters = self._letters_for(len(values))
        if len(values) > MAX_COLUMNS:
            raise ValueError("too many columns")
        s = f' s="{style}"' if style else ""
        parts = [f'<row r="{n}">']
        append = parts.append
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if type(value) is int:
                append(f'<c r="{letters[col]}{n}"{s}><v>{value}</v></c>')
            else:
                text = (value if type(value) is str else str(value)).translate(_TEXT)
                append(
                    f'<c r="{letters[col]}{n}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
                )
        append("</row>")
        self.handle.write("".join(parts))

    def _finish(self) -> None:
        if not self._started:
            self._start()
        self.handle.write("</sheetData></worksheet>")
        self.handle.close()


class Workbook:
    """``with Workbook(path) as book: sheet = book.add_sheet("台账"); sheet.write_row([...], style=book.HEADER)``.

    Style 0 is the default cell; ``Workbook.HEADER`` is bold on a light blue fill with a thin border.
    """

    HEADER = 1

    def __init__(self, path):
        self.path = os.fspath(path)
        self._tmp = tempfile.TemporaryDirectory(prefix="gridgov-xlsx-")
        self.sheets: list[_Sheet] = []
        self._closed = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.discard()

    def add_sheet(self, name: str) -> _Sheet:
        clean = "".join("_" if ch in _FORBIDDEN_IN_SHEET_NAMES else ch for ch in name).strip("'")[
            :SHEET_NAME_MAX
        ]
        clean = clean or f"Sheet{len(self.sheets) + 1}"
        taken = {sheet.name.lower() for sheet in self.sheets}
        candidate, n = clean, 1
        while candidate.lower() in taken:
            n += 1
            suffix = f"({n})"
            candidate = clean[: SHEET_NAME_MAX - len(suffix)] + suffix
        sheet = _Sheet(candidate, self._tmp.name, len(self.sheets) + 1)
        self.sheets.append(sheet)
        return sheet

    def discard(self) -> None:
        for sheet in self.sheets:
            if not sheet.handle.closed:
                sheet.handle.close()
        self._tmp.cleanup()
        self._closed = True

    def close(self) -> None:
        if self._closed:
            return
        if not self.sheets:
            self.add_sheet("Sheet1")
        for sheet in self.sheets:
            sheet._finish()
        try:
            with zipfile.ZipFile(
                self.path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6
            ) as package:
                package.writestr("[Content_Types].xml", self._content_types())
                package.writestr("_rels/.rels", _ROOT_RELS)
                package.writestr("xl/workbook.xml", self._workbook_xml())
                package.writestr("xl/_rels/workbook.xml.rels", self._workbook_rels())
                package.writestr("xl/styles.xml", _STYLES)
                for sheet in self.sheets:
                    package.write(sheet.path, f"xl/worksheets/sheet{sheet.number}.xml")
        finally:
            self._tmp.cleanup()
            self._closed = True

    def _content_types(self) -> str:
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{s.number}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for s in self.sheets
        )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{sheets}</Types>"
        )

    def _workbook_xml(self) -> str:
        sheets = "".join(
            f'<sheet name="{xml_escape(s.name, {chr(34): "&quot;"})}" sheetId="{s.number}" r:id="rId{s.number}"/>'
            for s in self.sheets
        )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{sheets}</sheets></workbook>"
        )

    def _workbook_rels(self) -> str:
        rels = "".join(
            f'<Relationship Id="rId{s.number}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{s.number}.xml"/>'
            for s in self.sheets
        )
        styles_id = len(self.sheets) + 1
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}"
            f'<Relationship Id="rId{styles_id}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
            'Target="styles.xml"/></Relationships>'
        )


_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)

_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="等线"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="等线"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDCE6F4"/><bgColor indexed="64"/></patternFill></fill>'
    "</fills>"
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>'
    '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/></border>'
    "</borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
