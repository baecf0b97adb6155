"""The inbox and the list read a constant number of queries, whatever their length (ARCHITECTURE §6)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.cases.models import CaseState

PAGES = [
    ("supervisor", CaseState.REPORTED, "/cases/"),
    ("commander", CaseState.REGISTERED, "/cases/"),
    ("officer", CaseState.DISPATCHED, "/cases/"),
    ("grid_a", CaseState.DISPATCHED, "/cases/"),  # 我最近上报的
    ("supervisor", CaseState.DISPATCHED, "/cases/all/"),
    ("supervisor", CaseState.REPORTED, "/cases/all/?state=open&category=fireworks&overdue=0&q=烟花"),
]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("username", "state", "url"), PAGES)
def test_query_count_does_not_grow_with_the_list(territory, client_for, make_case, username, state, url):
    for i in range(3):
        make_case(state, title=f"烟花案件{i}")
    client = client_for(territory.user(username))
    client.get(url)  # warm the session
    few = _queries(client, url)
    for i in range(3, 20):
        make_case(state, title=f"烟花案件{i}")
    html = client.get(url).content.decode()
    assert html.count('class="list-item case-item') >= 10
    assert _queries(client, url) == few
