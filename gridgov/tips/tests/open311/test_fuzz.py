"""No input makes /open311/v2/ answer 500, and every answer is well-formed in the format asked for."""

import json
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgov.conftest import TOWNSHIP_A
from gridgov.tips.tests.open311.conftest import BASE, make_case

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
text = st.text(max_size=60)
PARAMS = [
    "service_request_id",
    "service_code",
    "start_date",
    "end_date",
    "status",
    "jurisdiction_id",
    "format",
]
dates = st.one_of(
    text,
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(
        [
            "2026-11-29",
            "2026-11-29T08:00:00Z",
            "0000-00-00",
            "9999-12-31T23:59:59+14:00",
            "2026-11-29T08:00:00 08:00",
        ]
    ),
)


def well_formed(response, fmt: str, *inputs) -> None:
    assert response.status_code < 500, response.content[:300]
    if any("\x00" in str(value) for value in inputs) and response["Content-Type"].startswith("text/plain"):
        # gridgov.core.middleware.RejectNullBytesMiddleware answers a NUL in a path or query before any view
        assert response.status_code == 400
        return
    if fmt == "json":
        assert response["Content-Type"].startswith("application/json")
        json.loads(response.content)
    else:
        assert response["Content-Type"].startswith("text/xml")
        ET.fromstring(response.content)


@pytest.fixture
def some_cases(territory, sale):
    make_case(territory, sale, "dispatched", description="有<危险>&品\x02")
    make_case(territory, sale, "closed", region=territory.grid_b1_1)


@FUZZ
@given(
    fmt=st.sampled_from(["xml", "json"]),
    params=st.dictionaries(
        st.sampled_from(PARAMS),
        st.one_of(text, dates, st.sampled_from(["open", "closed", "open,closed", ",,,"])),
    ),
)
def test_get_requests_never_fails(client, some_cases, fmt, params):
    response = client.get(f"{BASE}/requests.{fmt}", params)
    # the suffix decides; a "format" parameter beside it is ignored
    well_formed(response, fmt, *params.keys(), *params.values())


@FUZZ
@given(
    fmt=st.sampled_from(["xml", "json"]),
    tail=st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s and "?" not in s and "#" not in s),
)
def test_paths_never_fail(client, some_cases, fmt, tail):
    for prefix in ("requests/", "tokens/", "services/"):
        response = client.get(f"{BASE}/{prefix}{tail}.{fmt}")
        well_formed(response, fmt, tail)


@FUZZ
@given(
    fmt=st.sampled_from(["xml", "json"]),
    fields=st.dictionaries(
        st.sampled_from(
            [
                "service_code",
                "lat",
                "long",
                "address_string",
                "address_id",
                "attribute[township]",
                "attribute[title]",
                "attribute[anonymous]",
                "attribute[x]",
                "description",
                "first_name",
                "last_name",
                "phone",
                "email",
                "device_id",
                "jurisdiction_id",
            ]
        ),
        st.one_of(
            text,
            st.sampled_from(
                ["fireworks_illegal_sale", TOWNSHIP_A, "34.1", "NaN", "inf", "-0", "1e999", "true"]
            ),
        ),
    ),
)
def test_post_never_fails(client, some_cases, integration, settings, fmt, fields):
    settings.GRIDGOV_TIP_RATE_PER_CLIENT_HOUR = 100000
    response = client.post(f"{BASE}/requests.{fmt}", {"api_key": integration[1], **fields})
    well_formed(response, fmt)


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=80),
        st.recursive(
            st.none() | st.booleans() | st.integers() | text,
            lambda c: st.lists(c, max_size=3) | st.dictionaries(text, c, max_size=3),
            max_leaves=8,
        ).map(lambda v: json.dumps(v).encode()),
    )
)
def test_post_json_bodies_never_fail(client, some_cases, integration, body):
    response = client.post(
        f"{BASE}/requests.json",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {integration[1]}"},
    )
    well_formed(response, "json")
