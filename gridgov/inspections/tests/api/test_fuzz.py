"""Schemathesis over the inspections endpoints alone: no input gives a 500, responses match the schema.

The schema is built from a copy of this app's router on an API of its own, so that this test runs whatever the
state of the other apps' schemas; requests go through the real WSGI application (the whole middleware stack) on the
test's connection, as in gridgov/api/tests/test_openapi_fuzz.py.
"""

import copy

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
from gridgov.api.auth import AUTH
from gridgov.inspections.api import router
from gridgov.inspections.services import plans
from gridgov.inspections.tests.conftest import inspect

application = get_wsgi_application()


def _schema() -> dict:
    own = copy.deepcopy(router)
    own.api = None
    api = NinjaAPI(urls_namespace="api-v1", auth=AUTH, version="inspections-fuzz")
    api.add_router("/", own)
    return api.get_openapi_schema(path_prefix="/api/v1/")


schema = schemathesis.openapi.from_dict(_schema())
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


@schema.hook("before_generate_path_parameters")
def small_ids_too(context, strategy):
    """Random ids almost never exist: mix in small ones so the found-and-visible branches run too."""
    names = [p.name for p in context.operation.path_parameters]
    if not names:
        return strategy
    return st.one_of(strategy, st.fixed_dictionaries({n: st.integers(1, 3) for n in names}))


@pytest.fixture(autouse=True)
def keep_test_connection():
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def officer_token(world) -> str:
    t = world.territory
    (inspection,) = plans.plan_add_targets(actor=t.user("officer"), plan=world.overt, places=[world.shop_a])
    inspect(t.user("officer"), inspection, fail=("extinguishers",))
    plans.plan_add_targets(actor=t.user("officer"), plan=world.overt, places=[world.shop_b])
    _token, plain = api_token_create(actor=None, user=t.user("officer"), name="fuzz")
    return plain


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_inspections_api_as_the_organiser(case, officer_token):
    response = case.call(app=application, headers={"Authorization": f"Bearer {officer_token}"})
    case.validate_response(response, checks=CHECKS)
