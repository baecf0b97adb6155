"""Over real HTTP (pytest-django's live server and httpx on 127.0.0.1), with CSRF checks on: an Open311 client
needs no cookie, no CSRF token and no session."""

import httpx
import pytest
from django.test import Client

from gridgov.conftest import TOWNSHIP_A
from gridgov.tips.models import Tip
from gridgov.tips.tests.open311.conftest import BASE, errors_of, validate


@pytest.mark.django_db
def test_post_needs_no_csrf_token(territory, sale, integration):
    client = Client(enforce_csrf_checks=True)
    data = {
        "api_key": integration[1],
        "service_code": sale.code,
        "address_string": "常营镇",
        "attribute[township]": TOWNSHIP_A,
        "description": "街边有人卖烟花爆竹",
    }
    assert client.post(f"{BASE}/requests.json", data).status_code == 201
    assert errors_of(client.post(f"{BASE}/requests.json", data | {"api_key": "bad"})) == [
        (403, "api_key: missing or invalid")
    ]


@pytest.mark.django_db(transaction=True)
def test_file_and_follow_a_tip_over_http(live_server, territory, integration):
    from gridgov.cases.defaults import ensure_default_categories
    from gridgov.cases.models import Category, CategoryGroup

    ensure_default_categories(CategoryGroup, Category)
    with httpx.Client(base_url=f"{live_server.url}{BASE}", timeout=10) as http:
        services = http.get("/services.json")
        assert services.status_code == 200
        validate(services.json(), "services.json")
        created = http.post(
            "/requests.xml",
            data={
                "api_key": integration[1],
                "service_code": "fireworks_banned_area",
                "lat": "34.06",
                "long": "114.85",
                "attribute[township]": TOWNSHIP_A,
                "description": "小区里有人燃放烟花，禁放区域",
            },
        )
        assert created.status_code == 201, created.text
        assert created.headers["content-type"] == "text/xml; charset=utf-8"
        token = Tip.objects.get().tracking_code
        assert f"<token>{token}</token>" in created.text
        number = http.get(f"/tokens/{token}.json").json()[0]["service_request_id"]
        (request,) = http.get(f"/requests/{number}.json").json()
        assert request["status"] == "open" and request["service_code"] == "fireworks_banned_area"
        validate([request], "requests.json")
