"""Two people acting on the same case at once cannot both succeed (issue 4): two commanders dispatch the same
registered case over the API, each request on its own thread and database connection; one gets 200, the other
409, and the case carries exactly one dispatch."""

import threading

import pytest
from django.db import connection
from django.test import Client

from gridgov.accounts.services import api_token_create
from gridgov.cases.models import Case, CaseEvent
from gridgov.cases.tests.api.conftest import API, make_case
from gridgov.conftest import build_territory, make_user
from gridgov.core.roles import Role
from gridgov.territory.services import grant_add


def run_at_once(requests) -> list:
    """Runs each callable on its own thread, released together; returns their results in order."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def worker(i, request):
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            results[i] = request()
        except Exception as exc:  # report it in the main thread
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # keeps the categories of the data migration
@pytest.mark.parametrize("unit", ["department", "township"])
def test_two_commanders_dispatch_the_same_case(unit):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Threads share an in-memory test database through SQLite's shared cache, whose table locks fail at once
        # ("database table is locked") instead of waiting like a file database's IMMEDIATE transactions do.
        pytest.skip("needs PostgreSQL or a file-based SQLite test database (DATABASES TEST NAME)")
    territory = build_territory()
    second = make_user("commander2")
    grant_add(actor=None, user=second, role=Role.COMMANDER, region=territory.county)
    case = make_case(territory, "registered")
    body = {"department": "yingji"} if unit == "department" else {"township": territory.township_a.code}

    def dispatch_as(user):
        _token, plain = api_token_create(actor=None, user=user, name="race")
        url = f"{API}/{case.pk}/actions/dispatch"

        def request():
            client = Client(raise_request_exception=False)
            return client.post(
                url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {plain}"
            )

        return request

    responses = run_at_once([dispatch_as(territory.user("commander")), dispatch_as(second)])
    errors = [r for r in responses if isinstance(r, Exception)]
    assert not errors, errors
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [(r.status_code, r.content[:200]) for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] == "invalid_transition"
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == "dispatched"
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1
