"""Open311 tests: the shared county, the shipped categories, an integration account with an API token, and
helpers that read both formats (JSON validated against the published GeoReport v2 schemas, XML parsed)."""

import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from django.contrib.auth.models import Permission
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from gridgov.accounts.services import api_token_create
from gridgov.cases.defaults import ensure_default_categories
from gridgov.cases.models import Case, CaseSource, Category, CategoryGroup
from gridgov.cases.services import extras, intake, loop
from gridgov.conftest import make_user

BASE = "/open311/v2"
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "open311" / "schemas"
SCHEMAS = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in SCHEMA_DIR.glob("*.json")}
REGISTRY = Registry().with_resources(
    (name, Resource.from_contents(schema, default_specification=DRAFT7)) for name, schema in SCHEMAS.items()
)

FORMAT_CHECKER = jsonschema.FormatChecker(formats=())


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _w3c_datetime(value) -> bool:
    """GeoReport v2 dates: ISO 8601 with a time zone (Z or an offset)."""
    if not isinstance(value, str):
        return True
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"{value} has no time zone")
    return True


@FORMAT_CHECKER.checks("uri", raises=ValueError)
def _uri(value) -> bool:
    if isinstance(value, str) and "://" not in value:
        raise ValueError(f"{value} is not an absolute URI")
    return True


def validate(document, schema_name: str) -> None:
    """Validates ``document`` against one of the published schemas (``requests.json``, ``services.json`` …)."""
    validator = jsonschema.Draft7Validator(
        SCHEMAS[schema_name], registry=REGISTRY, format_checker=FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def parse_xml(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    body = response.content
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), body[:60]
    return ET.fromstring(body)


def parse_json(response):
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


def xml_errors(response) -> list[tuple[int, str]]:
    root = parse_xml(response)
    assert root.tag == "errors"
    return [(int(e.findtext("code")), e.findtext("description")) for e in root.findall("error")]


def json_errors(response) -> list[tuple[int, str]]:
    body = parse_json(response)
    assert isinstance(body, list) and body
    assert all(set(item) == {"code", "description"} for item in body)
    return [(item["code"], item["description"]) for item in body]


def errors_of(response) -> list[tuple[int, str]]:
    if response["Content-Type"].startswith("application/json"):
        return json_errors(response)
    return xml_errors(response)


def png_bytes(size=(8, 8), color=(200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def element_dict(element: ET.Element) -> dict[str, str | None]:
    """The children of a flat element (one ``request``) as {tag: text}."""
    return {child.tag: child.text for child in element}


@pytest.fixture
def categories(db):
    ensure_default_categories(CategoryGroup, Category)
    return {c.code: c for c in Category.objects.select_related("group")}


@pytest.fixture
def sale(categories):
    """非法销售: public, reward eligible."""
    return categories["fireworks_illegal_sale"]


@pytest.fixture
def private_category(categories):
    """A category the public may not report (other_general is not public)."""
    category = categories["other_general"]
    assert not category.public
    return category


@pytest.fixture
def integration(territory):
    """An integration account (a civic-tech app) holding tips.add_tip, and its plain API token."""
    user = make_user("civic_app", display_name="随手拍 App")
    user.user_permissions.add(add_tip_permission())
    _token, plain = api_token_create(actor=None, user=user, name="open311")
    return user, plain


def add_tip_permission() -> Permission:
    """The permission row, made again if a transactional test before this one flushed the tables (a flush empties
    the content types and permissions that migrations created)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes
    from django.contrib.contenttypes.models import ContentType

    found = Permission.objects.filter(codename="add_tip", content_type__app_label="tips").first()
    if found is None:
        ContentType.objects.clear_cache()
        config = apps.get_app_config("tips")
        create_contenttypes(config, verbosity=0)
        create_permissions(config, verbosity=0)
        found = Permission.objects.get(codename="add_tip", content_type__app_label="tips")
    return found


def token_for(user) -> str:
    return api_token_create(actor=None, user=user, name="test")[1]


def make_case(territory, category, state="reported", *, region=None, **extra) -> Case:
    """A case taken by the hotline (a system source, anywhere in the county) and walked along the loop (through
    the services) to ``state``."""
    u = territory.user
    case = intake.case_report(
        actor=None,
        source=CaseSource.HOTLINE,
        category=category,
        region=region or territory.grid_a1_1,
        title=extra.pop("title", "集市旁流动摊点销售烟花"),
        description=extra.pop("description", "集市东口有流动摊点售卖烟花爆竹"),
        address=extra.pop("address", "常营西村集市东口"),
        **extra,
    )
    if state == "reported":
        return case
    if state == "voided":
        return loop.case_void(actor=u("supervisor"), case=case, note="重复上报").case
    case = loop.case_register(actor=u("supervisor"), case=case).case
    if state == "registered":
        return case
    case = loop.case_dispatch(actor=u("commander"), case=case, department=territory.department).case
    if state == "dispatched":
        return case
    case = loop.case_accept(actor=u("officer"), case=case).case
    if state == "handling":
        return case
    case = loop.case_resolve(actor=u("officer"), case=case, note="已查扣").case
    if state == "resolved":
        return case
    return loop.case_close(actor=u("supervisor"), case=case, note="核查属实").case


def merge(territory, case, into) -> Case:
    return extras.case_merge(actor=territory.user("supervisor"), case=case, into=into).case
