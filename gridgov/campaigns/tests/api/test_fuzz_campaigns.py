"""Schemathesis over the campaigns operations alone (ARCHITECTURE §5, §8): no input gives a 500 and answers match
the schema. The schema comes from the campaigns router by itself; requests go to the whole application, as the
county admin, against the shipped campaigns over the shared territory."""

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


def _campaigns_schema() -> dict:
    import copy

    from ninja import NinjaAPI

    from gridgov.campaigns import api as campaigns_api

    probe = NinjaAPI(urls_namespace="campaigns-probe", title="campaigns", version="probe")
    router = copy.copy(campaigns_api.router)
    router.api = None
    probe.add_router("/campaigns", router)
    return probe.get_openapi_schema(path_prefix="/api/v1/")


application = get_wsgi_application()
schema = schemathesis.openapi.from_dict(_campaigns_schema())
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


@schema.hook("before_generate_path_parameters")
def known_ids_too(context, strategy):
    """Random ids are all 404s: also ask about id 1, the fixture's fireworks campaign on a fresh SQLite test
    database (PostgreSQL sequences move on between tests, and there it is one more unknown id)."""
    if {p.name for p in context.operation.path_parameters} != {"campaign_id"}:
        return strategy
    return st.one_of(strategy, st.fixed_dictionaries({"campaign_id": st.just(1)}))


@pytest.fixture(autouse=True)
def keep_test_connection():
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def admin_token(world) -> str:
    _token, plain = api_token_create(actor=None, user=world.territory.user("admin"), name="fuzz")
    return plain


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_campaigns_api_fuzz(case, admin_token):
    response = case.call(app=application, headers={"Authorization": f"Bearer {admin_token}"})
    case.validate_response(response, checks=CHECKS)
