"""Schemathesis over /api/v1/openapi.json (ARCHITECTURE §5, §8): no input gives a 500, responses match the schema.

The schema is fetched from the WSGI application itself (that needs no database). Each operation then runs as one
pytest-django test: the territory fixture and the token live in that test's transaction, and every generated
request goes in-process through the whole middleware stack on the same connection.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from gridgov.accounts.services import api_token_create
from gridgov.conftest import TEST_DIVISIONS, VILLAGE_A2
from gridgov.territory.services import grid_retire

application = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]
FUZZ_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
}

# Random digit strings almost never name a region: mix in the fixture's codes so that the generated requests
# also reach the found-and-visible branches (details, children, pages, retired grids).
KNOWN_CODES = [row[0] for row in TEST_DIVISIONS] + [
    f"{row[0]}{n:03d}" for row in TEST_DIVISIONS if row[2] == "village" for n in (1, 2)
]


@schema.hook("before_generate_path_parameters")
def known_codes_too(context, strategy):
    if "code" not in {parameter.name for parameter in context.operation.path_parameters}:
        return strategy
    return st.one_of(strategy, st.fixed_dictionaries({"code": st.sampled_from(KNOWN_CODES)}))


@pytest.fixture(autouse=True)
def keep_test_connection():
    """The WSGI handler closes the database connection at the end of each request when CONN_MAX_AGE is 0, which
    on PostgreSQL would end the test's transaction (in-memory SQLite ignores it). Django's test client unhooks
    the same signal handler around its requests; do so for the in-process WSGI calls too."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def admin_token(territory) -> str:
    grid_retire(actor=None, grid=territory.village_a2.children.get(code=f"{VILLAGE_A2}001"), reason="fuzz")
    _token, plain = api_token_create(actor=None, user=territory.user("admin"), name="schemathesis")
    return plain


@schema.parametrize()
@settings(max_examples=50, **FUZZ_SETTINGS)
def test_api_as_county_admin(case, admin_token):
    response = case.call(app=application, headers={"Authorization": f"Bearer {admin_token}"})
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=20, **FUZZ_SETTINGS)
def test_api_without_credentials(case, territory):
    response = case.call(app=application)
    case.validate_response(response, checks=CHECKS)
    if case.method.upper() == case.operation.method.upper():
        assert response.status_code == 401, response.text


def test_openapi_documents_the_error_responses():
    """§5 lists the API's errors and clients read them from the schema: every operation answers 401, and every
    operation that takes parameters answers 400 for bad ones (the fuzzer above gets such 400s)."""
    raw = schema.raw_schema
    missing = []
    for path, methods in raw["paths"].items():
        for method, operation in methods.items():
            wanted = {"401"} | ({"400"} if operation.get("parameters") else set())
            absent = wanted - set(operation["responses"])
            if absent:
                missing.append(f"{method.upper()} {path}: {sorted(absent)}")
    assert not missing, missing
