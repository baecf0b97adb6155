"""GET requests and requests/{service_request_id}: the cases of public categories as service requests."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.cases.models import Case, CaseState
from gridgov.tips.tests.open311.conftest import (
    BASE,
    element_dict,
    errors_of,
    make_case,
    merge,
    parse_json,
    parse_xml,
    validate,
)

pytestmark = pytest.mark.django_db

REQUEST_ELEMENTS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def backdate(case: Case, days: float) -> Case:
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - dt.timedelta(days=days))
    case.refresh_from_db()
    return case


def ids(body) -> list[str]:
    return [r["service_request_id"] for r in body]


def test_a_dispatched_case_in_both_formats(client, territory, sale):
    case = make_case(territory, sale, "dispatched", latitude="34.0625", longitude="114.8531")
    body = parse_json(client.get(f"{BASE}/requests.json"))
    validate(body, "requests.json")
    assert body == [
        {
            "service_request_id": case.number,
            "status": "open",
            "status_notes": "已交由责任单位处置。",
            "service_name": "非法销售",
            "service_code": "fireworks_illegal_sale",
            "description": "集市东口有流动摊点售卖烟花爆竹",
            "agency_responsible": "县应急管理局",
            "service_notice": None,
            "requested_datetime": timezone.localtime(case.created_at).isoformat(timespec="seconds"),
            "updated_datetime": timezone.localtime(case.updated_at).isoformat(timespec="seconds"),
            "expected_datetime": timezone.localtime(case.due_at).isoformat(timespec="seconds"),
            "address": "常营西村集市东口",
            "address_id": territory.grid_a1_1.code,
            "zipcode": None,
            "lat": 34.0625,
            "long": 114.8531,
            "media_url": None,
        }
    ]
    assert body[0]["requested_datetime"].endswith("+08:00")

    root = parse_xml(client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert [c.tag for c in request] == REQUEST_ELEMENTS
    xml = element_dict(request)
    assert xml["service_request_id"] == case.number
    assert xml["status"] == "open"
    assert xml["lat"] == "34.0625" and xml["long"] == "114.8531"
    assert xml["expected_datetime"] == body[0]["expected_datetime"]
    assert xml["zipcode"] is None and xml["media_url"] is None


@pytest.mark.parametrize(
    ("state", "status", "notes"),
    [
        ("reported", "open", "举报已受理。"),
        ("registered", "open", "经核实，已立案。"),
        ("handling", "open", "已交由责任单位处置。"),
        ("resolved", "open", "责任单位已处置，等待核查。"),
        ("closed", "closed", "经核查，问题已处置完毕，已结案。"),
    ],
)
def test_states_map_onto_open_and_closed(client, territory, sale, state, status, notes):
    case = make_case(territory, sale, state)
    (request,) = parse_json(client.get(f"{BASE}/requests/{case.number}.json"))
    assert (request["status"], request["status_notes"]) == (status, notes)
    assert (request["expected_datetime"] is None) == (state in ("reported", "registered"))
    assert (request["agency_responsible"] is None) == (state in ("reported", "registered"))


def test_township_as_responsible_agency(client, territory, sale):
    u = territory.user
    case = make_case(territory, sale, "registered")
    from gridgov.cases.services import loop

    loop.case_dispatch(actor=u("commander"), case=case, township=territory.township_a)
    (request,) = parse_json(client.get(f"{BASE}/requests/{case.number}.json"))
    assert request["agency_responsible"] == "常营镇"


def test_voided_cases_are_not_listed_and_show_no_description(client, territory, sale):
    voided = make_case(territory, sale, "voided", description="骂人的话和电话 13800001111")
    kept = make_case(territory, sale, region=territory.grid_b1_1, address="")
    assert ids(parse_json(client.get(f"{BASE}/requests.json"))) == [kept.number]
    (request,) = parse_json(client.get(f"{BASE}/requests/{voided.number}.json"))
    assert request["status"] == "closed"
    assert request["status_notes"] == "经核实，不予立案。"
    assert request["description"] is None and request["address"] is None
    by_id = parse_json(client.get(f"{BASE}/requests.json", {"service_request_id": voided.number}))
    assert ids(by_id) == [voided.number]


def test_a_merged_case_follows_the_case_it_was_merged_into(client, territory, sale):
    target = make_case(territory, sale, "registered")
    duplicate = merge(territory, make_case(territory, sale, region=territory.grid_a1_2), target)
    assert duplicate.state == CaseState.MERGED
    (request,) = parse_json(client.get(f"{BASE}/requests/{duplicate.number}.json"))
    assert request["status"] == "open"
    assert request["status_notes"] == f"与同一问题的其他举报合并处理。 {target.number}"
    assert set(ids(parse_json(client.get(f"{BASE}/requests.json", {"status": "open"})))) == {
        target.number,
        duplicate.number,
    }
    assert parse_json(client.get(f"{BASE}/requests.json", {"status": "closed"})) == []


def test_cases_of_private_categories_are_not_requests(client, territory, sale, private_category):
    hidden = make_case(territory, private_category)
    shown = make_case(territory, sale)
    assert ids(parse_json(client.get(f"{BASE}/requests.json"))) == [shown.number]
    response = client.get(f"{BASE}/requests/{hidden.number}.json")
    assert response.status_code == 404
    assert errors_of(response) == [(404, f"service_request_id: {hidden.number} not found")]


def test_filters_service_code_status_and_ids(client, territory, categories):
    sale, storage = categories["fireworks_illegal_sale"], categories["fireworks_illegal_storage"]
    a = make_case(territory, sale)
    b = make_case(territory, storage, "closed", region=territory.grid_b1_1)
    c = make_case(territory, sale, "dispatched", region=territory.village_a2)

    def get(**params):
        body = parse_json(client.get(f"{BASE}/requests.json", params))
        validate(body, "requests.json")
        return ids(body)

    assert get() == [c.number, b.number, a.number]  # newest first
    assert get(service_code=sale.code) == [c.number, a.number]
    assert get(service_code=f"{storage.code},{sale.code}") == [c.number, b.number, a.number]
    assert get(status="closed") == [b.number]
    assert get(status="open") == [c.number, a.number]
    assert get(status="open,closed") == [c.number, b.number, a.number]
    assert get(service_code=sale.code, status="closed") == []
    # a list of ids overrides every other parameter (GeoReport v2)
    assert get(service_request_id=f"{a.number},{b.number},nosuch", status="open", service_code=sale.code) == [
        b.number,
        a.number,
    ]


def test_default_window_is_the_last_90_days(client, territory, sale):
    old = backdate(make_case(territory, sale), 91)
    recent = backdate(make_case(territory, sale, region=territory.grid_b1_1), 89)
    assert ids(parse_json(client.get(f"{BASE}/requests.json"))) == [recent.number]
    start = (timezone.localdate() - dt.timedelta(days=100)).isoformat()  # and the 90 days after it
    assert ids(parse_json(client.get(f"{BASE}/requests.json", {"start_date": start}))) == [
        recent.number,
        old.number,
    ]
    start = (timezone.localdate() - dt.timedelta(days=300)).isoformat()
    assert ids(parse_json(client.get(f"{BASE}/requests.json", {"start_date": start}))) == []
    end = timezone.localtime(old.created_at) + dt.timedelta(hours=1)
    body = parse_json(client.get(f"{BASE}/requests.json", {"end_date": end.isoformat()}))
    assert ids(body) == [old.number]


def test_w3c_dates_with_offsets_z_and_unencoded_plus(client, territory, sale):
    case = make_case(territory, sale)
    local = timezone.localtime(case.created_at).replace(microsecond=0)
    before, after = local - dt.timedelta(minutes=1), local + dt.timedelta(minutes=1)
    for start, end in [
        (before.isoformat(), after.isoformat()),
        (
            before.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            after.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        ),
    ]:
        assert ids(
            parse_json(client.get(f"{BASE}/requests.json", {"start_date": start, "end_date": end}))
        ) == [case.number]
    # "+08:00" left unencoded in a query string arrives as " 08:00"
    raw = f"{BASE}/requests.json?start_date={before.strftime('%Y-%m-%dT%H:%M:%S')}+08:00"
    assert ids(parse_json(client.get(raw))) == [case.number]
    later = (after + dt.timedelta(minutes=5)).isoformat()
    assert parse_json(client.get(f"{BASE}/requests.json", {"start_date": later})) == []


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize(
    ("params", "description"),
    [
        (
            {"start_date": "yesterday"},
            "start_date: not a W3C datetime (for example 2026-11-29T08:00:00+08:00)",
        ),
        ({"end_date": "2026-13-45"}, "end_date: not a W3C datetime (for example 2026-11-29T08:00:00+08:00)"),
        (
            {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-05-01T00:00:00+08:00"},
            "start_date, end_date: may not span more than 90 days",
        ),
        (
            {"start_date": "2026-02-01T00:00:00+08:00", "end_date": "2026-01-01T00:00:00+08:00"},
            "end_date: earlier than start_date",
        ),
        ({"status": "pending"}, "status: must be open or closed (got pending)"),
        ({"service_code": "fireworks_illegal_sale,nosuch"}, "service_code: nosuch not found"),
        ({"service_code": "other_general"}, "service_code: other_general not found"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, territory, categories, fmt, params, description):
    response = client.get(f"{BASE}/requests.{fmt}", params)
    assert response.status_code == 400
    assert errors_of(response) == [(400, description)]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_unknown_request_id_is_404(client, territory, categories, fmt):
    response = client.get(f"{BASE}/requests/2026010100001.{fmt}")
    assert response.status_code == 404
    assert errors_of(response) == [(404, "service_request_id: 2026010100001 not found")]


def test_request_detail_in_xml(client, territory, sale):
    case = make_case(territory, sale, "closed")
    root = parse_xml(client.get(f"{BASE}/requests/{case.number}.xml"))
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert [c.tag for c in request] == REQUEST_ELEMENTS
    assert element_dict(request)["status"] == "closed"


def test_at_most_1000_requests(client, territory, sale):
    template = make_case(territory, sale)
    Case.objects.bulk_create(
        [
            Case(
                number=f"T{i:07d}",
                category=sale,
                region=template.region,
                township=template.township,
                source=template.source,
                title="t",
                description="d",
            )
            for i in range(1000)
        ]
    )
    Case.objects.filter(pk=template.pk).update(created_at=timezone.now())
    body = parse_json(client.get(f"{BASE}/requests.json"))
    assert len(body) == 1000
    # newest first (then the highest id): the template, T0000999 … T0000001; T0000000 is the 1001st
    assert ids(body)[:2] == [template.number, "T0000999"]
    assert ids(body)[-1] == "T0000001"


def test_xml_is_well_formed_whatever_was_stored(client, territory, sale):
    case = make_case(territory, sale, description="<b>油&盐</b>\x01\x0b ]]> \"引号\" 'x'")
    root = parse_xml(client.get(f"{BASE}/requests.xml"))
    assert root.find("request/description").text == "<b>油&盐</b> ]]> \"引号\" 'x'"
    assert parse_json(client.get(f"{BASE}/requests/{case.number}.json"))[0]["description"].startswith(
        "<b>油&盐"
    )


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_query_count_does_not_grow_with_the_list(client, territory, sale, django_assert_num_queries):
    make_case(territory, sale, "dispatched")
    merge(
        territory,
        make_case(territory, sale, region=territory.grid_b1_1),
        make_case(territory, sale, "registered", region=territory.village_b2),
    )
    with django_assert_num_queries(2):  # the county, the requests
        body = parse_json(client.get(f"{BASE}/requests.json"))
    assert len(body) == 3
    small = _queries(client, f"{BASE}/requests.xml")
    for i in range(12):
        make_case(
            territory, sale, "handling" if i % 2 else "closed", region=territory.village_a2, address=f"{i}号"
        )
    assert len(parse_json(client.get(f"{BASE}/requests.json"))) == 15
    assert _queries(client, f"{BASE}/requests.xml") == small
    with django_assert_num_queries(3):  # the county, the known service codes, the requests
        client.get(f"{BASE}/requests.json", {"service_code": sale.code})
