"""POST requests (an integration account files a tip) and GET tokens/{token}."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.accounts.services import api_token_revoke
from gridgov.cases.models import CaseReport, CaseSource, CaseState
from gridgov.conftest import COUNTY, GRID_A1_1, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A2, VILLAGE_B1
from gridgov.core.audit import audit_list
from gridgov.tips.models import Tip
from gridgov.tips.tests.open311.conftest import (
    BASE,
    errors_of,
    make_case,
    parse_json,
    parse_xml,
    png_bytes,
    token_for,
    validate,
)

pytestmark = pytest.mark.django_db


def form(api_key, **extra):
    data = {
        "api_key": api_key,
        "service_code": "fireworks_illegal_sale",
        "lat": "34.06251",
        "long": "114.85312",
        "address_string": "常营镇集市东口",
        "attribute[township]": TOWNSHIP_A,
        "description": "集市东口有人用面包车卖烟花",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def test_post_files_a_tip_and_a_case(client, territory, sale, integration):
    user, key = integration
    response = client.post(
        f"{BASE}/requests.json", form(key, address_id=VILLAGE_A2, **{"attribute[title]": "面包车卖烟花"})
    )
    assert response.status_code == 201
    (receipt,) = parse_json(response)
    assert set(receipt) == {"service_request_id", "token", "service_notice", "account_id"}
    tip = Tip.objects.select_related("case", "case__region").get(tracking_code=receipt["token"])
    assert receipt["service_request_id"] == tip.case.number
    assert receipt["token"] in receipt["service_notice"]
    assert tip.channel == Tip.Channel.OPEN311
    assert tip.entered_by == user
    case = tip.case
    assert (case.state, case.source, case.category_id) == (CaseState.REPORTED, CaseSource.TIP, sale.pk)
    assert case.region.code == VILLAGE_A2
    assert case.title == "面包车卖烟花"
    assert str(case.latitude) == "34.062510" and case.address == "常营镇集市东口"
    assert [a.action for a in audit_list(action="tip.submit")] == ["tip.submit"]
    # the new request is visible at once
    (request,) = parse_json(client.get(f"{BASE}/requests/{case.number}.json"))
    assert request["status"] == "open" and request["address_id"] == VILLAGE_A2


def test_post_answers_xml_with_the_spec_elements(client, territory, sale, integration):
    response = client.post(f"{BASE}/requests.xml", form(integration[1], jurisdiction_id=COUNTY))
    assert response.status_code == 201
    root = parse_xml(response)
    assert root.tag == "service_requests"
    request = root.find("request")
    assert [c.tag for c in request] == ["service_request_id", "token", "service_notice", "account_id"]
    assert Tip.objects.filter(tracking_code=request.findtext("token")).exists()


def test_token_leads_to_the_request(client, territory, sale, integration):
    (receipt,) = parse_json(client.post(f"{BASE}/requests.json", form(integration[1])))
    token = receipt["token"]
    body = parse_json(client.get(f"{BASE}/tokens/{token}.json"))
    assert body == [{"service_request_id": receipt["service_request_id"], "token": token}]
    root = parse_xml(client.get(f"{BASE}/tokens/{token.lower()}.xml"))
    assert [(r.findtext("service_request_id"), r.findtext("token")) for r in root.findall("request")] == [
        (receipt["service_request_id"], token)
    ]
    missing = client.get(f"{BASE}/tokens/AAAAAAAAAA.json")
    assert missing.status_code == 404
    assert errors_of(missing) == [(404, "token: AAAAAAAAAA not found")]


def test_a_duplicate_joins_the_open_case_with_its_own_token(client, territory, sale, integration):
    first = parse_json(client.post(f"{BASE}/requests.json", form(integration[1])))[0]
    second = parse_json(client.post(f"{BASE}/requests.json", form(integration[1], lat="34.06252")))[0]
    assert second["service_request_id"] == first["service_request_id"]
    assert second["token"] != first["token"]
    assert "并入同一案件" in second["service_notice"]
    assert CaseReport.objects.filter(case__number=first["service_request_id"]).count() == 2


def test_json_body_and_nested_attributes(client, territory, sale, integration):
    body = form(integration[1])
    del body["attribute[township]"]
    body["attribute"] = {"township": TOWNSHIP_B, "anonymous": "true"}
    body["address_id"] = VILLAGE_B1
    response = client.post(f"{BASE}/requests.json", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    tip = Tip.objects.get(tracking_code=parse_json(response)[0]["token"])
    assert tip.case.region.code == VILLAGE_B1 and tip.anonymous


def test_a_photo_uploaded_as_media_is_attached(client, territory, sale, integration):
    photo = SimpleUploadedFile("IMG_张三.png", png_bytes(), content_type="image/png")
    response = client.post(f"{BASE}/requests.json", {**form(integration[1]), "media": photo})
    assert response.status_code == 201, response.content
    tip = Tip.objects.get(tracking_code=parse_json(response)[0]["token"])
    (attachment,) = tip.case.attachments.all()
    assert "张三" not in attachment.file.name
    # media_url stays empty: photos are not served to the public
    (request,) = parse_json(client.get(f"{BASE}/requests/{tip.case.number}.json"))
    assert request["media_url"] is None


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_api_key_is_required_and_must_be_live(client, territory, sale, integration, fmt):
    user, key = integration
    for data in (form(None), form(""), form("ggv_not-a-token"), form("ggv_x\x00")):
        response = client.post(f"{BASE}/requests.{fmt}", data)
        assert response.status_code == 403
        assert errors_of(response) == [(403, "api_key: missing or invalid")]
    api_token_revoke(actor=None, token=user.api_tokens.get())
    response = client.post(f"{BASE}/requests.{fmt}", form(key))
    assert response.status_code == 403
    assert not Tip.objects.exists()


def test_api_key_in_the_url_is_refused_and_a_bearer_header_works(client, territory, sale, integration):
    _user, key = integration
    data = form(None)
    data.pop("api_key", None)
    response = client.post(f"{BASE}/requests.json?api_key={key}", data)
    assert response.status_code == 400
    assert errors_of(response) == [
        (400, "api_key: send it as a POST parameter or an Authorization: Bearer header, not in the URL")
    ]
    assert not Tip.objects.exists()
    response = client.post(f"{BASE}/requests.json", data, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 201, response.content
    response = client.post(f"{BASE}/requests.json", data, headers={"Authorization": "Bearer ggv_nope"})
    assert response.status_code == 403
    assert Tip.objects.count() == 1


@pytest.mark.parametrize("username", ["leader", "admin", "grid_a", "reward", "nobody"])
def test_staff_tokens_without_the_permission_may_not_file(client, territory, sale, username):
    response = client.post(f"{BASE}/requests.json", form(token_for(territory.user(username))))
    assert response.status_code == 403
    assert errors_of(response) == [
        (403, "api_key: this account may not file requests (it needs the permission tips.add_tip)")
    ]
    assert not Tip.objects.exists()


def test_a_session_does_not_authenticate_a_post(client_for, territory, sale):
    client = client_for(territory.user("admin"))
    assert client.post(f"{BASE}/requests.json", form(None)).status_code == 403


@pytest.mark.parametrize(
    ("changes", "status", "descriptions"),
    [
        ({"service_code": None}, 400, ["service_code: not provided"]),
        ({"service_code": "nosuch"}, 404, ["service_code: nosuch not found"]),
        ({"service_code": "other_general"}, 404, ["service_code: other_general not found"]),
        ({"jurisdiction_id": "410000"}, 404, ["jurisdiction_id: 410000 not found"]),
        (
            {"lat": None, "long": None, "address_string": None},
            400,
            ["lat, long, address_string, address_id: a location is required (one of them)"],
        ),
        ({"long": None}, 400, ["lat, long: give both or neither"]),
        ({"lat": "north"}, 400, ["lat: not a number"]),
        ({"lat": "91"}, 400, ["lat: 坐标超出范围。"]),
        (
            {"attribute[township]": None},
            400,
            ["attribute[township]: required (the 9-digit code of the township, see the service definition)"],
        ),
        (
            {"attribute[township]": "411627999"},
            400,
            ["attribute[township]: 411627999 is not a township of 411627"],
        ),
        (
            {"address_id": VILLAGE_B1},
            400,
            [f"address_id: {VILLAGE_B1} is not the code of a village or grid of township {TOWNSHIP_A}"],
        ),
        ({"attribute[colour]": "red"}, 400, ["attribute[colour]: not an attribute of this service"]),
        ({"attribute[anonymous]": "maybe"}, 400, ["attribute[anonymous]: must be true or false"]),
        ({"description": "烟花"}, 400, ["description: 请描述看到的问题（至少 5 个字）。"]),
        ({"description": "x" * 4001}, 400, ["description: longer than 4000 characters"]),
        ({"phone": "12345"}, 400, None),
        ({"attribute[title]": "标" * 101}, 400, ["attribute[title]: 标题不能超过 100 个字。"]),
    ],
)
def test_bad_input_is_refused_naming_the_parameter(
    client, territory, sale, integration, changes, status, descriptions
):
    response = client.post(f"{BASE}/requests.json", form(integration[1], **changes))
    assert response.status_code == status, response.content
    errors = errors_of(response)
    if descriptions is None:
        assert [(code, text.split(":")[0]) for code, text in errors] == [(400, "phone")]
    else:
        assert errors == [(status, d) for d in descriptions]
    assert not Tip.objects.exists()


def test_rate_limit_per_device_is_429(client, territory, sale, integration, settings):
    settings.GRIDGOV_TIP_RATE_PER_CLIENT_HOUR = 2
    statuses = [
        client.post(
            f"{BASE}/requests.json", form(integration[1], device_id="phone-1", lat=f"34.{i}")
        ).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]
    response = client.post(f"{BASE}/requests.xml", form(integration[1], device_id="phone-1", lat="34.9"))
    assert response.status_code == 429 and response["Retry-After"]
    assert errors_of(response)[0][0] == 429
    # another device of the same integration is not held back
    assert client.post(f"{BASE}/requests.json", form(integration[1], device_id="phone-2")).status_code == 201


def test_api_throttle_per_account_and_per_address(client, territory, sale, integration, settings):
    settings.GRIDGOV_OPEN311_USER_RATE = "2/m"
    settings.GRIDGOV_OPEN311_RATE = "3/m"
    from django.core.cache import cache

    cache.clear()
    codes = [
        client.post(f"{BASE}/requests.json", form(integration[1], lat=f"34.{i}")).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 429]
    reads = [client.get(f"{BASE}/services.json", REMOTE_ADDR="10.0.0.7").status_code for _ in range(4)]
    assert reads == [200, 200, 200, 429]
    response = client.get(f"{BASE}/services.xml", REMOTE_ADDR="10.0.0.7")
    assert errors_of(response) == [(429, "too many requests: slow down")]
    assert client.get(f"{BASE}/services.json", REMOTE_ADDR="10.0.0.8").status_code == 200
    cache.clear()


def test_first_and_last_name_are_kept_in_chinese_order(client, territory, sale, integration):
    from gridgov.core.crypto import unseal

    response = client.post(
        f"{BASE}/requests.json", form(integration[1], first_name="小明", last_name="王", phone="13912345678")
    )
    tip = Tip.objects.get(tracking_code=parse_json(response)[0]["token"])
    assert unseal(tip.reporter_name_sealed) == "王小明"
    assert unseal(tip.reporter_phone_sealed) == "13912345678"
    assert "王小明" not in tip.reporter_name_sealed


def test_anonymous_drops_the_contact(client, territory, sale, integration):
    from gridgov.core.crypto import unseal

    data = form(
        integration[1],
        first_name="小明",
        last_name="王",
        phone="13912345678",
        **{"attribute[anonymous]": "true"},
    )
    tip = Tip.objects.get(tracking_code=parse_json(client.post(f"{BASE}/requests.json", data))[0]["token"])
    assert tip.anonymous
    assert unseal(tip.reporter_name_sealed) == "" and unseal(tip.reporter_phone_sealed) == ""


def test_post_validated_receipt_and_listing_against_schema(client, territory, sale, integration):
    client.post(f"{BASE}/requests.json", form(integration[1]))
    make_case(territory, sale, "closed", region=territory.grid_b1_1)
    validate(parse_json(client.get(f"{BASE}/requests.json")), "requests.json")


def test_grid_code_as_address_id(client, territory, sale, integration):
    response = client.post(
        f"{BASE}/requests.json",
        form(integration[1], address_id=GRID_A1_1, lat=None, long=None, address_string=None),
    )
    assert response.status_code == 201
    tip = Tip.objects.get(tracking_code=parse_json(response)[0]["token"])
    assert tip.case.region.code == GRID_A1_1
