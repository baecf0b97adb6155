"""discovery, services and services/{service_code}: both formats, the spec's element names, the published
schemas, and the error cases (GeoReport v2)."""

import pytest

from gridgov.cases.models import Category
from gridgov.conftest import COUNTY, TOWNSHIP_A, TOWNSHIP_B
from gridgov.tips.tests.open311.conftest import (
    BASE,
    errors_of,
    parse_json,
    parse_xml,
    validate,
)

pytestmark = pytest.mark.django_db


def test_discovery_names_the_endpoint_in_both_formats(client, territory, categories):
    root = parse_xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [child.tag for child in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://testserver/open311/v2/"
    assert endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]

    body = parse_json(client.get(f"{BASE}/discovery.json"))
    assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert body["endpoints"][0]["changeset"].endswith("+08:00")
    assert body["contact"]


def test_root_answers_the_discovery_document_in_xml(client, territory, categories):
    assert parse_xml(client.get(f"{BASE}/")).tag == "discovery"


def test_services_are_the_public_categories_in_use(client, territory, categories):
    expected = list(
        Category.objects.filter(public=True, is_active=True)
        .order_by("group__sort_order", "sort_order", "code")
        .values_list("code", flat=True)
    )
    assert expected and "other_general" not in expected
    body = parse_json(client.get(f"{BASE}/services.json"))
    validate(body, "services.json")
    assert [s["service_code"] for s in body] == expected
    sale = next(s for s in body if s["service_code"] == "fireworks_illegal_sale")
    assert sale == {
        "service_code": "fireworks_illegal_sale",
        "service_name": "非法销售",
        "description": categories["fireworks_illegal_sale"].register_condition,
        "metadata": True,
        "type": "realtime",
        "keywords": "烟花爆竹",
        "group": "烟花爆竹",
    }

    root = parse_xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    services = root.findall("service")
    assert [s.findtext("service_code") for s in services] == expected
    assert [c.tag for c in services[0]] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert services[0].findtext("metadata") == "true"


def test_a_retired_category_is_no_longer_a_service(client, territory, sale):
    Category.objects.filter(pk=sale.pk).update(is_active=False)
    codes = [s["service_code"] for s in parse_json(client.get(f"{BASE}/services.json"))]
    assert sale.code not in codes
    response = client.get(f"{BASE}/services/{sale.code}.json")
    assert response.status_code == 404


def test_service_definition_lists_the_townships_and_attributes(client, territory, sale):
    body = parse_json(client.get(f"{BASE}/services/{sale.code}.json"))
    validate(body, "service-definition.json")
    assert body["service_code"] == sale.code
    by_code = {a["code"]: a for a in body["attributes"]}
    assert list(by_code) == ["township", "title", "anonymous", "reward"]
    township = by_code["township"]
    assert township["required"] is True and township["variable"] is True
    assert township["datatype"] == "singlevaluelist"
    assert township["values"] == [
        {"key": TOWNSHIP_A, "name": "常营镇"},
        {"key": TOWNSHIP_B, "name": "王集乡"},
    ]
    assert by_code["reward"]["variable"] is False  # information, not an input

    root = parse_xml(client.get(f"{BASE}/services/{sale.code}.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == sale.code
    attribute = root.find("attributes/attribute")
    assert [c.tag for c in attribute] == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert [(v.findtext("key"), v.findtext("name")) for v in attribute.findall("values/value")] == [
        (TOWNSHIP_A, "常营镇"),
        (TOWNSHIP_B, "王集乡"),
    ]


def test_a_category_without_reward_has_no_reward_note(client, territory, categories):
    plain = Category.objects.filter(public=True, is_active=True, reward_eligible=False).first()
    assert plain is not None
    body = parse_json(client.get(f"{BASE}/services/{plain.code}.json"))
    assert "reward" not in [a["code"] for a in body["attributes"]]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_unknown_or_private_service_is_404(client, territory, private_category, fmt):
    for code in ("no_such_service", private_category.code):
        response = client.get(f"{BASE}/services/{code}.{fmt}")
        assert response.status_code == 404
        assert errors_of(response) == [(404, f"service_code: {code} not found")]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_jurisdiction_is_the_county_code(client, territory, sale, fmt):
    ok = client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": COUNTY})
    assert ok.status_code == 200
    for path in ("services", f"services/{sale.code}", "requests"):
        response = client.get(f"{BASE}/{path}.{fmt}", {"jurisdiction_id": "411600"})
        assert response.status_code == 404, path
        assert errors_of(response) == [(404, "jurisdiction_id: 411600 not found")]
    # a township's code is not a jurisdiction either
    assert client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": TOWNSHIP_A}).status_code == 404


def test_configured_jurisdiction_limits_the_codes(client, territory, categories, settings):
    settings.GRIDGOV_OPEN311_JURISDICTION = COUNTY
    assert client.get(f"{BASE}/services.json").status_code == 200
    settings.GRIDGOV_OPEN311_JURISDICTION = "419999"
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 404
    assert "419999" in errors_of(response)[0][1]


def test_an_unknown_format_is_a_400_in_xml(client, territory, categories):
    response = client.get(f"{BASE}/services.html")
    assert response.status_code == 400
    assert xml_or_fail(response) == [(400, "format: must be xml or json")]


def xml_or_fail(response):
    parse_xml(response)
    return errors_of(response)


def test_format_parameter_without_suffix(client, territory, categories):
    assert parse_json(client.get(f"{BASE}/services", {"format": "json"}))
    assert parse_xml(client.get(f"{BASE}/services")).tag == "services"


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(client, territory, categories, method):
    response = getattr(client, method)(f"{BASE}/services.json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert errors_of(response) == [(405, f"method: {method.upper()} is not allowed here")]
    assert client.post(f"{BASE}/services.json").status_code == 405


def test_with_two_counties_the_jurisdiction_must_be_named(client, territory, sale):
    from gridgov.territory.services import DivisionRow, divisions_import

    divisions_import(
        actor=None,
        rows=[
            DivisionRow(2, "411628", "鹿邑县", "county", "411600"),
            DivisionRow(3, "411628100", "真源街道", "township", "411628"),
        ],
    )
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 400
    assert errors_of(response) == [
        (400, "jurisdiction_id: not provided (this endpoint serves several counties)")
    ]
    other = parse_json(client.get(f"{BASE}/services/{sale.code}.json", {"jurisdiction_id": "411628"}))
    assert other["attributes"][0]["values"] == [{"key": "411628100", "name": "真源街道"}]
    ours = parse_json(client.get(f"{BASE}/services/{sale.code}.json", {"jurisdiction_id": COUNTY}))
    assert [v["key"] for v in ours["attributes"][0]["values"]] == [TOWNSHIP_A, TOWNSHIP_B]


def test_the_single_county_is_found_in_one_indexed_query(
    client, territory, categories, django_assert_num_queries
):
    with django_assert_num_queries(2):  # the county, the services
        assert client.get(f"{BASE}/services.json").status_code == 200


def test_public_reads_may_be_fetched_from_another_origin(client, territory, categories):
    assert client.get(f"{BASE}/services.json")["Access-Control-Allow-Origin"] == "*"
    assert client.get(f"{BASE}/services/nosuch.json")["Access-Control-Allow-Origin"] == "*"
    assert not client.post(f"{BASE}/requests.json").has_header("Access-Control-Allow-Origin")
