"""Parsing GeoReport v2 query and form parameters, each error naming its parameter."""

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from gridgov.tips.open311.errors import bad_request

#: GeoReport v2: "When not set, the default query should return all requests from the last 90 days", and a
#: start_date/end_date range "may not span more than 90 days".
WINDOW = dt.timedelta(days=90)
#: GeoReport v2: an endpoint may return at most 1,000 requests per query.
MAX_RESULTS = 1000
STATUSES = ("open", "closed")
MAX_TEXT = 4000  # GeoReport v2's limit on description
_PLUS_AS_SPACE = re.compile(r"^(.*\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


def clean_text(value, name: str, *, max_length: int = 200) -> str:
    """A text parameter: NUL bytes refused (PostgreSQL cannot store them), surrounding space stripped."""
    text = str(value or "")
    if "\x00" in text:
        raise bad_request(f"{name}: contains a NUL character")
    text = text.strip()
    if len(text) > max_length:
        raise bad_request(f"{name}: longer than {max_length} characters")
    return text


def comma_list(value, name: str, *, limit: int = MAX_RESULTS) -> list[str]:
    """``a,b,c`` (GeoReport v2's way of passing several values), without blanks or repeats."""
    items = list(
        dict.fromkeys(part.strip() for part in clean_text(value, name, max_length=50_000).split(","))
    )
    items = [item for item in items if item]
    if len(items) > limit:
        raise bad_request(f"{name}: more than {limit} values")
    return items


def w3c_datetime_param(value, name: str) -> dt.datetime | None:
    """A W3C datetime (``2026-11-29T08:00:00+08:00``, ``…Z``); a bare date or a datetime without offset is read
    in gridgov's time zone (Asia/Shanghai)."""
    text = clean_text(value, name, max_length=40)
    if not text:
        return None
    try:
        # An unencoded "+08:00" in a query string arrives as " 08:00".
        parsed = parse_datetime(_PLUS_AS_SPACE.sub(r"\1+\2", text))
        if parsed is None:
            day = parse_date(text)
            if day is not None:
                parsed = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        parsed = None
    if parsed is None:
        raise bad_request(f"{name}: not a W3C datetime (for example 2026-11-29T08:00:00+08:00)")
    if (
        not 1900 <= parsed.year <= 9000
    ):  # far enough from datetime's limits for time-zone and window arithmetic
        raise bad_request(f"{name}: out of range")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    return parsed


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime


def request_window(start_raw, end_raw, *, now: dt.datetime | None = None) -> Window:
    """The requested_datetime range of GET requests: the last 90 days by default, never more than 90 days."""
    start = w3c_datetime_param(start_raw, "start_date")
    end = w3c_datetime_param(end_raw, "end_date")
    if start is None and end is None:
        end = now or timezone.now()
        return Window(end - WINDOW, end)
    try:
        if start is None:
            return Window(end - WINDOW, end)
        if end is None:
            return Window(start, start + WINDOW)
    except OverflowError:  # 0001-01-01 minus 90 days, 9999-12-31 plus 90 days
        raise bad_request("start_date, end_date: out of range") from None
    if end < start:
        raise bad_request("end_date: earlier than start_date")
    if end - start > WINDOW:
        raise bad_request("start_date, end_date: may not span more than 90 days")
    return Window(start, end)


def statuses_param(value) -> list[str]:
    statuses = comma_list(value, "status", limit=10)
    wrong = [s for s in statuses if s not in STATUSES]
    if wrong:
        raise bad_request(f"status: must be open or closed (got {', '.join(wrong)[:100]})")
    return statuses
