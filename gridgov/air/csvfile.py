"""The CSV form of hourly readings (``gridgov air_import``): one station-hour a row.

Columns: ``station`` (code), ``time`` (start of the hour, ``2026-01-05 13:00``, local time unless it carries an
offset), ``pm25 pm10 so2 no2 co o3`` (µg/m³, CO mg/m³; empty = not measured) and optionally ``<pollutant>_valid``
(1/0, true/false; empty = valid). Row numbers count the header as row 1, as a spreadsheet shows them.
"""

import csv
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.air.engine import POLLUTANTS
from gridgov.air.services.readings import ReadingRow, RowError

REQUIRED = ("station", "time")
TRUE = {"1", "true", "yes", "y", "t", "valid", "是"}
FALSE = {"0", "false", "no", "n", "f", "invalid", "否"}


class CsvHeaderError(ValueError):
    pass


class CsvFormatError(CsvHeaderError):
    """A line the csv module cannot read at all (a field above its size limit, a broken quote …)."""


#: How much of a bad cell an error message quotes: enough to find it, not the whole of a runaway cell.
QUOTE = 40


def quoted(text) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= QUOTE else text[:QUOTE] + "…"


def parse_time(text: str) -> dt.datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        return None
    if not 1970 <= moment.year <= 2100:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def parse_number(text: str):
    text = (text or "").strip()
    if text == "" or text == "—" or text.upper() in {"NA", "NAN", "NULL"}:
        return None
    return float(text)


def read_rows(handle) -> Iterator[ReadingRow | RowError]:
    """ReadingRows (values parsed) or RowErrors for rows that cannot be parsed, in file order."""
    reader = csv.DictReader(handle)
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in headers]
    if missing:
        raise CsvHeaderError(_("缺少列：%(columns)s") % {"columns": ", ".join(missing)})
    if not any(p in headers for p in POLLUTANTS):
        raise CsvHeaderError(_("至少需要一列污染物：%(columns)s") % {"columns": ", ".join(POLLUTANTS)})
    reader.fieldnames = headers
    number = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CsvFormatError(
                _("第 %(row)s 行之后的内容无法按 CSV 读取：%(error)s") % {"row": number, "error": exc}
            ) from exc
        number += 1
        nul = next((k for k, v in record.items() if isinstance(v, str) and "\x00" in v), None)
        if nul is not None:
            yield RowError(number, str(nul), _("含有空字符（NUL），不是文本。"))
            continue
        values, valid, error = {}, {}, None
        for key in POLLUTANTS:
            try:
                values[key] = parse_number(record.get(key) or "")
            except ValueError:
                error = RowError(
                    number,
                    key,
                    _("%(name)s 不是数字：%(value)s") % {"name": key, "value": quoted(record.get(key))},
                )
                break
            flag = (record.get(f"{key}_valid") or "").strip().lower()
            if flag and flag not in TRUE | FALSE:
                error = RowError(number, f"{key}_valid", _("有效标记须为 1 或 0。"))
                break
            valid[key] = flag not in FALSE
        if error:
            yield error
            continue
        time_text = record.get("time") or ""
        moment = parse_time(time_text)
        if moment is None:
            yield RowError(number, "time", _("时间无法识别：%(value)s") % {"value": quoted(time_text)})
            continue
        yield ReadingRow(
            row=number,
            station=(record.get("station") or "").strip(),
            observed_at=moment,
            values=values,
            valid=valid,
        )
