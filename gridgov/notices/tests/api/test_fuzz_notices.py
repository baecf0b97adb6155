"""Schemathesis over the notices operations alone (ARCHITECTURE §5, §8): no input gives a 500 and answers match
the schema. The schema comes from the notices router by itself, so that this check does not depend on the rest of
the API's schema; requests go to the whole application."""

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
from gridgov.conftest import GRID_A1_1, TEST_DIVISIONS


def _notices_schema() -> dict:
    import copy

    from ninja import NinjaAPI

    from gridgov.notices import api as notices_api

    probe = NinjaAPI(urls_namespace="notices-probe", title="notices", version="probe")
    router = copy.copy(notices_api.router)
    router.api = None
    probe.add_router("/", router)
    return probe.get_openapi_schema(path_prefix="/api/v1/")


application = get_wsgi_application()
schema = schemathesis.openapi.from_dict(_notices_schema())
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]
KNOWN = [row[0] for row in TEST_DIVISIONS] + [GRID_A1_1]


@schema.hook("before_generate_path_parameters")
def known_codes_too(context, strategy):
    if "grid_code" not in {p.name for p in context.operation.path_parameters}:
        return strategy
    return st.one_of(strategy, st.fixed_dictionaries({"grid_code": st.sampled_from(KNOWN)}))


@pytest.fixture(autouse=True)
def keep_test_connection():
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def admin_token(territory, settings) -> str:
    settings.GRIDGOV_NOTICES_WEBHOOK_HOSTS = ["qyapi.weixin.qq.com", "oapi.dingtalk.com"]
    _token, plain = api_token_create(actor=None, user=territory.user("admin"), name="fuzz")
    return plain


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_notices_api_fuzz(case, admin_token, monkeypatch):
    # the test button must never reach out: no group can point anywhere but the bots' hosts, and those are
    # replaced by a refusal here
    import httpx

    def refuse(*args, **kwargs):
        raise httpx.ConnectError("outbound traffic is not allowed in tests")

    monkeypatch.setattr(httpx.Client, "post", refuse)
    response = case.call(app=application, headers={"Authorization": f"Bearer {admin_token}"})
    case.validate_response(response, checks=CHECKS)
