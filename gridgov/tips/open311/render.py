"""GeoReport v2 documents as XML or JSON.

A document is plain Python data (dicts with ordered keys, lists, strings, numbers, booleans, None, aware
datetimes). XML names each list item after its list (``LIST_ITEMS``: ``service_requests`` holds ``request``
elements, ``errors`` holds ``error`` …); JSON writes the same data as is, with the top-level list as an array.

The XML is written by hand rather than through ElementTree: the documents are flat, 1,000 requests are the
common case, and escaping is the only subtlety. Characters that XML 1.0 cannot carry at all (control
characters a grid worker's phone may have pasted into a description) are dropped, so that every answer is
well-formed whatever is stored.
"""

import datetime as dt
import json
import re
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone

XML = "xml"
JSON = "json"
FORMATS = (XML, JSON)
CONTENT_TYPES = {XML: "text/xml; charset=utf-8", JSON: "application/json; charset=utf-8"}

#: The element name of each item of a list, by the list's own name (GeoReport v2's XML examples).
LIST_ITEMS = {
    "service_requests": "request",
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}

_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def w3c_datetime(value: dt.datetime | None) -> str | None:
    """The W3C / ISO 8601 form GeoReport v2 asks for, with the offset of gridgov's time zone."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _escape(text: str) -> str:
    if (
        not text.isprintable()
    ):  # fast path: most text has nothing XML cannot carry (tab and newline land here too)
        text = _XML_INVALID.sub("", text)
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _text(value) -> str:
    if value.__class__ is str:
        return _escape(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return w3c_datetime(value) or ""
    return _escape(str(value))


def _xml_element(name: str, value, out: list[str]) -> None:
    if value is None or value == "" or value == []:
        out.append(f"<{name}/>")
    elif isinstance(value, dict):
        out.append(f"<{name}>")
        for key, child in value.items():
            if child is None or child == "":
                out.append(f"<{key}/>")
            elif child.__class__ in (str, int, float):
                out.append(f"<{key}>{_text(child)}</{key}>")
            else:
                _xml_element(key, child, out)
        out.append(f"</{name}>")
    elif isinstance(value, list | tuple):
        item = LIST_ITEMS[name]
        out.append(f"<{name}>")
        for child in value:
            _xml_element(item, child, out)
        out.append(f"</{name}>")
    else:
        out.append(f"<{name}>{_text(value)}</{name}>")


def to_xml(root: str, document) -> str:
    out = ['<?xml version="1.0" encoding="utf-8"?>']
    _xml_element(root, document, out)
    return "".join(out)


def _json_default(value):
    if isinstance(value, dt.datetime):
        return w3c_datetime(value)
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json(document) -> str:
    return json.dumps(document, ensure_ascii=False, default=_json_default, separators=(",", ":"))


def render(root: str, document, fmt: str, *, status: int = 200) -> HttpResponse:
    """An answer in ``fmt``: XML under the element ``root``, or JSON (where the root has no name)."""
    body = to_xml(root, document) if fmt == XML else to_json(document)
    # "replace": a lone surrogate (never valid UTF-8) must not turn an answer into a 500.
    return HttpResponse(body.encode("utf-8", "replace"), status=status, content_type=CONTENT_TYPES[fmt])
