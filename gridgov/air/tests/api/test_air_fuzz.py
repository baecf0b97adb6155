"""Schemathesis over the air endpoints only (their own OpenAPI description, served by the real WSGI application):
no input gives a 500 and every answer matches the schema, as the county admin and without credentials."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from ninja import NinjaAPI
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from gridgov.accounts.services import api_token_create
from gridgov.air.api import router
from gridgov.api.auth import AUTH

application = get_wsgi_application()


def air_schema() -> dict:
    # The air router's own description (the same router the real API mounts at /api/v1/air), so that a problem in
    # another app's schema cannot hide or block this one.
    api = NinjaAPI(urls_namespace="air-fuzz", auth=AUTH)
    api.add_router("/air", router)
    return api.get_openapi_schema(path_prefix="/api/v1/")


schema = schemathesis.openapi.from_dict(air_schema())
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]
FUZZ = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
}


@schema.hook("before_generate_path_parameters")
def known_codes_too(context, strategy):
    if "code" not in {parameter.name for parameter in context.operation.path_parameters}:
        return strategy
    return st.one_of(strategy, st.fixed_dictionaries({"code": st.sampled_from(["A01", "B02"])}))


@pytest.fixture(autouse=True)
def keep_test_connection():
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def admin_token(territory, stations) -> str:
    return api_token_create(actor=None, user=territory.user("admin"), name="fuzz")[1]


@schema.parametrize()
@settings(max_examples=25, **FUZZ)
def test_air_api_as_county_admin(case, admin_token):
    response = case.call(app=application, headers={"Authorization": f"Bearer {admin_token}"})
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=8, **FUZZ)
def test_air_api_without_credentials(case, territory):
    response = case.call(app=application)
    case.validate_response(response, checks=CHECKS)
