"""Schemathesis over /api/v1/openapi.json (ARCHITECTURE §8): no input gives a 500, responses match the schema.

The schema is fetched from the WSGI application itself (no database needed for that); each operation then runs
inside one pytest-django test, so the shared territory fixture and the token live in that test's transaction
and every generated request goes through the whole middleware stack in-process.
"""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gridgov.accounts.services import api_token_create

application = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def admin_token(territory) -> str:
    _token, plain = api_token_create(actor=None, user=territory.user("admin"), name="schemathesis")
    return plain


@schema.parametrize()
@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_as_county_admin(case, admin_token):
    response = case.call(app=application, headers={"Authorization": f"Bearer {admin_token}"})
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_without_credentials(case, territory):
    response = case.call(app=application)
    case.validate_response(response, checks=CHECKS)
    assert response.status_code == 401
